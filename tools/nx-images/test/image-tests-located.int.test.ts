import { chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referrersTag } from '../src/lib/core/evidence/oci-artifact';
import { run } from '../src/lib/io/exec';
import { createRegistryClient } from '../src/lib/io/registry/oci-client';
import { REAL_CONVENTION } from './fixtures/fornax-tree';
import { pythonWithPytest } from './harness/python';
import { readImage } from './harness/read-image';
import { startRegistry, type Registry } from './harness/registry';
import { DOCKER } from './harness/second-engine';
import { createWorkspace, type Workspace } from './harness/workspace';

// Tests kept where the two real repositories keep them, in one workspace (fixture tree test/fixtures/located):
// - fornax-images' shape, the plugin's rule: tests/test_<name_>.sh per image, sourcing tests/common.sh, run
//   INSIDE the image with tests/ mounted (base.os: a "." in the name becomes "_");
// - docker-stacks' shape, env-core's own rule in its project.json: tests/by_image/env-core/, pytest run ON THE
//   HOST with the Python that has pytest, the test starting the image by $IMAGE_ID with the real docker CLI.
// env-core is built FROM base.os, so it also runs base.os's tests, by base.os's rule. Each build is
// `docker-build --test --push`; what the tests decided is read back from the registry.

const REPO = 'fornax/located';
const TESTS = 'application/vnd.nx-images.image-test.v1+json';
const RESULT = 'dev.nx-images.test-result';
const PLUGIN = { ...REAL_CONVENTION, tests: { path: 'tests/test_{name_}.sh', mount: 'tests' } };

const COMMON = 'tests/common.sh';
const COMMON_SH = '# Shared by every image\'s test script: one named check, its verdict printed.\nSTAMPS=/stamps\ncheck() { name=$1; shift; if "$@"; then echo "ok: $name"; else echo "FAILED: $name" >&2; exit 1; fi; }\n';
const BASE_TEST = 'tests/test_base_os.sh';
const BASE_TEST_SH = '#!/bin/sh\n. "$(dirname "$0")/common.sh"\ncheck "base stamp" grep -qx base.os "$STAMPS/base.os"\n';
const HOST_TEST = 'tests/by_image/env-core/test_env_core.py';
const hostTest = (expected: string) => `import os
import subprocess

DOCKER = "/usr/bin/docker"


def docker(*argv):
    return subprocess.run([DOCKER, *argv], capture_output=True, text=True, check=True).stdout.strip()


def test_stamp_in_image():
    assert docker("run", "--rm", "--network=none", os.environ["IMAGE_ID"], "cat", "/stamps/env-core") == "${expected}"


def test_pinned_reference_is_the_image_tested():
    assert ":image-test-" in os.environ["IMAGE_REF"]
    assert docker("image", "inspect", "--format={{.Id}}", os.environ["IMAGE_REF"]) == os.environ["IMAGE_ID"]
    assert os.environ["IMAGE_NAME"].endswith("/${REPO}/env-core") and os.environ["IMAGE_TAG"] == "main"
`;

let registry: Registry;
let ws: Workspace;
let python: string;
let first: Awaited<ReturnType<Workspace['nx']>>;

// The host's pytest loads no third-party plugins: the ones installed here only add seconds.
const build = (image: string, ...extra: string[]) =>
  ws.nx(['run', `${image}:docker-build`, '--test', '--push', `--registry=${registry.host}`, `--repository=${REPO}`, '--tag=main', '--outputStyle=stream', ...extra], {
    PYTHON: python,
    PYTEST_DISABLE_PLUGIN_AUTOLOAD: '1',
  });
/** pytest names a case by its module's path from the workspace root. */
const HOST_CASE = 'tests.by_image.env-core.test_env_core';
const image = (name: string) => readImage(registry.url, `${REPO}/${name}`, 'main');
const tested = (name: string) => JSON.parse(readFileSync(join(ws.dir, 'dist', 'image-test', `${name}.json`), 'utf8')) as { result: string; imageId?: string; suites: string[]; failures: { suite: string; name: string; excerpt: string }[] };
const junit = (name: string) => readFileSync(join(ws.dir, 'dist', 'image-test', name, 'junit.xml'), 'utf8');

/** The test result attached to the image's digest, read back through the OCI fallback tag. */
async function attachedResult(name: string, digest: string): Promise<{ annotation?: string; files: Record<string, string> }> {
  const response = await fetch(`${registry.url}/v2/${REPO}/${name}/manifests/${referrersTag(digest)}`, { headers: { accept: 'application/vnd.oci.image.index.v1+json' } });
  const index = (await response.json()) as { manifests: { digest: string; artifactType: string; annotations?: Record<string, string> }[] };
  const entry = index.manifests.find((manifest) => manifest.artifactType === TESTS);
  const client = createRegistryClient({ registry: registry.host, credentials: null });
  const artifact = await client.readArtifact(`${REPO}/${name}`, entry?.digest ?? '');
  return { annotation: entry?.annotations?.[RESULT], files: Object.fromEntries(artifact.files.map((file) => [file.title, file.bytes.toString('utf8')])) };
}

/** The config digest of the manifest the registry holds: the image ID docker gave the image tested. */
async function configOf(name: string): Promise<string> {
  const response = await fetch(`${registry.url}/v2/${REPO}/${name}/manifests/main`, { headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json' } });
  return ((await response.json()) as { config: { digest: string } }).config.digest;
}

async function commit(message: string, files: Record<string, string>): Promise<string> {
  for (const [path, content] of Object.entries(files)) ws.write(path, content);
  chmodSync(join(ws.dir, BASE_TEST), 0o755);
  return ws.commit(message);
}

beforeAll(async () => {
  [registry, ws, python] = await Promise.all([startRegistry(), createWorkspace({ tree: 'located', pluginOptions: PLUGIN }), pythonWithPytest()]);
  await commit('tests where the repository keeps them', { [COMMON]: COMMON_SH, [BASE_TEST]: BASE_TEST_SH, [HOST_TEST]: hostTest('env-core') });
  // env-core's docker-build runs base.os's first (forwarding --test --push): both are built, tested and pushed.
  first = await build('env-core');
}, 300_000);

afterAll(async () => {
  await registry?.stop();
  ws?.cleanup();
});

describe('tests located by a rule, run in the image or on the host', () => {
  it('each image whose rule finds its tests gets the image-test target', async () => {
    const shown = await ws.nx(['show', 'projects', '--with-target=image-test', '--json']);
    expect(shown.exitCode, shown.all).toBe(0);
    expect((JSON.parse(shown.stdout) as string[]).sort()).toEqual(['base.os', 'env-core']);
  });

  it('a pattern in a top-level folder: base.os runs tests/test_base_os.sh in the image, its helper imported, and the pushed image carries a passing result', async () => {
    expect(first.exitCode, first.all).toBe(0);
    expect(first.all).toContain('ok: base stamp');
    const result = tested('base.os');
    expect(result).toMatchObject({ result: 'passed', suites: ['base.os'] });
    expect(await configOf('base.os')).toBe(result.imageId);
    const pushed = await image('base.os');
    const attached = await attachedResult('base.os', pushed?.digest ?? '');
    expect(attached.annotation).toBe('passed');
    expect(JSON.parse(attached.files['result.json'] ?? '{}')).toMatchObject({ result: 'passed', imageId: result.imageId, passed: 1 });
    expect(attached.files['junit.xml']).toContain('<testcase classname="base.os" name="test_base_os.sh"/>');
  });

  it('on the host: env-core runs pytest on tests/by_image/env-core given the image, then base.os\'s tests by base.os\'s rule; the pinned tag is gone', async () => {
    const result = tested('env-core');
    expect(result).toMatchObject({ result: 'passed', suites: ['env-core', 'base.os'], failures: [] });
    expect(await configOf('env-core')).toBe(result.imageId);
    const attached = await attachedResult('env-core', (await image('env-core'))?.digest ?? '');
    expect(attached.annotation).toBe('passed');
    const report = attached.files['junit.xml'] ?? '';
    expect(report).toContain(`<testcase classname="env-core" name="${HOST_CASE}.test_stamp_in_image"/>`);
    expect(report).toContain(`<testcase classname="env-core" name="${HOST_CASE}.test_pinned_reference_is_the_image_tested"/>`);
    expect(report).toContain('<testcase classname="base.os" name="test_base_os.sh"/>');
    const left = await run({ command: DOCKER, args: ['image', 'ls', '--format={{.Repository}}:{{.Tag}}', `--filter=reference=*/${REPO}/env-core:image-test-*`] });
    expect(left.stdout.trim()).toBe('');
    // The host's pytest wrote nothing into the workspace.
    expect(await ws.git('status', '--porcelain')).toBe('');
  });

  it('a broken shared helper fails base.os in the image: nothing is pushed, the tag stays where it was', async () => {
    const before = await image('base.os');
    await ws.branch('fail/pattern');
    await commit('the helper looks in the wrong place', { [COMMON]: COMMON_SH.replace('STAMPS=/stamps', 'STAMPS=/nowhere') });
    const result = await build('base.os', '--exclude-task-dependencies');
    expect(result.exitCode).not.toBe(0);
    expect(result.all).toContain('FAILED: base stamp');
    expect(result.all).toContain('base.os: its tests failed: base.os/test_base_os.sh; nothing was pushed, every tag stays where it was: see dist/image-test/base.os/junit.xml.');
    expect((await image('base.os'))?.digest).toBe(before?.digest);
    expect(tested('base.os').failures[0]?.excerpt).toContain('FAILED: base stamp');
  });

  it('a failing host test fails env-core: nothing is pushed, its tag stays, and the report names the pytest case', async () => {
    const before = await image('env-core');
    await ws.branch('fail/host');
    await commit('env-core expects another stamp', { [HOST_TEST]: hostTest('env-core-2') });
    // base.os is read from the registry, as pushed by the first build.
    const result = await build('env-core', '--exclude-task-dependencies');
    expect(result.exitCode).not.toBe(0);
    expect(result.all).toContain(`env-core: its tests failed: env-core/${HOST_CASE}.test_stamp_in_image; nothing was pushed`);
    expect((await image('env-core'))?.digest).toBe(before?.digest);
    const failed = tested('env-core');
    expect(failed).toMatchObject({ result: 'failed', suites: ['env-core', 'base.os'] });
    expect(failed.failures.map((failure) => `${failure.suite}/${failure.name}`)).toEqual([`env-core/${HOST_CASE}.test_stamp_in_image`]);
    expect(junit('env-core')).toContain('<testcase classname="base.os" name="test_base_os.sh"/>');
  });
});
