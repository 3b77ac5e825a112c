import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startFaultProxy } from './harness/fault-proxy';
import { startRegistry, type Registry } from './harness/registry';
import { runReleaseExecutor } from './harness/run-release';
import { digestOf, listTags, pushImage } from './harness/seed';
import { createWorkspace, type Workspace } from './harness/workspace';

// The whole release path against the real Distribution registry on loopback
// and a throwaway git repository; results are read back from the registry.
const REVISION = 'org.opencontainers.image.revision';
let registry: Registry;
let ws: Workspace;
let c0: string;
let c1: string;

beforeAll(async () => {
  registry = await startRegistry();
  ws = await createWorkspace();
  c0 = await ws.git('rev-parse', 'HEAD');
  // Only tractor changes after c0: a base_image built at c0 is still the release's.
  c1 = await ws.commit('tractor: notes', { 'images/tractor/notes.txt': 'changed\n' });
});

afterAll(async () => {
  await registry?.stop();
  await ws?.remove();
});

function release(repository: string, registryHost: string, ...extra: string[]) {
  return ws.nx(['run-many', '-t', 'release', `--registry=${registryHost}`, `--repository=${repository}`, '--tags=v0.1.1,stable', '--outputStyle=static', ...extra]);
}

describe('nx run-many -t release', () => {
  test('tags every image with the digest of its main, keeps an index digest, and a second run writes nothing', async () => {
    const repo = 'fornax/images';
    const base = await pushImage(registry.url, `${repo}/base_image`, 'main', { labels: { [REVISION]: c0 }, platforms: ['linux/amd64', 'linux/arm64'] });
    const builtFrom = [{ image: 'base_image', reference: `${registry.host}/${repo}/base_image:main`, digest: base.digest }];
    const tractor = await pushImage(registry.url, `${repo}/tractor`, 'main', {
      labels: { [REVISION]: c1, 'io.github.nasa-fornax.images.bases': JSON.stringify(builtFrom) },
      format: 'docker',
    });
    expect(base.mediaType).toBe('application/vnd.oci.image.index.v1+json');

    const first = await release(repo, registry.host);
    expect(first.exitCode, first.all).toBe(0);
    // What went into each released image, read from its bases label.
    expect(first.all).toContain(`  built from ${registry.host}/${repo}/base_image:main (${base.digest})`);
    for (const [image, seeded] of [['base_image', base], ['tractor', tractor]] as const) {
      for (const tag of ['main', 'v0.1.1', 'stable']) expect(await digestOf(registry.url, `${repo}/${image}`, tag)).toBe(seeded.digest);
    }

    // Again, through a proxy that records every request: nothing is PUT.
    const proxy = await startFaultProxy(registry.url);
    try {
      const second = await release(repo, proxy.host);
      expect(second.exitCode, second.all).toBe(0);
      expect(second.all).toContain('base_image: released, 0 tag(s) written, 2 already in place.');
      expect(second.all).toContain('tractor: released, 0 tag(s) written, 2 already in place.');
      expect(proxy.requests.filter((r) => r.startsWith('PUT '))).toEqual([]);
      expect(proxy.requests.length).toBeGreaterThan(0);
    } finally {
      await proxy.stop();
    }
    expect(await listTags(registry.url, `${repo}/base_image`)).toEqual(['main', 'stable', 'v0.1.1']);
    expect(await digestOf(registry.url, `${repo}/base_image`, 'stable')).toBe(base.digest);
  });

  test('with tractor:main absent, exits non-zero naming tractor and writes no tag anywhere', async () => {
    const repo = 'fornax/missing';
    await pushImage(registry.url, `${repo}/base_image`, 'main', { labels: { [REVISION]: c1 } });
    const result = await release(repo, registry.host);
    expect(result.exitCode).not.toBe(0);
    expect(result.all).toMatch(/tractor: 127\.0\.0\.1:\d+\/fornax\/missing\/tractor:main does not exist, so no image is released/);
    expect(await listTags(registry.url, `${repo}/base_image`)).toEqual(['main']);
    expect(await listTags(registry.url, `${repo}/tractor`)).toEqual([]);
  });

  test('main moved to a commit that changed tractor after the release commit: stops naming tractor, writes nothing', async () => {
    const repo = 'fornax/moved';
    const c2 = await ws.commit('tractor: change after the release', { 'images/tractor/Dockerfile': 'FROM scratch\nCOPY busybox /bin/busybox\n# moved\n' });
    await pushImage(registry.url, `${repo}/base_image`, 'main', { labels: { [REVISION]: c1 } });
    await pushImage(registry.url, `${repo}/tractor`, 'main', { labels: { [REVISION]: c2 } });
    const result = await release(repo, registry.host, `--commit=${c1}`);
    expect(result.exitCode).not.toBe(0);
    expect(result.all).toContain(`tractor: main was built from ${c2.slice(0, 12)}, which is not the release commit ${c1.slice(0, 12)} nor an ancestor of it`);
    expect(result.all).not.toMatch(/base_image: main was built/);
    expect(await listTags(registry.url, `${repo}/base_image`)).toEqual(['main']);
    expect(await listTags(registry.url, `${repo}/tractor`)).toEqual(['main']);
  });
});

describe('npm run ci:release', () => {
  test('turns a published release event into a release of every image, from the release commit', async () => {
    const repo = 'fornax/ci';
    const base = await pushImage(registry.url, `${repo}/base_image`, 'main', { labels: { [REVISION]: c1 } });
    const tractor = await pushImage(registry.url, `${repo}/tractor`, 'main', { labels: { [REVISION]: c1 } });
    const event = join(ws.dir, 'event.json');
    await writeFile(event, JSON.stringify({ action: 'published', release: { tag_name: 'v1.2.3', target_commitish: 'main', prerelease: false }, repository: { default_branch: 'main' } }));
    const env = { GITHUB_EVENT_NAME: 'release', GITHUB_EVENT_PATH: event, GITHUB_SHA: c1, IMAGE_REGISTRY: registry.host, IMAGE_REPOSITORY: repo };
    // release.yml's step, as the workspace's package.json names it.
    const ciRelease = ['run', '--silent', 'ci:release'];

    const refused = await ws.exec('npm', ciRelease, { ...env, RELEASE_TARGET: 'feature/x' });
    expect(refused.exitCode).not.toBe(0);
    expect(refused.all).toContain('targets "feature/x", not the default branch "main"');

    const summary = join(ws.dir, 'step-summary.md');
    const result = await ws.exec('npm', ciRelease, { ...env, GITHUB_STEP_SUMMARY: summary });
    expect(result.exitCode, result.all).toBe(0);
    expect(result.all).toContain(`release v1.2.3: every image's main (built from ${c1.slice(0, 12)}) gets v1.2.3 and stable`);
    for (const [image, seeded] of [['base_image', base], ['tractor', tractor]] as const) {
      for (const tag of ['v1.2.3', 'stable']) expect(await digestOf(registry.url, `${repo}/${image}`, tag)).toBe(seeded.digest);
    }
    // The step summary: one row per image with what was released and its tests (these stand-ins have none).
    const written = await readFile(summary, 'utf8');
    expect(written).toContain('## Release v1.2.3, stable');
    expect(written).toContain('| image | released digest | built from | compressed size | tests | lock files | tags |');
    expect(written).toMatch(new RegExp(`\\| \`base_image\` \\| \`${base.digest}\` \\|  \\| 1\\.\\d KiB \\| no tests \\| \`base_image-v1\\.2\\.3-locks\\.tar\\.gz\` \\(none: seeded without lock files\\) \\| \`v1\\.2\\.3\`, \`stable\` \\|`));
    expect(written).toContain(`| \`tractor\` | \`${tractor.digest}\` |`);
  });
});

describe('release executor', () => {
  test('an image built before a change to its own folder is out of date', async () => {
    const repo = 'fornax/stale';
    await pushImage(registry.url, `${repo}/tractor`, 'main', { labels: { [REVISION]: c0 } });
    const result = await runReleaseExecutor('release', ws.dir, 'tractor', { registry: registry.host, repository: repo, tags: ['v1.0.0'], commit: c1 });
    expect(result.success).toBe(false);
    expect(result.output).toMatch(/tractor: main was built from \w{12}, and 1 file\(s\) of tractor changed .*images\/tractor\/notes\.txt.*out of date/);
    expect(await listTags(registry.url, `${repo}/tractor`)).toEqual(['main']);
  });

  test('an image without a revision label is refused', async () => {
    const repo = 'fornax/unlabelled';
    await pushImage(registry.url, `${repo}/tractor`, 'main', { labels: {} });
    const result = await runReleaseExecutor('release', ws.dir, 'tractor', { registry: registry.host, repository: repo, tags: 'v1.0.0', commit: c1 });
    expect(result.success).toBe(false);
    expect(result.output).toMatch(/has no org\.opencontainers\.image\.revision label/);
    expect(await listTags(registry.url, `${repo}/tractor`)).toEqual(['main']);
  });

  test('releasing v0.1.0 after v0.2.0 leaves stable on v0.2.0; a later v0.3.0 moves it', async () => {
    const repo = 'fornax/backport';
    const options = { registry: registry.host, repository: repo, commit: c1 };
    const a = await pushImage(registry.url, `${repo}/base_image`, 'main', { labels: { [REVISION]: c1 } });
    expect((await runReleaseExecutor('release', ws.dir, 'base_image', { ...options, tags: 'v0.2.0,stable' })).success).toBe(true);
    const b = await pushImage(registry.url, `${repo}/base_image`, 'main', { labels: { [REVISION]: c1, other: 'build' } });
    expect(b.digest).not.toBe(a.digest);

    const backport = await runReleaseExecutor('release', ws.dir, 'base_image', { ...options, tags: 'v0.1.0,stable' });
    expect(backport.success, backport.output).toBe(true);
    expect(backport.output).toContain('stable: left as is, it carries v0.2.0, which is newer than 0.1.0; stable only moves forward');
    expect(await digestOf(registry.url, `${repo}/base_image`, 'v0.1.0')).toBe(b.digest);
    expect(await digestOf(registry.url, `${repo}/base_image`, 'stable')).toBe(a.digest);

    expect((await runReleaseExecutor('release', ws.dir, 'base_image', { ...options, tags: ['v0.3.0', 'stable'] })).success).toBe(true);
    expect(await digestOf(registry.url, `${repo}/base_image`, 'stable')).toBe(b.digest);
  });

  test('a dry run (option or NX_DRY_RUN) and a bad tag write nothing', async () => {
    const repo = 'fornax/dry';
    await pushImage(registry.url, `${repo}/base_image`, 'main', { labels: { [REVISION]: c1 } });
    const options = { registry: registry.host, repository: repo, commit: c1, tags: 'v9.9.9,stable' };
    const dry = await runReleaseExecutor('release', ws.dir, 'base_image', { ...options, dryRun: true });
    expect(dry.success, dry.output).toBe(true);
    expect(dry.output).toMatch(/v9\.9\.9: would create sha256:/);
    const envDry = await runReleaseExecutor('release', ws.dir, 'base_image', options, { NX_DRY_RUN: 'true' });
    expect(envDry.output).toContain('dry run, nothing written');
    const bad = await runReleaseExecutor('release', ws.dir, 'base_image', { ...options, tags: 'v1.0.0,bad/tag' });
    expect(bad.success).toBe(false);
    expect(bad.output).toContain('release tag: "bad/tag" is not a valid Docker tag');
    expect(await listTags(registry.url, `${repo}/base_image`)).toEqual(['main']);
  });

  test('release-check reads only: it reports the plan and writes no tag', async () => {
    const repo = 'fornax/check';
    await pushImage(registry.url, `${repo}/tractor`, 'main', { labels: { [REVISION]: c1 } });
    const check = await runReleaseExecutor('release-check', ws.dir, 'tractor', { registry: registry.host, repository: repo, tags: 'v1.0.0', commit: c1 });
    expect(check.success, check.output).toBe(true);
    expect(check.output).toMatch(/tractor: ready to release from/);
    expect(await listTags(registry.url, `${repo}/tractor`)).toEqual(['main']);
  });
});
