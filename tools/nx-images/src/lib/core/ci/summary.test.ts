import { describe, expect, it } from 'vitest';
import { renderReleaseSummary, renderSummary, type SummaryNotes, type SummaryRow } from './summary';

const HEAD = 'e9d71f5ee7c92d6dc9e92ffdad17b8bd49418f98';
const BASE = '86f7e437faa5a7fce15d1ddcb9eaeaea377667b8';
const MB = '84a516841ba77a5b4648de2cd0dfcb30ea46dbb4';
const DIGEST_BASE = `sha256:${'a'.repeat(64)}`;
const DIGEST_TRACTOR = `sha256:${'b'.repeat(64)}`;
const notes: SummaryNotes = { head: HEAD, compareCommits: [BASE], eventName: 'push' };
const HEADER = ['| level | image | tag | pushed digest | built from | tests | why |', '| --- | --- | --- | --- | --- | --- | --- |'];
/** A row with no base, at level 1, unless told otherwise. */
const row = (fields: Omit<SummaryRow, 'level' | 'bases'> & Partial<SummaryRow>): SummaryRow => ({ level: 1, bases: [], ...fields });

describe('renderSummary', () => {
  it.each<[string, SummaryRow[], SummaryNotes, string[]]>([
    ['nothing affected by a push: one line', [], notes, ['No image was affected by this push (86f7e43..e9d71f5).']],
    ['nothing affected by a dispatch', [], { ...notes, eventName: 'workflow_dispatch' }, ['No image was affected by this run (86f7e43..e9d71f5).']],
    ['several bases are all named', [], { ...notes, compareCommits: [BASE, MB] }, ['No image was affected by this push (86f7e43, 84a5168..e9d71f5).']],
    ['no base at all is shown, not hidden', [], { ...notes, compareCommits: [] }, ['No image was affected by this push (?..e9d71f5).']],
    [
      'both images pushed, tractor FROM the fresh base_image',
      [
        row({ image: 'tractor', level: 2, tag: 'main', digest: DIGEST_TRACTOR, pushed: true, bases: [{ image: 'base_image', reference: 'ghcr.io/fornax/images/base_image:main', digest: DIGEST_BASE }], why: 'images/tractor/Dockerfile changed' }),
        row({ image: 'base_image', tag: 'main', digest: DIGEST_BASE, pushed: true, externalBase: 'quay.io/jupyter/scipy-notebook:2025-12-31', why: 'images/base_image/Dockerfile changed' }),
      ],
      notes,
      [
        ...HEADER,
        `| 1 | \`base_image\` | \`main\` | \`${DIGEST_BASE}\` | \`quay.io/jupyter/scipy-notebook:2025-12-31\` | no tests | images/base_image/Dockerfile changed |`,
        `| 2 | \`tractor\` | \`main\` | \`${DIGEST_TRACTOR}\` | \`ghcr.io/fornax/images/base_image:main\` (\`${DIGEST_BASE}\`) | no tests | images/tractor/Dockerfile changed |`,
      ],
    ],
    [
      'pull_request: built, not pushed',
      [row({ image: 'tractor', tag: 'feature-x', pushed: false, skippedReason: 'pull requests are built, not pushed', bases: [{ image: 'base_image', reference: 'base_image:main', id: 'sha256:0a1b' }], why: 'changed' })],
      { ...notes, eventName: 'pull_request' },
      [...HEADER, '| 1 | `tractor` | `feature-x` | not pushed: pull requests are built, not pushed | `base_image:main` (`image sha256:0a1b`) | no tests | changed |'],
    ],
    ['pushed but digest unknown', [row({ image: 'a', tag: 't', pushed: true, why: 'w' })], notes, [...HEADER, '| 1 | `a` | `t` | pushed |  | no tests | w |']],
    ['not pushed, no reason', [row({ image: 'a', tag: 't', pushed: false, why: 'w' })], notes, [...HEADER, '| 1 | `a` | `t` | not pushed |  | no tests | w |']],
    ['per-build tags after the branch tag', [row({ image: 'a', tag: 'main', buildTags: ['sha-0123456789ab', '20260630_1200'], pushed: true, digest: 'sha256:1', why: 'w' })], notes, [...HEADER, '| 1 | `a` | `main` `sha-0123456789ab` `20260630_1200` | `sha256:1` |  | no tests | w |']],
    [
      'several bases, one per line, with a base only in the local engine',
      [row({ image: 'hea', level: 3, tag: 't', pushed: false, bases: [{ image: 'a', reference: 'r/a:t', digest: 'sha256:1' }, { image: 'b', reference: 'r/b:main' }], why: 'w' })],
      notes,
      [...HEADER, '| 3 | `hea` | `t` | not pushed | `r/a:t` (`sha256:1`)<br>`r/b:main` | no tests | w |'],
    ],
    [
      'a newer run already pushed',
      [row({ image: 'a', tag: 't', pushed: false, skippedReason: 'a newer run already pushed a:t from bbbbbbb', why: 'w' })],
      notes,
      [...HEADER, '| 1 | `a` | `t` | not pushed: a newer run already pushed a:t from bbbbbbb |  | no tests | w |'],
    ],
    [
      'a failed image is marked in the table and listed',
      [
        row({ image: 'base_image', tag: 'main', digest: DIGEST_BASE, pushed: true, why: 'changed' }),
        row({ image: 'mid', tag: 'main', pushed: false, why: 'changed', failed: 'docker build exited 1:\nRUN false' }),
        row({ image: 'top', level: 2, tag: 'main', pushed: false, why: 'changed', skipped: 'takes from mid, which failed' }),
      ],
      notes,
      [
        ...HEADER,
        `| 1 | \`base_image\` | \`main\` | \`${DIGEST_BASE}\` |  | no tests | changed |`,
        '| 1 | `mid` | `main` | **failed** |  |  | changed |',
        '| 2 | `top` | `main` | **skipped** |  |  | changed |',
        '',
        '**Failed (1):**',
        '',
        '- `mid`: docker build exited 1:<br>RUN false',
        '',
        '**Skipped (1):**',
        '',
        '- `top`: takes from mid, which failed',
      ],
    ],
    [
      'a removed, a renamed and a retested image, and files no image reads, each said once after the table',
      [row({ image: 'a', tag: 'main', digest: DIGEST_BASE, pushed: true, why: 'changed: images/a/x' })],
      { ...notes, removed: [{ image: 'old' }, { image: 'was', renamedTo: 'now' }], retests: [{ image: 'b', files: ['tests/test_b.py'] }], unread: ['.gitignore', 'README.md'] },
      [
        ...HEADER,
        `| 1 | \`a\` | \`main\` | \`${DIGEST_BASE}\` |  | no tests | changed: images/a/x |`,
        '',
        '**Retested:** `b`, whose tests alone changed (`tests/test_b.py`), as it is under the tag.',
        '',
        '**Removed:** `old`; nothing is built for it, and its tags are left alone.',
        '',
        '**Renamed:** `was` is now `now`; the tags of `was` are left alone.',
        '',
        "Changed, but read by no image's build or tests: `.gitignore`, `README.md`.",
      ],
    ],
    [
      'the notes show with nothing to build; a long list of files is cut',
      [],
      { ...notes, unread: Array.from({ length: 12 }, (_, i) => `f${String(i).padStart(2, '0')}`) },
      [
        'No image was affected by this push (86f7e43..e9d71f5).',
        '',
        "Changed, but read by no image's build or tests: `f00`, `f01`, `f02`, `f03`, `f04`, `f05`, `f06`, `f07`, `f08`, `f09` and 2 more.",
      ],
    ],
    ['empty lists add no note', [], { ...notes, removed: [], unread: [], retests: [] }, ['No image was affected by this push (86f7e43..e9d71f5).']],
    [
      'a reused image: its digest, where it was first built, and how long that took; a refresh\'s moved bases; a forced rebuild',
      [row({ image: 'a', tag: 'main', digest: DIGEST_BASE, pushed: true, why: 'changed: images/a/x', reused: { from: 'r/o/a:feature-x', revision: 'a'.repeat(40), seconds: 42 } })],
      { ...notes, rebuild: '[rebuild] in the head commit message', moved: [{ image: 'a', reference: 'r/upstream/os:1', from: 'sha256:1', to: 'sha256:2' }] },
      [
        ...HEADER,
        `| 1 | \`a\` | \`main\` | \`${DIGEST_BASE}\`<br>reused from \`r/o/a:feature-x\` (\`aaaaaaa\`), which built it in 42 s |  | no tests | changed: images/a/x |`,
        '',
        '**Rebuilt:** every image of this run was built anew, none taken from an earlier push ([rebuild] in the head commit message).',
        '',
        '**Outside images that moved:**',
        '',
        '| image | outside image | was | is now |',
        '| --- | --- | --- | --- |',
        '| `a` | `r/upstream/os:1` | `sha256:1` | `sha256:2` |',
      ],
    ],
    [
      'pipes and newlines in any cell cannot break the table',
      [row({ image: 'a|b', tag: 't', pushed: false, skippedReason: 'x | y', externalBase: 'b|c\nd', why: 'line one\nline | two\r\nthree' })],
      notes,
      [...HEADER, '| 1 | `a\\|b` | `t` | not pushed: x \\| y | `b\\|c d` | no tests | line one<br>line \\| two<br>three |'],
    ],
    [
      'HTML and backticks stay text',
      [row({ image: 'a', tag: 't', pushed: true, digest: 'sha256:`x`', why: '<img src=x onerror=alert(1)> & more' })],
      notes,
      [...HEADER, '| 1 | `a` | `t` | `` sha256:`x` `` |  | no tests | &lt;img src=x onerror=alert(1)&gt; &amp; more |'],
    ],
  ])('%s', (_name, rows, given, lines) => {
    expect(renderSummary(rows, given)).toBe(`${lines.join('\n')}\n`);
  });

  it('names the failing tests with the first lines of each, and says what the others came to', () => {
    const tests = (result: 'passed' | 'failed' | 'skipped', failures: { suite: string; name: string; excerpt: string }[] = []) => ({
      result,
      suites: ['x'],
      passed: result === 'passed' ? 2 : 0,
      failed: failures.length,
      failures,
      ...(result === 'skipped' ? { reason: '[skip-tests] in the head commit message' } : {}),
    });
    const hostile = `exit code 1\n<script>alert(1)</script> | \`rm\``;
    const out = renderSummary(
      [
        row({ image: 'ok', tag: 't', pushed: true, digest: DIGEST_BASE, why: 'w', tests: tests('passed') }),
        row({ image: 'quick', tag: 't', pushed: true, digest: DIGEST_TRACTOR, why: 'w', tests: tests('skipped') }),
        row({ image: 'bad', tag: 't', pushed: false, why: 'w', failed: 'its tests failed: bad/check.sh', tests: tests('failed', [{ suite: 'bad', name: 'check.sh', excerpt: hostile }]) }),
      ],
      notes,
    ).split('\n');
    expect(out).toContain(`| 1 | \`ok\` | \`t\` | \`${DIGEST_BASE}\` |  | passed (2 tests) | w |`);
    expect(out).toContain(`| 1 | \`quick\` | \`t\` | \`${DIGEST_TRACTOR}\` |  | skipped: [skip-tests] in the head commit message | w |`);
    expect(out).toContain('| 1 | `bad` | `t` | **failed** |  | failed: bad/check.sh | w |');
    expect(out).toContain('  - `bad/check.sh`: exit code 1<br>&lt;script&gt;alert(1)&lt;/script&gt; \\| `rm`');
  });

  it('every row stays one table line, whatever its content', () => {
    const nasty = 'a|b\nc\r\nd\re|||\n\n';
    const rows: SummaryRow[] = [row({ image: nasty, tag: nasty, digest: nasty, pushed: true, bases: [{ image: nasty, reference: nasty, digest: nasty }], externalBase: nasty, why: nasty })];
    const out = renderSummary(rows, notes).trimEnd().split('\n');
    expect(out).toHaveLength(3);
    // Seven cells: eight unescaped pipes.
    expect(out[2]?.match(/(?<!\\)\|/g)).toHaveLength(8);
  });
});

describe('renderReleaseSummary', () => {
  it('lists every image with the digest released, its bases, its size, its tests, its lock archive and its tags, by name', () => {
    const rows = [
      {
        image: 'tractor', name: 'r/tractor', sourceTag: 'main', digest: DIGEST_TRACTOR, tags: ['v0.1.1', 'stable'],
        bases: [{ image: 'base_image', reference: 'r/base_image:main', digest: DIGEST_BASE }], tests: 'passed', compressedSize: 3 * 1024 ** 3 + 512 * 1024 ** 2,
        locks: { archive: 'dist/release/locks/tractor-v0.1.1-locks.tar.gz', files: 2 },
      },
      {
        image: 'base_image', name: 'r/base_image', sourceTag: 'main', digest: DIGEST_BASE, tags: ['v0.1.1'], bases: [], tests: 'no tests', compressedSize: 900,
        locks: { archive: 'dist/release/locks/base_image-v0.1.1-locks.tar.gz', files: 0, note: 'the image has neither conda nor pip' },
      },
    ];
    expect(renderReleaseSummary(rows).split('\n')).toEqual([
      '| image | released digest | built from | compressed size | tests | lock files | tags |',
      '| --- | --- | --- | --- | --- | --- | --- |',
      `| \`base_image\` | \`${DIGEST_BASE}\` |  | 900 B | no tests | \`base_image-v0.1.1-locks.tar.gz\` (none: the image has neither conda nor pip) | \`v0.1.1\` |`,
      `| \`tractor\` | \`${DIGEST_TRACTOR}\` | \`r/base_image:main\` (\`${DIGEST_BASE}\`) | 3.5 GiB | passed | \`tractor-v0.1.1-locks.tar.gz\` (2 file(s)) | \`v0.1.1\`, \`stable\` |`,
      '',
    ]);
  });

  it('adds where each mirror stands, a failed one with its reason', () => {
    const row = {
      image: 'tractor', name: 'r/tractor', sourceTag: 'main', digest: DIGEST_TRACTOR, tags: ['v1'], bases: [], tests: 'passed',
      mirrors: [{ mirror: 'ecr.example.org/fornax', digest: DIGEST_TRACTOR, bytesSent: 10 }, { mirror: 'down.example.org/x', error: 'registry down.example.org: no | answer' }],
    };
    const text = renderReleaseSummary([row]);
    expect(text).toContain(`| \`tractor\` | \`ecr.example.org/fornax\` | \`v1\` | \`${DIGEST_TRACTOR}\` | 10 bytes |`);
    expect(text).toContain('| `tractor` | `down.example.org/x` | `v1` | **failed**: registry down.example.org: no \\| answer |  |');
  });
});
