import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { brokenLinks, markdownLinks, resolveLink } from './harness/markdown-links';
import { repoRoot } from './harness/workspace';

// README.md and every docs/*.md as they are in this checkout: each relative link
// reaches a file, each anchor a heading (GitHub's slugs), and none leaves
// README.md and docs/, which is what the package ships (project.json's build
// assets), so the links work on GitHub and in node_modules/@fornax/nx-images alike.
const docs = readdirSync(join(repoRoot, 'docs'))
  .filter((name) => name.endsWith('.md'))
  .sort()
  .map((name) => `docs/${name}`);
const files = new Map(['README.md', ...docs].map((path) => [path, readFileSync(join(repoRoot, path), 'utf8')]));

describe('the links of README.md and docs/', () => {
  it('reads the README and at least the docs it links to', () => {
    expect(docs.length).toBeGreaterThanOrEqual(8);
    const linked = markdownLinks(files.get('README.md') ?? '').map(({ target }) => resolveLink('README.md', target)?.path);
    for (const doc of docs) expect(linked, `README.md links to ${doc}`).toContain(doc);
  });

  it('every relative link reaches a file and every anchor a heading', () => {
    const problems = brokenLinks(files, (path) => existsSync(join(repoRoot, path)));
    expect(problems.map(({ file, line, target, problem }) => `${file}:${line}: ${target}: ${problem}`)).toEqual([]);
  });

  it('every relative link stays within README.md and docs/, which the package ships', () => {
    const outside: string[] = [];
    for (const [file, markdown] of files) {
      for (const { target, line } of markdownLinks(markdown)) {
        const path = resolveLink(file, target)?.path;
        if (path === undefined || path === '' || path === 'README.md' || (path.startsWith('docs/') && path.endsWith('.md'))) continue;
        outside.push(`${file}:${line}: ${target}: the package has no ${path}; link to its page on GitHub (https://...) instead`);
      }
    }
    expect(outside).toEqual([]);
  });

  it('every docs file says what it covers and links back to the README', () => {
    for (const doc of docs) {
      const [title, blank, statement] = (files.get(doc) ?? '').split('\n');
      expect(title, `${doc} starts with its title`).toMatch(/^# \S/);
      expect(blank, doc).toBe('');
      expect(statement, `${doc}: one line saying what it covers, with a link back to the README`).toMatch(/\]\(\.\.\/README\.md\)/);
    }
  });
});
