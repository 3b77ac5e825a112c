import type { ExecutorContext } from '@nx/devkit';
import { describeStanding, formatPlan } from '../../lib/core/release-plan';
import { writeReleaseRecord } from '../../lib/io/build-record';
import { createRegistryClient } from '../../lib/io/registry/oci-client';
import { batchOf, outcome, type Log } from '../outcome';
import { normalizeReleaseOptions } from './normalize';
import { prepareRelease } from './prepare';
import type { ReleaseExecutorSchema } from './schema';

/** Adds the release tags to one image by copying its manifest bytes; checks first, writes last. */
async function release(options: ReleaseExecutorSchema, context: ExecutorContext, log: Log): Promise<void> {
  const normalized = await normalizeReleaseOptions(options, context, process.env, true);
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
  await writeReleaseRecord(normalized.workspaceRoot, {
    image: normalized.image,
    name: normalized.name,
    sourceTag: plan.sourceTag,
    digest: plan.sourceDigest,
    tags: plan.writes.map((write) => write.tag),
    bases: plan.bases,
    tests: describeStanding(plan.tests),
  });
}

export default function releaseExecutor(options: ReleaseExecutorSchema, context: ExecutorContext): Promise<{ success: boolean }> {
  return outcome(release, options, context);
}

/** Every image's release in one process (executors.json: preferBatch). */
export const releaseBatch = batchOf(release);
