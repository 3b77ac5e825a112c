import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * `npm run --silent <name> -- <args>` as the command npm would start, without
 * npm's own start (about 0.3 s of CPU, once per simulated CI step): the
 * script's words, its first word resolved in the folder's node_modules/.bin,
 * as npm does. A script with anything a shell would read runs through npm.
 */
export function npmScript(dir: string, name: string, args: string[] = []): { command: string; args: string[] } {
  const scripts = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
  const script = scripts[name];
  if (script === undefined) throw new Error(`package.json in ${dir} has no script ${name}`);
  if (!/^[\w@./:=-]+( [\w@./:=-]+)*$/.test(script)) return { command: 'npm', args: ['run', '--silent', name, ...(args.length > 0 ? ['--', ...args] : [])] };
  const [bin = '', ...words] = script.split(' ');
  const command = bin.includes('/') || bin === 'node' ? bin : join(dir, 'node_modules', '.bin', bin);
  return { command: command === 'node' ? process.execPath : command, args: [...words, ...args] };
}
