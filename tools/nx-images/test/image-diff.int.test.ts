import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import imageDiffExecutor from '../src/executors/image-diff/executor';
import { runCiImages, type SimulatedRun } from './harness/github-run';
import { startRegistry, type Registry } from './harness/registry';
import { runDockerBuildExecutor } from './harness/run-docker-build';
import { runExecutor } from './harness/run-executor';
import { runReleaseExecutor } from './harness/run-release';
import { createWorkspace, type Workspace } from './harness/workspace';

// One image whose lock command copies the lock files its Dockerfile put in it. Its second commit bumps
// one pip package, adds one conda package and grows its one content layer; the differences are read
// back from a pull request's step summary, image-diff's report and a release's changes.md.

const REPO = 'fornax/differences';
const IMAGE = 'env-diff';
const fixtures = resolve(__dirname, 'fixtures/inventory-diff');
const fixture = (name: string) => readFileSync(join(fixtures, name), 'utf8');
const LOCKS = ['sh', '-c', 'cp /locks/* "$LOCKS_DIR"/'];

/** The image's files: its lock files and a blob of random bytes (which no compression shrinks), in one layer. */
function imageFiles(side: 'before' | 'after', blobBytes: number): Record<string, string> {
  return {
    [`images/${IMAGE}/content/locks/conda-base.txt`]: fixture(`conda-base.${side}.txt`),
    [`images/${IMAGE}/content/locks/pip-base.txt`]: fixture(`pip-base.${side}.txt`),
    [`images/${IMAGE}/content/data/blob.txt`]: randomBytes(blobBytes).toString('base64'),
  };
}

let registry: Registry;
let ws: Workspace;
let main: string;
let feature: string;
let pullRequest: SimulatedRun;

const env = () => ({ IMAGE_REGISTRY: registry.host, IMAGE_REPOSITORY: REPO });

async function build(project: string, tag: string): Promise<void> {
  const run = await runDockerBuildExecutor(ws.dir, project, { registry: registry.host, repository: REPO, tag, push: true, lockCommand: project === IMAGE ? LOCKS : [] });
  if (!run.success) throw new Error(`building ${project}:${tag} failed:\n${run.output}`);
}

beforeAll(async () => {
  const started = Date.now();
  registry = await startRegistry();
  ws = await createWorkspace();
  ws.write(`images/${IMAGE}/Dockerfile`, ['ARG REGISTRY=ghcr.io', 'ARG REPOSITORY=nasa-fornax/fornax-images', 'ARG BASE_IMAGE_TAG=main', 'FROM ${REGISTRY}/${REPOSITORY}/base_image:${BASE_IMAGE_TAG}', 'COPY content/ /', ''].join('\n'));
  ws.write(`images/${IMAGE}/project.json`, `${JSON.stringify({ targets: { 'docker-build': { options: { lockCommand: LOCKS } } } }, null, 2)}\n`);
  main = await ws.commit('an image with lock files', imageFiles('before', 20_000));
  // The pushes in-process (no Nx graph, no plan): only the pull request goes through ci:images.
  for (const [project, tag] of [['base_image', 'main'], [IMAGE, 'main']] as const) await build(project, tag);
  feature = await ws.branch('feature', imageFiles('after', 60_000));
  pullRequest = await runCiImages(ws, { name: 'pull_request', branch: 'feature', sha: feature, baseRef: 'main', baseSha: main }, registry.host, { IMAGE_REPOSITORY: REPO });
  if (pullRequest.exitCode !== 0) throw new Error(`the pull request's build failed:\n${pullRequest.all}`);
  await build(IMAGE, 'feature');
  console.log(`image-diff: fixtures ready in ${Math.round((Date.now() - started) / 1000)} s`);
}, 300_000);

afterAll(async () => {
  await registry?.stop();
  ws?.cleanup();
});

/** The rows of the Markdown tables in `text` whose first cell is `first`. */
const rows = (text: string, first: string) => text.split('\n').filter((line) => line.startsWith(`| ${first} |`));

describe('a pull request’s step summary', () => {
  it('lists exactly the pip bump, the conda addition and the layer that grew, against main', () => {
    const section = pullRequest.summary.slice(pullRequest.summary.indexOf('### Differences against `main`'));
    expect(section).toContain(`#### \`${IMAGE}\`: \`main\` → \`feature\``);
    expect(section).toContain('Packages: 1 added, 0 removed, 1 changed, 3 unchanged.');
    expect(rows(section, '`base`')).toEqual([
      '| `base` | `scipy` | conda | added | | 1.13.1 (py311h517d4fd_0, conda-forge) |',
      '| `base` | `astropy` | pypi | version | 6.0.0 | 6.1.0 |',
    ]);
    // Not pushed: measured in the engine, and the summary says so.
    expect(section).toMatch(/Size \(compressed; not pushed, .*\): [\d.]+ MiB → [\d.]+ MiB \(\+39\.\d KiB\); layers: 1 grew, 3 unchanged\./);
    const layers = section.split('\n').filter((line) => /^\| \d+ \|/.test(line));
    expect(layers).toHaveLength(1);
    expect(layers[0]).toMatch(/^\| 4 \| grew \| /);
  });
});

describe('image-diff', () => {
  const diff = (options: Record<string, string>) => runExecutor(imageDiffExecutor, options, ws.dir, IMAGE, env());
  const report = () => readFileSync(join(ws.dir, 'dist', 'image-diff', `${IMAGE}.md`), 'utf8');

  it('between two tags of the image: the same packages and layer as the pull request, from the registry alone', async () => {
    const run = await diff({ from: 'main', to: 'feature' });
    expect(run.success, run.output).toBe(true);
    const text = report();
    expect(text.startsWith(`## \`${IMAGE}\`: \`main\` → \`feature\``)).toBe(true);
    expect(rows(text, '`base`')).toEqual([
      '| `base` | `scipy` | conda | added | | 1.13.1 (py311h517d4fd_0, conda-forge) |',
      '| `base` | `astropy` | pypi | version | 6.0.0 | 6.1.0 |',
    ]);
    expect(text).toMatch(/Size \(compressed\): .*; layers: 1 grew, \d+ unchanged\./);
    expect(text.split('\n').filter((line) => /^\| \d+ \|/.test(line))).toEqual([expect.stringMatching(/^\| 4 \| grew \| /)]);
    expect(run.output).toContain('Packages: 1 added, 0 removed, 1 changed, 3 unchanged.');
  });

  it('between an image and itself: nothing', async () => {
    const run = await diff({ from: 'main', to: 'main' });
    expect(run.success, run.output).toBe(true);
    const text = report();
    expect(text).toContain('Packages: none added, removed or changed (4 unchanged).');
    expect(text).toMatch(/no layer changed \(\d+ unchanged\)\./);
  });

  it('an image without an inventory says so in one line; an unknown tag is a one-line error naming the image and tag', async () => {
    const bare = await runExecutor(imageDiffExecutor, { from: 'main', to: 'main' }, ws.dir, 'base_image', env());
    expect(bare.success, bare.output).toBe(true);
    expect(bare.output).toMatch(/Packages: (not compared: .*|none added, removed or changed \(0 unchanged\)\.)\n/);
    const unknown = await diff({ from: 'no-such-tag', to: 'main' });
    expect(unknown.success).toBe(false);
    expect(unknown.output).toContain(`${IMAGE}: ${registry.host}/${REPO}/${IMAGE}:no-such-tag does not exist: give a tag or digest the registry has (--from)`);
  });
});

describe('a release’s changes.md', () => {
  const release = async (project: string, tags: string, sourceTag: string, commit: string) => {
    const run = await runReleaseExecutor('release', ws.dir, project, { tags, sourceTag, commit }, env());
    expect(run.success, run.output).toBe(true);
  };
  const changes = () => readFileSync(join(ws.dir, 'dist', 'release', 'changes.md'), 'utf8');

  it('lists exactly what changed between two releases, and says so of an image that did not change', async () => {
    await release(IMAGE, 'v1.0.0', 'main', main);
    await release('base_image', 'v1.0.0', 'main', main);
    expect(changes()).toContain(`## \`${IMAGE}\`\n\nFirst release`);
    await release(IMAGE, 'v1.1.0', 'feature', feature);
    await release('base_image', 'v1.1.0', 'main', feature);
    const text = changes();
    expect(text.startsWith('# Changes in v1.1.0\n')).toBe(true);
    expect(text).toContain(`## \`${IMAGE}\`: \`v1.0.0\` → \`v1.1.0\``);
    expect(rows(text, '`base`')).toEqual([
      '| `base` | `scipy` | conda | added | | 1.13.1 (py311h517d4fd_0, conda-forge) |',
      '| `base` | `astropy` | pypi | version | 6.0.0 | 6.1.0 |',
    ]);
    expect(text).toMatch(/Size: [\d.]+ MiB in `v1\.0\.0`, [\d.]+ MiB in `v1\.1\.0` \(\+39\.\d KiB\)\./);
    expect(text).toMatch(/## `base_image`\n\nUnchanged since `v1\.0\.0`: the same image/);
  });
});
