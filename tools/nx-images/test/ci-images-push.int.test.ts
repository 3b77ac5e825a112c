import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { TWO_IMAGES } from './harness/built-main';
import { copiesOfMain } from './harness/main-copies';
import { parseStepOutputs } from './harness/fanout-run';
import { listTags } from './harness/read-image';

// ci:images on the pushes a branch sees, each against a copy of the two-image workspace whose main is
// built (once per run, test/harness/built-main.ts), simulated with the GITHUB_* variables and event
// payload GitHub gives, against a real engine and registry. What a push is compared with (docs only,
// nx.json, a force push) is in ci-images-compare.int.test.ts.

const LABEL = 'org.opencontainers.image';
/** A copy of the two-image workspace with main built from its first commit, and a registry of its own holding it. */
const repositoryWithMain = copiesOfMain(TWO_IMAGES);

describe('ci:images on a push', () => {
  it('main with no image yet builds both; a push to main changing base_image only pushes base_image:main and leaves tractor:main alone', async () => {
    const { ws: workspace, repo, c0, run, registry, image } = await repositoryWithMain();
    const tractorBefore = await image('tractor', 'main');
    expect((await image('base_image', 'main'))?.labels[`${LABEL}.revision`]).toBe(c0);
    expect(tractorBefore?.labels[`${LABEL}.revision`]).toBe(c0);

    const c1 = await workspace.commit('base_image: new layer', { 'images/base_image/base.txt': 'changed\n' });
    const scratch = mkdtempSync(join(tmpdir(), 'fornax-output-'));
    onTestFinished(() => rmSync(scratch, { recursive: true, force: true }));
    const outputs = join(scratch, 'github-output.txt');
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
});
