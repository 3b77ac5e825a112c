import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referrersTag } from '../src/lib/core/evidence/oci-artifact';
import { createRegistryClient } from '../src/lib/io/registry/oci-client';
import { runCiImages } from './harness/github-run';
import { listTags, readImage } from './harness/read-image';
import { startRegistry, type Registry } from './harness/registry';
import { createWorkspace, type Workspace } from './harness/workspace';
import { PASSING, writeTests } from './fixtures/tested-main';

// Image tests are busybox scripts in the stand-ins' tests/ folders, run inside the images by the real
// engine; what they decide is read back from the registry: tags, digests, the attached result. This
// file builds its main itself, to read that build's records; noisy output and the local image-test
// target are in image-tests-local.int.test.ts, on a copy of a main built once per run.

const REPO = 'fornax/tested';
const TESTS = 'application/vnd.nx-images.image-test.v1+json';
const RESULT = 'dev.nx-images.test-result';

let registry: Registry;
let ws: Workspace;
let c0: string;

const push = (branch: string, sha: string, message?: string) =>
  runCiImages(ws, { name: 'push', branch, sha, ...(message === undefined ? {} : { message }) }, registry.host, { IMAGE_REPOSITORY: REPO });
const image = (name: string, tag: string) => readImage(registry.url, `${REPO}/${name}`, tag);
const record = (name: string) => JSON.parse(readFileSync(join(ws.dir, 'dist', 'docker-build', `${name}.json`), 'utf8')) as { tests?: { result: string; imageId?: string; suites: string[] }; digest?: string };

/** Writes files, makes the test scripts executable, commits; returns the commit. */
async function commit(message: string, files: Record<string, string>): Promise<string> {
  writeTests(ws, files);
  return ws.commit(message);
}

beforeAll(async () => {
  registry = await startRegistry();
  ws = await createWorkspace();
  c0 = await commit('the stand-ins get tests', PASSING);
  const main = await push('main', c0);
  if (main.exitCode !== 0) throw new Error(`building main failed:\n${main.all}`);
}, 300_000);

afterAll(async () => {
  await registry?.stop();
  ws?.cleanup();
});

describe('image tests, run between the build and the push', () => {
  it('a passing test lets the tag move; the pushed image is the image tested; the result is attached to its digest', async () => {
    const base = await image('base_image', 'main');
    expect(base?.labels['org.opencontainers.image.revision']).toBe(c0);
    const built = record('base_image');
    expect(built.tests?.result).toBe('passed');
    // The image ID docker gives a local image is its config's digest: the manifest pushed must carry the config tested.
    const manifest = (await (await fetch(`${registry.url}/v2/${REPO}/base_image/manifests/main`, { headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' } })).json()) as { config: { digest: string } };
    expect(manifest.config.digest).toBe(built.tests?.imageId);

    // The evidence, read back with no code of ours: the fallback tag lists it, its files say passed.
    const index = (await (await fetch(`${registry.url}/v2/${REPO}/base_image/manifests/${referrersTag(base?.digest ?? '')}`, { headers: { accept: 'application/vnd.oci.image.index.v1+json' } })).json()) as {
      manifests: { digest: string; artifactType: string; annotations: Record<string, string> }[];
    };
    // The lock set is attached there too; the test result is the one of its type.
    const results = index.manifests.filter((entry) => entry.artifactType === TESTS);
    expect(results).toHaveLength(1);
    expect(results[0]?.annotations[RESULT]).toBe('passed');
    const client = createRegistryClient({ registry: registry.host, credentials: null });
    const attached = await client.readArtifact(`${REPO}/base_image`, results[0]?.digest ?? '');
    const files = Object.fromEntries(attached.files.map((file) => [file.title, file.bytes.toString('utf8')]));
    expect(JSON.parse(files['result.json'] ?? '{}')).toMatchObject({ result: 'passed', imageId: built.tests?.imageId, passed: 1, failed: 0 });
    expect(files['junit.xml']).toContain('<testcase classname="base_image" name="check-base.sh"/>');
  });

  it('an image also runs the tests of the image it is built FROM', () => {
    const tractor = record('tractor');
    expect(tractor.tests).toMatchObject({ result: 'passed', suites: ['tractor', 'base_image'] });
    const junit = readFileSync(join(ws.dir, 'dist', 'image-test', 'tractor', 'junit.xml'), 'utf8');
    expect(junit).toContain('<testcase classname="tractor" name="check-stack.sh"/>');
    expect(junit).toContain('<testcase classname="base_image" name="check-base.sh"/>');
  });

  it('a failing test keeps the tag where it was, skips the images built from it, and the summary names the test with its first lines', async () => {
    await ws.branch('fail/tests');
    const good = await commit('both change', { 'images/base_image/base.txt': 'good\n', 'images/tractor/tractor.txt': 'good\n' });
    expect((await push('fail/tests', good)).exitCode).toBe(0);
    const before = await image('base_image', 'fail-tests');
    const tractorBefore = await image('tractor', 'fail-tests');

    const bad = await commit('base breaks its test', {
      'images/base_image/base.txt': 'bad\n',
      'images/tractor/tractor.txt': 'bad\n',
      'images/base_image/tests/check-base.sh': '#!/bin/sh\necho "expected the astronomy stack"\necho "got nothing" >&2\nexit 3\n',
    });
    const result = await push('fail/tests', bad);
    expect(result.exitCode).not.toBe(0);
    expect((await image('base_image', 'fail-tests'))?.digest).toBe(before?.digest);
    expect((await image('tractor', 'fail-tests'))?.digest).toBe(tractorBefore?.digest);
    expect(result.all).toContain('ci:images: level 2: skipping tractor: it takes from base_image, which failed');
    expect(result.summary).toContain('| 1 | `base_image` | `fail-tests` | **failed** |  | failed: base_image/check-base.sh |');
    expect(result.summary).toContain('- `base_image`: its tests failed: base_image/check-base.sh');
    // stdout and stderr come through two pipes, so their lines may arrive in either order.
    const failure = result.summary.split('\n').find((line) => line.startsWith('  - `base_image/check-base.sh`: exit code 3<br>')) ?? '';
    expect(failure).toContain('<br>expected the astronomy stack');
    expect(failure).toContain('<br>got nothing');
    expect(result.summary).toContain('- `tractor`: takes from base_image, which failed');
  });

  it('[skip-tests] in the head commit pushes untested, says so, and the release refuses that image unless told otherwise', async () => {
    await ws.branch('skip/tests');
    // Both change, so the branch has every image and a release of it can go through.
    const sha = await commit('base: quick fix [skip-tests]', { 'images/base_image/base.txt': 'quick\n', 'images/tractor/tractor.txt': 'quick\n' });
    const result = await push('skip/tests', sha, 'base: quick fix [skip-tests]');
    expect(result.exitCode, result.all).toBe(0);
    expect(result.all).toContain('ci:images: tests skipped: [skip-tests] in the head commit message');
    expect(result.summary).toContain('skipped: [skip-tests] in the head commit message');
    const skipped = await image('base_image', 'skip-tests');
    const client = createRegistryClient({ registry: registry.host, credentials: null });
    expect((await client.referrers(`${REPO}/base_image`, skipped?.digest ?? '', TESTS)).map((entry) => entry.annotations?.[RESULT])).toEqual(['skipped']);

    const release = (...extra: string[]) =>
      ws.nx(['run', 'base_image:release', `--registry=${registry.host}`, `--repository=${REPO}`, '--sourceTag=skip-tests', '--tags=v9.0.0', '--outputStyle=static', ...extra]);
    const refused = await release();
    expect(refused.exitCode).not.toBe(0);
    expect(refused.all).toMatch(/base_image: \S+base_image:skip-tests \(sha256:\w+\) has no passing test result \(its tests were skipped\): push it again with its tests run .* or release with --allowUntested\./);
    expect(await listTags(registry.url, `${REPO}/base_image`)).not.toContain('v9.0.0');
    const allowed = await release('--allowUntested');
    expect(allowed.exitCode, allowed.all).toBe(0);
    expect(allowed.all).toContain('tests: untested, released with --allowUntested: its tests were skipped');
    expect((await image('base_image', 'v9.0.0'))?.digest).toBe(skipped?.digest);
  });

  it('a release of images whose tests passed goes through and lists each result', async () => {
    await ws.git('checkout', '--quiet', 'main');
    const release = await ws.nx(['run-many', '-t', 'release', `--registry=${registry.host}`, `--repository=${REPO}`, '--tags=v1.0.0', '--outputStyle=static']);
    expect(release.exitCode, release.all).toBe(0);
    expect(release.all.match(/ {2}tests: passed/g)).toHaveLength(4);
    const written = JSON.parse(readFileSync(join(ws.dir, 'dist', 'release', 'tractor.json'), 'utf8')) as { tests: string; tags: string[] };
    expect(written).toMatchObject({ tests: 'passed', tags: ['v1.0.0'] });
  });
});
