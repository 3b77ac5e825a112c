import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { fromBuiltMain, TWO_IMAGES } from './harness/built-main';
import { parseStepOutputs } from './harness/fanout-run';
import { runCiImages, type SimulatedRun } from './harness/github-run';
import { listTags, readImage } from './harness/read-image';
import type { Registry } from './harness/registry';
import { linkNodeModules, openWorkspace, type Workspace } from './harness/workspace';

const LABEL = 'org.opencontainers.image';
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

type Run = (spec: Parameters<typeof runCiImages>[1], env?: Record<string, string>) => Promise<SimulatedRun>;

/** A copy of the two-image workspace with main built from its first commit, and a registry of its own holding it. */
async function repositoryWithMain(): Promise<{ workspace: Workspace; registry: Registry; repo: string; c0: string; run: Run; image: (name: string, tag: string) => ReturnType<typeof readImage> }> {
  const main = await fromBuiltMain(TWO_IMAGES);
  cleanups.push(() => main.cleanup());
  const repo = TWO_IMAGES.repository;
  const run: Run = (spec, env = {}) => runCiImages(main.ws, spec, main.registry.host, { IMAGE_REPOSITORY: repo, ...env });
  return { workspace: main.ws, registry: main.registry, repo, c0: main.c0, run, image: (name, tag) => readImage(main.registry.url, `${repo}/${name}`, tag) };
}

describe('ci:images simulates each GitHub event against a real engine and registry', () => {
  it('main with no image yet builds both; a push to main changing base_image only pushes base_image:main and leaves tractor:main alone', async () => {
    const { workspace, repo, c0, run, registry, image } = await repositoryWithMain();
    const tractorBefore = await image('tractor', 'main');
    expect((await image('base_image', 'main'))?.labels[`${LABEL}.revision`]).toBe(c0);
    expect(tractorBefore?.labels[`${LABEL}.revision`]).toBe(c0);

    const c1 = await workspace.commit('base_image: new layer', { 'images/base_image/base.txt': 'changed\n' });
    const outputs = join(mkdtempSync(join(tmpdir(), 'nx-images-output-')), 'github-output.txt');
    const result = await run({ name: 'push', branch: 'main', sha: c1, before: c0 }, { GITHUB_OUTPUT: outputs });
    expect(result.exitCode, result.all).toBe(0);
    const pushed = await image('base_image', 'main');
    expect(pushed?.labels[`${LABEL}.revision`]).toBe(c1);
    // The single-runner job's attest matrix: exactly the digest it pushed.
    expect(JSON.parse(parseStepOutputs(readFileSync(outputs, 'utf8')).attest ?? '')).toEqual([{ name: `${registry.host}/${repo}/base_image`, digest: pushed?.digest }]);
    const tractorAfter = await image('tractor', 'main');
    expect(tractorAfter?.digest).toBe(tractorBefore?.digest);
    expect(result.all).toMatch(/tractor: compared with .*: not affected/);
    expect(result.summary).toContain('base_image');
    expect(result.summary).not.toMatch(/\|\s*`tractor`/);
  });

  it('a new branch changing tractor only pushes tractor:<branch> FROM base_image:main, and says so in its labels', async () => {
    const { workspace, repo, run, registry, image } = await repositoryWithMain();
    const baseMain = await image('base_image', 'main');
    await workspace.git('checkout', '--quiet', '-b', 'feature/x');
    const c1 = await workspace.commit('tractor: new file', { 'images/tractor/tractor.txt': 'feature x\n' });
    const result = await run({ name: 'push', branch: 'feature/x', sha: c1 });
    expect(result.exitCode, result.all).toBe(0);
    expect(await listTags(registry.url, `${repo}/base_image`)).toEqual(['main']);
    const tractor = await image('tractor', 'feature-x');
    expect(tractor?.labels[`${LABEL}.base.name`]).toBe(`${registry.host}/${repo}/base_image:main`);
    expect(tractor?.labels[`${LABEL}.base.digest`]).toBe(baseMain?.digest);
    expect(tractor?.labels[`${LABEL}.revision`]).toBe(c1);
    expect(result.all).toMatch(/base base_image: \S+base_image:feature-x does not exist; the default branch's \S+base_image:main is sha256:[0-9a-f]{64} in the registry/);
  });

  it('one push changing both builds base_image first and tractor FROM it; the summary names both with their digests', async () => {
    const { workspace, repo, run, registry, image } = await repositoryWithMain();
    await workspace.git('checkout', '--quiet', '-b', 'both');
    const c1 = await workspace.commit('both images', {
      'images/base_image/base.txt': 'both\n',
      'images/tractor/tractor.txt': 'both\n',
    });
    const result = await run({ name: 'push', branch: 'both', sha: c1 });
    expect(result.exitCode, result.all).toBe(0);
    const base = await image('base_image', 'both');
    const tractor = await image('tractor', 'both');
    expect(tractor?.labels[`${LABEL}.base.name`]).toBe(`${registry.host}/${repo}/base_image:both`);
    expect(tractor?.labels[`${LABEL}.base.digest`]).toBe(base?.digest);
    expect(tractor?.layers.slice(0, base!.layers.length)).toEqual(base?.layers);
    expect(result.summary).toContain(base!.digest);
    expect(result.summary).toContain(tractor!.digest);
    expect(result.summary).toMatch(/`base_image`.*changed: images\/base_image\/base.txt/);
  });

  it.each([
    ['tools/', { 'tools/nx-images/NOTES.md': 'notes\n' }],
    ['README.md', { 'README.md': '# readme\n' }],
  ])('a push changing only %s builds nothing and the summary says so', async (_what, files) => {
    const { workspace, c0, run, image } = await repositoryWithMain();
    const c1 = await workspace.commit('docs only', files);
    const result = await run({ name: 'push', branch: 'main', sha: c1, before: c0 });
    expect(result.exitCode, result.all).toBe(0);
    expect(result.summary).toMatch(/No image was affected by this push/);
    expect((await image('base_image', 'main'))?.labels[`${LABEL}.revision`]).toBe(c0);
  });

  it('a change to nx.json affects every image, and the summary says why', async () => {
    const { workspace, c0, run, image } = await repositoryWithMain();
    workspace.write('nx.json', (await workspace.exec('cat', ['nx.json'])).stdout.replace('"defaultBase": "main"', '"defaultBase": "main" '));
    const c1 = await workspace.commit('touch nx.json');
    const result = await run({ name: 'push', branch: 'main', sha: c1, before: c0 });
    expect(result.exitCode, result.all).toBe(0);
    expect(result.summary).toMatch(/`nx.json` changed, so Nx treated every project as affected/);
    expect((await image('tractor', 'main'))?.labels[`${LABEL}.revision`]).toBe(c1);
  });

  it('a force push compares against the merge-base with main, not the lost commit', async () => {
    const { workspace, run, image } = await repositoryWithMain();
    await workspace.git('checkout', '--quiet', '-b', 'feature/y');
    const a = await workspace.commit('tractor change', { 'images/tractor/tractor.txt': 'y\n' });
    expect((await run({ name: 'push', branch: 'feature/y', sha: a })).exitCode).toBe(0);
    await workspace.git('reset', '--quiet', '--hard', 'main');
    const b = await workspace.commit('base change instead', { 'images/base_image/base.txt': 'y\n' });
    const result = await run({ name: 'push', branch: 'feature/y', sha: b, before: a, forced: true });
    expect(result.exitCode, result.all).toBe(0);
    expect((await image('base_image', 'feature-y'))?.labels[`${LABEL}.revision`]).toBe(b);
    // tractor is the same as on main again: not affected, so its old tag is not rebuilt.
    expect((await image('tractor', 'feature-y'))?.labels[`${LABEL}.revision`]).toBe(a);
    expect(result.all).toMatch(/tractor: compared with registry tag built from \w+, not an ancestor of HEAD/);
  });

  it('a pull request builds the affected images but pushes nothing', async () => {
    const { workspace, repo, c0, run, registry } = await repositoryWithMain();
    await workspace.git('checkout', '--quiet', '-b', 'pr-branch');
    const c1 = await workspace.commit('tractor in a PR', { 'images/tractor/tractor.txt': 'pr\n' });
    const result = await run({ name: 'pull_request', branch: 'pr-branch', sha: c1, baseRef: 'main', baseSha: c0 });
    expect(result.exitCode, result.all).toBe(0);
    expect(result.all).toMatch(/built \S+tractor:pr-branch into the local engine \(not pushed\)/);
    expect(await listTags(registry.url, `${repo}/tractor`)).toEqual(['main']);
    expect(result.summary).toMatch(/`tractor`/);
  });

  it('workflow_dispatch builds the images it names, or all of them', async () => {
    const { workspace, repo, run, registry } = await repositoryWithMain();
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
    const { workspace, repo, run, registry, image } = await repositoryWithMain();
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
    const { workspace, run, image } = await repositoryWithMain();
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
    const { workspace, registry } = await repositoryWithMain();
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
