import type { BaseRecord } from '../dockerfile/bases';
import type { ImagesPlan } from './ci-plan';
import { describeResult, type TestResult } from '../evidence/image-tests';
import { byImage, cell, code, formatBytes } from '../markdown';
import { shortSha } from '../naming/conventions';
import type { ReleaseChanges } from '../release/release-changes';

/** One image of a CI run, as the step summary shows it. */
export interface SummaryRow {
  image: string;
  /** Its level in this run's image graph (1: takes from no image of the run). */
  level: number;
  tag: string;
  /** The per-build tags its build wrote (or found in place), shown after the branch tag. */
  buildTags?: string[];
  /** Digest of the pushed manifest. */
  digest?: string;
  pushed: boolean;
  /** Why a built image was not pushed (pull_request, a newer run's tag...). */
  skippedReason?: string;
  /** Every image of this repository it was built from. */
  bases: BaseRecord[];
  /** The final stage's base when it is not one of ours (e.g. an upstream image). */
  externalBase?: string;
  /** What its tests came to; undefined: it has none (or was not built). */
  tests?: TestResult;
  /** Why Nx found it affected (or why it was built anyway). */
  why: string;
  /** The build failed: its error, one line. */
  failed?: string;
  /** Not built, because an image it takes from failed or was skipped: why. */
  skipped?: string;
  /** Not built: taken from an earlier push that built it from the same inputs on the same bases. */
  reused?: { from: string; revision: string; seconds: number };
}

export interface SummaryNotes {
  /** The commit this run built. */
  head: string;
  /** The distinct commits it compared against, for the "nothing affected" line. */
  compareCommits: string[];
  /** Images the push removed or renamed: named, so nobody looks for their build. */
  removed?: readonly { image: string; renamedTo?: string }[];
  /** Files the push changed that no image reads: why they built nothing. */
  unread?: readonly string[];
  /** Images whose tests alone changed, tested again as they are under the tag. */
  retests?: readonly { image: string; files: readonly string[] }[];
  /** A refresh's outside images that moved. */
  moved?: readonly { image: string; reference: string; from: string; to: string }[];
  /** Why every image was built anew, none reused. */
  rebuild?: string;
  /** GITHUB_EVENT_NAME, to say "push" or "run". */
  eventName?: string;
}

const HEADER = ['| level | image | tag | pushed digest | built from | tests | why |', '| --- | --- | --- | --- | --- | --- | --- |'];

/** Markdown for GITHUB_STEP_SUMMARY: one table row per image in level order, or one line when nothing was affected. */
export function renderSummary(rows: readonly SummaryRow[], notes: SummaryNotes): string {
  const lines: string[] = [];
  if (rows.length === 0) {
    const what = notes.eventName === 'push' ? 'this push' : 'this run';
    lines.push(`No image was affected by ${what} (${range(notes)}).`);
    lines.push(...pushNotes(notes));
    return `${lines.join('\n')}\n`;
  }
  lines.push(...HEADER);
  const ordered = [...rows].sort((a, b) => a.level - b.level || byImage(a, b));
  for (const row of ordered) {
    lines.push(`| ${[String(row.level), code(row.image), [row.tag, ...(row.buildTags ?? [])].map(code).join(' '), pushedCell(row), basesCell(row), testsCell(row), cell(row.why)].join(' | ')} |`);
  }
  const failed = ordered.filter((row) => row.failed !== undefined);
  if (failed.length > 0) {
    lines.push('', `**Failed (${failed.length}):**`, '');
    for (const row of failed) {
      lines.push(`- ${code(row.image)}: ${cell(row.failed ?? '')}`);
      // The failing tests by name, each with the first lines of its output.
      for (const failure of row.tests?.failures ?? []) lines.push(`  - ${code(`${failure.suite}/${failure.name}`)}: ${cell(failure.excerpt)}`);
    }
  }
  const skipped = ordered.filter((row) => row.skipped !== undefined);
  if (skipped.length > 0) {
    lines.push('', `**Skipped (${skipped.length}):**`, '');
    for (const row of skipped) lines.push(`- ${code(row.image)}: ${cell(row.skipped ?? '')}`);
  }
  lines.push(...pushNotes(notes));
  return `${lines.join('\n')}\n`;
}

/** Most files a note lists before it says how many more. */
const LISTED = 10;

/** What else the push did: images retested, removed or renamed, and the changed files no image reads. */
function pushNotes(notes: SummaryNotes): string[] {
  const lines: string[] = [];
  if (notes.rebuild) lines.push('', `**Rebuilt:** every image of this run was built anew, none taken from an earlier push (${cell(notes.rebuild)}).`);
  if ((notes.moved ?? []).length > 0) {
    lines.push('', '**Outside images that moved:**', '', '| image | outside image | was | is now |', '| --- | --- | --- | --- |');
    for (const entry of notes.moved ?? []) lines.push(`| ${code(entry.image)} | ${code(entry.reference)} | ${code(entry.from)} | ${code(entry.to)} |`);
  }
  for (const { image, files } of notes.retests ?? []) lines.push('', `**Retested:** ${code(image)}, whose tests alone changed (${listed(files)}), as it is under the tag.`);
  for (const { image, renamedTo } of notes.removed ?? []) {
    lines.push('', renamedTo ? `**Renamed:** ${code(image)} is now ${code(renamedTo)}; the tags of ${code(image)} are left alone.` : `**Removed:** ${code(image)}; nothing is built for it, and its tags are left alone.`);
  }
  if ((notes.unread ?? []).length > 0) lines.push('', `Changed, but read by no image's build or tests: ${listed(notes.unread ?? [])}.`);
  return lines;
}

function listed(files: readonly string[]): string {
  const shown = files.slice(0, LISTED).map(code).join(', ');
  return files.length > LISTED ? `${shown} and ${files.length - LISTED} more` : shown;
}

/** The plan job's step summary: what this run builds, level by level and why, then the image graph as a picture. */
export function renderPlanSummary(plan: Pick<ImagesPlan, 'images' | 'tag' | 'push' | 'head' | 'compareCommits' | 'removed' | 'unread' | 'retests' | 'moved' | 'rebuild' | 'eventName'>, graph: string): string {
  const lines: string[] = [];
  if (plan.images.length === 0) {
    lines.push(renderSummary([], summaryNotes(plan)).trimEnd());
  } else {
    lines.push(`${plan.images.length} image(s) to build as ${code(plan.tag)}, ${plan.push ? 'pushed' : 'not pushed'}, one job each, level after level:`, '');
    lines.push('| level | image | after | why |', '| --- | --- | --- | --- |');
    const ordered = [...plan.images].sort((a, b) => a.level - b.level || byImage(a, b));
    for (const entry of ordered) lines.push(`| ${entry.level} | ${code(entry.image)} | ${entry.takesFrom.map(code).join(', ')} | ${cell(entry.why)} |`);
    lines.push(...pushNotes(summaryNotes(plan)));
  }
  lines.push('', graph, '');
  return `${lines.join('\n')}\n`;
}

/** How one image's tests went when they alone changed (ci/retest.ts). */
export interface RetestRow {
  image: string;
  tested?: string;
  result: 'passed' | 'failed' | 'absent';
  attached: boolean;
  reason?: string;
}

/** The retests of a run: each image, what was tested, and how it went; nothing when none ran. */
export function renderRetests(rows: readonly RetestRow[]): string {
  if (rows.length === 0) return '';
  const lines = ['', '### Retests: images whose tests alone changed', '', '| image | tested | result |', '| --- | --- | --- |'];
  for (const row of [...rows].sort(byImage)) {
    const result = row.result === 'absent' ? cell(row.reason ?? 'nothing to test') : `**${row.result}**${row.reason ? `: ${cell(row.reason)}` : ''}${row.attached ? ', attached to the digest' : ''}`;
    lines.push(`| ${code(row.image)} | ${row.tested ? code(row.tested) : ''} | ${result} |`);
  }
  return `${lines.join('\n')}\n`;
}

/** The notes of a summary, as a plan has them. */
export function summaryNotes(plan: Pick<ImagesPlan, 'head' | 'compareCommits' | 'removed' | 'unread' | 'retests' | 'moved' | 'rebuild' | 'eventName'>): SummaryNotes {
  return {
    head: plan.head,
    compareCommits: plan.compareCommits,
    removed: plan.removed,
    unread: plan.unread,
    retests: plan.retests,
    ...(plan.moved ? { moved: plan.moved } : {}),
    ...(plan.rebuild ? { rebuild: plan.rebuild } : {}),
    eventName: plan.eventName,
  };
}

/** One image of a release, as its step summary shows it (and dist/release/<image>.json keeps it). */
export interface ReleaseRow {
  image: string;
  /** `registry/repository/image`. */
  name: string;
  sourceTag: string;
  digest: string;
  tags: string[];
  bases: BaseRecord[];
  /** What its tests came to, as the release saw it. */
  tests: string;
  /** What pulling it downloads: config and layers (linux/amd64 of an index). */
  compressedSize?: number;
  /** The archive of its lock files, relative to the workspace root, how many it holds, and why none. */
  locks?: { archive: string; files: number; note?: string };
  /** Where the release tags were copied beyond the primary. */
  mirrors?: PublishRow['mirrors'];
  /** What changed since the previous release (dist/release/changes.md). */
  changes?: ReleaseChanges;
}

/**
 * The release's step summary: each image, the digest released, every base
 * it was built from with its digest, its compressed size, its tests, its
 * lock archive and the tags it got; then where the mirrors stand.
 */
export function renderReleaseSummary(rows: readonly ReleaseRow[]): string {
  const lines = ['| image | released digest | built from | compressed size | tests | lock files | tags |', '| --- | --- | --- | --- | --- | --- | --- |'];
  const sorted = [...rows].sort(byImage);
  for (const row of sorted) {
    const bases = row.bases.map((base) => (base.digest ? `${code(base.reference)} (${code(base.digest)})` : code(base.reference))).join('<br>');
    const size = row.compressedSize === undefined ? '' : formatBytes(row.compressedSize);
    const locks = row.locks ? `${code(basename(row.locks.archive))} (${row.locks.files > 0 ? `${row.locks.files} file(s)` : cell(`none: ${row.locks.note ?? 'empty'}`)})` : '';
    lines.push(`| ${[code(row.image), code(row.digest), bases, size, cell(row.tests), locks, row.tags.map(code).join(', ')].join(' | ')} |`);
  }
  const mirrors = renderPublishSummary(sorted.map((row) => ({ image: row.image, tags: row.tags, mirrors: row.mirrors ?? [], notified: { calls: 0, accepted: 0 } })));
  return `${lines.join('\n')}\n${mirrors ? `\n${mirrors}` : ''}`;
}


function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Where one image went beyond the primary registry, as its publish record says (the endpoints never appear). */
export interface PublishRow {
  image: string;
  tags: string[];
  mirrors: { mirror: string; digest?: string; moved?: string[]; bytesSent?: number; error?: string }[];
  notified: { calls: number; accepted: number };
}

/** The mirrors section of a summary: each image on each mirror with its digest (or why it is not there), and the notifications. */
export function renderPublishSummary(rows: readonly PublishRow[]): string {
  const lines: string[] = [];
  const withMirrors = [...rows].filter((row) => row.mirrors.length > 0).sort(byImage);
  if (withMirrors.length > 0) {
    lines.push('| image | mirror | tags | digest | sent |', '| --- | --- | --- | --- | --- |');
    for (const row of withMirrors) {
      for (const mirror of row.mirrors) {
        const digest = mirror.error === undefined ? code(mirror.digest ?? '') : `**failed**: ${cell(mirror.error)}`;
        const sent = mirror.error === undefined ? (mirror.bytesSent ? `${mirror.bytesSent} bytes` : 'nothing (already there)') : '';
        lines.push(`| ${[code(row.image), code(mirror.mirror), row.tags.map(code).join(', '), digest, sent].join(' | ')} |`);
      }
    }
    lines.push('');
  }
  const calls = rows.reduce((sum, row) => sum + row.notified.calls, 0);
  if (calls > 0) {
    const accepted = rows.reduce((sum, row) => sum + row.notified.accepted, 0);
    lines.push(`Notification endpoints: ${accepted} of ${calls} call(s) accepted.`, '');
  }
  return lines.join('\n');
}

function testsCell(row: SummaryRow): string {
  if (row.failed === undefined && row.skipped === undefined && row.tests === undefined) return 'no tests';
  return row.tests === undefined ? '' : cell(describeResult(row.tests));
}

function pushedCell(row: SummaryRow): string {
  if (row.failed !== undefined) return '**failed**';
  if (row.skipped !== undefined) return '**skipped**';
  if (row.pushed && row.digest !== undefined && row.reused) {
    return `${code(row.digest)}<br>reused from ${code(row.reused.from)} (${code(shortSha(row.reused.revision))}), which built it in ${row.reused.seconds} s`;
  }
  if (row.pushed && row.digest !== undefined) return code(row.digest);
  if (row.pushed) return 'pushed';
  return row.skippedReason === undefined ? 'not pushed' : `not pushed: ${cell(row.skippedReason)}`;
}

function basesCell(row: SummaryRow): string {
  const ours = row.bases.map((base) => {
    const at = base.digest ?? (base.id ? `image ${base.id}` : undefined);
    return at === undefined ? code(base.reference) : `${code(base.reference)} (${code(at)})`;
  });
  if (row.externalBase !== undefined) ours.push(code(row.externalBase));
  return ours.join('<br>');
}

function range(notes: SummaryNotes): string {
  const commits = notes.compareCommits.length === 0 ? '?' : notes.compareCommits.map(shortSha).join(', ');
  return `${commits}..${shortSha(notes.head)}`;
}
