import { run } from '../../src/lib/io/exec';

/** Removes every image in the local engine whose reference starts with `prefix` (e.g. `127.0.0.1:5000/demo/`); `docker` is the client to ask. */
export async function removeLocalImages(docker: string, prefix: string): Promise<string[]> {
  const { stdout } = await run({ command: docker, args: ['image', 'ls', '--format={{.Repository}}:{{.Tag}}'] });
  const references = stdout.split('\n').filter((reference) => reference.startsWith(prefix));
  if (references.length > 0) await run({ command: docker, args: ['image', 'rm', '--force', ...references] });
  return references;
}

/** The local engine's image IDs, untagged ones included; only those matching `filters` (e.g. `dangling=true`) when given. Throws when no engine answers. */
export async function imageIds(docker: string, filters: readonly string[] = []): Promise<string[]> {
  const { stdout } = await run({ command: docker, args: ['image', 'ls', '--all', '--quiet', '--no-trunc', ...filters.map((filter) => `--filter=${filter}`)] });
  return [...new Set(stdout.split('\n').filter(Boolean))];
}

/** Removes the images (of those matching `filters`) that are not in `kept`: what appeared in the engine since `kept` was read. Returns how many. */
export async function removeImagesOtherThan(docker: string, kept: ReadonlySet<string>, filters: readonly string[] = []): Promise<number> {
  const added = (await imageIds(docker, filters)).filter((id) => !kept.has(id));
  if (added.length > 0) await run({ command: docker, args: ['image', 'rm', '--force', ...added] });
  return added.length;
}
