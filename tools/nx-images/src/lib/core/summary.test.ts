import { describe, expect, it } from 'vitest';
import { cell, renderSummary, type SummaryNotes, type SummaryRow } from './summary';

const HEAD = 'e9d71f5ee7c92d6dc9e92ffdad17b8bd49418f98';
const BASE = '86f7e437faa5a7fce15d1ddcb9eaeaea377667b8';
const MB = '84a516841ba77a5b4648de2cd0dfcb30ea46dbb4';
const DIGEST_BASE = `sha256:${'a'.repeat(64)}`;
const DIGEST_TRACTOR = `sha256:${'b'.repeat(64)}`;
const notes: SummaryNotes = { head: HEAD, bases: [BASE], eventName: 'push' };
const HEADER = ['| image | tag | pushed digest | base used | why affected |', '| --- | --- | --- | --- | --- |'];

describe('renderSummary', () => {
  it.each<[string, SummaryRow[], SummaryNotes, string[]]>([
    ['nothing affected by a push: one line', [], notes, ['No image was affected by this push (86f7e43..e9d71f5).']],
    ['nothing affected by a dispatch', [], { ...notes, eventName: 'workflow_dispatch' }, ['No image was affected by this run (86f7e43..e9d71f5).']],
    ['several bases are all named', [], { ...notes, bases: [BASE, MB] }, ['No image was affected by this push (86f7e43, 84a5168..e9d71f5).']],
    ['no base at all is shown, not hidden', [], { ...notes, bases: [] }, ['No image was affected by this push (?..e9d71f5).']],
    [
      'both images pushed, tractor FROM the fresh base_image',
      [
        { image: 'base_image', tag: 'main', digest: DIGEST_BASE, pushed: true, why: 'images/base_image/Dockerfile changed' },
        {
          image: 'tractor',
          tag: 'main',
          digest: DIGEST_TRACTOR,
          pushed: true,
          baseImage: 'ghcr.io/fornax/images/base_image:main',
          baseDigest: DIGEST_BASE,
          why: 'images/tractor/Dockerfile changed',
        },
      ],
      notes,
      [
        ...HEADER,
        `| \`base_image\` | \`main\` | \`${DIGEST_BASE}\` |  | images/base_image/Dockerfile changed |`,
        `| \`tractor\` | \`main\` | \`${DIGEST_TRACTOR}\` | \`ghcr.io/fornax/images/base_image:main\` (\`${DIGEST_BASE}\`) | images/tractor/Dockerfile changed |`,
      ],
    ],
    [
      'pull_request: built, not pushed',
      [{ image: 'tractor', tag: 'feature-x', pushed: false, skippedReason: 'pull requests are built, not pushed', baseImage: 'base_image:main', why: 'changed' }],
      { ...notes, eventName: 'pull_request' },
      [...HEADER, '| `tractor` | `feature-x` | not pushed: pull requests are built, not pushed | `base_image:main` | changed |'],
    ],
    ['pushed but digest unknown', [{ image: 'a', tag: 't', pushed: true, why: 'w' }], notes, [...HEADER, '| `a` | `t` | pushed |  | w |']],
    ['not pushed, no reason', [{ image: 'a', tag: 't', pushed: false, why: 'w' }], notes, [...HEADER, '| `a` | `t` | not pushed |  | w |']],
    [
      'a newer run already pushed',
      [{ image: 'a', tag: 't', pushed: false, skippedReason: 'a newer run already pushed a:t from bbbbbbb', why: 'w' }],
      notes,
      [...HEADER, '| `a` | `t` | not pushed: a newer run already pushed a:t from bbbbbbb |  | w |'],
    ],
    [
      'a failed image is marked in the table and listed',
      [
        { image: 'base_image', tag: 'main', digest: DIGEST_BASE, pushed: true, why: 'changed' },
        { image: 'tractor', tag: 'main', pushed: false, why: 'changed', failed: 'docker build exited 1:\nRUN false' },
      ],
      notes,
      [
        ...HEADER,
        `| \`base_image\` | \`main\` | \`${DIGEST_BASE}\` |  | changed |`,
        '| `tractor` | `main` | **failed** |  | changed |',
        '',
        '**Failed (1):**',
        '',
        '- `tractor`: docker build exited 1:<br>RUN false',
      ],
    ],
    [
      'nx.json changed: a note says every project was affected',
      [{ image: 'a', tag: 'main', digest: DIGEST_BASE, pushed: true, why: 'nx.json changed' }],
      { ...notes, workspaceFilesChanged: ['nx.json', 'package-lock.json'] },
      [
        '> **Note:** `nx.json`, `package-lock.json` changed, so Nx treated every project as affected.',
        '',
        ...HEADER,
        `| \`a\` | \`main\` | \`${DIGEST_BASE}\` |  | nx.json changed |`,
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
      [{ image: 'a|b', tag: 't', pushed: false, skippedReason: 'x | y', baseImage: 'b|c\nd', why: 'line one\nline | two\r\nthree' }],
      notes,
      [...HEADER, '| `a\\|b` | `t` | not pushed: x \\| y | `b\\|c d` | line one<br>line \\| two<br>three |'],
    ],
    [
      'HTML and backticks stay text',
      [{ image: 'a', tag: 't', pushed: true, digest: 'sha256:`x`', why: '<img src=x onerror=alert(1)> & more' }],
      notes,
      [...HEADER, '| `a` | `t` | `` sha256:`x` `` |  | &lt;img src=x onerror=alert(1)&gt; &amp; more |'],
    ],
  ])('%s', (_name, rows, given, lines) => {
    expect(renderSummary(rows, given)).toBe(`${lines.join('\n')}\n`);
  });

  it('every row stays one table line, whatever its content', () => {
    const nasty = 'a|b\nc\r\nd\re|||\n\n';
    const rows: SummaryRow[] = [{ image: nasty, tag: nasty, digest: nasty, pushed: true, baseImage: nasty, baseDigest: nasty, why: nasty }];
    const out = renderSummary(rows, notes).trimEnd().split('\n');
    expect(out).toHaveLength(3);
    // Five cells: six unescaped pipes.
    expect(out[2].match(/(?<!\\)\|/g)).toHaveLength(6);
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
