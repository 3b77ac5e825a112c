import type { ExecutorContext } from '@nx/devkit';
import { describeStanding, formatPlan } from '../../lib/core/release/release-plan';
import { lockArchiveDir, writeReleaseRecord } from '../../lib/io/build-record';
import { readLocks, writeLockArchive } from '../../lib/io/locks';
import { compressedSize } from '../../lib/io/registry/copy';
import { relative } from 'node:path';
import { createRegistryClient } from '../../lib/io/registry/oci-client';
import { batchOf, outcome, taskOf, type Log } from '../outcome';
import { UserError } from '../../lib/core/errors';
import { parseNotifyUrls, resolveMirrors } from '../../lib/core/publish/publish';
import { prepareRelease } from '../../lib/io/prepare-release';
import { publishImage, type PublishRecord } from '../../lib/io/publish';
import { releaseChanges, writeReleaseChanges } from '../../lib/io/release-changes';
import { normalizeReleaseOptions, type NormalizedReleaseOptions } from '../../lib/io/release-options';
import type { ReleaseExecutorSchema } from './schema';

/** Adds the release tags to one image by copying its manifest bytes; checks first, writes last. */
async function release(options: ReleaseExecutorSchema, context: ExecutorContext, log: Log): Promise<void> {
  const task = taskOf(context, 'release');
  const normalized = await normalizeReleaseOptions(options, { ...task, projectRoot: task.projectRoot ?? '.' }, process.env, true);
  const client = createRegistryClient({ registry: normalized.registry, insecure: normalized.insecure, log: log.info });
  const plan = await prepareRelease(normalized, client);
  for (const line of formatPlan(plan, normalized.dryRun)) log.info(line);
  if (normalized.dryRun) {
    log.info(`${normalized.image}: dry run, nothing written.`);
    return;
  }
  const manifest = await client.getManifest(normalized.repoPath, plan.sourceDigest);
  for (const write of plan.writes) {
    if (write.action === 'keep') continue;
    await client.retag(normalized.repoPath, manifest, write.tag);
    log.info(`${normalized.name}:${write.tag} -> ${manifest.digest} (read back)`);
  }
  const changed = plan.writes.filter((write) => write.action !== 'keep').length;
  log.info(`${normalized.image}: released, ${changed} tag(s) written, ${plan.writes.length - changed} already in place.`);
  // What went into it: the lock set attached to the digest, as one archive (even an empty one says so).
  const releaseTag = plan.writes[0]?.tag ?? normalized.tags[0] ?? plan.sourceTag;
  const lockSet = (await readLocks(client, normalized.repoPath, plan.sourceDigest)) ?? {
    index: { image: normalized.image, files: [], note: 'no lock set was attached to this digest; it was released with --allowMissingLocks' },
    files: [],
  };
  const archive = await writeLockArchive(lockArchiveDir(normalized.workspaceRoot), normalized.image, releaseTag, plan.sourceDigest, lockSet);
  log.info(`${normalized.image}: lock files (${lockSet.files.length}) in ${relative(normalized.workspaceRoot, archive)}`);
  const size = await compressedSize(client, normalized.repoPath, plan.sourceDigest);
  const changes = await releaseChanges(normalized, client, plan.sourceDigest);
  // Then beyond the primary: the release tags to every mirror, and the endpoints told. A failure here undoes nothing above.
  const published = await publishRelease(normalized, plan.writes.map((write) => write.tag), log);
  await writeReleaseRecord(normalized.workspaceRoot, {
    image: normalized.image,
    name: normalized.name,
    sourceTag: plan.sourceTag,
    digest: plan.sourceDigest,
    tags: plan.writes.map((write) => write.tag),
    bases: plan.bases,
    tests: describeStanding(plan.tests),
    compressedSize: size,
    locks: { archive: relative(normalized.workspaceRoot, archive), files: lockSet.files.length, ...(lockSet.index.note ? { note: lockSet.index.note } : {}) },
    ...(published ? { mirrors: published.mirrors } : {}),
    changes,
  });
  const changesFile = await writeReleaseChanges(normalized.workspaceRoot, changes.release);
  log.info(`${normalized.image}: ${changes.previous ? `changes since ${changes.previous.tag}` : changes.note ?? 'first release'}, in ${relative(normalized.workspaceRoot, changesFile)}`);
  if (published && published.errors.length > 0) {
    const first = published.errors[0].replace(`${normalized.image}: `, '').replace(/\.$/, '');
    throw new UserError({
      subject: normalized.image,
      problem: `${first}${published.errors.length > 1 ? ` (and ${published.errors.length - 1} more above)` : ''}; the release tags are in ${normalized.registry}`,
      fix: 'run the release again to complete',
    });
  }
}

/** The release tags copied to every mirror and announced; undefined when there is no mirror and no endpoint. */
async function publishRelease(normalized: NormalizedReleaseOptions, tags: string[], log: Log): Promise<PublishRecord | undefined> {
  const primary = { registry: normalized.registry, repository: normalized.repository };
  const mirrors = resolveMirrors({ option: normalized.mirrors, env: process.env, primary });
  const endpoints = parseNotifyUrls(process.env.IMAGE_NOTIFY_URLS);
  if (mirrors.length === 0 && endpoints.length === 0) return undefined;
  return publishImage({ image: normalized.image, primary, tags, mirrors, endpoints, notify: 'always', log: log.info });
}

export default function releaseExecutor(options: ReleaseExecutorSchema, context: ExecutorContext): Promise<{ success: boolean }> {
  return outcome(release, options, context);
}

/** Every image's release in one process (executors.json: preferBatch). */
export const releaseBatch = batchOf(release);
