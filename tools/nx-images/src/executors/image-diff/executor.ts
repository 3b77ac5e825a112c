import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { UserError } from '../../lib/core/errors';
import { nonEmpty } from '../../lib/core/option-values';
import { renderImageDifferences } from '../../lib/core/evidence/inventory-diff-report';
import { resolveImageTarget } from '../../lib/core/naming/image-target';
import { resolveTag } from '../../lib/core/naming/tags';
import { gatherFacts } from '../../lib/io/workspace-facts';
import { platformDifferences, registryPlatformSides } from '../../lib/io/image-differences';
import { createRegistryClient } from '../../lib/io/registry/oci-client';
import { batchOf, outcome, taskOf, type Log } from '../outcome';
import { diffReference } from './normalize';
import type { ImageDiffExecutorSchema } from './schema';

/** `dist/image-diff/<project>.md` under the workspace root. */
export function imageDiffPath(workspaceRoot: string, project: string): string {
  return join(workspaceRoot, 'dist', 'image-diff', `${project}.md`);
}

/** Compares two tags or digests of one image from the registry, prints the differences and writes them as Markdown. */
async function imageDiff(options: ImageDiffExecutorSchema, context: ExecutorContext, log: Log): Promise<void> {
  const { project, targetName } = taskOf(context, 'image-diff');
  const env = process.env;
  const variant = nonEmpty(options.variant);
  if (!options.from?.trim()) {
    throw new UserError({ subject: project, problem: `${targetName} needs --from=<tag or digest>`, fix: `give it, e.g. nx run ${project}:${targetName} --from=main (--to defaults to the branch's tag)` });
  }
  const workspace = await gatherFacts(context.root);
  const { registry, repoPath, name } = resolveImageTarget(options, { project, env, originUrl: workspace.originUrl });
  const from = diffReference(options.from, variant, '--from', targetName);
  const to = diffReference(nonEmpty(options.to) ?? resolveTag({ env, gitBranch: workspace.gitBranch }).tag, variant, '--to', targetName);
  const client = createRegistryClient({ registry, insecure: options.insecure === true, retry: { attempts: 3 } });
  const older = await registryPlatformSides(client, repoPath, from);
  if (!older) throw new UserError({ subject: project, problem: `${name}:${from} does not exist`, fix: 'give a tag or digest the registry has (--from), or check --registry and --repository' });
  const newer = await registryPlatformSides(client, repoPath, to);
  if (!newer) throw new UserError({ subject: project, problem: `${name}:${to} does not exist`, fix: 'give a tag or digest the registry has (--to), or push it first' });
  // An index is compared platform by platform (each is inventoried on its own); a platform only one side has is said so.
  const sections = platformDifferences(project, older, newer, from, to).map((entry) => ('only' in entry ? `${entry.only}\n` : renderImageDifferences(entry.differences, 2, Number.MAX_SAFE_INTEGER)));
  const markdown = sections.join('\n');
  for (const line of markdown.trimEnd().split('\n')) log.info(line);
  const file = imageDiffPath(context.root, project);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, markdown);
  log.info(`${project}: written to ${relative(context.root, file)}`);
}

export default function imageDiffExecutor(options: ImageDiffExecutorSchema, context: ExecutorContext): Promise<{ success: boolean }> {
  return outcome(imageDiff, options, context);
}

/** Every image's diff in one process (executors.json: preferBatch). */
export const imageDiffBatch = batchOf(imageDiff);
