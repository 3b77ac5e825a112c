import { renderImageDifferences, type ImageDifferences } from '../evidence/inventory-diff-report';
import { byImage, code, formatBytes, formatDelta } from '../markdown';
import { compareVersions, parseVersion, type Version, type VersionScheme } from './version-scheme';

/**
 * What a release changed in each image against the previous release: the
 * previous release is the highest version of the scheme below this one; the
 * whole is dist/release/changes.md, which release.yml adds to the notes.
 */

/** One image's changes, kept in its release record. */
export interface ReleaseChanges {
  /** This release's version tag, as people name it (without a variant's prefix). */
  release: string;
  /** The previous release; absent: this is the image's first. */
  previous?: { tag: string; digest: string; compressedSize: number };
  /** Absent when the digest is the previous release's. */
  differences?: ImageDifferences;
  /** Why nothing was compared (no version among the tags, a read that failed). */
  note?: string;
}

/** The highest version tag of the scheme below `version`: the previous release; undefined for the first. */
export function previousVersionTag(tags: readonly string[], version: Version, scheme: VersionScheme): string | undefined {
  let best: Version | undefined;
  for (const tag of tags) {
    const other = parseVersion(scheme, tag);
    if (!other || compareVersions(other, version) >= 0) continue;
    if (!best || compareVersions(other, best) > 0 || (compareVersions(other, best) === 0 && other.tag < best.tag)) best = other;
  }
  return best?.tag;
}

/** Start and end of the changes in a release's notes, so a release run again replaces them instead of adding them twice. */
export const CHANGES_START = '<!-- nx-images: changes since the previous release -->';
export const CHANGES_END = '<!-- nx-images: end of changes -->';

/** changes.md: a section per image, sorted; an image that did not change says so. */
export function renderReleaseChanges(release: string, rows: readonly { image: string; compressedSize?: number; changes?: ReleaseChanges }[]): string {
  const lines = [`# Changes in ${release}`, ''];
  const sorted = [...rows].sort(byImage);
  if (sorted.length === 0) lines.push('No image was released.', '');
  for (const row of sorted) {
    const changes = row.changes;
    const size = row.compressedSize === undefined ? '' : formatBytes(row.compressedSize);
    if (!changes || changes.note) {
      lines.push(`## ${code(row.image)}`, '', `Not compared: ${changes?.note ?? 'the release recorded no changes'}.`, '');
      continue;
    }
    const { previous } = changes;
    if (!previous) {
      lines.push(`## ${code(row.image)}`, '', `First release${size ? ` (${size} compressed)` : ''}: nothing to compare with.`, '');
      continue;
    }
    const sizes = `Size: ${formatBytes(previous.compressedSize)} in ${code(previous.tag)}, ${size || '?'} in ${code(changes.release)}${row.compressedSize === undefined ? '' : ` (${formatDelta(row.compressedSize - previous.compressedSize)})`}.`;
    if (!changes.differences) {
      lines.push(`## ${code(row.image)}`, '', `Unchanged since ${code(previous.tag)}: the same image (digest ${code(previous.digest.slice(0, 19))}). ${sizes}`, '');
      continue;
    }
    lines.push(renderImageDifferences(changes.differences, 2, Number.MAX_SAFE_INTEGER).trimEnd(), '', sizes, '');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

/** The release's notes with the changes in place of any earlier copy of them: what `gh release edit --notes-file` writes. */
export function notesWithChanges(body: string, changes: string): string {
  const start = body.indexOf(CHANGES_START);
  const end = body.indexOf(CHANGES_END);
  const own = (start >= 0 && end > start ? `${body.slice(0, start)}${body.slice(end + CHANGES_END.length)}` : body).trim();
  return `${own ? `${own}\n\n` : ''}${CHANGES_START}\n${changes.trim()}\n${CHANGES_END}\n`;
}
