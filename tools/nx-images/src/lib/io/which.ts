import { access, constants, realpath } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

/** Every executable named `name` on PATH, in PATH order, each file once. */
export async function whichAll(name: string): Promise<string[]> {
  const found: string[] = [];
  // One file reached through two folders of PATH (/bin is /usr/bin on a merged /usr) is listed once.
  const files = new Set<string>();
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      const file = await realpath(candidate);
      if (files.has(file)) continue;
      files.add(file);
      found.push(candidate);
    } catch {
      // not here
    }
  }
  return found;
}

export async function which(name: string): Promise<string | undefined> {
  return (await whichAll(name))[0];
}
