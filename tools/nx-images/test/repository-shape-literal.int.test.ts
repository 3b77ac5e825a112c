import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeLocalImages } from '../scripts/lib/local-images';
import { fromBuiltMain, type MainSpec } from './harness/built-main';
import { runCiImages, type SimulatedRun } from './harness/github-run';
import { shapeOf } from './harness/shape';
import { listTags } from './harness/read-image';
import type { StartedRegistry } from './harness/registry';
import { DOCKER } from './harness/second-engine';
import type { Workspace } from './harness/workspace';

// A repository that names its images literally (fixture tree test/fixtures/shape-literal, image folders at
// the root): Docker Hub implied, `ARG BASE_TAG=master` then `FROM owner/base-image:${BASE_TAG}`, default
// branch master, no remote, tests/test_all.py beside tests/test_<name>.py driving the image through a
// `container` fixture. Before main is built, `init --no-interactive` adopts it and decides everything from
// the files; main is then built once per run (test/harness/built-main.ts). Stamps and labels are read back
// from the loopback registry, where every self-reference resolves: this run's registry and repository.

const CONFTEST = `import os
import subprocess

import pytest


@pytest.fixture
def container():
    def cat(path):
        return subprocess.run(["${DOCKER}", "run", "--rm", "--network=none", os.environ["IMAGE_ID"], "cat", path], capture_output=True, text=True, check=True).stdout.strip()
    return cat
`;
const TEST_ALL = `import os


def test_carries_its_own_stamp(container):
    name = os.environ["IMAGE_NAME"].rsplit("/", 1)[-1]
    assert container(f"/stamps/{name}").startswith(name)
`;
const TEST_ASTRO_TOOLS = `def test_built_on_base_image(container):
    assert container("/stamps/base-image").startswith("base-image ")
`;
const INIT_OUTPUT = '.git/init-output.txt';

const SHAPE: MainSpec = {
  workspace: { tree: 'shape-literal', layout: 'root', branch: 'master' },
  repository: 'owner',
  prepare: {
    key: 'literal-init-1',
    async run(ws) {
      // A repository before adoption: no plugin entry, no default branch in nx.json.
      const nxJson = JSON.parse(readFileSync(join(ws.dir, 'nx.json'), 'utf8')) as Record<string, unknown>;
      delete nxJson.plugins;
      delete nxJson.defaultBase;
      await ws.commit('tests shared by every image, and astro-tools\' own', {
        'nx.json': `${JSON.stringify(nxJson, null, 2)}\n`,
        'tests/conftest.py': CONFTEST,
        'tests/test_all.py': TEST_ALL,
        'tests/test_astro-tools.py': TEST_ASTRO_TOOLS,
      });
      const init = await ws.nx(['g', '@fornax/nx-images:init', '--no-interactive']);
      if (init.exitCode !== 0) throw new Error(`init failed:\n${init.all}`);
      // Kept beside the repository (not in it) for the test that reads what init decided.
      writeFileSync(join(ws.dir, INIT_OUTPUT), init.all);
      await ws.commit('adopt @fornax/nx-images');
    },
  },
};

const IMAGES = ['astro-tools', 'base-image', 'jupyter-lab'];

describe('a repository that names its images literally: FROM owner/base-image:${BASE_TAG}, Docker Hub implied', () => {
  const REPO = SHAPE.repository;
  let ws: Workspace;
  let first: SimulatedRun;
  let registry: StartedRegistry;
  let builtOn: string;
  let cleanup: () => Promise<void>;
  let it$: ReturnType<typeof shapeOf>;
  // main's build ran every image's tests; the pushes here check where each image is built from, so they skip them.
  const push = (branch: string, sha: string, env: Record<string, string> = {}, args: string[] = []) =>
    runCiImages(ws, { name: 'push', branch, sha, defaultBranch: 'master' }, registry.host, { IMAGE_REPOSITORY: REPO, SKIP_TESTS: 'true', ...env }, args);
  /** A new branch off master with `files` committed on it. */
  const branch = async (name: string, files: Record<string, string>) => {
    await ws.git('checkout', '--quiet', 'master');
    await ws.git('checkout', '--quiet', '-b', name);
    return ws.commit(`${name}: change`, files);
  };

  beforeAll(async () => {
    ({ ws, registry, first, builtOn, cleanup } = await fromBuiltMain(SHAPE));
    it$ = shapeOf(registry, REPO);
  }, 600_000);

  afterAll(async () => {
    await removeLocalImages({ docker: DOCKER, mode: 'classic', usesEngineStore: true }, `${registry.host}/`).catch(() => undefined);
    await cleanup?.();
  });

  it('init --no-interactive decides everything from the files, and prints the evidence', () => {
    const lines = readFileSync(join(ws.dir, INIT_OUTPUT), 'utf8').split('\n').map((line) => line.trim()).filter((line) => line.startsWith('init:'));
    const options = (JSON.parse(readFileSync(join(ws.dir, 'nx.json'), 'utf8')) as { defaultBase: string; plugins: { plugin: string; options: Record<string, unknown> }[] });
    expect(options.defaultBase).toBe('master');
    expect(options.plugins.find((entry) => entry.plugin === '@fornax/nx-images')?.options).toEqual({
      dockerfiles: '*/Dockerfile',
      buildArgs: { registry: 'REGISTRY', repository: 'REPOSITORY', imageTag: '', baseTag: 'BASE_TAG' },
      selfNames: ['owner/', 'docker.io/owner/'],
      tests: { path: ['tests/test_all.py', 'tests/test_{name}.py'], run: 'host' },
    });
    expect(lines).toContain(
      'init: self names: owner/, docker.io/owner/, read as this repository\'s images wherever it pushes (3 references name a folder of this repository literally (astro-tools/Dockerfile: owner/base-image:${BASE_TAG}; jupyter-lab/Dockerfile: owner/astro-tools:${BASE_TAG}; jupyter-lab/Dockerfile: docker.io/owner/base-image:${BASE_TAG}))',
    );
    expect(lines).toContain('init: images go to docker.io/owner/<image> (from the literal references to this repository\'s images (astro-tools/Dockerfile: owner/base-image:${BASE_TAG}, and 2 more; no registry written, so Docker Hub: docker.io))');
    expect(lines).toContain('init: default branch master (from git)');
    expect(lines.find((line) => line.startsWith('init: tests: '))).toMatch(/they run on the host: .*uses the container fixture of tests\/conftest\.py/);
    expect(lines).toContain('init: level 3: jupyter-lab');
    expect(lines.filter((line) => line.startsWith('init: note:') || line.startsWith('init: missing:'))).toEqual([]);
  });

  it('the first push builds the base first and every image on it, each reading this run\'s registry', async () => {
    expect(first.exitCode, first.all).toBe(0);
    expect(first.all).toContain('ci:images: level 1: base-image\n');
    expect(first.all).toContain('ci:images: level 2: astro-tools (after base-image)\n');
    expect(first.all).toContain('ci:images: level 3: jupyter-lab (after astro-tools, base-image)\n');
    const base = await it$.read('base-image', 'master');
    expect(await it$.basesOf('astro-tools', 'master')).toEqual([{ image: 'base-image', reference: `${builtOn}/${REPO}/base-image:master`, digest: base?.digest, written: 'owner/base-image:${BASE_TAG}' }]);
    expect((await it$.read('astro-tools', 'master'))?.labels['org.opencontainers.image.base.name']).toBe(`${builtOn}/${REPO}/base-image:master`);
    expect((await it$.basesOf('jupyter-lab', 'master')).map((entry) => [entry.image, entry.written])).toEqual([
      ['astro-tools', 'owner/astro-tools:${BASE_TAG}'],
      ['base-image', 'docker.io/owner/base-image:${BASE_TAG}'],
    ]);
    expect(await it$.stamp('jupyter-lab', 'master', 'copied-base-image')).toBe('base-image 1\n');
    // Every image ran the common test file; astro-tools its own too, and jupyter-lab its ancestors' (4 tests).
    expect(first.all).toContain('jupyter-lab: tests passed (4 tests)');
  });

  it('a branch changing the base and one image builds both, the image on the branch\'s base', async () => {
    const sha = await branch('feature/base', { 'base-image/stamp.txt': 'base-image 2\n', 'astro-tools/stamp.txt': 'astro-tools 2\n' });
    const result = await push('feature/base', sha);
    expect(result.exitCode, result.all).toBe(0);
    expect(await it$.tagged(IMAGES, 'feature-base')).toEqual(['astro-tools', 'base-image']);
    expect(await it$.stamp('astro-tools', 'feature-base', 'base-image')).toBe('base-image 2\n');
    expect(await it$.basesOf('astro-tools', 'feature-base')).toEqual([
      { image: 'base-image', reference: `${registry.host}/${REPO}/base-image:feature-base`, digest: (await it$.read('base-image', 'feature-base'))?.digest, written: 'owner/base-image:${BASE_TAG}' },
    ]);
  });

  it('a literal digest pin stays as written: the image is built on that digest, whatever the branch built', async () => {
    const pinned = (await it$.read('base-image', 'master'))?.digest ?? '';
    const dockerfile = `FROM owner/base-image@${pinned}\nCOPY stamp.txt /stamps/astro-tools\n`;
    const sha = await branch('feature/pin', { 'base-image/stamp.txt': 'base-image 3\n', 'astro-tools/Dockerfile': dockerfile });
    const result = await push('feature/pin', sha);
    expect(result.exitCode, result.all).toBe(0);
    expect(await it$.stamp('astro-tools', 'feature-pin', 'base-image')).toBe('base-image 1\n');
    expect(await it$.basesOf('astro-tools', 'feature-pin')).toEqual([{ image: 'base-image', reference: `${registry.host}/${REPO}/base-image@${pinned}`, digest: pinned, written: `owner/base-image@${pinned}` }]);
    // The Dockerfile in the repository is as it was written.
    expect(readFileSync(join(ws.dir, 'astro-tools', 'Dockerfile'), 'utf8')).toBe(dockerfile);
  });

  it('a fork pushing to another repository builds on its own bases', async () => {
    await ws.git('checkout', '--quiet', 'master');
    const head = await ws.git('rev-parse', 'HEAD');
    const FORK = 'someone/fork';
    const result = await push('master', head, { IMAGE_REPOSITORY: FORK });
    expect(result.exitCode, result.all).toBe(0);
    const fork = shapeOf(registry, FORK);
    expect(await fork.tagged(IMAGES, 'master')).toEqual(IMAGES);
    const forkBase = (await fork.read('base-image', 'master'))?.digest;
    expect(await fork.basesOf('astro-tools', 'master')).toEqual([{ image: 'base-image', reference: `${registry.host}/${FORK}/base-image:master`, digest: forkBase, written: 'owner/base-image:${BASE_TAG}' }]);
    expect((await fork.basesOf('jupyter-lab', 'master')).map((entry) => entry.reference)).toEqual([`${registry.host}/${FORK}/astro-tools:master`, `${registry.host}/${FORK}/base-image:master`]);
  });

  it('a COPY source that exists nowhere fails the plan in one line before any build, also in a fan-out plan job and a dry run', async () => {
    const sha = await branch('feature/missing', { 'astro-tools/Dockerfile': 'ARG BASE_TAG=master\nFROM owner/base-image:${BASE_TAG}\nCOPY nowhere.txt /n\n' });
    const line = 'astro-tools: astro-tools/Dockerfile:3 COPY nowhere.txt /n: nowhere.txt is not in the build context astro-tools: add it to the context';
    const single = await push('feature/missing', sha);
    const plan = await push('feature/missing', sha, {}, ['--plan']);
    for (const result of [single, plan]) {
      expect(result.exitCode).not.toBe(0);
      expect(result.all.split('\n').filter((text) => text.includes('nowhere.txt'))).toEqual([expect.stringContaining(line)]);
      expect(result.all).not.toContain('ci:images: level 1');
    }
    expect(await listTags(registry.url, `${REPO}/astro-tools`)).not.toContain('feature-missing');
    const dry = await ws.nx(['run', 'astro-tools:docker-build', '--dry-run', `--registry=${registry.host}`, `--repository=${REPO}`, '--tag=feature-missing', '--outputStyle=stream']);
    expect(dry.exitCode).not.toBe(0);
    expect(dry.all).toContain(line);
  });
});
