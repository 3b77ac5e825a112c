import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';

/** Kept on purpose from run to run, keyed by content: the built fixture trees (built-main.ts) and the pack (packed-plugin.ts). */
const CACHES = new Set(['fornax-built-main', 'fornax-nx-images-pack']);

/** What the tests name their temporary folders (`fornax-`) and what the plugin names its own (`nx-images-`). */
const OURS = ['fornax-', 'nx-images-'];

function ourFolders(): string[] {
  return readdirSync(tmpdir()).filter((name) => OURS.some((prefix) => name.startsWith(prefix)) && !CACHES.has(name));
}

/**
 * vitest's globalSetup: a run leaves nothing of its own in the temporary
 * folder. Every file removes what it made (workspaces, registries' storage,
 * clones), and so does the plugin; a `fornax-*` (tests) or `nx-images-*`
 * (plugin) folder there after the run that was not there before it is
 * named, and the run fails. Two runs at once on one machine would see
 * each other's folders: they share one Docker engine too, and are not done.
 */
export default function setup(): () => void {
  const before = new Set(ourFolders());
  return () => {
    const left = ourFolders().filter((name) => !before.has(name)).sort();
    if (left.length === 0) return;
    // vitest prints an error thrown here and still exits 0, so the exit code is set as well.
    console.error(`leftovers: the tests left ${left.length} folder(s) in ${tmpdir()}: ${left.join(', ')}: a test file does not remove what it made (look for a hook registered on import, which runs for the first file of a worker only)`);
    process.exitCode = 1;
  };
}
