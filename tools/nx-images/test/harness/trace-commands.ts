import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface TracedCall {
  command: string;
  args: string[];
}

export interface CommandTrace {
  /** A PATH whose `docker` and `git` log their argv, then run the real ones. */
  path: string;
  /** Every call logged so far, in the order they started. */
  calls(): TracedCall[];
  /** Forgets the calls logged so far. */
  clear(): void;
}

/**
 * Wraps `docker` and `git` on PATH with small scripts that log their argv
 * and exec the real binary, so a test can prove which commands ran and that
 * no value reached them as an option.
 *
 * The wrappers are POSIX sh, not Node: an executor makes a dozen docker and
 * git calls, and a Node start costs each about 50 ms of CPU where dash costs
 * about 1 ms. The script never parses what it is given: `printf '%s\0'`
 * writes the command's name and each argument as it arrived, ended by a NUL
 * (which no argument can hold), and `exec` passes "$@" on untouched. Each
 * call writes a file of its own, so calls made at once (the executor probes
 * every docker on PATH in parallel) never interleave.
 */
export function traceCommands(dir: string, real: { docker: string; git: string }): CommandTrace {
  const bin = join(dir, 'bin');
  const log = join(dir, 'calls');
  mkdirSync(bin, { recursive: true });
  mkdirSync(log, { recursive: true });
  for (const [name, target] of Object.entries(real)) {
    const file = join(bin, name);
    writeFileSync(
      file,
      `#!/bin/sh
# A file of this call's own: the process ID, and a count when an earlier process had the same ID (set -C refuses to overwrite).
n=0
while ! { set -C; printf '%s\\0' ${name} "$@" > ${shellWord(log)}/$$.$n; } 2>/dev/null; do n=$((n + 1)); done
exec ${shellWord(target)} "$@"
`,
    );
    chmodSync(file, 0o755);
  }
  return {
    path: `${bin}${delimiter}${process.env.PATH ?? ''}`,
    calls: () =>
      readdirSync(log)
        .map((name) => ({ name, started: statSync(join(log, name), { bigint: true }).mtimeNs }))
        .sort((a, b) => (a.started === b.started ? a.name.localeCompare(b.name) : a.started < b.started ? -1 : 1))
        .map(({ name }) => {
          const [command = '', ...args] = readFileSync(join(log, name), 'utf8').split('\0').slice(0, -1);
          return { command, args };
        }),
    clear: () => {
      for (const name of readdirSync(log)) rmSync(join(log, name), { force: true });
    },
  };
}

/** A path as one sh word: single-quoted, which leaves every character but the quote itself as it is. */
function shellWord(path: string): string {
  if (path.includes("'")) throw new Error(`traceCommands: ${path} holds a single quote, which the wrapper scripts cannot quote`);
  return `'${path}'`;
}
