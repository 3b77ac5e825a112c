/** One argument quoted for a POSIX shell, so a printed command can be copied and pasted. */
export function shellQuote(arg: string): string {
  if (/^[A-Za-z0-9_/.,:=@%+-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** A command line as a person would type it, environment first. */
export function commandLine(command: string, args: readonly string[], env: Readonly<Record<string, string>> = {}): string {
  const assignments = Object.entries(env).map(([name, value]) => `${name}=${shellQuote(value)}`);
  return [...assignments, shellQuote(command), ...args.map(shellQuote)].join(' ');
}
