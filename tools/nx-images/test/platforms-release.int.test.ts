import { describe, expect, it } from 'vitest';
import { TEST_ARTIFACT_TYPE } from '../src/lib/core/naming/conventions';
import { attachTestResult } from '../src/lib/io/image-tests';
import { createRegistryClient } from '../src/lib/io/registry/oci-client';
import { repositoryCopy } from './harness/main-copy';
import { PLATFORM_TREE, PLATFORMS, UNAME } from './harness/platform-tree';
import { readImageFile, readIndex } from './harness/read-image';
import { startRegistry, type StartedRegistry } from './harness/registry';
import { runReleaseExecutor } from './harness/run-release';

// The release, its mirror copy and release-check of the platform tree's indexes, on its main as
// ci:images pushed it on one runner (test/harness/platform-tree.ts); the builds are platforms.int.test.ts's.
const main = repositoryCopy(PLATFORM_TREE);

const path = (image: string) => `${main.repo}/${image}`;
const index = (image: string, tag: string) => readIndex(main.registry.url, path(image), tag);

describe('an index released, mirrored and checked: every platform and its evidence', () => {
  it('a release and its mirror copy keep the index digest on both sides, with every platform and its evidence there', async () => {
    const mirror: StartedRegistry = await startRegistry();
    try {
      const source = await index('pt-mid', 'main');
      const release = await runReleaseExecutor('release', main.ws.dir, 'pt-mid', { registry: main.registry.host, repository: main.repo, tags: 'v1.0.0', commit: main.c0 }, { IMAGE_MIRRORS: `${mirror.host}/mirror/fornax` });
      expect(release.success, release.output).toBe(true);
      const released = await index('pt-mid', 'v1.0.0');
      const mirrored = await readIndex(mirror.url, 'mirror/fornax/pt-mid', 'v1.0.0');
      expect(released?.digest).toBe(source?.digest);
      expect(mirrored?.digest).toBe(source?.digest);
      expect(mirrored?.platforms).toEqual(source?.platforms);
      for (const platform of PLATFORMS) {
        const digest = source?.platforms[platform] ?? '';
        expect((await readImageFile(mirror.url, 'mirror/fornax/pt-mid', digest, 'stamps/pt-mid'))?.trim(), platform).toBe(UNAME[platform]);
        // Each platform's test result travelled with it.
        const referrers = await createRegistryClient({ registry: mirror.host, env: {} }).referrers('mirror/fornax/pt-mid', digest);
        expect(referrers.some((entry) => entry.artifactType === TEST_ARTIFACT_TYPE), platform).toBe(true);
      }
    } finally {
      await mirror.stop();
    }
  });

  it('release-check refuses an index one of whose platforms has no passing test result, naming the platform', async () => {
    // main's pt-root index, with its arm64 manifest replaced by a copy no test ever ran on (same image, other bytes).
    const repo = path('pt-root');
    const accept = { accept: 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json' };
    const source = await index('pt-root', 'main');
    const armDigest = source?.platforms['linux/arm64'] ?? '';
    const arm = (await (await fetch(`${main.registry.url}/v2/${repo}/manifests/${armDigest}`, { headers: accept })).json()) as Record<string, unknown>;
    const untestedArm = Buffer.from(JSON.stringify({ ...arm, annotations: { note: 'never tested' } }));
    const put = async (reference: string, bytes: Buffer, mediaType: string) => {
      const response = await fetch(`${main.registry.url}/v2/${repo}/manifests/${reference}`, { method: 'PUT', headers: { 'content-type': mediaType }, body: bytes });
      expect(response.status, await response.text()).toBe(201);
      return response.headers.get('docker-content-digest') ?? '';
    };
    const armCopy = await put('untested-arm-copy', untestedArm, 'application/vnd.oci.image.manifest.v1+json');
    const original = (await (await fetch(`${main.registry.url}/v2/${repo}/manifests/main`, { headers: accept })).json()) as { manifests: { digest: string; size: number }[] };
    const manifests = original.manifests.map((entry) => (entry.digest === armDigest ? { ...entry, digest: armCopy, size: untestedArm.length } : entry));
    await put('untested-arm', Buffer.from(JSON.stringify({ ...original, manifests })), 'application/vnd.oci.image.index.v1+json');

    const releaseCheck = (sourceTag: string) =>
      main.ws.nx(['run', 'pt-root:release-check', `--registry=${main.registry.host}`, `--repository=${main.repo}`, `--sourceTag=${sourceTag}`, '--tags=v9.0.0', `--commit=${main.c0}`, '--exclude-task-dependencies']);
    const check = await releaseCheck('untested-arm');
    expect(check.exitCode).not.toBe(0);
    expect(check.all).toContain(`${main.registry.host}/${repo}:untested-arm linux/arm64 (${armCopy.slice(0, 19)}) has no passing test result (no test result is attached`);
    // The same index with both platforms tested passes.
    const passing = await releaseCheck('main');
    expect(passing.exitCode, passing.all).toBe(0);
    // A retest of a tests-only change attaches its result to what the tag names, the index: a newer failure there stops every platform.
    await attachTestResult(createRegistryClient({ registry: main.registry.host, env: {} }), repo, source?.digest ?? '', { result: 'failed', suites: ['pt-root/check.sh'], passed: 0, failed: 1, failures: [] }, main.ws.dir, 'pt-root');
    const retested = await releaseCheck('main');
    expect(retested.exitCode).not.toBe(0);
    expect(retested.all).toMatch(/pt-root:main linux\/amd64 \(sha256:[0-9a-f]{12}\) has no passing test result \(its newest tests, run [^)]+, failed\)/);
  });

});
