/**
 * The `nx-images` bin's subcommands: each runs one CI entry point of
 * src/ci with the rest of the command line, as the workspace's
 * `npm run ci:<name>` scripts do. Adopters' package.json scripts call these
 * names, so they are a contract.
 */
export const SUBCOMMANDS = {
  images: { entry: 'images', about: 'plan, build, tag and push the images a push changed (npm run ci:images)' },
  release: { entry: 'release', about: 'turn a published GitHub release into nx run-many -t release (npm run ci:release)' },
  'free-disk': { entry: 'free-disk', about: "make room on a hosted runner before a build (npm run ci:free-disk)" },
} as const;

export type SubcommandName = keyof typeof SUBCOMMANDS;

export type BinInvocation =
  | { kind: 'run'; subcommand: SubcommandName; entry: string; args: string[] }
  | { kind: 'help'; text: string }
  | { kind: 'usage-error'; message: string };

const HELP_FLAGS = new Set(['help', '--help', '-h']);

/** What `nx-images <argv>` does: run an entry point with the remaining arguments, print the help, or refuse in one line. */
export function parseBinArgs(argv: readonly string[]): BinInvocation {
  const [first, ...rest] = argv;
  const names = Object.keys(SUBCOMMANDS).join(', ');
  if (first === undefined) return { kind: 'usage-error', message: `nx-images: no subcommand given: use one of ${names} (e.g. nx-images images --plan).` };
  if (HELP_FLAGS.has(first)) return { kind: 'help', text: helpText() };
  if (!Object.hasOwn(SUBCOMMANDS, first)) {
    return { kind: 'usage-error', message: `nx-images: unknown subcommand ${JSON.stringify(first)}: use one of ${names} (e.g. nx-images images --plan).` };
  }
  const subcommand = first as SubcommandName;
  return { kind: 'run', subcommand, entry: SUBCOMMANDS[subcommand].entry, args: rest };
}

function helpText(): string {
  const width = Math.max(...Object.keys(SUBCOMMANDS).map((name) => name.length));
  const rows = Object.entries(SUBCOMMANDS).map(([name, { about }]) => `  nx-images ${name.padEnd(width)}  ${about}`);
  return ['Usage: nx-images <subcommand> [flags]', '', ...rows, '', 'Flags and environment are those of the subcommand (docs/package.md).'].join('\n');
}
