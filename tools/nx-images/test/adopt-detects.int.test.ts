import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImageFile } from './harness/read-image';
import { startRegistry, type Registry } from './harness/registry';
import { createWorkspace, type RunOutput, type Workspace } from './harness/workspace';

// `nx g @fornax/nx-images:init --no-interactive` on a repository of its own (fixture tree
// test/fixtures/adopt-detect, image folders at the root, no remote), deciding from the files alone:
// - the registry and repository from a literal reference to one of its images (notebooks:
//   FROM acme/fornax-jupyter:${BASE_TAG}, Docker Hub implied);
// - where the tests run, from what they import: the Docker SDK on the host, the images' own packages in
//   the image, and, when both are as present, a refusal in one line naming --testsRun;
// - fornax-jupyter's COPY introduction.md, a file at the repository root: a prepare step copying it in,
//   after which a real docker-build passes (the file read back from the pushed image); notebooks'
//   COPY kernels/, found nowhere: one line.
// The steps share one workspace and run in order.

const INTRODUCTION = '# Welcome to Fornax\n';
const DRIVES = 'import docker\n\n\ndef test_up():\n    assert docker.from_env()\n';
const IMPORTS = 'import astropy\n\n\ndef test_stack():\n    assert astropy.__version__\n';

let registry: Registry;
let ws: Workspace;
let first: RunOutput;

const init = (...args: string[]) => ws.nx(['g', '@fornax/nx-images:init', '--no-interactive', ...args]);
const pluginOptions = () => (JSON.parse(readFileSync(join(ws.dir, 'nx.json'), 'utf8')) as { plugins: { plugin: string; options: Record<string, unknown> }[] }).plugins.find((entry) => entry.plugin === '@fornax/nx-images')?.options;
/** The lines init printed that start with `init:` (Nx frames the generator's output). */
const lines = (output: RunOutput) => output.all.split('\n').map((line) => line.trim()).filter((line) => line.startsWith('init:'));

beforeAll(async () => {
  [registry, ws] = await Promise.all([startRegistry(), createWorkspace({ tree: 'adopt-detect', layout: 'root' })]);
  // A repository before adoption: no plugin entry in nx.json.
  const nxJson = JSON.parse(readFileSync(join(ws.dir, 'nx.json'), 'utf8')) as Record<string, unknown>;
  delete nxJson.plugins;
  await ws.commit('images, their tests on the host, and the root files', {
    'nx.json': `${JSON.stringify(nxJson, null, 2)}\n`,
    'introduction.md': INTRODUCTION,
    'tests/by_image/fornax-jupyter/test_jupyter.py': DRIVES,
    'tests/by_image/notebooks/test_notebooks.py': DRIVES,
  });
  first = await init();
}, 300_000);

afterAll(async () => {
  await registry?.stop();
  ws?.cleanup();
});

describe('init decides from the files', () => {
  it('takes docker.io/acme from the literal reference to one of its images, and says so', () => {
    expect(first.exitCode, first.all).toBe(0);
    expect(lines(first)).toContain('init: images go to docker.io/acme/<image> (from the literal references to this repository\'s images (notebooks/Dockerfile: acme/fornax-jupyter:${BASE_TAG}; no registry written, so Docker Hub: docker.io))');
  });

  it('decides that tests importing the Docker SDK run on the host, and prints the evidence', () => {
    expect(pluginOptions()?.tests).toEqual({ path: 'tests/by_image/{name}', run: 'host' });
    expect(lines(first)).toContain(
      'init: tests: {"path":"tests/by_image/{name}","run":"host"} (2 of 2 images have tests at tests/by_image/{name}; they run on the host: 2 test files drive containers (tests/by_image/fornax-jupyter/test_jupyter.py imports docker; tests/by_image/notebooks/test_notebooks.py imports docker))',
    );
  });

  it('writes the prepare step that copies a root file the Dockerfile copies; a real docker-build then passes with the file in the image', async () => {
    const project = JSON.parse(readFileSync(join(ws.dir, 'fornax-jupyter', 'project.json'), 'utf8')) as { targets: Record<string, { executor?: string; options?: unknown; dependsOn?: unknown[] }> };
    expect(project.targets.prepare).toEqual({ executor: '@fornax/nx-images:prepare', cache: false, options: { copy: [{ from: 'introduction.md', to: 'introduction.md' }] } });
    expect(project.targets['docker-build']?.dependsOn).toEqual(['...', 'prepare']);
    expect(lines(first)).toContain('init: wrote fornax-jupyter/project.json: a prepare step before docker-build copying introduction.md from the repository root, which its Dockerfile copies');
    await ws.commit('adopt @fornax/nx-images');

    // Told the registry and repository as CI tells every step (the prepare step resolves them too, though it only copies).
    const built = await ws.nx(['run', 'fornax-jupyter:docker-build', '--tag=main', '--push', '--outputStyle=stream'], { IMAGE_REGISTRY: registry.host, IMAGE_REPOSITORY: 'acme' });
    expect(built.exitCode, built.all).toBe(0);
    expect(await readImageFile(registry.url, 'acme/fornax-jupyter', 'main', '/opt/introduction.md')).toBe(INTRODUCTION);
    // The copy is ignored by git, as init wrote it: the build left the tree clean.
    expect(await ws.git('status', '--porcelain', '--untracked-files=all')).toBe('');
  });

  it('names a source found nowhere in one line', () => {
    const about = first.all.split('\n').filter((line) => line.includes('kernels/'));
    expect(about.map((line) => line.trim())).toEqual([
      'init: missing: notebooks: notebooks/Dockerfile:4 COPY kernels/ /opt/kernels/: kernels/ is not in the build context notebooks: add it to the context, declare it as the "to" of a prepare step\'s copy or extract (or a step\'s outputs), or remove it from the instruction.',
    ]);
  });

  it('run again, changes nothing', async () => {
    const again = await init();
    expect(again.exitCode, again.all).toBe(0);
    expect(await ws.git('status', '--porcelain', '--untracked-files=all')).toBe('');
    expect(lines(again).filter((line) => /^init: (wrote|updated|kept) /.test(line))).toEqual([]);
  });

  it('decides that tests importing the images\' own packages run in the image', async () => {
    rmSync(join(ws.dir, 'tests'), { recursive: true, force: true });
    await ws.commit('tests in the image', { 'tests/by_image/notebooks/test_notebooks.py': IMPORTS });
    const inImage = await init();
    expect(inImage.exitCode, inImage.all).toBe(0);
    expect(pluginOptions()?.tests).toEqual({ path: 'tests/by_image/{name}', run: 'image' });
    expect(lines(inImage)).toContain(
      'init: tests: {"path":"tests/by_image/{name}","run":"image"} (1 of 2 images have tests at tests/by_image/{name}; they run in the image: 1 imports the images\' own packages (tests/by_image/notebooks/test_notebooks.py imports astropy, which the images install))',
    );
  });

  it('refuses in one line naming --testsRun when both kinds are as present, and writes nothing', async () => {
    await ws.commit('tests of both kinds', { 'tests/by_image/fornax-jupyter/test_jupyter.py': DRIVES });
    const before = readFileSync(join(ws.dir, 'nx.json'), 'utf8');
    const ambiguous = await init();
    expect(ambiguous.exitCode).not.toBe(0);
    const refusal = ambiguous.all.split('\n').filter((line) => line.includes('--testsRun'));
    expect(refusal).toHaveLength(1);
    expect(refusal[0]).toMatch(
      /init: no answer to "Do the tests in tests\/by_image\/fornax-jupyter run inside the image \(image\) or on the host, given the image \(host\)\? 1 test file drives containers \(.*test_jupyter\.py imports docker\), 1 imports the images' own packages \(.*test_notebooks\.py imports astropy, which the images install\)": pass --testsRun=image\|host/,
    );
    expect(ambiguous.all).not.toMatch(/^\s+at /m);
    expect(readFileSync(join(ws.dir, 'nx.json'), 'utf8')).toBe(before);
    expect(await ws.git('status', '--porcelain', '--untracked-files=all')).toBe('');
  });
});
