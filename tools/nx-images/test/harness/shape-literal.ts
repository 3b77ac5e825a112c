import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll } from 'vitest';
import type { MainSpec } from './built-main';
import { mainCopy } from './main-copy';
import { DOCKER } from './second-engine';
import { runCiImages, type SimulatedRun } from './github-run';
import { shapeOf } from './shape';
import type { StartedRegistry } from './registry';
import type { Workspace } from './workspace';

// The repository of test/repository-shape-literal*.int.test.ts: one that names its images literally (fixture tree test/fixtures/shape-literal, image folders at
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
export const INIT_OUTPUT = '.git/init-output.txt';

export const SHAPE: MainSpec = {
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

export const IMAGES = ['astro-tools', 'base-image', 'jupyter-lab'];


/** What a test file of the literal shape works with (see literalShape). */
export interface LiteralShape {
  REPO: string;
  ws: Workspace;
  first: SimulatedRun;
  registry: StartedRegistry;
  /** The registry main was built against: the one main's labels name. */
  builtOn: string;
  it$: ReturnType<typeof shapeOf>;
  /** A push of `branch` at `sha`; main's build ran every image's tests, so these skip them. */
  push(branch: string, sha: string, env?: Record<string, string>, args?: string[]): Promise<SimulatedRun>;
  /** A new branch off master with `files` committed on it. */
  branch(name: string, files: Record<string, string>): Promise<string>;
}

/** A copy of the literal shape's built main for one test file: registers its set-up and tear-down, filled in before its first test. */
export function literalShape(): LiteralShape {
  const shape = { REPO: SHAPE.repository } as LiteralShape;
  const copy = mainCopy(SHAPE);
  shape.push = (branch, sha, env = {}, args = []) =>
    runCiImages(shape.ws, { name: 'push', branch, sha, defaultBranch: 'master' }, shape.registry.host, { IMAGE_REPOSITORY: shape.REPO, SKIP_TESTS: 'true', ...env }, args);
  shape.branch = async (name, files) => {
    await shape.ws.git('checkout', '--quiet', 'master');
    await shape.ws.git('checkout', '--quiet', '-b', name);
    return shape.ws.commit(`${name}: change`, files);
  };
  beforeAll(() => {
    Object.assign(shape, { ws: copy.ws, registry: copy.registry, first: copy.first, builtOn: copy.builtOn, it$: shapeOf(copy.registry, shape.REPO) });
  });
  return shape;
}
