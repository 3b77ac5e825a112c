import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './workspace';

// The "Outside GitHub" table of docs/ci.md: every command people run by hand, the registry it needs and
// what it prints. test/readme-commands.int.test.ts runs each row as written; a row whose run needs a test
// of its own (the demo) is run there, through commandTableRow.
export const TABLE_FILE = 'docs/ci.md';
const TABLE_TEXT = readFileSync(join(repoRoot, TABLE_FILE), 'utf8');
const TABLE_HEADING = '### Outside GitHub: every command, tested as written';

export interface Row {
  command: string;
  registry: string;
  prints: string[];
}

/** The rows of the table under TABLE_HEADING: the command, the registry it needs, the fragments it prints. */
export function readmeRows(text: string): Row[] {
  const start = text.indexOf(TABLE_HEADING);
  if (start < 0) throw new Error(`${TABLE_FILE} has no "${TABLE_HEADING}" section`);
  const lines = text.slice(start).split('\n');
  const first = lines.findIndex((line) => line.startsWith('| command |'));
  const rows: Row[] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    const [command, registry, prints] = line.split(' | ').map((cell) => cell.replace(/^\| ?| ?\|$/g, ''));
    // What it prints is prose, then a colon and the fragments the output holds, each in backticks.
    const fragments = (prints ?? '').slice((prints ?? '').lastIndexOf(': `') + 1);
    rows.push({ command: codeOf(command ?? '')[0] ?? '', registry: (registry ?? '').replace(/`/g, ''), prints: codeOf(fragments) });
  }
  return rows;
}

function codeOf(cell: string): string[] {
  return [...cell.matchAll(/`([^`]+)`/g)].map((match) => match[1] ?? '');
}

/** A fragment of the table as a pattern: literal, with `<…>` for any word. */
export function fragmentPattern(fragment: string): RegExp {
  return new RegExp(fragment.split('<…>').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('\\S+'));
}

/** The table's rows. */
export const COMMAND_TABLE: Row[] = readmeRows(TABLE_TEXT);

/** The row of `command`, for a test that runs it; an error when the table has no such row. */
export function commandTableRow(command: string): Row {
  const row = COMMAND_TABLE.find((entry) => entry.command === command);
  if (!row) throw new Error(`${TABLE_FILE}: the table under "${TABLE_HEADING}" has no row for \`${command}\``);
  return row;
}

/** Rows run by a test of their own, and that test: the file must run the row through commandTableRow. */
export const RUN_ELSEWHERE: Readonly<Record<string, string>> = { 'npm run demo': 'test/demo.int.test.ts' };
