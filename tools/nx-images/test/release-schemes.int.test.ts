import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRegistry, type Registry } from './harness/registry';
import { runReleaseExecutor } from './harness/run-release';
import { digestOf, listTags, pushImage } from './harness/seed';
import { createWorkspace, repoRoot, type Workspace } from './harness/workspace';

// Version schemes and promotion against the real Distribution registry on
// loopback: every result is read back as which tag points at which digest.
const REVISION = 'org.opencontainers.image.revision';
let registry: Registry;
/** The repository's own nx.json: semver, the default. */
let ws: Workspace;
/** Fornax's: calendar versions in nx.json. */
let fornax: Workspace;
let c1: string;
let fornaxCommit: string;

beforeAll(async () => {
  registry = await startRegistry();
  ws = await createWorkspace();
  c1 = await ws.git('rev-parse', 'HEAD');
  const nxJson = JSON.parse(readFileSync(join(repoRoot, 'nx.json'), 'utf8')) as { plugins: { plugin: string; options?: Record<string, unknown> }[] };
  const own = nxJson.plugins.find((entry) => entry.plugin === '@fornax/nx-images')?.options ?? {};
  fornax = await createWorkspace({ pluginOptions: { ...own, versionScheme: 'calver' } });
  fornaxCommit = await fornax.git('rev-parse', 'HEAD');
});

afterAll(async () => {
  await registry?.stop();
  await ws?.remove();
  await fornax?.remove();
});

/** One image's tags, each with the digest it points at, read back from the registry. */
async function tagDigests(repoPath: string): Promise<Record<string, string | undefined>> {
  const result: Record<string, string | undefined> = {};
  for (const tag of await listTags(registry.url, repoPath)) result[tag] = await digestOf(registry.url, repoPath, tag);
  return result;
}

/** Pushes a new build of base_image under `tag`, built from `revision`; each call a new digest. */
async function build(repo: string, tag: string, revision = c1): Promise<string> {
  return (await pushImage(registry.url, `${repo}/base_image`, tag, { labels: { [REVISION]: revision } })).digest;
}

describe('release under each version scheme', () => {
  test('calver: 26.0630, then 26.1001, then the backport 26.0715 leaves stable on 26.1001', async () => {
    const repo = 'fornax/calver';
    const options = { registry: registry.host, repository: repo, commit: c1, versionScheme: 'calver' as const };
    const june = await build(repo, 'main');
    expect((await runReleaseExecutor('release', ws.dir, 'base_image', { ...options, tags: '26.0630,stable' })).success).toBe(true);
    const october = await build(repo, 'main');
    const moved = await runReleaseExecutor('release', ws.dir, 'base_image', { ...options, tags: '26.1001,stable' });
    expect(moved.success, moved.output).toBe(true);
    expect(moved.output).toContain(`stable: move ${october.slice(0, 19)} (from ${june.slice(0, 19)})`);
    const july = await build(repo, 'main');

    const backport = await runReleaseExecutor('release', ws.dir, 'base_image', { ...options, tags: ['26.0715', 'stable'] });
    expect(backport.success, backport.output).toBe(true);
    expect(backport.output).toContain('stable: left as is, it carries 26.1001, which is newer than 26.0715; stable only moves forward');
    expect(await tagDigests(`${repo}/base_image`)).toEqual({ main: july, '26.0630': june, '26.1001': october, '26.0715': july, stable: october });

    // A later calendar date with more components still moves it: 2026.10.2 > 26.1001.
    expect((await runReleaseExecutor('release', ws.dir, 'base_image', { ...options, tags: 'v2026.10.2,stable' })).success).toBe(true);
    expect(await digestOf(registry.url, `${repo}/base_image`, 'stable')).toBe(july);
  });

  test('pattern: release-1-10 is above release-1-9 (numbers, not text); release-1-2 is a backport', async () => {
    const repo = 'fornax/pattern';
    const options = { registry: registry.host, repository: repo, commit: c1, versionPattern: '^release-(\\d+)-(\\d+)$' };
    const nine = await build(repo, 'main');
    expect((await runReleaseExecutor('release', ws.dir, 'base_image', { ...options, tags: 'release-1-9,stable' })).success).toBe(true);
    const ten = await build(repo, 'main');
    expect((await runReleaseExecutor('release', ws.dir, 'base_image', { ...options, tags: 'release-1-10,stable' })).success).toBe(true);
    const two = await build(repo, 'main');
    const backport = await runReleaseExecutor('release', ws.dir, 'base_image', { ...options, tags: 'release-1-2,stable' });
    expect(backport.success, backport.output).toBe(true);
    expect(backport.output).toContain('stable: left as is, it carries release-1-10, which is newer than release-1-2');
    expect(await tagDigests(`${repo}/base_image`)).toEqual({ main: two, 'release-1-9': nine, 'release-1-10': ten, 'release-1-2': two, stable: ten });
  });

  test('semver stays the default: v0.10.0 is above v0.9.0, and a calver-looking 26.0630 is refused', async () => {
    const repo = 'fornax/semver';
    const options = { registry: registry.host, repository: repo, commit: c1 };
    const nine = await build(repo, 'main');
    expect((await runReleaseExecutor('release', ws.dir, 'base_image', { ...options, tags: 'v0.9.0,stable' })).success).toBe(true);
    const ten = await build(repo, 'main');
    expect((await runReleaseExecutor('release', ws.dir, 'base_image', { ...options, tags: 'v0.10.0,stable' })).success).toBe(true);
    const refused = await runReleaseExecutor('release', ws.dir, 'base_image', { ...options, tags: '26.0630,stable' });
    expect(refused.success).toBe(false);
    expect(refused.output).toContain('release tag: "26.0630" is not a semver version (write it like v1.2.3 or 1.2.3): name the release that way, or set "versionScheme": "calver"');
    expect(await tagDigests(`${repo}/base_image`)).toEqual({ main: ten, 'v0.9.0': nine, 'v0.10.0': ten, stable: ten });
  });
});

describe('tags that do not fit the scheme are refused with nothing written', () => {
  test.each<[string, Record<string, string>, string]>([
    ['a semver tag under calver', { tags: 'v1.2.3,stable', versionScheme: 'calver' }, 'release tag: "v1.2.3" is not a calver version (write it like 26.0630 or 2026.06.30'],
    ['two versions at once', { tags: '26.0630,26.0701,stable', versionScheme: 'calver' }, 'release tags: "26.0630" and "26.0701" are all calver versions: release one version at a time'],
    ['stable with no version', { tags: 'main,stable', versionScheme: 'calver', sourceTag: 'develop' }, 'move stable but hold no calver version'],
    ['a pattern with no group', { tags: 'release-1,stable', versionPattern: '^release-\\d+$' }, 'option --versionPattern: "^release-\\\\d+$" has no capture group'],
  ])('%s', async (_case, extra, message) => {
    const repo = `fornax/refused-${Math.random().toString(36).slice(2, 8)}`;
    await build(repo, 'main');
    await build(repo, 'develop');
    for (const which of ['release-check', 'release'] as const) {
      const result = await runReleaseExecutor(which, ws.dir, 'base_image', { registry: registry.host, repository: repo, commit: c1, ...extra });
      expect(result.success).toBe(false);
      expect(result.output).toContain(message);
    }
    expect(await listTags(registry.url, `${repo}/base_image`)).toEqual(['develop', 'main']);
  });

  test('a develop built from a commit the release does not contain is refused by the revision check', async () => {
    const repo = 'fornax/promote-stale';
    const elsewhere = await ws.git('commit-tree', 'HEAD^{tree}', '-p', 'HEAD', '-m', 'develop only');
    await build(repo, 'main');
    await build(repo, 'develop', elsewhere);
    const options = { registry: registry.host, repository: repo, commit: c1, sourceTag: 'develop', tags: '26.0630,main,stable', versionScheme: 'calver' as const };
    for (const which of ['release-check', 'release'] as const) {
      const result = await runReleaseExecutor(which, ws.dir, 'base_image', options);
      expect(result.success).toBe(false);
      expect(result.output).toContain(`base_image: develop was built from ${elsewhere.slice(0, 12)}, which is not the release commit ${c1.slice(0, 12)} nor an ancestor of it`);
    }
    expect(await listTags(registry.url, `${repo}/base_image`)).toEqual(['develop', 'main']);
  });
});

describe('promotion from develop (Fornax: calver in nx.json)', () => {
  // The one nx run-many of this file (slow on a busy machine); under semver 26.1001 would be refused, so it also proves nx.json's calver is read.
  test('npm run ci:release with RELEASE_SOURCE_TAG=develop and RELEASE_PROMOTE_TAGS=main: every image\'s develop becomes the version, main and stable', async () => {
    const repo = 'fornax/ci-promote';
    const develop: Record<string, string> = {};
    for (const image of ['base_image', 'tractor']) {
      const main = await pushImage(registry.url, `${repo}/${image}`, 'main', { labels: { [REVISION]: fornaxCommit } });
      develop[image] = (await pushImage(registry.url, `${repo}/${image}`, 'develop', { labels: { [REVISION]: fornaxCommit, build: 'develop' } })).digest;
      expect(develop[image]).not.toBe(main.digest);
    }
    const event = join(fornax.dir, 'event.json');
    await writeFile(event, JSON.stringify({ action: 'published', release: { tag_name: '26.1001', target_commitish: 'main', prerelease: false }, repository: { default_branch: 'main' } }));
    const env = {
      GITHUB_EVENT_NAME: 'release', GITHUB_EVENT_PATH: event, GITHUB_SHA: fornaxCommit, IMAGE_REGISTRY: registry.host, IMAGE_REPOSITORY: repo,
      RELEASE_SOURCE_TAG: 'develop', RELEASE_PROMOTE_TAGS: 'main',
    };
    const result = await fornax.exec('npm', ['run', '--silent', 'ci:release'], env);
    expect(result.exitCode, result.all).toBe(0);
    expect(result.all).toContain(`release 26.1001: every image's develop (built from ${fornaxCommit.slice(0, 12)}) gets 26.1001, main and stable`);
    for (const image of ['base_image', 'tractor']) {
      const digest = develop[image];
      expect(await tagDigests(`${repo}/${image}`)).toEqual({ develop: digest, main: digest, stable: digest, '26.1001': digest });
    }
  });
});
