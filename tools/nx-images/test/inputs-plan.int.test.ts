import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { HISTORY_MAIN } from './fixtures/history-main';
import { repositoryCopy } from './harness/main-copy';

// What a push builds is decided by what each image's build reads, one commit of each kind on a branch of
// its own off main (built once per run, test/harness/built-main.ts), read from the plan job's lines
// (`ci:images --plan`, nothing built): for every image, build or not and why; every image removed or
// renamed; every changed file no image reads.

const main = repositoryCopy(HISTORY_MAIN);
let c0: string;

beforeAll(() => {
  c0 = main.c0.slice(0, 7);
});

/** One commit on a new branch off main, then the plan of its push: the plan's lines by subject (an image or a file). */
async function planOf(branch: string, change: () => Promise<void> | void): Promise<{ lines: Record<string, string>; levels: string; all: string }> {
  await main.ws.git('checkout', '--quiet', '--force', 'main');
  await main.ws.git('checkout', '--quiet', '-b', branch);
  await change();
  const sha = await main.ws.commit(`${branch}: one change`);
  const result = await main.run({ name: 'push', branch, sha }, {}, ['--plan']);
  expect(result.exitCode, result.all).toBe(0);
  const lines: Record<string, string> = {};
  for (const line of result.stdout.split('\n')) {
    const match = /^ {2}(\S+): (.*)$/.exec(line);
    if (match?.[1] && match[2]) lines[match[1]] = match[2];
  }
  const levels = result.stdout.split('\n').filter((line) => line.startsWith('ci:images: level ')).join('\n');
  return { lines, levels, all: result.all };
}

const unchanged = /^not affected: compared with no registry tag yet; merge-base with main \w{7}: inputs unchanged$/;
const untouched = (lines: Record<string, string>, images: string[]) => {
  for (const image of images) expect(lines[image], image).toMatch(unchanged);
};

describe('the plan decides by what each build reads', () => {
  it('an image added: it builds, and nothing else', async () => {
    const { lines, levels } = await planOf('add', () => {
      main.ws.write('images/extra/Dockerfile', readFileSync(join(main.ws.dir, 'images/app/Dockerfile'), 'utf8').replace('/stamps/app', '/stamps/extra'));
      main.ws.write('images/extra/stamp.txt', 'extra 1\n');
    });
    expect(lines.extra).toBe(`build: new since ${c0}`);
    untouched(lines, ['app', 'base', 'pinned', 'tool']);
    expect(levels).toBe('ci:images: level 1: extra');
  });

  it('an image renamed: it builds under its new name, the old name is named as renamed, nothing else builds', async () => {
    const { lines, levels } = await planOf('rename', () => main.ws.git('mv', 'images/app', 'images/application').then(() => undefined));
    expect(lines.application).toBe(`build: renamed from app since ${c0}`);
    expect(lines.app).toBe('removed (renamed to application): nothing to build; its tags are left alone');
    untouched(lines, ['base', 'pinned', 'tool']);
    expect(levels).toBe('ci:images: level 1: application');
  });

  it('an image removed: nothing builds; it is named as removed', async () => {
    const { lines, all } = await planOf('remove', () => main.ws.git('rm', '-r', '--quiet', 'images/app').then(() => undefined));
    expect(lines.app).toBe('removed: nothing to build; its tags are left alone');
    untouched(lines, ['base', 'pinned', 'tool']);
    expect(all).toContain('ci:images: no image is affected; nothing to build.');
  });

  it.each<[string, Record<string, string>, string[]]>([
    ['.gitignore', { '.gitignore': 'node_modules\ndist\n.nx\n*.log\n' }, ['.gitignore']],
    ['the docs', { 'README.md': '# history, read me\n', 'docs/guide.md': '# guide, again\n' }, ['README.md', 'docs/guide.md']],
  ])('an edit of %s: nothing builds; the file is named as read by no image', async (name, files, unread) => {
    const { lines, all } = await planOf(`edit-${name.replace(/\W/g, '')}`, () => {
      for (const [path, content] of Object.entries(files)) main.ws.write(path, content);
    });
    untouched(lines, ['app', 'base', 'pinned', 'tool']);
    for (const file of unread) expect(lines[file], file).toBe("changed, read by no image's build or tests");
    expect(all).toContain('ci:images: no image is affected; nothing to build.');
  });

  it('a root file one image\'s step before the build copies: that image builds, nothing else', async () => {
    const { lines, levels } = await planOf('intro', () => main.ws.write('intro.md', 'Welcome, again.\n'));
    expect(lines.tool).toMatch(/^build: compared with no registry tag yet; merge-base with main \w{7}: changed: intro\.md$/);
    untouched(lines, ['app', 'base', 'pinned']);
    expect(levels).toBe('ci:images: level 1: tool');
  });

  it('a change to an image\'s tests alone: nothing builds, the image is retested', async () => {
    const { lines, all } = await planOf('tests', () => main.ws.write('tests/app/check.sh', '#!/bin/sh\ngrep -q app /stamps/app && echo "app stamped, checked"\n'));
    expect(lines.app).toMatch(/^not affected: .*inputs unchanged; its tests changed \(tests\/app\/check\.sh\): retest$/);
    untouched(lines, ['base', 'pinned', 'tool']);
    expect(all).toContain('ci:images: no image is affected; nothing to build.');
  });

  it('an nx.json edit that changes one image\'s settings builds that image; one that changes none builds nothing', async () => {
    const nxJson = () => JSON.parse(readFileSync(join(main.ws.dir, 'nx.json'), 'utf8')) as Record<string, unknown>;
    const one = await planOf('nx-one', () => {
      const json = nxJson();
      // Only tool has a prepare step: a default for it reaches tool's settings alone.
      json.targetDefaults = { ...(json.targetDefaults as Record<string, unknown>), prepare: { options: { baseTagFallback: 'main' } } };
      main.ws.write('nx.json', `${JSON.stringify(json, null, 2)}\n`);
    });
    expect(one.lines.tool).toMatch(/^build: compared with .*: its build settings changed$/);
    untouched(one.lines, ['app', 'base', 'pinned']);
    const none = await planOf('nx-none', () => main.ws.write('nx.json', `${JSON.stringify(nxJson(), null, 4)}\n`));
    untouched(none.lines, ['app', 'base', 'pinned', 'tool']);
    expect(none.lines['nx.json']).toBe("changed, read by no image's build or tests");
  });

  it('an image re-based onto another: it builds on its new base; neither base builds', async () => {
    const { lines, levels } = await planOf('rebase-app', () => {
      main.ws.write('images/app/Dockerfile', readFileSync(join(main.ws.dir, 'images/app/Dockerfile'), 'utf8').replace('/base:', '/tool:'));
    });
    expect(lines.app).toMatch(/^build: compared with .*: changed: images\/app\/Dockerfile$/);
    untouched(lines, ['base', 'pinned', 'tool']);
    expect(levels).toBe('ci:images: level 1: app');
  });
});
