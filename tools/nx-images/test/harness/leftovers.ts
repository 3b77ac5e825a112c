import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { imageIds, removeImagesOtherThan } from '../../scripts/lib/local-images';
import { DOCKER } from './second-engine';

/** Kept on purpose from run to run, keyed by content: the built fixture trees (built-main.ts) and the pack (packed-plugin.ts). */
const CACHES = new Set(['fornax-built-main', 'fornax-nx-images-pack']);

/** What the tests name their temporary folders (`fornax-`) and what the plugin names its own (`nx-images-`). */
const OURS = ['fornax-', 'nx-images-'];

function ourFolders(): string[] {
  return readdirSync(tmpdir()).filter((name) => OURS.some((prefix) => name.startsWith(prefix)) && !CACHES.has(name));
}

/**
 * vitest's globalSetup: a run leaves nothing of its own behind.
 *
 * In the temporary folder, every file removes what it made (workspaces,
 * registries' storage, clones), and so does the plugin; a `fornax-*` (tests)
 * or `nx-images-*` (plugin) folder there after the run that was not there
 * before it is named, and the run fails.
 *
 * In the local engine, a test registry takes the images named under it when
 * it stops (scripts/lib/local-registry.ts); what Docker itself leaves untagged
 * (the image a rebuilt tag moved off, a platform built under no tag) and was
 * not in the engine before the run is removed here, so the engine does not
 * fill up run after run.
 *
 * Two runs at once on one machine would see each other's folders and images:
 * they share one Docker engine too, and are not done.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const before = new Set(ourFolders());
  // Undefined when no engine answers (a run of the unit tests alone).
  const imagesBefore = await imageIds(DOCKER).then((ids) => new Set(ids), () => undefined);
  return async () => {
    if (imagesBefore) await removeImagesOtherThan(DOCKER, imagesBefore, ['dangling=true']).catch(() => 0);
    const left = ourFolders().filter((name) => !before.has(name)).sort();
    if (left.length === 0) return;
    // vitest prints an error thrown here and still exits 0, so the exit code is set as well.
    console.error(`leftovers: the tests left ${left.length} folder(s) in ${tmpdir()}: ${left.join(', ')}: a test file does not remove what it made (look for a hook registered on import, which runs for the first file of a worker only)`);
    process.exitCode = 1;
  };
}
