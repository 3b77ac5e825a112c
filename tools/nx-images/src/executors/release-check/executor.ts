import type { ExecutorContext } from '@nx/devkit';
import { formatPlan } from '../../lib/core/release-plan';
import { createRegistryClient } from '../../lib/io/registry/oci-client';
import { batchOf, outcome, type Log } from '../outcome';
import { normalizeReleaseOptions } from '../release/normalize';
import { prepareRelease } from '../release/prepare';
import type { ReleaseCheckExecutorSchema } from './schema';

/** Every read-only check of a release of one image; every `release` depends on this target of every image. */
async function releaseCheck(options: ReleaseCheckExecutorSchema, context: ExecutorContext, log: Log): Promise<void> {
  const normalized = await normalizeReleaseOptions(options, context, process.env, false);
  const client = createRegistryClient({ registry: normalized.registry, insecure: normalized.insecure, log: log.info });
  const plan = await prepareRelease(normalized, client);
  for (const line of formatPlan(plan, true)) log.info(line);
  log.info(`${normalized.image}: ready to release from ${normalized.commit.slice(0, 12)}.`);
}

export default function releaseCheckExecutor(options: ReleaseCheckExecutorSchema, context: ExecutorContext): Promise<{ success: boolean }> {
  return outcome(releaseCheck, options, context);
}

/** Every image's check in one process (executors.json: preferBatch). */
export const releaseCheckBatch = batchOf(releaseCheck);
