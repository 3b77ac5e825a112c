import { posix } from 'node:path';
import { visitNotIgnoredFiles, type Tree } from '@nx/devkit';
import { readsText, type RepositoryFacts } from '../../lib/core/adopt/detect';
import { CommandError, run } from '../../lib/io/exec';
import { currentBranch, remoteUrl } from '../../lib/io/git';

const DOCKERFILE = /^(?:Dockerfile(?:\..+)?|.+\.Dockerfile)$/;
/** A text larger than this says nothing detection needs (a generated file, data). */
const MAX_TEXT = 512 * 1024;

/** What git says of the repository: its default branch and origin; nothing when it is no git repository. */
export interface GitFacts {
  defaultBranch?: string;
  originUrl?: string;
}

/** The Dockerfiles, the paths (files and their folders) and the other texts of the tree, as detection reads them. */
export function treeFacts(tree: Tree, git: GitFacts): RepositoryFacts {
  const dockerfiles: RepositoryFacts['dockerfiles'] = [];
  const paths = new Set<string>();
  const texts: Record<string, string> = {};
  visitNotIgnoredFiles(tree, '', (path) => {
    for (let folder = posix.dirname(path); folder !== '.'; folder = posix.dirname(folder)) paths.add(folder);
    paths.add(path);
    if (DOCKERFILE.test(posix.basename(path)) && !path.endsWith('.dockerignore')) dockerfiles.push({ path, text: tree.read(path, 'utf-8') ?? '' });
    else if (readsText(path)) {
      const bytes = tree.read(path);
      if (bytes && bytes.length <= MAX_TEXT) texts[path] = bytes.toString('utf8');
    }
  });
  return { dockerfiles, paths: [...paths].sort(), texts, ...git };
}

/** The default branch (origin/HEAD, else the one checked out) and the origin URL of the repository at `root`. */
export async function gitFacts(root: string): Promise<GitFacts> {
  const originHead = await run({ command: 'git', args: ['symbolic-ref', '--quiet', '--short', 'refs/remotes/origin/HEAD'], cwd: root })
    .then((result) => result.stdout.trim().replace(/^origin\//, ''))
    .catch(() => '');
  // Outside a git repository there is no branch to read: the user is asked for one.
  const branch = originHead || (await currentBranch(root).catch((error: unknown) => {
    if (error instanceof CommandError) return undefined;
    throw error;
  }));
  const originUrl = await remoteUrl(root).catch(() => undefined);
  return { ...(branch ? { defaultBranch: branch } : {}), ...(originUrl ? { originUrl } : {}) };
}
