import type { ExecutorContext } from '@nx/devkit';
import { formatPlan } from '../../lib/core/release/release-plan';
import { mirrorName, parseNotifyUrls, resolveMirrors } from '../../lib/core/publish/publish';
import { prepareRelease } from '../../lib/io/prepare-release';
import { createRegistryClient } from '../../lib/io/registry/oci-client';
import { normalizeReleaseOptions, type ReleaseOptions } from '../../lib/io/release-options';
import { batchOf, outcome, taskOf, type Log } from '../outcome';

/** Every read-only check of a release of one image; every `release` depends on this target of every image. Its options are the release's (one schema, executors.json). */
async function releaseCheck(options: ReleaseOptions, context: ExecutorContext, log: Log): Promise<void> {
  const task = taskOf(context, 'release-check');
  const normalized = await normalizeReleaseOptions(options, { ...task, projectRoot: task.projectRoot ?? '.' }, process.env, false);
  const client = createRegistryClient({ registry: normalized.registry, insecure: normalized.insecure, log: log.info });
  const plan = await prepareRelease(normalized, client);
  for (const line of formatPlan(plan, true)) log.info(line);
  // The mirrors and endpoints the release will use, checked before any tag is written.
  const mirrors = resolveMirrors({ option: normalized.mirrors, env: process.env, primary: { registry: normalized.registry, repository: normalized.repository } });
  const endpoints = parseNotifyUrls(process.env.IMAGE_NOTIFY_URLS);
  if (mirrors.length > 0) log.info(`  mirrors: ${mirrors.map(mirrorName).join(', ')}`);
  if (endpoints.length > 0) log.info(`  notification endpoints: ${endpoints.length}`);
  log.info(`${normalized.image}: ready to release from ${normalized.commit.slice(0, 12)}.`);
}

export default function releaseCheckExecutor(options: ReleaseOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  return outcome(releaseCheck, options, context);
}

/** Every image's check in one process (executors.json: preferBatch). */
export const releaseCheckBatch = batchOf(releaseCheck);
