#!/usr/bin/env node
/**
 * The package's one bin: `nx-images images|release|free-disk [flags]`.
 * Each subcommand loads its CI entry point, which runs on load with the
 * flags after the subcommand, in the caller's working directory and
 * environment, and sets the exit code itself.
 */
import { join } from 'node:path';
import { parseBinArgs } from './subcommands';

const USAGE_EXIT = 2;

const invocation = parseBinArgs(process.argv.slice(2));
if (invocation.kind === 'help') {
  console.log(invocation.text);
} else if (invocation.kind === 'usage-error') {
  console.error(invocation.message);
  process.exitCode = USAGE_EXIT;
} else {
  const entry = join(__dirname, '..', 'ci', invocation.entry);
  // The entry point reads process.argv.slice(2), as it does under `npm run ci:<name> -- <flags>`.
  process.argv = [process.argv[0] ?? process.execPath, entry, ...invocation.args];
  // A path, not an import: src/ci stays out of the import graph of everything but this bin.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(entry);
}
