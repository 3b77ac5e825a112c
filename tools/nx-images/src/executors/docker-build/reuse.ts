import { dirname, relative } from 'node:path';
import type { ResolvedBase } from '../../lib/core/dockerfile/bases';
import { buildInputs, digestOf } from '../../lib/core/inputs/build-inputs';
import { perBuildArgNames, reuseDigest, type ReuseKey, type ReuseRecord } from '../../lib/core/inputs/reuse';
import { imageName } from '../../lib/core/naming/refs';
import { shortSha } from '../../lib/core/naming/conventions';
import type { TestResult } from '../../lib/core/evidence/image-tests';
import type { BuildTagRecord } from '../../lib/io/build-record';
import { treeOnDisk } from '../../lib/io/input-trees';
import type { Suite } from '../../lib/io/image-tests';
import { readInventory } from '../../lib/io/inventory';
import type { OutsideBase } from '../../lib/io/outside-bases';
import { findReusable, recordReusable } from '../../lib/io/reuse';
import type { PlatformImage } from '../../lib/core/build/image-index';
import { manifestPlatform } from './platform-bases';
import { platformOf } from '../../lib/core/naming/platforms';
import type { Inventory } from '../../lib/core/evidence/inventory';
import { isIndexMediaType, type FullRegistryClient } from '../../lib/io/registry/oci-client';
import { log } from '../outcome';
import { writeBuildTags } from './build-tags';
import type { NormalizedBuild } from './normalize';

/** What a reused build took from the registry: the image an earlier push built from the same inputs on the same bases. */
export interface Reused extends ReuseRecord {
  /** The reuse digest both builds share. */
  key: string;
  /** The per-build tags written onto it for this push. */
  buildTags: BuildTagRecord[];
}

/**
 * The reuse digest of a build about to run (core/inputs/reuse.ts): what it
 * reads from the disk, as the engine would get it (files a step before the
 * build made included), with its bases as pinned.
 */
export async function reuseKeyOf(build: NormalizedBuild, resolved: readonly ResolvedBase[], outside: readonly OutsideBase[], workspaceRoot: string, suites: readonly Suite[]): Promise<string> {
  const context = relative(workspaceRoot, build.context);
  const dockerfile = relative(workspaceRoot, build.file);
  const folders = [context, ...(dockerfile.startsWith(`${context}/`) || context === '' ? [] : [dirname(dockerfile)])];
  const inputs = buildInputs({ context, dockerfile, settings: null }, await treeOnDisk(workspaceRoot, folders));
  const perBuild = new Set(perBuildArgNames(build.buildArgNames, Object.keys(build.templatedArgs)));
  const buildArgs = Object.fromEntries(Object.entries(build.buildArgs).filter(([name]) => !perBuild.has(name)));
  const parts: ReuseKey = {
    inputs: inputs ?? { files: [], digest: 'none', settings: 'none' },
    bases: resolved.map((base) => ({ image: base.image, ...(base.digest ? { digest: base.digest } : {}), ...(base.id ? { id: base.id } : {}) })),
    // An outside image not resolved is read by its tag, whatever that names then: no key matches it.
    outside: outside.map((base) => [base.reference, base.platformDigest ?? base.digest ?? `unresolved ${Date.now()}`] as const),
    platforms: build.platforms,
    buildArgs,
    argTemplates: build.argTemplates,
    ...(build.target ? { target: build.target } : {}),
    lockCommand: build.lockCommand,
    ...(suites.length > 0 ? { tests: await testsDigest(workspaceRoot, suites) } : {}),
  };
  return reuseDigest(parts);
}

/** The tests an image runs before its push, as files on the disk and the commands that run them (one command as before lists were: the same key). */
async function testsDigest(workspaceRoot: string, suites: readonly Suite[]): Promise<string> {
  const folders = [...new Set(suites.flatMap((suite) => [suite.mount, ...suite.paths]).map((path) => relative(workspaceRoot, path)))];
  const tree = await treeOnDisk(workspaceRoot, folders);
  return digestOf({ files: tree.files.map((file) => [file.path, file.mode, file.id]), suites: suites.map((suite) => [suite.name, suite.run, suite.commands.length === 1 ? suite.commands[0] : suite.commands]) });
}

/**
 * The image an earlier push built and tested from the same reuse digest,
 * given this push's tags inside the registry (the branch's, the extra ones,
 * the per-build ones), with no build and no push of layers; undefined when
 * the registry has none, and the build runs. Its evidence (tests, locks,
 * inventory, SBOM) is already attached to its digest.
 */
export async function reuseFromRegistry(build: NormalizedBuild, client: FullRegistryClient, key: string): Promise<Reused | undefined> {
  const repoPath = `${build.repository}/${build.image}`;
  const found = await findReusable(client, repoPath, key);
  if (!found) return undefined;
  const manifest = await client.getManifest(repoPath, found.subject);
  for (const reference of build.references) await client.retag(repoPath, manifest, reference.slice(reference.lastIndexOf(':') + 1));
  const inventory = build.inventoryTags.length > 0 ? await readInventory(client, repoPath, found.subject) : undefined;
  const buildTags = await writeBuildTags(build, client, found.subject, inventory);
  log.info(
    `${build.project}: reused ${imageName(build)}@${found.subject}, built from the same inputs on the same bases by ${found.reference} (${shortSha(found.revision)}) in ${found.seconds} s: ${build.references.join(', ')} now name it`,
  );
  return { ...found, key, buildTags };
}

/** One platform of a multi-platform build taken from the registry: the manifest its index lists, and what the earlier push recorded. */
export interface ReusedPlatform extends ReuseRecord {
  key: string;
  image: PlatformImage;
  inventory?: Inventory;
}

/**
 * The platform manifest an earlier push built and tested from the same
 * reuse digest (one platform's: its bases are that platform's manifests),
 * read back with the platform its config declares, so that an index of
 * reused platforms is byte for byte the index they were first listed in.
 * Nothing is tagged here: the index is, once every platform is at hand.
 */
export async function reusePlatform(build: NormalizedBuild, client: FullRegistryClient, key: string): Promise<ReusedPlatform | undefined> {
  const repoPath = `${build.repository}/${build.image}`;
  const found = await findReusable(client, repoPath, key);
  if (!found) return undefined;
  const manifest = await client.getManifest(repoPath, found.subject);
  // A record whose image is not one platform's manifest is not taken: the build runs.
  if (isIndexMediaType(manifest.mediaType)) return undefined;
  const platform = await manifestPlatform(client, repoPath, JSON.parse(manifest.bytes.toString('utf8')) as unknown);
  if (!platform) return undefined;
  const inventory = build.inventoryTags.length > 0 ? await readInventory(client, repoPath, found.subject) : undefined;
  log.info(
    `${build.project}: ${platformOf(platform)}: reused ${imageName(build)}@${found.subject}, built from the same inputs on the same bases by ${found.reference} (${shortSha(found.revision)}) in ${found.seconds} s`,
  );
  return { ...found, key, image: { mediaType: manifest.mediaType, digest: found.subject, size: manifest.bytes.length, platform }, ...(inventory ? { inventory } : {}) };
}

/**
 * Records a pushed build for reuse, once it is one a later push may take:
 * its tests passed, or it has none (an image pushed with its tests skipped
 * is never reused).
 */
export async function recordForReuse(build: NormalizedBuild, client: FullRegistryClient, key: string, pushed: { digest: string; startedAt?: string; tests?: TestResult; hasTests: boolean }): Promise<void> {
  const tests = pushed.tests?.result === 'passed' ? 'passed' : !pushed.hasTests ? 'none' : undefined;
  if (tests === undefined) {
    log.info(`${build.project}: not recorded for reuse: its tests did not pass before the push (${pushed.tests?.result ?? 'not run'})`);
    return;
  }
  const repoPath = `${build.repository}/${build.image}`;
  const subject = await client.getManifest(repoPath, pushed.digest);
  const startedAt = pushed.startedAt ?? new Date().toISOString();
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(startedAt)) / 1000));
  await recordReusable(client, repoPath, key, {
    subject: { digest: subject.digest, mediaType: subject.mediaType, size: subject.bytes.length },
    revision: build.revision,
    reference: build.references[0] ?? '',
    builtAt: startedAt,
    seconds,
    tests,
  });
  log.info(`${build.project}: recorded for reuse as ${key.slice(0, 19)}...: a later push of the same inputs on the same bases takes this image`);
}
