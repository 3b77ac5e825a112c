import type { FanoutPlan } from '../lib/core/ci/fanout';
import { registryImageOf } from '../lib/core/graph/image-graph';
import { mirrorName, parseNotifyUrls, resolveMirrors } from '../lib/core/publish/publish';
import { writePublishRecord } from '../lib/io/build-record';
import { publishImage, registryClients, type PublishRecord } from '../lib/io/publish';
import { readWorkspaceSettings } from '../lib/io/workspace-settings';
import type { ImageResult } from './step-summary';

/**
 * After a push to a publish branch: every image's branch tag goes to every
 * mirror, and the endpoints hear of each image this run pushed. Every
 * image, not only this run's: a copy the mirror already has costs one
 * request, and one that an earlier run left unfinished is completed (and
 * then announced). Nothing here undoes a push; each failure is reported.
 */
export async function publishRun(cwd: string, env: NodeJS.ProcessEnv, plan: FanoutPlan, results: readonly ImageResult[], log: (line: string) => void): Promise<PublishRecord[]> {
  if (!plan.publish) return [];
  const settings = await readWorkspaceSettings(cwd);
  const primary = { registry: plan.registry, repository: plan.repository };
  const mirrors = resolveMirrors({ option: settings.mirrors, env, primary });
  const endpoints = parseNotifyUrls(env.IMAGE_NOTIFY_URLS);
  if (mirrors.length === 0 && endpoints.length === 0) return [];
  log(`ci:images: publishing ${plan.tag} to ${mirrors.length > 0 ? mirrors.map(mirrorName).join(', ') : 'no mirror'}${endpoints.length > 0 ? ` and ${endpoints.length} notification endpoint(s)` : ''}`);
  const pushedNow = new Set(results.filter((result) => result.outcome === 'built' && result.record.pushed && result.record.digest).map((result) => result.image));
  const failedNow = new Set(results.filter((result) => result.outcome !== 'built').map((result) => result.image));
  const clientFor = registryClients(plan.registry, env, log);
  const primaryClient = clientFor(plan.registry);
  const records: PublishRecord[] = [];
  for (const image of plan.allImages) {
    // An image this run failed to build keeps its last tag, which an earlier run published.
    if (failedNow.has(image)) continue;
    const inRegistry = registryImageOf(image, plan.tag, plan.variants);
    if (!pushedNow.has(image) && !(await primaryClient.resolve(`${plan.repository}/${inRegistry.image}`, inRegistry.tag))) continue;
    const record = await publishImage({ image: inRegistry.image, primary, tags: [inRegistry.tag], mirrors, endpoints, notify: pushedNow.has(image) ? 'always' : 'if-moved', env, log, clientFor });
    await writePublishRecord(cwd, record);
    records.push(record);
  }
  return records;
}
