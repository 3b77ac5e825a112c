import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mainRepository, TWO_IMAGES, type MainRepository } from './harness/built-main';
import { parseStepOutputs } from './harness/fanout-run';
import { listTags } from './harness/read-image';

// ci:images on the pushes a branch sees, each against a copy of the two-image workspace whose main is
// built (once per run, test/harness/built-main.ts), simulated with the GITHUB_* variables and event
// payload GitHub gives, against a real engine and registry.

const LABEL = 'org.opencontainers.image';
const repositories: MainRepository[] = [];
afterAll(async () => {
  for (const repository of repositories) await repository.cleanup();
});

/** A copy of the two-image workspace with main built from its first commit, and a registry of its own holding it. */
async function repositoryWithMain(): Promise<MainRepository> {
  const repository = await mainRepository(TWO_IMAGES);
  repositories.push(repository);
  return repository;
}

describe('ci:images on a push', () => {
  it('main with no image yet builds both; a push to main changing base_image only pushes base_image:main and leaves tractor:main alone', async () => {
    const { ws: workspace, repo, c0, run, registry, image } = await repositoryWithMain();
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
    expect(result.all).toMatch(/tractor: not affected: same inputs as \S+\/tractor:main \(built from \w{7}\)/);
    expect(result.summary).toContain('base_image');
    expect(result.summary).not.toMatch(/\|\s*`tractor`/);
  });

  it('a new branch changing tractor only pushes tractor:<branch> FROM base_image:main, and says so in its labels', async () => {
    const { ws: workspace, repo, run, registry, image } = await repositoryWithMain();
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
    const { ws: workspace, repo, run, registry, image } = await repositoryWithMain();
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
    const { ws: workspace, c0, run, image } = await repositoryWithMain();
    const c1 = await workspace.commit('docs only', files);
    const result = await run({ name: 'push', branch: 'main', sha: c1, before: c0 });
    expect(result.exitCode, result.all).toBe(0);
    expect(result.summary).toMatch(/No image was affected by this push/);
    expect((await image('base_image', 'main'))?.labels[`${LABEL}.revision`]).toBe(c0);
  });

  it('an nx.json edit builds the images whose resolved build settings changed: none for a reformat, both for a build arg template', async () => {
    const { ws: workspace, c0, run, image } = await repositoryWithMain();
    const nxJson = JSON.parse((await workspace.exec('cat', ['nx.json'])).stdout) as { plugins: { options: Record<string, unknown> }[] };
    const c1 = await workspace.commit('nx.json reformatted', { 'nx.json': `${JSON.stringify(nxJson, null, 4)}\n` });
    const reformatted = await run({ name: 'push', branch: 'main', sha: c1, before: c0 });
    expect(reformatted.exitCode, reformatted.all).toBe(0);
    expect(reformatted.all).toContain('ci:images: no image is affected; nothing to build.');
    expect(reformatted.summary).toContain("Changed, but read by no image's build or tests: `nx.json`.");

    const options = nxJson.plugins[0]?.options ?? {};
    nxJson.plugins = [{ ...nxJson.plugins[0], options: { ...options, buildArgTemplates: { BUILD_VERSION: '{image}:{tag}' } } }];
    const c2 = await workspace.commit('a build arg template', { 'nx.json': `${JSON.stringify(nxJson, null, 2)}\n` });
    const templated = await run({ name: 'push', branch: 'main', sha: c2, before: c1 });
    expect(templated.exitCode, templated.all).toBe(0);
    expect(templated.all).toMatch(/base_image: build: compared with .*: its build settings changed/);
    for (const name of ['base_image', 'tractor']) expect((await image(name, 'main'))?.labels[`${LABEL}.revision`], name).toBe(c2);
  });

  it('a force push compares against the merge-base with main, not the lost commit', async () => {
    const { ws: workspace, run, image } = await repositoryWithMain();
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
    expect(result.all).toMatch(/tractor: not affected: compared with registry tag built from \w+, not an ancestor of HEAD.*: inputs unchanged/);
  });
});
