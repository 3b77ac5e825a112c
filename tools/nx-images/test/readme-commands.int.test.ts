import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { COMMAND_TABLE, RUN_ELSEWHERE } from './harness/command-table';
import { runTableRows } from './harness/readme-rows';
import { repoRoot } from './harness/workspace';

// Every command of the "Outside GitHub" table in docs/ci.md, run as written in a fresh clone of this
// repository (test/harness/readme-rows.ts). The table is the list: a row added there is tested here (the
// rows that plan or build against an empty registry), in readme-commands-registry (the others), or by the
// test RUN_ELSEWHERE names (test/harness/command-table.ts).
describe('the commands outside GitHub, as docs/ci.md lists them', () => {
  runTableRows((row) => row.registry === 'empty');

  test('the table lists at least the commands people start with', () => {
    const commands = COMMAND_TABLE.map((row) => row.command);
    for (const command of [
      'npm run ci:images -- --plan',
      'npm run ci:images -- --dry-run',
      'npx nx run tractor:docker-build --dry-run',
      'npx nx run-many -t publish --tag=main --dryRun',
      'npm run demo',
    ]) {
      expect(commands).toContain(command);
    }
    expect(commands.some((command) => command.startsWith('npx nx run-many -t release ') && command.includes('--dry-run'))).toBe(true);
    for (const row of COMMAND_TABLE) expect(row.prints.length, `${row.command} names nothing it prints`).toBeGreaterThan(0);
  });

  test.each(Object.entries(RUN_ELSEWHERE))('%s is run as written by %s', (command, file) => {
    expect(COMMAND_TABLE.map((row) => row.command)).toContain(command);
    expect(readFileSync(join(repoRoot, 'tools', 'nx-images', file), 'utf8')).toContain(`commandTableRow('${command}')`);
  });
});
