import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { readFanoutPlan, type FanoutPlan } from '../lib/core/ci/fanout';
import type { PlannedImage } from '../lib/core/ci/ci-plan';
import { imageIndex, OCI_INDEX, type PlatformImage } from '../lib/core/build/image-index';
import { UserError } from '../lib/core/errors';
import { sha256 } from '../lib/core/evidence/oci-artifact';
import { parsePlatform, platformSlug } from '../lib/core/naming/platforms';
import { parseReference } from '../lib/core/naming/refs';
import { readBuildRecord, readOutcomeRecord, testReportDir, writeBuildRecord, writeOutcomeRecord, type BuildRecord, type OutcomeRecord } from '../lib/io/build-record';
import { createRegistryClient, type FullRegistryClient } from '../lib/io/registry/oci-client';
import { newerPushUnder } from '../lib/io/revision';
import { writeTagsOnce } from '../lib/io/tags-once';
import { partDir } from './build-one';
import { differencesFile } from './step-summary';

/** One platform job's end for one image, as its records in dist/ci-platforms/ say. */
interface Part {
  platform: string;
  outcome?: OutcomeRecord;
  record?: BuildRecord;
}

/**
 * `npm run ci:images -- --merge`: the merge job of level LEVEL. For each
 * image of the level that builds for several platforms, it reads what each
 * platform job left (dist/ci-platforms/, downloaded from their artifacts)
 * and, only when every platform was built and tested, writes one OCI index
 * of their manifests inside the registry, by digest and then under the
 * image's tags and per-build tags: nothing is pulled or pushed again. A
 * platform that failed, was skipped or left no record writes nothing, so
 * no tag moves and no platform is published alone; the image's outcome
 * names the platform. A pull request pushes nothing: the image's outcome
 * and records are gathered the same way. Exit code: 1 when an image failed
 * or is stale, else 0; each image's outcome is left in dist/ci-images/ for
 * the summary job, as an image job leaves it.
 */
export async function mergeLevel(cwd: string, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<number> {
  const plan = readFanoutPlan(env.IMAGES_PLAN);
  const level = Number(env.LEVEL);
  if (!Number.isInteger(level) || level < 1 || level > plan.levels.length) {
    throw new UserError({ subject: 'ci:images', problem: `LEVEL=${JSON.stringify(env.LEVEL ?? '')} is not a level of this plan`, fix: `give a number from 1 to ${plan.levels.length}` });
  }
  const images = plan.images.filter((entry) => entry.level === level && (entry.platforms?.length ?? 0) > 1);
  if (images.length === 0) log(`ci:images: level ${level}: no image builds for several platforms; nothing to merge`);
  const client = createRegistryClient({ registry: plan.registry, retry: { attempts: 3 } });
  let code = 0;
  for (const entry of images) {
    const outcome = await mergeImage(cwd, plan, entry, client, log);
    await writeOutcomeRecord(cwd, outcome);
    log(`ci:images: ${entry.image}: ${outcome.outcome}${outcome.reason ? `: ${outcome.reason}` : ''}`);
    if (outcome.outcome === 'failed' || outcome.outcome === 'stale') code = 1;
  }
  return code;
}

async function mergeImage(cwd: string, plan: FanoutPlan, entry: PlannedImage, client: FullRegistryClient, log: (line: string) => void): Promise<OutcomeRecord> {
  const { image } = entry;
  const platforms = entry.platforms ?? [];
  const parts: Part[] = [];
  for (const platform of platforms) {
    const dir = partDir(cwd, image, platform);
    const [outcome, record] = await Promise.all([readOutcomeRecord(dir, image), readBuildRecord(dir, image)]);
    parts.push({ platform, ...(outcome ? { outcome } : {}), ...(record ? { record } : {}) });
  }
  const undone = refusal(parts, platforms);
  if (undone) return { image, ...undone };
  const records = parts.flatMap((part) => (part.record ? [{ platform: part.platform, record: part.record }] : []));
  const [first] = records;
  if (!first || records.length !== platforms.length) return { image, outcome: 'failed', reason: 'a platform job left no build record' };
  await gatherEvidence(cwd, image, parts);

  // The earliest platform's start: the image took as long as its slowest platform from then.
  const [startedAt] = records.flatMap(({ record }) => (record.startedAt ? [record.startedAt] : [])).sort();
  const skippedPush = records.find(({ record }) => record.skippedPush)?.record.skippedPush;
  // The first platform's record stands for the image, less what was its own: its digest, its per-build tags to come, its reuse digest.
  const { part: _part, digest: _digest, buildTags: _buildTags, reuseKey: _reuseKey, reused, ...shared } = first.record;
  const combined: BuildRecord = {
    ...shared,
    // Reused as a whole only when every platform was: the index is then the one an earlier push wrote.
    ...(reused && records.every(({ record }) => record.reused) ? { reused } : {}),
    platforms: records.map(({ platform, record }) => ({ platform, ...(record.digest ? { digest: record.digest } : {}), ...(record.imageId ? { imageId: record.imageId } : {}) })),
    ...(startedAt ? { startedAt } : {}),
    finishedAt: new Date().toISOString(),
  };
  if (!plan.push || skippedPush) {
    // A pull request pushes nothing; a platform that found a newer push under the tag pushed nothing either.
    await writeBuildRecord(cwd, { ...combined, pushed: false, ...(skippedPush ? { skippedPush } : {}) });
    return { image, outcome: 'built' };
  }

  const repoPath = `${plan.repository}/${first.record.image}`;
  const name = `${plan.registry}/${repoPath}`;
  // The platform jobs checked the tag before they built, minutes ago: a newer run may have moved it since.
  const newer = await newerPushUnder(client, cwd, { repoPath, tag: first.record.tag, revision: first.record.revision, branch: plan.branch, name }, (line) => log(`ci:images: ${image}: ${line}`));
  if (newer) {
    await writeBuildRecord(cwd, { ...combined, pushed: false, skippedPush: newer });
    log(`ci:images: ${image}: no index written and no tag moved, as a newer run pushed there`);
    return { image, outcome: 'built' };
  }
  const images: PlatformImage[] = [];
  for (const { platform, record } of records) {
    const parsed = parsePlatform(platform);
    if (!record.digest || !record.part || !parsed) return { image, outcome: 'failed', reason: `its ${platform} job recorded no digest pushed by digest only` };
    // Read back: the manifest the platform job pushed is in the registry, and is what the index will list.
    const manifest = await client.getManifest(repoPath, record.digest);
    images.push({ mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.bytes.length, platform: parsed });
  }
  const bytes = imageIndex(images);
  const { digest } = await client.writeManifest(repoPath, sha256(bytes), { bytes, mediaType: OCI_INDEX });
  const index = { bytes, mediaType: OCI_INDEX, digest };
  const tags = [...new Set(first.record.references.map((reference) => parseReference(reference).tag).filter((tag): tag is string => tag !== undefined))];
  for (const tag of tags) await client.retag(repoPath, index, tag);
  log(`ci:images: ${image}: index ${digest} of ${platforms.join(', ')} written under ${tags.map((tag) => `${name}:${tag}`).join(', ')}`);
  const buildTags = await writeTagsOnce({ project: image, name, repoPath, tags: first.record.part?.buildTags ?? [], digest, client, log });
  await writeBuildRecord(cwd, { ...combined, pushed: true, digest, ...(buildTags.length > 0 ? { buildTags } : {}) });
  return { image, outcome: 'built' };
}

/**
 * Why the image's index is not written, when it is not: a platform that
 * failed (its reason, first), then one that is stale, then one that was
 * skipped, then one whose job left no record (cancelled, or its runner
 * lost). Undefined when every platform was built.
 */
function refusal(parts: readonly Part[], platforms: readonly string[]): Omit<OutcomeRecord, 'image'> | undefined {
  const others = (platform: string) => platforms.filter((other) => other !== platform).join(', ');
  const unmoved = (platform: string) => `no tag moved, and ${others(platform)} is not published alone`;
  for (const kind of ['failed', 'stale', 'skipped'] as const) {
    const found = parts.find((part) => part.outcome?.outcome === kind);
    if (found) return { outcome: kind, reason: `${found.platform}: ${found.outcome?.reason ?? kind}; ${unmoved(found.platform)}` };
  }
  const silent = parts.find((part) => !part.outcome);
  if (silent) return { outcome: 'failed', reason: `${silent.platform}: its job left no record (cancelled, or it stopped before building); ${unmoved(silent.platform)}` };
  return undefined;
}

/** Each platform's test report under dist/image-test/<image>/<os-arch>/, and their differences (a pull request's) in one section, platform by platform. */
async function gatherEvidence(cwd: string, image: string, parts: readonly Part[]): Promise<void> {
  const sections: string[] = [];
  for (const { platform } of parts) {
    const dir = partDir(cwd, image, platform);
    await cp(testReportDir(dir, image), join(testReportDir(cwd, image), platformSlug(platform)), { recursive: true }).catch(() => undefined);
    const differences = await readFile(differencesFile(dir, image), 'utf8').catch(() => undefined);
    if (differences !== undefined) sections.push(differences.replace(/^(#### .*)$/m, `$1 (${platform})`));
  }
  if (sections.length === 0) return;
  const file = differencesFile(cwd, image);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, sections.join('\n'));
}
