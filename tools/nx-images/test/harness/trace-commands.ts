import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface TracedCall {
  command: string;
  args: string[];
}

export interface CommandTrace {
  /** A PATH whose `docker` and `git` log their argv, then run the real ones. */
  path: string;
  /** Every call logged so far, in order. */
  calls(): TracedCall[];
  /** Forgets the calls logged so far. */
  clear(): void;
}

/**
 * Wraps `docker` and `git` on PATH with small Node scripts that append their
 * argv to a log and run the real binary, so a test can prove which commands
 * ran and that no value reached them as an option.
 */
export function traceCommands(dir: string, real: { docker: string; git: string }): CommandTrace {
  const bin = join(dir, 'bin');
  const log = join(dir, 'calls.jsonl');
  mkdirSync(bin, { recursive: true });
  writeFileSync(log, '');
  for (const [name, target] of Object.entries(real)) {
    const file = join(bin, name);
    writeFileSync(
      file,
      `#!${process.execPath}
const { appendFileSync } = require('node:fs');
const { spawnSync } = require('node:child_process');
appendFileSync(${JSON.stringify(log)}, JSON.stringify({ command: ${JSON.stringify(name)}, args: process.argv.slice(2) }) + '\\n');
const result = spawnSync(${JSON.stringify(target)}, process.argv.slice(2), { stdio: 'inherit' });
process.exit(result.status === null ? 1 : result.status);
`,
    );
    chmodSync(file, 0o755);
  }
  return {
    path: `${bin}${delimiter}${process.env.PATH ?? ''}`,
    calls: () =>
      existsSync(log)
        ? readFileSync(log, 'utf8')
            .split('\n')
            .filter((line) => line !== '')
            .map((line) => JSON.parse(line) as TracedCall)
        : [],
    clear: () => writeFileSync(log, ''),
  };
}
