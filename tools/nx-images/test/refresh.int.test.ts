import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBasesLabel } from '../src/lib/core/dockerfile/bases';
import { readOutsideLabel } from '../src/lib/core/ci/refresh';
import { LABEL } from '../src/lib/core/naming/conventions';
import { HISTORY_MAIN } from './fixtures/history-main';
import { freshMain, type MainRepository } from './harness/built-main';
import { pushUpstreamOs } from './harness/upstream';

// An outside base that moves (upstream/os:1 pushed again, as an upstream publishes a patched image):
// the scheduled refresh rebuilds exactly the image that reads it by its tag and the images built on that
// one; the image that pins it by digest is left alone; with nothing moved, nothing is built. Read back
// from the registry: the digests each image was built on. main is built here, in a registry of its own:
// main's labels record the outside base by the address of the registry it was read from.

let main: MainRepository;

beforeAll(async () => {
  main = await freshMain(HISTORY_MAIN);
}, 600_000);

afterAll(async () => {
  await main?.cleanup();
});

const outsideOf = async (image: string) => readOutsideLabel((await main.image(image, 'main'))?.labels[LABEL.outside]);

describe('a refresh rebuilds what moved outside images make stale', () => {
  it('nothing moved: nothing is built, and each image says why', async () => {
    const idle = await main.run({ name: 'schedule', branch: 'main', sha: main.c0 });
    expect(idle.exitCode, idle.all).toBe(0);
    expect(idle.all).toMatch(/base: outside \S+\/upstream\/os:1 has not moved/);
    expect(idle.all).toContain('pinned: reads no outside image by a tag (each is pinned by digest)');
    // app and tool are built on base, which records the outside base for them: theirs say they read none.
    expect(idle.all).toContain('app: reads no outside image by a tag');
    expect(idle.all).toContain('ci:images: no image is affected; nothing to build.');
  });

  it('the outside base moved: the image on it and everything built on that rebuild; the image pinned by digest does not', async () => {
    const before = { base: (await main.image('base', 'main'))?.digest, pinned: (await main.image('pinned', 'main'))?.digest };
    const [recorded] = await outsideOf('base');
    expect(recorded?.digest).toMatch(/^sha256:/);
    const moved = await pushUpstreamOs(main.registry, '1', '2');
    expect(moved).not.toBe(recorded?.digest);

    const refresh = await main.run({ name: 'schedule', branch: 'main', sha: main.c0 });
    expect(refresh.exitCode, refresh.all).toBe(0);
    expect(refresh.all).toContain('ci:images: level 1: base\n');
    expect(refresh.all).toContain('ci:images: level 2: app (after base), tool (after base)\n');
    expect(refresh.all).toMatch(new RegExp(`base: outside \\S+/upstream/os:1 moved: ${recorded?.digest ?? ''} -> ${moved}`));
    expect(refresh.summary).toContain('**Outside images that moved:**');
    expect(refresh.summary).toContain(`| \`base\` | \`${main.registry.host}/upstream/os:1\` | \`${recorded?.digest ?? ''}\` | \`${moved}\` |`);

    // Read back: base on the moved digest, app and tool on the new base, pinned as it was.
    expect((await outsideOf('base'))[0]?.digest).toBe(moved);
    const base = await main.image('base', 'main');
    expect(base?.digest).not.toBe(before.base);
    for (const image of ['app', 'tool']) {
      expect(readBasesLabel((await main.image(image, 'main'))?.labels).find((entry) => entry.image === 'base')?.digest, image).toBe(base?.digest);
    }
    expect((await main.image('pinned', 'main'))?.digest).toBe(before.pinned);
    expect((await outsideOf('pinned'))[0]).toMatchObject({ pinned: true });
  });

  it('refreshDependents false: only the image whose outside base moved', async () => {
    const nxJson = JSON.parse(readFileSync(join(main.ws.dir, 'nx.json'), 'utf8')) as { plugins: { options: Record<string, unknown> }[] };
    nxJson.plugins = [{ ...nxJson.plugins[0], options: { ...nxJson.plugins[0]?.options, refreshDependents: false } }];
    const head = await main.ws.commit('refresh the images themselves only', { 'nx.json': `${JSON.stringify(nxJson, null, 2)}\n` });
    await pushUpstreamOs(main.registry, '1', '3');
    const refresh = await main.run({ name: 'schedule', branch: 'main', sha: head }, {}, ['--plan']);
    expect(refresh.exitCode, refresh.all).toBe(0);
    expect(refresh.stdout).toContain('ci:images: level 1: base');
    expect(refresh.stdout).not.toContain('ci:images: level 2');
  });
});
