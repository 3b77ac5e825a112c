import { run } from '../../src/lib/io/exec';

/** Removes every image in the local engine whose reference starts with `prefix` (e.g. `127.0.0.1:5000/demo/`); `docker` is the client to ask. */
export async function removeLocalImages(docker: string, prefix: string): Promise<string[]> {
  const { stdout } = await run({ command: docker, args: ['image', 'ls', '--format={{.Repository}}:{{.Tag}}'] });
  const references = stdout.split('\n').filter((reference) => reference.startsWith(prefix));
  if (references.length > 0) await run({ command: docker, args: ['image', 'rm', '--force', ...references] });
  return references;
}
