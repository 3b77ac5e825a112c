import { describe, expect, it } from 'vitest';
import { cell, renderSummary, type SummaryNotes, type SummaryRow } from './summary';

const HEAD = 'e9d71f5ee7c92d6dc9e92ffdad17b8bd49418f98';
const BASE = '86f7e437faa5a7fce15d1ddcb9eaeaea377667b8';
const MB = '84a516841ba77a5b4648de2cd0dfcb30ea46dbb4';
const DIGEST_BASE = `sha256:${'a'.repeat(64)}`;
const DIGEST_TRACTOR = `sha256:${'b'.repeat(64)}`;
const notes: SummaryNotes = { head: HEAD, compareCommits: [BASE], eventName: 'push' };
const HEADER = ['| level | image | tag | pushed digest | built from | why |', '| --- | --- | --- | --- | --- | --- |'];
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
        `| 1 | \`base_image\` | \`main\` | \`${DIGEST_BASE}\` | \`quay.io/jupyter/scipy-notebook:2025-12-31\` | images/base_image/Dockerfile changed |`,
        `| 2 | \`tractor\` | \`main\` | \`${DIGEST_TRACTOR}\` | \`ghcr.io/fornax/images/base_image:main\` (\`${DIGEST_BASE}\`) | images/tractor/Dockerfile changed |`,
      ],
    ],
    [
      'pull_request: built, not pushed',
      [row({ image: 'tractor', tag: 'feature-x', pushed: false, skippedReason: 'pull requests are built, not pushed', bases: [{ image: 'base_image', reference: 'base_image:main', id: 'sha256:0a1b' }], why: 'changed' })],
      { ...notes, eventName: 'pull_request' },
      [...HEADER, '| 1 | `tractor` | `feature-x` | not pushed: pull requests are built, not pushed | `base_image:main` (`image sha256:0a1b`) | changed |'],
    ],
    ['pushed but digest unknown', [row({ image: 'a', tag: 't', pushed: true, why: 'w' })], notes, [...HEADER, '| 1 | `a` | `t` | pushed |  | w |']],
    ['not pushed, no reason', [row({ image: 'a', tag: 't', pushed: false, why: 'w' })], notes, [...HEADER, '| 1 | `a` | `t` | not pushed |  | w |']],
    [
      'several bases, one per line, with a base only in the local engine',
      [row({ image: 'hea', level: 3, tag: 't', pushed: false, bases: [{ image: 'a', reference: 'r/a:t', digest: 'sha256:1' }, { image: 'b', reference: 'r/b:main' }], why: 'w' })],
      notes,
      [...HEADER, '| 3 | `hea` | `t` | not pushed | `r/a:t` (`sha256:1`)<br>`r/b:main` | w |'],
    ],
    [
      'a newer run already pushed',
      [row({ image: 'a', tag: 't', pushed: false, skippedReason: 'a newer run already pushed a:t from bbbbbbb', why: 'w' })],
      notes,
      [...HEADER, '| 1 | `a` | `t` | not pushed: a newer run already pushed a:t from bbbbbbb |  | w |'],
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
        `| 1 | \`base_image\` | \`main\` | \`${DIGEST_BASE}\` |  | changed |`,
        '| 1 | `mid` | `main` | **failed** |  | changed |',
        '| 2 | `top` | `main` | **skipped** |  | changed |',
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
      'nx.json changed: a note says every project was affected',
      [row({ image: 'a', tag: 'main', digest: DIGEST_BASE, pushed: true, why: 'nx.json changed' })],
      { ...notes, workspaceFilesChanged: ['nx.json', 'package-lock.json'] },
      [
        '> **Note:** `nx.json`, `package-lock.json` changed, so Nx treated every project as affected.',
        '',
        ...HEADER,
        `| 1 | \`a\` | \`main\` | \`${DIGEST_BASE}\` |  | nx.json changed |`,
      ],
    ],
    [
      'the note shows even with nothing to build',
      [],
      { ...notes, workspaceFilesChanged: ['nx.json'] },
      ['> **Note:** `nx.json` changed, so Nx treated every project as affected.', '', 'No image was affected by this push (86f7e43..e9d71f5).'],
    ],
    ['an empty workspace list adds no note', [], { ...notes, workspaceFilesChanged: [] }, ['No image was affected by this push (86f7e43..e9d71f5).']],
    [
      'pipes and newlines in any cell cannot break the table',
      [row({ image: 'a|b', tag: 't', pushed: false, skippedReason: 'x | y', externalBase: 'b|c\nd', why: 'line one\nline | two\r\nthree' })],
      notes,
      [...HEADER, '| 1 | `a\\|b` | `t` | not pushed: x \\| y | `b\\|c d` | line one<br>line \\| two<br>three |'],
    ],
    [
      'HTML and backticks stay text',
      [row({ image: 'a', tag: 't', pushed: true, digest: 'sha256:`x`', why: '<img src=x onerror=alert(1)> & more' })],
      notes,
      [...HEADER, '| 1 | `a` | `t` | `` sha256:`x` `` |  | &lt;img src=x onerror=alert(1)&gt; &amp; more |'],
    ],
  ])('%s', (_name, rows, given, lines) => {
    expect(renderSummary(rows, given)).toBe(`${lines.join('\n')}\n`);
  });

  it('every row stays one table line, whatever its content', () => {
    const nasty = 'a|b\nc\r\nd\re|||\n\n';
    const rows: SummaryRow[] = [row({ image: nasty, tag: nasty, digest: nasty, pushed: true, bases: [{ image: nasty, reference: nasty, digest: nasty }], externalBase: nasty, why: nasty })];
    const out = renderSummary(rows, notes).trimEnd().split('\n');
    expect(out).toHaveLength(3);
    // Six cells: seven unescaped pipes.
    expect(out[2]?.match(/(?<!\\)\|/g)).toHaveLength(7);
  });
});

describe('cell', () => {
  it.each([
    ['plain', 'plain'],
    ['a|b', 'a\\|b'],
    ['a\nb', 'a<br>b'],
    ['a\r\nb', 'a<br>b'],
    ['a\rb', 'a<br>b'],
    ['<b>', '&lt;b&gt;'],
    ['&amp;', '&amp;amp;'],
    ['  padded  ', 'padded'],
    ['ünïcødé 日本', 'ünïcødé 日本'],
  ])('%j -> %j', (text, expected) => {
    expect(cell(text)).toBe(expected);
  });
});
