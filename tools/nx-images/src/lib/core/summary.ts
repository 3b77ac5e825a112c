import { shortSha } from './conventions';

/** One image of a CI run, as the step summary shows it. */
export interface SummaryRow {
  image: string;
  tag: string;
  /** Digest of the pushed manifest. */
  digest?: string;
  pushed: boolean;
  /** Why a built image was not pushed (pull_request, a newer run's tag...). */
  skippedReason?: string;
  /** The image this one was built FROM, e.g. `ghcr.io/fornax/images/base_image:main`. */
  baseImage?: string;
  baseDigest?: string;
  /** Why Nx found it affected (or why it was built anyway). */
  why: string;
  /** The build's error, one line. */
  failed?: string;
}

export interface SummaryNotes {
  /** The commit this run built. */
  head: string;
  /** The distinct commits it compared against, for the "nothing affected" line. */
  bases: string[];
  /** Workspace-wide files that changed (nx.json, package-lock.json...), making Nx treat every project as affected. */
  workspaceFilesChanged?: string[];
  /** GITHUB_EVENT_NAME, to say "push" or "run". */
  eventName?: string;
}

/** Markdown for GITHUB_STEP_SUMMARY: one table row per image, or one line when nothing was affected. */
export function renderSummary(rows: SummaryRow[], notes: SummaryNotes): string {
  const lines: string[] = [];
  const workspace = notes.workspaceFilesChanged ?? [];
  if (workspace.length > 0) {
    const files = workspace.map(code).join(', ');
    lines.push(`> **Note:** ${files} changed, so Nx treated every project as affected.`, '');
  }
  if (rows.length === 0) {
    const what = notes.eventName === 'push' ? 'this push' : 'this run';
    lines.push(`No image was affected by ${what} (${range(notes)}).`);
    return `${lines.join('\n')}\n`;
  }
  lines.push('| image | tag | pushed digest | base used | why affected |', '| --- | --- | --- | --- | --- |');
  for (const row of rows) {
    lines.push(`| ${[code(row.image), code(row.tag), pushedCell(row), baseCell(row), cell(row.why)].join(' | ')} |`);
  }
  const failed = rows.filter((row) => row.failed !== undefined);
  if (failed.length > 0) {
    lines.push('', `**Failed (${failed.length}):**`, '');
    for (const row of failed) lines.push(`- ${code(row.image)}: ${cell(row.failed ?? '')}`);
  }
  return `${lines.join('\n')}\n`;
}

function pushedCell(row: SummaryRow): string {
  if (row.failed !== undefined) return '**failed**';
  if (row.pushed && row.digest !== undefined) return code(row.digest);
  if (row.pushed) return 'pushed';
  return row.skippedReason === undefined ? 'not pushed' : `not pushed: ${cell(row.skippedReason)}`;
}

function baseCell(row: SummaryRow): string {
  if (row.baseImage === undefined) return '';
  return row.baseDigest === undefined ? code(row.baseImage) : `${code(row.baseImage)} (${code(row.baseDigest)})`;
}

function range(notes: SummaryNotes): string {
  const bases = notes.bases.length === 0 ? '?' : notes.bases.map(shortSha).join(', ');
  return `${bases}..${shortSha(notes.head)}`;
}

/**
 * Text safe inside one table cell: `|` would end the cell and a newline the
 * row; `<`, `>`, `&` are escaped so a branch or error message cannot inject HTML.
 */
export function cell(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|')
    .replace(/\r\n|\r|\n/g, '<br>')
    .trim();
}

/** A code span that survives any content: backticks inside get a longer fence, as CommonMark allows. */
function code(text: string): string {
  const escaped = text.replace(/\|/g, '\\|').replace(/\r\n|\r|\n/g, ' ');
  const longest = Math.max(0, ...(escaped.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = escaped.startsWith('`') || escaped.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${escaped}${pad}${fence}`;
}
