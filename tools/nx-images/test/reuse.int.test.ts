import { afterAll, describe, expect, it } from 'vitest';
import { LABEL } from '../src/lib/core/naming/conventions';
import { findReusable } from '../src/lib/io/reuse';
import { createRegistryClient } from '../src/lib/io/registry/oci-client';
import { HISTORY_MAIN } from './fixtures/history-main';
import { mainRepository, type MainRepository } from './harness/built-main';

// Reuse by content, against the real engine and registry: a pull request's branch builds and tests two
// images; merged into main by each of GitHub's three methods, the push to main builds none and reads back
// the branch's digests; the next push compares right, whatever commit the images were built from. A
// revert takes the images built before; a forced rebuild takes nothing. Each case works on its own copy
// of the history fixture, main built once per run (test/harness/built-main.ts).

const copies: MainRepository[] = [];
afterAll(async () => {
  for (const copy of copies) await copy.cleanup();
});

async function copyOfMain(): Promise<MainRepository> {
  const main = await mainRepository(HISTORY_MAIN);
  copies.push(main);
  return main;
}

/** The pull request's branch pushed: app and tool changed, built and tested under the branch's tag. */
async function pullRequestPushed(main: MainRepository): Promise<{ app: string; tool: string; head: string }> {
  await main.ws.git('checkout', '--quiet', '-b', 'pr/two');
  const head = await main.ws.commit('app and tool, changed in a pull request', { 'images/app/stamp.txt': 'app 2\n', 'images/tool/stamp.txt': 'tool 2\n' });
  const pushed = await main.run({ name: 'push', branch: 'pr/two', sha: head });
  expect(pushed.exitCode, pushed.all).toBe(0);
  expect(pushed.all).toContain('app: recorded for reuse');
  const app = (await main.image('app', 'pr-two'))?.digest ?? '';
  const tool = (await main.image('tool', 'pr-two'))?.digest ?? '';
  expect(app).toMatch(/^sha256:/);
  await main.ws.git('checkout', '--quiet', 'main');
  return { app, tool, head };
}

/** main's push after the merge: both images reused, none built, under main the branch's digests. */
async function expectReused(main: MainRepository, before: string, built: { app: string; tool: string; head: string }): Promise<void> {
  const head = await main.ws.git('rev-parse', 'HEAD');
  const merged = await main.run({ name: 'push', branch: 'main', sha: head, before });
  expect(merged.exitCode, merged.all).toBe(0);
  expect(merged.all).toMatch(/app: build: /);
  expect(merged.all).toMatch(/tool: build: /);
  expect(merged.all).not.toMatch(/(app|tool): (app|tool): building/);
  for (const image of ['app', 'tool'] as const) {
    expect(merged.all).toMatch(new RegExp(`${image}: reused \\S+@${built[image]}, built from the same inputs on the same bases by \\S+:pr-two \\(${built.head.slice(0, 7)}\\)`));
    expect((await main.image(image, 'main'))?.digest, image).toBe(built[image]);
  }
  expect(merged.summary).toMatch(new RegExp(`reused from \`\\S+/app:pr-two\` \\(\`${built.head.slice(0, 7)}\`\\), which built it in \\d+ s`));
  // The next push, docs only: the images under main have main's inputs, whatever commit built them.
  const docs = await main.ws.commit('docs after the merge', { 'docs/guide.md': '# guide, after the merge\n' });
  const next = await main.run({ name: 'push', branch: 'main', sha: docs, before: head });
  expect(next.exitCode, next.all).toBe(0);
  expect(next.all).toContain('ci:images: no image is affected; nothing to build.');
  expect(next.all).toMatch(/app: not affected: same inputs as \S+\/app:main \(built from \w{7}\)/);
}

describe('a merged pull request reuses the images its branch built and tested', () => {
  it('a merge commit', async () => {
    const main = await copyOfMain();
    const built = await pullRequestPushed(main);
    await main.ws.git('merge', '--quiet', '--no-ff', '-m', 'Merge pull request #1 from pr/two', 'pr/two');
    await expectReused(main, main.c0, built);
  });

  it('a squash merge: main\'s commit is none of the branch\'s', async () => {
    const main = await copyOfMain();
    const built = await pullRequestPushed(main);
    await main.ws.git('merge', '--quiet', '--squash', 'pr/two');
    await main.ws.git('commit', '--quiet', '-m', 'app and tool (#1)');
    await expectReused(main, main.c0, built);
  });

  it('a rebase merge: the branch\'s commits replayed onto a main that moved on', async () => {
    const main = await copyOfMain();
    const built = await pullRequestPushed(main);
    const moved = await main.ws.commit('main moves on meanwhile', { 'README.md': '# history, moved on\n' });
    const pushed = await main.run({ name: 'push', branch: 'main', sha: moved, before: main.c0 });
    expect(pushed.exitCode, pushed.all).toBe(0);
    await main.ws.git('checkout', '--quiet', 'pr/two');
    await main.ws.git('rebase', '--quiet', 'main');
    const rebased = await main.ws.git('rev-parse', 'HEAD');
    expect(rebased).not.toBe(built.head);
    await main.ws.git('checkout', '--quiet', 'main');
    await main.ws.git('merge', '--quiet', '--ff-only', 'pr/two');
    await expectReused(main, moved, built);
  });
});

describe('reuse across history', () => {
  it('a revert takes the images built before the reverted commit; a forced rebuild takes none', async () => {
    const main = await copyOfMain();
    const original = (await main.image('app', 'main'))?.digest;
    const change = await main.ws.commit('app: a change to revert', { 'images/app/stamp.txt': 'app reverted later\n' });
    const changed = await main.run({ name: 'push', branch: 'main', sha: change, before: main.c0 });
    expect(changed.exitCode, changed.all).toBe(0);
    const between = (await main.image('app', 'main'))?.digest;
    expect(between).not.toBe(original);

    await main.ws.git('revert', '--no-edit', 'HEAD');
    const reverted = await main.ws.git('rev-parse', 'HEAD');
    const back = await main.run({ name: 'push', branch: 'main', sha: reverted, before: change });
    expect(back.exitCode, back.all).toBe(0);
    expect(back.all).toMatch(new RegExp(`app: reused \\S+@${original ?? ''}, built from the same inputs on the same bases by \\S+:main \\(${main.c0.slice(0, 7)}\\)`));
    expect((await main.image('app', 'main'))?.digest).toBe(original);

    // The same inputs again, with [rebuild]: built anew, a digest of its own, and the summary says why.
    main.ws.write('images/app/stamp.txt', 'app reverted later\n');
    const forced = await main.ws.commit('app again [rebuild]');
    const rebuilt = await main.run({ name: 'push', branch: 'main', sha: forced, before: reverted, message: 'app again [rebuild]' });
    expect(rebuilt.exitCode, rebuilt.all).toBe(0);
    expect(rebuilt.all).toContain('ci:images: every image built anew, none reused: [rebuild] in the head commit message');
    expect(rebuilt.all).toContain('app: reuse skipped (--reuse=false): building');
    const fresh = await main.image('app', 'main');
    expect(fresh?.digest).not.toBe(between);
    expect(fresh?.labels[LABEL.revision]).toBe(forced);
    expect(rebuilt.summary).toContain('**Rebuilt:** every image of this run was built anew');
  });

  it('the reuse lookup is one registry request per image, found or not', async () => {
    const main = await copyOfMain();
    let requests = 0;
    const counting: typeof fetch = (input, init) => {
      requests += 1;
      return fetch(input, init);
    };
    const client = createRegistryClient({ registry: main.registry.host, credentials: null, fetch: counting });
    const record = await findReusable(client, `${main.repo}/app`, `sha256:${'0'.repeat(64)}`);
    expect(record).toBeUndefined();
    expect(requests).toBe(1);
    // main's own build recorded app under the digest of its inputs: the tag lists it.
    const tags = await (await fetch(`${main.registry.url}/v2/${main.repo}/app/tags/list`)).json() as { tags: string[] };
    const key = tags.tags.find((tag) => tag.startsWith('reuse-'))?.replace('reuse-', 'sha256:') ?? '';
    requests = 0;
    const found = await findReusable(client, `${main.repo}/app`, key);
    expect(found?.subject).toBe((await main.image('app', 'main'))?.digest);
    expect(found?.revision).toBe(main.c0);
    expect(requests).toBe(1);
  });
});
