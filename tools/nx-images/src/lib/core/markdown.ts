/**
 * The pieces every Markdown report of this plugin is made of (step
 * summaries, changes.md, image-diff's report): safe table cells and code
 * spans, byte counts, and one order of images.
 */

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
export function code(text: string): string {
  const escaped = text.replace(/\|/g, '\\|').replace(/\r\n|\r|\n/g, ' ');
  const longest = Math.max(0, ...(escaped.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = escaped.startsWith('`') || escaped.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${escaped}${pad}${fence}`;
}

/** A byte count as people read it: 1.5 GiB, 312.0 MiB, 4.0 KiB, 12 B. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** A signed byte count: +4.0 KiB, -12 B, ±0 B. */
export function formatDelta(bytes: number): string {
  if (bytes === 0) return '±0 B';
  return bytes > 0 ? `+${formatBytes(bytes)}` : `-${formatBytes(-bytes)}`;
}

/** The one order of images in every table and record: by name, code unit by code unit (no locale, so every machine agrees). */
export function byImage(a: { image: string }, b: { image: string }): number {
  return a.image < b.image ? -1 : a.image > b.image ? 1 : 0;
}
