import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

/** Every executable named `name` on PATH, in PATH order. */
export async function whichAll(name: string): Promise<string[]> {
  const found: string[] = [];
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
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
