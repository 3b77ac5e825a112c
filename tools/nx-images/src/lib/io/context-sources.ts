import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { contextSources, missingContextSources, type MissingSource } from '../core/dockerfile/context-sources';
import type { ProjectLike } from '../core/graph/image-project';
import type { InputsSource } from '../core/inputs/build-inputs';
import { contextCheckOf, imageBuildSpec } from '../core/inputs/image-spec';
import { treeAtCommit, treeOnDisk } from './input-trees';

/**
 * The sources one image's COPY and ADD instructions would not find in its
 * build context as it is on the disk now (every file there, ignored by git
 * or not, as the engine would send it), a step's declared outputs counted
 * as there: what a dry run checks before anything is built.
 */
export async function missingSourcesOnDisk(workspaceRoot: string, image: string, project: ProjectLike): Promise<MissingSource[]> {
  const spec = imageBuildSpec(project);
  const dockerfile = posix.normalize(spec.dockerfile);
  const text = await readFile(join(workspaceRoot, dockerfile), 'utf8').catch(() => undefined);
  if (text === undefined) return [];
  // The context, the Dockerfile's own ignore file, and each source as a path from the root: a missing one found there is named.
  const atRoot = contextSources(text).filter((source) => !source.wildcard && source.path !== '').map((source) => source.path);
  const tree = await treeOnDisk(workspaceRoot, [spec.context === '' ? '.' : spec.context, `${dockerfile}.dockerignore`, ...atRoot]);
  const source: InputsSource = { files: tree.files, text: (path) => (path === dockerfile ? text : tree.text(path)) };
  const check = contextCheckOf(image, project, source);
  return check ? missingContextSources(check) : [];
}

/**
 * The sources the images' COPY and ADD instructions would not find in
 * their build contexts at a commit, as git holds it (one `git ls-tree`, one
 * `git cat-file --batch`): what the plan checks before any build, for a
 * fresh clone of that commit. An image whose Dockerfile the commit lacks is skipped.
 */
export async function missingSourcesAtCommit(cwd: string, commit: string, images: Readonly<Record<string, ProjectLike>>): Promise<MissingSource[]> {
  const dockerfiles = Object.values(images).map((project) => posix.normalize(imageBuildSpec(project).dockerfile));
  const tree = await treeAtCommit(cwd, commit, dockerfiles);
  return Object.entries(images)
    .sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([image, project]) => {
      const check = contextCheckOf(image, project, tree);
      return check ? missingContextSources(check) : [];
    });
}
