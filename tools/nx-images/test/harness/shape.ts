import { runCiImages, type EventSpec } from './github-run';
import { listTags, readImage, readImageFile } from './read-image';
import type { Registry } from './registry';
import type { Workspace } from './workspace';

const BASES_LABEL = 'dev.nx-images.bases';

/** What a repository-shape test reads back of one repository path in a registry. */
export function shapeOf(registry: Registry, repo: string) {
  const read = (name: string, tag: string) => readImage(registry.url, `${repo}/${name}`, tag);
  return {
    push: (ws: Workspace, spec: Omit<EventSpec, 'name'>) => runCiImages(ws, { name: 'push', ...spec }, registry.host, { IMAGE_REPOSITORY: repo }),
    pullRequest: (ws: Workspace, spec: Omit<EventSpec, 'name'>) => runCiImages(ws, { name: 'pull_request', ...spec }, registry.host, { IMAGE_REPOSITORY: repo }),
    read,
    stamp: (name: string, tag: string, of: string) => readImageFile(registry.url, `${repo}/${name}`, tag, `/stamps/${of}`),
    basesOf: async (name: string, tag: string) => JSON.parse((await read(name, tag))?.labels[BASES_LABEL] ?? '[]') as { image: string; reference: string; digest?: string; written?: string }[],
    /** The images of `names` that have `tag` in the registry. */
    tagged: async (names: readonly string[], tag: string) => {
      const found = [];
      for (const name of names) if ((await listTags(registry.url, `${repo}/${name}`)).includes(tag)) found.push(name);
      return found;
    },
  };
}
