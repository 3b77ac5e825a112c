import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referrersTag } from '../src/lib/core/evidence/oci-artifact';
import { createRegistryClient } from '../src/lib/io/registry/oci-client';
import { REAL_CONVENTION } from './fixtures/fornax-tree';
import { pythonWithPytest } from './harness/python';
import { readImage } from './harness/read-image';
import { startRegistry, type Registry } from './harness/registry';
import { DOCKER } from './harness/second-engine';
import { createWorkspace, type Workspace } from './harness/workspace';

// Tests shared by every image (fixture tree test/fixtures/shared-tests): the plugin's tests rule lists
// tests/test_all.py, which every image runs, and tests/test_{name}.py, each image's own with the "-" of its
// name kept. astro-tools has both; lab and base have only the common file and still have tests. They run
// on the host with pytest, given the image. Each build is `docker-build --test --push`; what the tests
// decided is read back from the registry, as the result attached to each pushed image.

const REPO = 'fornax/shared';
const TESTS = 'application/vnd.nx-images.image-test.v1+json';
const RESULT = 'dev.nx-images.test-result';
const PLUGIN = { ...REAL_CONVENTION, tests: { path: ['tests/test_all.py', 'tests/test_{name}.py'], run: 'host' } };

const HELPERS = `import os
import subprocess


def docker(*argv):
    return subprocess.run(["${DOCKER}", *argv], capture_output=True, text=True, check=True).stdout.strip()


def cat(path):
    return docker("run", "--rm", "--network=none", os.environ["IMAGE_ID"], "cat", path)
`;
/** Run for every image: the image tested carries its own stamp. */
const TEST_ALL = `${HELPERS}

def test_carries_its_own_stamp():
    name = os.environ["IMAGE_NAME"].rsplit("/", 1)[-1]
    assert cat(f"/stamps/{name}") == name
`;
/** astro-tools' own: it is built on base. */
const TEST_ASTRO_TOOLS = `${HELPERS}

def test_built_on_base():
    assert cat("/stamps/base") == "base"
`;

let registry: Registry;
let ws: Workspace;
let python: string;
let builds: Awaited<ReturnType<Workspace['nx']>>[];

const build = (image: string, ...extra: string[]) =>
  ws.nx(['run', `${image}:docker-build`, '--test', '--push', `--registry=${registry.host}`, `--repository=${REPO}`, '--tag=main', '--outputStyle=stream', ...extra], {
    PYTHON: python,
    PYTEST_DISABLE_PLUGIN_AUTOLOAD: '1',
  });

/** The test result attached to the image's digest under main, read back through the OCI fallback tag. */
async function attachedResult(name: string): Promise<{ annotation?: string; result: { result: string; suites: string[]; passed: number; failed: number; imageId?: string }; junit: string }> {
  const digest = (await readImage(registry.url, `${REPO}/${name}`, 'main'))?.digest ?? '';
  const response = await fetch(`${registry.url}/v2/${REPO}/${name}/manifests/${referrersTag(digest)}`, { headers: { accept: 'application/vnd.oci.image.index.v1+json' } });
  const index = (await response.json()) as { manifests: { digest: string; artifactType: string; annotations?: Record<string, string> }[] };
  const entry = index.manifests.find((manifest) => manifest.artifactType === TESTS);
  const artifact = await createRegistryClient({ registry: registry.host, credentials: null }).readArtifact(`${REPO}/${name}`, entry?.digest ?? '');
  const files = Object.fromEntries(artifact.files.map((file) => [file.title, file.bytes.toString('utf8')]));
  return { annotation: entry?.annotations?.[RESULT], result: JSON.parse(files['result.json'] ?? '{}') as never, junit: files['junit.xml'] ?? '' };
}

/** The names of the JUnit report's cases, by suite: `suite:module.test` (pytest names a case by its module from the workspace root). */
function casesOf(junit: string): string[] {
  return [...junit.matchAll(/<testcase classname="([^"]+)" name="([^"]+)"\/>/g)].map(([, suite, name]) => `${suite}:${(name ?? '').replace(/^.*\b(test_[\w-]+\.test_\w+)$/, '$1')}`).sort();
}

beforeAll(async () => {
  [registry, ws, python] = await Promise.all([startRegistry(), createWorkspace({ tree: 'shared-tests', pluginOptions: PLUGIN }), pythonWithPytest()]);
  await ws.commit('tests shared by every image, and astro-tools\' own', { 'tests/test_all.py': TEST_ALL, 'tests/test_astro-tools.py': TEST_ASTRO_TOOLS });
  // astro-tools' docker-build runs base's first (forwarding --test --push); lab then builds on the base pushed.
  builds = [await build('astro-tools'), await build('lab', '--exclude-task-dependencies')];
}, 400_000);

afterAll(async () => {
  await registry?.stop();
  ws?.cleanup();
});

describe('a tests rule listing a file every image runs and each image\'s own', () => {
  it('every image has tests, even one with the common file alone', async () => {
    const shown = await ws.nx(['show', 'projects', '--with-target=image-test', '--json']);
    expect(shown.exitCode, shown.all).toBe(0);
    expect((JSON.parse(shown.stdout) as string[]).sort()).toEqual(['astro-tools', 'base', 'lab']);
  });

  it('astro-tools runs tests/test_all.py and tests/test_astro-tools.py in one pytest run, then base\'s test_all.py; the pushed image carries the passing result', async () => {
    for (const result of builds) expect(result.exitCode, result.all).toBe(0);
    const attached = await attachedResult('astro-tools');
    expect(attached.annotation).toBe('passed');
    expect(attached.result).toMatchObject({ result: 'passed', suites: ['astro-tools', 'base'], passed: 3, failed: 0 });
    expect(casesOf(attached.junit)).toEqual(['astro-tools:test_all.test_carries_its_own_stamp', 'astro-tools:test_astro-tools.test_built_on_base', 'base:test_all.test_carries_its_own_stamp']);
  });

  it('lab, with no file of its own, runs the common file alone, then base\'s', async () => {
    const attached = await attachedResult('lab');
    expect(attached.annotation).toBe('passed');
    expect(attached.result).toMatchObject({ result: 'passed', suites: ['lab', 'base'], passed: 2, failed: 0 });
    expect(casesOf(attached.junit)).toEqual(['base:test_all.test_carries_its_own_stamp', 'lab:test_all.test_carries_its_own_stamp']);
  });

  it('base runs the common file, its result attached to its own digest', async () => {
    const attached = await attachedResult('base');
    expect(attached.result).toMatchObject({ result: 'passed', suites: ['base'], passed: 1 });
    expect(casesOf(attached.junit)).toEqual(['base:test_all.test_carries_its_own_stamp']);
    const local = JSON.parse(readFileSync(join(ws.dir, 'dist', 'image-test', 'base.json'), 'utf8')) as { imageId?: string };
    expect(attached.result.imageId).toBe(local.imageId);
  });
});
