import type { ExecutorContext } from '@nx/devkit';
import { UserError } from '../../lib/core/errors';
import { isDryRun, nonEmpty } from '../../lib/core/option-values';
import { DEFAULT_TARGET_SETTINGS } from '../../lib/core/graph/target-settings';
import { mirrorName, parseMirror, parseNotifyUrls, resolveMirrors } from '../../lib/core/publish/publish';
import { resolveImageTarget } from '../../lib/core/naming/image-target';
import { variantTag } from '../../lib/core/naming/refs';
import { assertValidTag, resolveTag } from '../../lib/core/naming/tags';
import { writePublishRecord } from '../../lib/io/build-record';
import { gatherFacts } from '../../lib/io/workspace-facts';
import { publishImage } from '../../lib/io/publish';
import { batchOf, outcome, taskOf, type Log } from '../outcome';
import type { PublishExecutorSchema } from './schema';

/** Copies one image's tag to every mirror and calls the notification endpoints; fails naming each mirror or endpoint that failed. */
async function publish(options: PublishExecutorSchema, context: ExecutorContext, log: Log): Promise<void> {
  const { project } = taskOf(context, 'publish');
  const env = process.env;
  const settings = options.settings ?? DEFAULT_TARGET_SETTINGS.publish;
  const workspace = await gatherFacts(context.root);
  const { registry, repository, image, variant } = resolveImageTarget(options, { project, env, originUrl: workspace.originUrl });
  const tag = variantTag(variant, resolveTag({ option: nonEmpty(options.tag), env, gitBranch: workspace.gitBranch }).tag);
  const tags = [tag, ...(options.extraTags ?? []).map((extra) => variantTag(variant, assertValidTag(extra.trim(), 'extra tag')))].filter((value, index, all) => all.indexOf(value) === index);
  const primary = { registry, repository };
  const given = options.mirrors ?? [];
  const mirrors = given.length > 0 ? given.map((entry) => parseMirror(entry, repository, '--mirrors')) : resolveMirrors({ option: settings.mirrors, env, primary });
  const endpoints = parseNotifyUrls(env.IMAGE_NOTIFY_URLS);
  const notify = options.notify ?? 'always';
  if (mirrors.length === 0 && endpoints.length === 0) {
    log.info(`${image}: no mirror and no notification endpoint configured (IMAGE_MIRRORS, the plugin option mirrors, IMAGE_NOTIFY_URLS): nothing to publish.`);
    return;
  }
  if (isDryRun(options.dryRun, env)) {
    for (const mirror of mirrors) log.info(`${image}: would copy ${registry}/${repository}/${image}:${tag} to ${mirrorName(mirror)}/${image} as ${tags.join(', ')}`);
    if (endpoints.length > 0) log.info(`${image}: would call ${endpoints.length} notification endpoint(s) ${notify === 'always' ? 'for each tag' : notify === 'if-moved' ? 'if a mirror tag moves' : 'never'}`);
    return;
  }
  const record = await publishImage({ image, primary, tags, mirrors, endpoints, notify, env, log: log.info });
  await writePublishRecord(context.root, record);
  if (record.errors.length > 0) {
    // Each error is a line of the record, `<image>: <what failed>: <fix>.`; the first is the problem here.
    const first = record.errors[0].replace(`${image}: `, '').replace(/\.$/, '');
    throw new UserError({
      subject: image,
      problem: record.errors.length === 1 ? first : `${record.errors.length} failures, first: ${first}`,
      fix: `see them all in the output above and dist/publish/${image}.json, then publish again`,
    });
  }
}

export default function publishExecutor(options: PublishExecutorSchema, context: ExecutorContext): Promise<{ success: boolean }> {
  return outcome(publish, options, context);
}

/** Every image's publish in one process (executors.json: preferBatch). */
export const publishBatch = batchOf(publish);
