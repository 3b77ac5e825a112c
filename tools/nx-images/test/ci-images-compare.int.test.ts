import { describe, expect, it } from 'vitest';
import { TWO_IMAGES } from './harness/built-main';
import { copiesOfMain } from './harness/main-copies';

// ci:images deciding what a push changed, each case against a copy of the two-image workspace whose
// main is built (once per run, test/harness/built-main.ts): files no image reads, nx.json edits, and a
// force push compared against the merge-base.

const LABEL = 'org.opencontainers.image';
/** A copy of the two-image workspace with main built from its first commit, and a registry of its own holding it. */
const repositoryWithMain = copiesOfMain(TWO_IMAGES);

describe('ci:images on a push', () => {
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
