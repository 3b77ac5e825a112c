import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { TWO_IMAGES } from './harness/built-main';
import { copiesOfMain } from './harness/main-copies';
import { runCiImages } from './harness/github-run';
import { listTags } from './harness/read-image';
import { linkNodeModules, openWorkspace } from './harness/workspace';

// ci:images on the other events and histories: a pull request, a manual dispatch, a run that stopped
// half-way, runs that overtake each other, a shallow clone. Each test works on a copy of the two-image
// workspace whose main is built (once per run, test/harness/built-main.ts).
const cleanups: (() => void)[] = [];
afterAll(() => {
  for (const cleanup of cleanups) cleanup();
});

const LABEL = 'org.opencontainers.image';
/** A copy of the two-image workspace with main built from its first commit, and a registry of its own holding it. */
const repositoryWithMain = copiesOfMain(TWO_IMAGES);

describe('ci:images on other events and histories', () => {
  it('a pull request builds the affected images but pushes nothing', async () => {
    const { ws: workspace, repo, c0, run, registry } = await repositoryWithMain();
    await workspace.git('checkout', '--quiet', '-b', 'pr-branch');
    const c1 = await workspace.commit('tractor in a PR', { 'images/tractor/tractor.txt': 'pr\n' });
    const result = await run({ name: 'pull_request', branch: 'pr-branch', sha: c1, baseRef: 'main', baseSha: c0 });
    expect(result.exitCode, result.all).toBe(0);
    expect(result.all).toMatch(/built \S+tractor:pr-branch into the local engine \(not pushed\)/);
    expect(await listTags(registry.url, `${repo}/tractor`)).toEqual(['main']);
    expect(result.summary).toMatch(/`tractor`/);
  });

  it('workflow_dispatch builds the images it names, or all of them', async () => {
    const { ws: workspace, repo, run, registry } = await repositoryWithMain();
    const sha = await workspace.git('rev-parse', 'HEAD');
    await workspace.git('checkout', '--quiet', '-b', 'manual');
    const one = await run({ name: 'workflow_dispatch', branch: 'manual', sha, images: 'tractor' });
    expect(one.exitCode, one.all).toBe(0);
    expect(await listTags(registry.url, `${repo}/tractor`)).toContain('manual');
    expect(await listTags(registry.url, `${repo}/base_image`)).not.toContain('manual');
    const all = await run({ name: 'workflow_dispatch', branch: 'manual', sha, images: '' });
    expect(all.exitCode, all.all).toBe(0);
    expect(await listTags(registry.url, `${repo}/base_image`)).toContain('manual');
    const bad = await run({ name: 'workflow_dispatch', branch: 'manual', sha, images: 'nope' });
    expect(bad.exitCode).not.toBe(0);
    expect(bad.all).toMatch(/no image named nope: choose from base_image, tractor/);
  });

  it('a push after a run that stopped before pushing tractor builds tractor, though the push does not touch it', async () => {
    const { ws: workspace, repo, run, registry, image } = await repositoryWithMain();
    await workspace.git('checkout', '--quiet', '-b', 'heal');
    const x = await workspace.commit('both change', { 'images/base_image/base.txt': 'heal\n', 'images/tractor/tractor.txt': 'heal\n' });
    // The run for x was cancelled after base_image: only base_image:heal was pushed.
    const partial = await workspace.nx([
      'run',
      'base_image:docker-build',
      `--registry=${registry.host}`,
      `--repository=${repo}`,
      '--push',
      '--exclude-task-dependencies',
    ]);
    expect(partial.exitCode, partial.all).toBe(0);
    const y = await workspace.commit('docs only', { 'README.md': 'docs\n' });
    const result = await run({ name: 'push', branch: 'heal', sha: y, before: x });
    expect(result.exitCode, result.all).toBe(0);
    expect((await image('tractor', 'heal'))?.labels[`${LABEL}.revision`]).toBe(y);
    expect((await image('base_image', 'heal'))?.labels[`${LABEL}.revision`]).toBe(x);
  });

  it('an older run finishing after a newer one does not move the branch tag back', async () => {
    const { ws: workspace, run, image } = await repositoryWithMain();
    const origin = mkdtempSync(join(tmpdir(), 'fornax-origin-'));
    cleanups.push(() => rmSync(origin, { recursive: true, force: true }));
    await execa('git', ['init', '--quiet', '--bare', origin]);
    await workspace.git('remote', 'add', 'origin', origin);
    await workspace.git('checkout', '--quiet', '-b', 'race');
    const a = await workspace.commit('first', { 'images/base_image/base.txt': 'a\n' });
    const b = await workspace.commit('second', { 'images/base_image/base.txt': 'b\n' });
    await workspace.git('push', '--quiet', 'origin', 'race');
    const newer = await run({ name: 'push', branch: 'race', sha: b, before: a });
    expect(newer.exitCode, newer.all).toBe(0);
    const pushed = await image('base_image', 'race');
    expect(pushed?.labels[`${LABEL}.revision`]).toBe(b);

    await workspace.git('checkout', '--quiet', a);
    const older = await run({ name: 'push', branch: 'race', sha: a });
    expect(older.exitCode, older.all).toBe(0);
    expect(older.all).toMatch(/skipped the push: a newer run already pushed \S+base_image:race/);
    expect((await image('base_image', 'race'))?.digest).toBe(pushed?.digest);
  });

  it('a shallow clone is refused with the fix', async () => {
    const { ws: workspace, registry } = await repositoryWithMain();
    const shallow = mkdtempSync(join(tmpdir(), 'fornax-shallow-'));
    cleanups.push(() => rmSync(shallow, { recursive: true, force: true }));
    await execa('git', ['clone', '--quiet', '--depth=1', `file://${workspace.dir}`, join(shallow, 'ws')]);
    await linkNodeModules(join(shallow, 'ws'), workspace.plugin);
    const clone = openWorkspace(join(shallow, 'ws'), workspace.plugin);
    const result = await runCiImages(clone, { name: 'push', branch: 'main', sha: await workspace.git('rev-parse', 'HEAD') }, registry.host);
    expect(result.exitCode).not.toBe(0);
    expect(result.all).toMatch(/shallow clone.*fetch-depth: 0/);
  });
});
