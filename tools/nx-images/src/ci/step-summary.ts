import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { FanoutPlan } from '../lib/core/ci/fanout';
import { renderSummary, summaryNotes, type SummaryRow } from '../lib/core/ci/summary';
import { cell, code } from '../lib/core/markdown';
import { describeResult } from '../lib/core/evidence/image-tests';
import type { BuildRecord } from '../lib/io/build-record';
import { registryImageOf } from '../lib/core/graph/image-graph';
import { errorMessage } from '../lib/core/errors';
import { renderImageDifferences } from '../lib/core/evidence/inventory-diff-report';
import { findDockerCli } from '../lib/io/docker';
import { differencesOf, LOCAL_SIZE_MEASURE, measureLocalImage, platformDifferences, registryPlatformSides, registrySide, type ImageSide } from '../lib/io/image-differences';
import { readLocalInventory } from '../lib/io/inventory';
import { createRegistryClient, type FullRegistryClient } from '../lib/io/registry/oci-client';

/** How one image of the run ended, with its build's record when it was built. */
export type ImageResult =
  | { image: string; outcome: 'built'; record: BuildRecord }
  /** A failure may still have a record: built, and its tests failed. */
  | { image: string; outcome: 'failed' | 'skipped' | 'stale'; reason: string; record?: BuildRecord };

/** How a build ended, from its record: none is a failed build; a record whose tests failed is a failed image. */
export function resultOfBuild(image: string, record: BuildRecord | undefined): ImageResult {
  if (!record) return { image, outcome: 'failed', reason: 'the build failed; see its log' };
  if (record.tests?.result === 'failed') return { image, outcome: 'failed', reason: `its tests ${describeResult(record.tests)}`, record };
  return { image, outcome: 'built', record };
}

/** The step summary's table: a row per image of the plan, with what its build recorded. */
export function summaryOf(plan: FanoutPlan, results: readonly ImageResult[]): string {
  const rows = plan.images.map((entry): SummaryRow => {
    const result = results.find((candidate) => candidate.image === entry.image);
    const record = result?.record;
    const external = record?.baseImage !== undefined && !record.bases.some((base) => base.reference === record.baseImage) ? record.baseImage : undefined;
    return {
      image: entry.image,
      level: entry.level,
      tag: plan.tag,
      pushed: record?.pushed ?? false,
      ...(record?.digest ? { digest: record.digest } : {}),
      ...(record?.buildTags ? { buildTags: record.buildTags.map((entry) => entry.tag) } : {}),
      ...(record?.skippedPush ? { skippedReason: record.skippedPush } : {}),
      bases: record?.bases ?? [],
      ...(record?.tests ? { tests: record.tests } : {}),
      ...(record?.reused ? { reused: record.reused } : {}),
      ...(external ? { externalBase: external } : {}),
      why: entry.why,
      ...(result?.outcome === 'failed' ? { failed: result.reason } : {}),
      ...(result?.outcome === 'stale' ? { failed: `stale: ${result.reason}` } : {}),
      ...(result?.outcome === 'skipped' ? { skipped: result.reason } : {}),
    };
  });
  return renderSummary(rows, summaryNotes(plan));
}

/**
 * The step summary's differences: per image built, its packages and size
 * against the default branch's image in the registry. A pushed image is read
 * from the registry; one not pushed (a pull request) from its inventory in
 * dist/ and the local engine. Never fails the run: what cannot be compared
 * says why. Nothing on a push to the default branch (its tag is the image).
 */
export async function differencesSection(cwd: string, plan: FanoutPlan, results: readonly ImageResult[], log: (line: string) => void): Promise<string> {
  if (plan.tag === plan.defaultTag) return '';
  const built = results.filter((result): result is Extract<ImageResult, { outcome: 'built' }> => result.outcome === 'built');
  if (built.length === 0) return '';
  const client = createRegistryClient({ registry: plan.registry, retry: { attempts: 3 } });
  const sections: string[] = [];
  for (const { image, record } of built) {
    // A fanned-out pull request's image job compared its image while its engine held it.
    const kept = await readFile(differencesFile(cwd, image), 'utf8').catch(() => undefined);
    if (kept !== undefined) {
      sections.push(kept);
      continue;
    }
    try {
      sections.push(await imageDifferences(cwd, plan, client, image, record));
    } catch (error) {
      log(`ci:images: ${image}: differences not compared: ${errorMessage(error)}`);
      sections.push(`#### ${code(image)}\n\nNot compared: ${cell(errorMessage(error))}\n`);
    }
  }
  return `\n### Differences against ${code(plan.defaultTag)}\n\n${sections.join('\n')}`;
}

/** Where an image job leaves its image's differences for the summary job: dist/ci-images/<image>.differences.md. */
export function differencesFile(cwd: string, image: string): string {
  return join(cwd, 'dist', 'ci-images', `${image}.differences.md`);
}

/**
 * In the image job of a fanned-out run that does not push: the image's
 * differences, compared while this job's engine holds the image (the
 * summary job has none to measure), left for the summary job. Never fails
 * the job: what cannot be compared is left out, and the summary job tries.
 */
export async function keepImageDifferences(cwd: string, plan: FanoutPlan, image: string, record: BuildRecord, log: (line: string) => void): Promise<void> {
  const file = differencesFile(cwd, image);
  await rm(file, { force: true });
  if (plan.push || plan.tag === plan.defaultTag) return;
  try {
    const markdown = await imageDifferences(cwd, plan, createRegistryClient({ registry: plan.registry, retry: { attempts: 3 } }), image, record);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, markdown);
  } catch (error) {
    log(`ci:images: ${image}: differences not compared here: ${errorMessage(error)}`);
  }
}

async function imageDifferences(cwd: string, plan: FanoutPlan, client: FullRegistryClient, image: string, record: BuildRecord): Promise<string> {
  const base = registryImageOf(image, plan.defaultTag, plan.variants);
  const repoPath = `${plan.repository}/${base.image}`;
  const from = await registrySide(client, repoPath, base.tag);
  if (!from) return `#### ${code(image)}\n\n${code(`${base.image}:${base.tag}`)} is not in the registry: nothing to compare with.\n`;
  const label = registryImageOf(image, plan.tag, plan.variants).tag;
  if (record.pushed && record.digest) {
    // An index (several platforms) is compared platform by platform, each with its own packages and size.
    if ((record.platforms?.length ?? 0) > 1) {
      const [older, newer] = await Promise.all([registryPlatformSides(client, repoPath, base.tag), registryPlatformSides(client, repoPath, record.digest)]);
      if (older && newer) {
        const named = newer.map((entry) => ({ ...entry, side: { ...entry.side, label: `${label} ${entry.platform ?? ''}`.trim() } }));
        return platformDifferences(image, older, named, base.tag, label).map((entry) => ('only' in entry ? `${entry.only}\n` : renderImageDifferences(entry.differences, 4, undefined, plan.diffTarget))).join('\n');
      }
    }
    const to = await registrySide(client, repoPath, record.digest);
    if (to) return renderImageDifferences(differencesOf(image, from, { ...to, label }), 4, undefined, plan.diffTarget);
  }
  const inventory = await readLocalInventory(cwd, record.project);
  const to: ImageSide = {
    label,
    inventory: inventory ?? { note: `its build left no inventory (dist/docker-build/${record.project}.inventory.json)` },
    size: await localSize(record, from.size),
  };
  return renderImageDifferences(differencesOf(image, from, to, 'note' in to.size ? undefined : LOCAL_SIZE_MEASURE), 4, undefined, plan.diffTarget);
}

/** The size of an image not pushed, measured in this job's engine; why not, when it is not there (a fanned-out summary job). */
async function localSize(record: BuildRecord, known: ImageSide['size']): Promise<ImageSide['size']> {
  if (!record.imageId) return { note: 'not pushed, and its build recorded no image ID' };
  if ('note' in known) return known;
  const { docker } = await findDockerCli();
  try {
    return await measureLocalImage(docker, record.imageId, known);
  } catch (error) {
    return { note: `not pushed, and not measured in this job's engine (${errorMessage(error).slice(0, 200)})` };
  }
}
