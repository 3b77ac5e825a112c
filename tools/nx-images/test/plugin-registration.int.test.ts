import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { LOCKS_INDEX_FILE } from '../src/lib/core/evidence/locks';
import { readLocks } from '../src/lib/io/locks';
import { createRegistryClient } from '../src/lib/io/registry/oci-client';
import { runCiImages } from './harness/github-run';
import { listTags, readImage } from './harness/read-image';
import { startRegistry, type Registry } from './harness/registry';
import { runReleaseExecutor } from './harness/run-release';
import { digestOf, pushImage } from './harness/seed';
import { createWorkspace, repoRoot, type Workspace } from './harness/workspace';

// The plugin registered by path, with its targets renamed: nx.json's options
// reach every target through createNodes, and CI and the release run the
// targets by their configured names. Then the names images already in
// registries carry under the Fornax project's prefixes are still read.
const REVISION = 'org.opencontainers.image.revision';
const OPTIONS = { buildTargetName: 'image', releaseTargetName: 'tag-release', tagTemplates: ['{branch}', 'sha-{sha:7}'] };
let registry: Registry;
let ws: Workspace;
let head: string;
const repo = 'fornax/by-path';

beforeAll(async () => {
  [registry, ws] = await Promise.all([startRegistry(), createWorkspace({ plugin: 'source' })]);
  const nxJson = JSON.parse(readFileSync(join(repoRoot, 'nx.json'), 'utf8')) as { plugins: { plugin: string; options?: Record<string, unknown> }[] };
  const own = nxJson.plugins.find((entry) => entry.plugin === '@fornax/nx-images')?.options ?? {};
  nxJson.plugins = [{ plugin: './tools/nx-images', options: { ...own, ...OPTIONS } }];
  head = await ws.commit('the plugin by path, targets renamed', { 'nx.json': `${JSON.stringify(nxJson, null, 2)}\n` });
});

afterAll(async () => {
  await registry?.stop();
  await ws?.remove();
});

describe('the plugin registered by path, targets renamed', () => {
  test('nx show project: the renamed targets, with nx.json\'s options in them', async () => {
    const shown = await ws.nx(['show', 'project', 'tractor', '--json']);
    expect(shown.exitCode, shown.all).toBe(0);
    const targets = (JSON.parse(shown.stdout) as { targets: Record<string, { executor?: string; options?: Record<string, unknown>; dependsOn?: unknown[] }> }).targets;
    expect(Object.keys(targets)).toEqual(expect.arrayContaining(['image', 'tag-release', 'release-check', 'publish']));
    expect(targets).not.toHaveProperty('docker-build');
    expect(targets.image).toMatchObject({ executor: '@fornax/nx-images:docker-build', options: { settings: { tagTemplates: OPTIONS.tagTemplates, defaultBranch: 'main' } } });
    expect(targets.image?.dependsOn).toEqual([{ projects: ['base_image'], target: 'image', params: 'forward' }]);
    expect(targets['tag-release']?.dependsOn).toEqual([{ projects: ['tag:type:image'], target: 'release-check', params: 'forward' }]);
  });

  test('ci:images plans and builds through the renamed target; ci:release releases through its renamed one', async () => {
    const built = await runCiImages(ws, { name: 'push', branch: 'main', sha: head }, registry.host, { IMAGE_REPOSITORY: repo });
    expect(built.exitCode, built.all).toBe(0);
    // Planned with `nx affected -t image`, built level by level with the same name.
    expect(built.all).toMatch(/level 1: nx run-many --targets=image --projects=base_image /);
    expect(built.all).toMatch(/level 2: nx run-many --targets=image --projects=tractor /);
    // nx.json's tag template, read through the registration by path: the sha tag is the main tag's digest.
    for (const image of ['base_image', 'tractor']) {
      expect(await listTags(registry.url, `${repo}/${image}`)).toEqual(expect.arrayContaining(['main', `sha-${head.slice(0, 7)}`]));
      const main = await readImage(registry.url, `${repo}/${image}`, 'main');
      expect(main?.labels[REVISION]).toBe(head);
      expect((await readImage(registry.url, `${repo}/${image}`, `sha-${head.slice(0, 7)}`))?.digest).toBe(main?.digest);
    }

    const event = join(ws.dir, 'release-event.json');
    await writeFile(event, JSON.stringify({ action: 'published', release: { tag_name: 'v1.0.0', target_commitish: 'main', prerelease: false }, repository: { default_branch: 'main' } }));
    const entry = ['--require', '@swc-node/register', 'tools/nx-images/src/ci/release.ts'];
    const released = await ws.exec(process.execPath, entry, { GITHUB_EVENT_NAME: 'release', GITHUB_EVENT_PATH: event, GITHUB_SHA: head, IMAGE_REGISTRY: registry.host, IMAGE_REPOSITORY: repo });
    expect(released.exitCode, released.all).toBe(0);
    expect(released.all).toContain('nx run-many --targets=tag-release');
    for (const image of ['base_image', 'tractor']) {
      expect(await digestOf(registry.url, `${repo}/${image}`, 'v1.0.0')).toBe(await digestOf(registry.url, `${repo}/${image}`, 'main'));
    }
  });
});

describe('artifacts and labels under the legacy Fornax names are still read', () => {
  const LEGACY_LOCKS = 'application/vnd.fornax.environment-locks.v1+json';
  const LEGACY_LOCK_FILES = 'io.github.nasa-fornax.images.lock-files';

  test('a lock set attached by hand under the legacy type lets the release pass, and is read back', async () => {
    const legacyRepo = 'fornax/legacy';
    const client = createRegistryClient({ registry: registry.host });
    const seeded = await pushImage(registry.url, `${legacyRepo}/base_image`, 'main', { labels: { [REVISION]: head, 'io.github.nasa-fornax.images.bases': '[]' }, locks: false });
    const bare = await pushImage(registry.url, `${legacyRepo}/tractor`, 'main', { labels: { [REVISION]: head }, locks: false });
    const index = { image: 'base_image', files: ['base.txt', 'pip.txt'] };
    await client.attach(`${legacyRepo}/base_image`, seeded.digest, {
      artifactType: LEGACY_LOCKS,
      files: [
        { title: LOCKS_INDEX_FILE, mediaType: 'application/json', bytes: Buffer.from(JSON.stringify(index)) },
        { title: 'base.txt', mediaType: 'text/plain', bytes: Buffer.from('@EXPLICIT\n') },
        { title: 'pip.txt', mediaType: 'text/plain', bytes: Buffer.from('numpy==2.0.0\n') },
      ],
      annotations: { [LEGACY_LOCK_FILES]: '2' },
    });

    const read = await readLocks(client, `${legacyRepo}/base_image`, seeded.digest);
    expect(read?.files.map((file) => [file.name, file.bytes.toString()])).toEqual([['base.txt', '@EXPLICIT\n'], ['pip.txt', 'numpy==2.0.0\n']]);

    const options = { registry: registry.host, repository: legacyRepo, commit: head, tags: 'v0.9.0' };
    const released = await runReleaseExecutor('release', ws.dir, 'base_image', options);
    expect(released.success, released.output).toBe(true);
    expect(await digestOf(registry.url, `${legacyRepo}/base_image`, 'v0.9.0')).toBe(seeded.digest);
    // The control: an image with no lock set under any name is refused.
    const refused = await runReleaseExecutor('release', ws.dir, 'tractor', options);
    expect(refused.success).toBe(false);
    expect(refused.output).toContain('has no environment lock set attached');
    expect(await digestOf(registry.url, `${legacyRepo}/tractor`, 'v0.9.0')).toBeUndefined();
    expect(bare.digest).toMatch(/^sha256:/);
  });
});
