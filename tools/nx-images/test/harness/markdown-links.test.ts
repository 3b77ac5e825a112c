import { describe, expect, it } from 'vitest';
import { brokenLinks, headingAnchors, markdownLinks, resolveLink, shellLinesUnder, slug } from './markdown-links';

describe('slug', () => {
  it.each([
    ['Set up and test', 'set-up-and-test'],
    ['Bases: resolved, pinned and recorded', 'bases-resolved-pinned-and-recorded'],
    ['Dependencies, and why each is here', 'dependencies-and-why-each-is-here'],
    ['Outside GitHub: every command, tested as written', 'outside-github-every-command-tested-as-written'],
    ['What each image carries: lock set, inventory, SBOM', 'what-each-image-carries-lock-set-inventory-sbom'],
    ['Tests kept elsewhere, run in the image or on the host', 'tests-kept-elsewhere-run-in-the-image-or-on-the-host'],
    ['`env-diff`: `main` → `feature`', 'env-diff-main--feature'],
    ['Differences against `main`', 'differences-against-main'],
    ['snake_case and kebab-case', 'snake_case-and-kebab-case'],
    ['What init asks, and running it again', 'what-init-asks-and-running-it-again'],
    ['`<image>`: its base', 'image-its-base'],
    ['A [linked](https://example.org/x#y) word', 'a-linked-word'],
    ['![logo](logo.png) Fornax', 'logo-fornax'],
    ['Tags & `{sha:12}` (per build)', 'tags--sha12-per-build'],
    ['v1.2.3 — release/notes?', 'v123--releasenotes'],
    ['Ünïcødé Überschrift', 'ünïcødé-überschrift'],
    ['日本語の見出し', '日本語の見出し'],
    ['emoji 🚀 launch', 'emoji--launch'],
    ['  padded  ', 'padded'],
    ['two  spaces', 'two--spaces'],
    ['--leading-dashes--', '--leading-dashes--'],
    ['<b>bold</b> HTML', 'bold-html'],
    ['escaped \\# hash', 'escaped--hash'],
    ['`` `ticks` `` inside', 'ticks-inside'],
    ['a'.repeat(300), 'a'.repeat(300)],
    ['', ''],
  ])('%j -> %j', (heading, anchor) => {
    expect(slug(heading)).toBe(anchor);
  });
});

describe('headingAnchors', () => {
  it.each([
    ['every level, closing hashes dropped', '# One\n## Two ##\n###### Six\n####### seven is no heading', ['one', 'two', 'six']],
    ['repeats get -1, -2', '## Notes\n## Notes\n## Notes', ['notes', 'notes-1', 'notes-2']],
    ['a repeat after a heading that already ends in -1', '## a-1\n## a\n## a', ['a-1', 'a', 'a-2']],
    ['repeats counted across levels', '# Release\n### Release', ['release', 'release-1']],
    ['headings inside a ``` block are code', '# Real\n```markdown\n## Not a heading\n```\n## After', ['real', 'after']],
    ['a ~~~ block closes only on ~~~', '~~~\n```\n# no\n~~~\n# yes', ['yes']],
    ['a longer fence needs as long a close', '````\n```\n# no\n````\n# yes', ['yes']],
    ['an info string does not close a fence', '```\n# no\n```json\n# still no\n```\n# yes', ['yes']],
    ['up to three spaces of indent', '   ## Indented\n    ## code, not a heading', ['indented']],
    ['#hashtag is no heading', '#hashtag\n# Real', ['real']],
    ['CRLF line ends', '# One\r\n## Two\r\n', ['one', 'two']],
    ['no headings', 'plain text', []],
  ])('%s', (_name, markdown, anchors) => {
    expect(headingAnchors(markdown)).toEqual(anchors);
  });
});

describe('markdownLinks', () => {
  it.each([
    ['an inline link', 'See [CI](docs/ci.md).', [{ target: 'docs/ci.md', line: 1 }]],
    ['a link with an anchor, on line 3', 'a\nb\n[x](docs/ci.md#github-settings)', [{ target: 'docs/ci.md#github-settings', line: 3 }]],
    ['a same-file anchor', '[Bases](#bases-resolved-pinned-and-recorded)', [{ target: '#bases-resolved-pinned-and-recorded', line: 1 }]],
    ['two on one line', '[a](a.md) and [b](b.md#x)', [{ target: 'a.md', line: 1 }, { target: 'b.md#x', line: 1 }]],
    ['an image', '![graph](docs/graph.png)', [{ target: 'docs/graph.png', line: 1 }]],
    ['a title after the destination', '[a](a.md "A title") [b](b.md \'B\')', [{ target: 'a.md', line: 1 }, { target: 'b.md', line: 1 }]],
    ['an angle-bracket destination with a space', '[a](<my file.md>)', [{ target: 'my file.md', line: 1 }]],
    ['parentheses in the destination', '[w](https://en.wikipedia.org/wiki/Tractor_(software))', [{ target: 'https://en.wikipedia.org/wiki/Tractor_(software)', line: 1 }]],
    ['code in the link text', '[`init`](docs/adopt.md)', [{ target: 'docs/adopt.md', line: 1 }]],
    ['brackets in the link text', '[a [b] c](x.md)', [{ target: 'x.md', line: 1 }]],
    ['a reference definition', '[ci]: docs/ci.md#what-ci-does', [{ target: 'docs/ci.md#what-ci-does', line: 1 }]],
    ['a table cell', '| [docs/ci.md](docs/ci.md) | CI |', [{ target: 'docs/ci.md', line: 1 }]],
    ['inside a code span: skipped', 'run `[a](missing.md)` as written', []],
    ['inside a double-backtick span: skipped', '``[a](`missing.md`)``', []],
    ['after a code span: kept', '`x` then [a](a.md)', [{ target: 'a.md', line: 1 }]],
    ['inside a fenced block: skipped', '```md\n[a](missing.md)\n```\n[b](b.md)', [{ target: 'b.md', line: 4 }]],
    ['inside a ~~~ block: skipped', '~~~\n[a](missing.md)\n~~~', []],
    ['brackets without a destination are text', '[skip-tests] and [x] (y)', []],
    ['an escaped bracket is text', '\\[a](a.md)', []],
    ['an empty destination', '[a]()', [{ target: '', line: 1 }]],
  ])('%s', (_name, markdown, links) => {
    expect(markdownLinks(markdown)).toEqual(links);
  });
});

describe('resolveLink', () => {
  it.each([
    ['README.md', 'docs/ci.md', { path: 'docs/ci.md', anchor: undefined }],
    ['README.md', 'docs/ci.md#github-settings', { path: 'docs/ci.md', anchor: 'github-settings' }],
    ['docs/ci.md', '../README.md', { path: 'README.md', anchor: undefined }],
    ['docs/ci.md', 'options.md#bases', { path: 'docs/options.md', anchor: 'bases' }],
    ['docs/ci.md', '#github-settings', { path: '', anchor: 'github-settings' }],
    ['docs/ci.md', './release.md', { path: 'docs/release.md', anchor: undefined }],
    ['docs/ci.md', '/tools/nx-images/', { path: 'tools/nx-images', anchor: undefined }],
    ['docs/ci.md', '../../outside.md', { path: '../outside.md', anchor: undefined }],
    ['README.md', 'docs/my%20file.md#caf%C3%A9', { path: 'docs/my file.md', anchor: 'café' }],
    ['README.md', 'docs/bad%zz.md', { path: 'docs/bad%zz.md', anchor: undefined }],
    ['README.md', 'docs/ci.md#', { path: 'docs/ci.md', anchor: '' }],
  ])('%s: %s', (file, target, resolved) => {
    expect(resolveLink(file, target)).toEqual(resolved);
  });

  it.each([['https://example.org/x.md'], ['http://example.org'], ['mailto:someone@example.org'], ['//cdn.example.org/x'], ['']])('%j leaves the repository', (target) => {
    expect(resolveLink('README.md', target)).toBeUndefined();
  });
});

describe('brokenLinks', () => {
  const files = new Map([
    ['README.md', '# Fornax\n\n## Set up\n\n[CI](docs/ci.md) [settings](docs/ci.md#github-settings) [up](#set-up) [web](https://example.org/#nowhere)\n'],
    ['docs/ci.md', '# CI\n\n## GitHub settings\n\n## GitHub settings\n\n[back](../README.md#set-up) [second](#github-settings-1)\n'],
  ]);
  const onDisk = new Set(['images/base_image', 'images/base_image/Dockerfile', 'logo.png']);
  const exists = (path: string) => onDisk.has(path);

  it('passes when every file and anchor is there', () => {
    expect(brokenLinks(files, exists)).toEqual([]);
  });

  it.each([
    ['a missing file', '[x](docs/gone.md)', 'docs/gone.md does not exist'],
    ['a missing anchor in another file', '[x](docs/ci.md#github-setting)', 'docs/ci.md has no heading whose anchor is #github-setting'],
    ['a missing anchor in the same file', '[x](#set-upp)', 'README.md has no heading whose anchor is #set-upp'],
    ['a third repeat that is not there', '[x](docs/ci.md#github-settings-2)', 'docs/ci.md has no heading whose anchor is #github-settings-2'],
    ['an anchor in a file whose headings are not checked', '[x](images/base_image/Dockerfile#L1)', '#L1 points into images/base_image/Dockerfile, whose headings are not checked: link to a Markdown file of the checked set, or drop the anchor'],
    ['a path out of the repository', '[x](../elsewhere.md)', '../elsewhere.md is outside the repository'],
    ['an anchor with the wrong case', '[x](#Set-up)', 'README.md has no heading whose anchor is #Set-up'],
  ])('finds %s', (_name, link, problem) => {
    const broken = new Map(files).set('README.md', `${files.get('README.md') ?? ''}\n${link}\n`);
    expect(brokenLinks(broken, exists)).toEqual([{ file: 'README.md', line: 7, target: link.slice(link.indexOf('(') + 1, -1), problem }]);
  });

  it.each([
    ['a file that exists', '[x](logo.png)'],
    ['a folder that exists', '[x](images/base_image/)'],
    ['a link in a code span', '`[x](docs/gone.md)`'],
    ['an http link, not fetched', '[x](https://example.invalid/gone.md#nowhere)'],
  ])('accepts %s', (_name, link) => {
    const withLink = new Map(files).set('README.md', `${files.get('README.md') ?? ''}\n${link}\n`);
    expect(brokenLinks(withLink, exists)).toEqual([]);
  });
});

describe('shellLinesUnder', () => {
  const doc = [
    '# Title',
    '## Add an image',
    'Some prose.',
    '```sh',
    'npx nx g x:image a              # FROM base',
    '',
    'npx nx g x:image b --from=a#1   # FROM a, base as a named stage',
    'npm test',
    '```',
    '```sh',
    'not read',
    '```',
    '## Next',
    '```sh',
    'other',
    '```',
  ].join('\n');

  it('reads the first sh block of the section, each command with the comment that ends it', () => {
    expect(shellLinesUnder(doc, '## Add an image')).toEqual([
      { command: 'npx nx g x:image a', comment: 'FROM base' },
      { command: 'npx nx g x:image b --from=a#1', comment: 'FROM a, base as a named stage' },
      { command: 'npm test', comment: '' },
    ]);
    expect(shellLinesUnder(doc, '## Next')).toEqual([{ command: 'other', comment: '' }]);
  });

  it.each([
    ['a heading the text lacks', '## Adding an image', /no heading "## Adding an image"/],
    ['a section whose block lies under the next heading only', '# Title', /no sh block under "# Title"/],
  ])('refuses %s', (_case, heading, message) => {
    expect(() => shellLinesUnder(doc, heading)).toThrow(message);
  });

  it('refuses a block left open', () => {
    expect(() => shellLinesUnder('## A\n```sh\nnpm test\n', '## A')).toThrow(/not closed/);
  });
});
