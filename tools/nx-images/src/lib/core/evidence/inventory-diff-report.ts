import { cell, code, formatBytes, formatDelta } from '../markdown';
import { TARGET } from '../naming/conventions';
import { isUnchanged, type InventoryDiff, type PackageState } from './inventory-diff';
import type { SizeDiff } from './size-diff';

/**
 * One image's differences as Markdown, the same in a pull request's step
 * summary, a release's changes.md and image-diff's report: the packages by
 * environment, then the size and the layers that moved.
 */

/** A side that could not be compared says why, in a line. */
export interface NotCompared {
  note: string;
}

export interface ImageDifferences {
  image: string;
  /** How the older side is named: `main`, `v1.0.0`, a digest. */
  from: string;
  to: string;
  packages: InventoryDiff | NotCompared;
  size: SizeDiff | NotCompared;
  /** How the size was measured, when not by the registry's compressed sizes of both sides. */
  sizeMeasure?: string;
}

/** Rows of the package table at most, so a rebuilt environment cannot fill a step summary (1 MiB). */
export const MAX_PACKAGE_ROWS = 300;

export function isNotCompared(value: object): value is NotCompared {
  return 'note' in value;
}

function state(value: PackageState): string {
  const extra = [value.build, value.channel].filter((part): part is string => part !== undefined && part !== '');
  return cell(extra.length > 0 ? `${value.version} (${extra.join(', ')})` : value.version);
}

/** The package lines: counts, then one table row per package added, removed or changed; past `maxRows`, the diff target (diffTargetName) has the rest. */
export function renderPackageDiff(diff: InventoryDiff, maxRows = MAX_PACKAGE_ROWS, diffTarget: string = TARGET.imageDiff): string[] {
  const counts = `${diff.added} added, ${diff.removed} removed, ${diff.changed} changed, ${diff.unchanged} unchanged`;
  if (isUnchanged(diff)) return [`Packages: none added, removed or changed (${diff.unchanged} unchanged).`];
  const rows: string[] = [];
  for (const env of diff.environments) {
    const where = code(env.environment);
    for (const entry of env.added) rows.push(`| ${where} | ${code(entry.name)} | ${entry.source} | added | | ${state(entry.state)} |`);
    for (const entry of env.removed) rows.push(`| ${where} | ${code(entry.name)} | ${entry.source} | removed | ${state(entry.state)} | |`);
    for (const change of env.changed) rows.push(`| ${where} | ${code(change.name)} | ${change.source} | ${change.kind} | ${state(change.from)} | ${state(change.to)} |`);
  }
  const shown = rows.slice(0, maxRows);
  const more = rows.length > shown.length ? ['', `… and ${rows.length - shown.length} more row(s): run ${diffTarget} for the whole list.`] : [];
  return [`Packages: ${counts}.`, '', '| environment | package | source | change | from | to |', '| --- | --- | --- | --- | --- | --- |', ...shown, ...more];
}

function layerCell(layer: { digest: string; size: number } | undefined): string {
  return layer ? `${formatBytes(layer.size)} ${code(layer.digest.slice(0, 19))}` : '';
}

/** The size lines: the totals, then one row per layer that moved. */
export function renderSizeDiff(diff: SizeDiff, measure = 'compressed'): string[] {
  const totals = `Size (${measure}): ${formatBytes(diff.from)} → ${formatBytes(diff.to)} (${formatDelta(diff.delta)})`;
  if (diff.layers.length === 0) return [`${totals}; no layer changed (${diff.unchangedLayers} unchanged).`];
  const counts = (['grew', 'shrank', 'replaced', 'added', 'removed'] as const)
    .map((kind) => [kind, diff.layers.filter((layer) => layer.kind === kind).length] as const)
    .filter(([, count]) => count > 0)
    .map(([kind, count]) => `${count} ${kind}`);
  const rows = diff.layers.map((layer) => `| ${layer.position} | ${layer.kind} | ${layerCell(layer.from)} | ${layerCell(layer.to)} | ${formatDelta(layer.delta)} |`);
  return [`${totals}; layers: ${[...counts, `${diff.unchangedLayers} unchanged`].join(', ')}.`, '', '| layer | change | from | to | difference |', '| --- | --- | --- | --- | --- |', ...rows];
}

/** One image's section, under a heading of `level` (`###` in a step summary). */
export function renderImageDifferences(diff: ImageDifferences, level = 3, maxRows = MAX_PACKAGE_ROWS, diffTarget: string = TARGET.imageDiff): string {
  const lines = [`${'#'.repeat(level)} ${code(diff.image)}: ${code(diff.from)} → ${code(diff.to)}`, ''];
  lines.push(...(isNotCompared(diff.packages) ? [`Packages: not compared: ${cell(diff.packages.note)}`] : renderPackageDiff(diff.packages, maxRows, diffTarget)));
  lines.push('');
  lines.push(...(isNotCompared(diff.size) ? [`Size: not compared: ${cell(diff.size.note)}`] : renderSizeDiff(diff.size, diff.sizeMeasure)));
  return `${lines.join('\n')}\n`;
}
