import type { ExecutorContext } from '@nx/devkit';
import { UserError, errorMessage } from '../../lib/core/errors';
import { createRegistryClient } from '../../lib/io/registry/oci-client';
import { formatPlan } from '../../lib/core/release-plan';
import { normalizeReleaseOptions } from '../release/normalize';
import { prepareRelease } from '../release/prepare';
import type { ReleaseCheckExecutorSchema } from './schema';

/** Every read-only check of a release of one image; every `release` depends on this target of every image. */
export default async function releaseCheckExecutor(options: ReleaseCheckExecutorSchema, context: ExecutorContext): Promise<{ success: boolean }> {
  try {
    const normalized = await normalizeReleaseOptions(options, context, process.env, false);
    const client = createRegistryClient({ registry: normalized.registry, insecure: normalized.insecure, log: (line) => console.log(line) });
    const plan = await prepareRelease(normalized, client);
    for (const line of formatPlan(plan, true)) console.log(line);
    console.log(`${normalized.image}: ready to release from ${normalized.commit.slice(0, 12)}.`);
    return { success: true };
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    console.error(errorMessage(error));
    return { success: false };
  }
}
