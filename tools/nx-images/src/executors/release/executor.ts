import type { ExecutorContext } from '@nx/devkit';
import { UserError, errorMessage } from '../../lib/core/errors';
import { createRegistryClient } from '../../lib/io/registry/oci-client';
import { formatPlan } from '../../lib/core/release-plan';
import { normalizeReleaseOptions } from './normalize';
import { prepareRelease } from './prepare';
import type { ReleaseExecutorSchema } from './schema';

/** Adds the release tags to one image by copying its manifest bytes; checks first, writes last. */
export default async function releaseExecutor(options: ReleaseExecutorSchema, context: ExecutorContext): Promise<{ success: boolean }> {
  try {
    const normalized = await normalizeReleaseOptions(options, context, process.env, true);
    const client = createRegistryClient({ registry: normalized.registry, insecure: normalized.insecure, log: (line) => console.log(line) });
    const plan = await prepareRelease(normalized, client);
    for (const line of formatPlan(plan, normalized.dryRun)) console.log(line);
    if (normalized.dryRun) {
      console.log(`${normalized.image}: dry run, nothing written.`);
      return { success: true };
    }
    const manifest = await client.getManifest(normalized.repoPath, plan.sourceDigest);
    for (const write of plan.writes) {
      if (write.action === 'keep') continue;
      await client.retag(normalized.repoPath, manifest, write.tag);
      console.log(`${normalized.name}:${write.tag} -> ${manifest.digest} (read back)`);
    }
    const changed = plan.writes.filter((write) => write.action !== 'keep').length;
    console.log(`${normalized.image}: released, ${changed} tag(s) written, ${plan.writes.length - changed} already in place.`);
    return { success: true };
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    console.error(errorMessage(error));
    return { success: false };
  }
}
