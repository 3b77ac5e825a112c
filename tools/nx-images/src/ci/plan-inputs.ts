import { decideImage, unreadFiles, type ChangedFile, type Decision } from '../lib/core/ci/affected';
import type { ImageComparison } from '../lib/core/ci/compare-commits';
import { imageGraph } from '../lib/core/graph/image-graph';
import { imageTargetNames, type ProjectLike } from '../lib/core/graph/image-project';
import { imageOfDockerfile, variantOfDockerfile } from '../lib/core/graph/dockerfile-globs';
import { type WorkspaceSettings } from '../lib/core/graph/plugin-options';
import { buildInputs, type BuildInputs, type ImageBuildSpec, type InputsSource } from '../lib/core/inputs/build-inputs';
import { imageBuildSpec, testFilesOf } from '../lib/core/inputs/image-spec';
import { locateTests, normalizeTestRule, type TestRule } from '../lib/core/evidence/test-rule';
import { changesBetween } from '../lib/io/git';
import { treeAtCommit } from '../lib/io/input-trees';
import { projectConfigurationsAt } from '../lib/io/nx-cli';

/** What the registry says of the image under this branch's tag: its inputs label, and what it was built from. */
export interface Tagged {
  inputs: string;
  reference: string;
  revision?: string;
}

export interface InputsRequest {
  cwd: string;
  head: string;
  /** Every project at HEAD, as nx graph gave them. */
  projects: Readonly<Record<string, ProjectLike>>;
  images: readonly string[];
  comparisons: readonly ImageComparison[];
  /** Per image, the image now under this branch's tag, when it records its inputs. */
  tagged: Readonly<Record<string, Tagged | undefined>>;
  /** The commit the push as a whole is compared with (the event's): its changes are what the plan explains. */
  pushCompare?: string;
  settings: Pick<WorkspaceSettings, 'dockerfiles' | 'variants' | 'tests'>;
  /** The clone's trees and changes, when the plan started reading them early. */
  reads?: CommitReads;
}

/** What git holds of commits, each read once per plan: a commit's tree and the changes between two never change. */
export interface CommitReads {
  tree(commit: string): Promise<InputsSource>;
  changes(from: string, to: string): Promise<ChangedFile[]>;
}

export function commitReads(cwd: string): CommitReads {
  const trees = new Map<string, Promise<InputsSource>>();
  const changes = new Map<string, Promise<ChangedFile[]>>();
  const once = <T>(known: Map<string, Promise<T>>, key: string, read: () => Promise<T>): Promise<T> => {
    const pending = known.get(key) ?? read();
    known.set(key, pending);
    return pending;
  };
  return {
    tree: (commit) => once(trees, commit, () => treeAtCommit(cwd, commit)),
    changes: (from, to) => once(changes, `${from}..${to}`, () => changesBetween(cwd, from, to)),
  };
}

export interface InputsPlan {
  decisions: Decision[];
  /** Images the push compare commit had and HEAD has not; renamedTo when a HEAD image's Dockerfile is theirs, moved. */
  removed: { image: string; renamedTo?: string }[];
  /** Files the push changed that no image's build reads and no image's tests are made of. */
  unread: string[];
  /** The digest of what each image reads at HEAD. */
  inputs: Record<string, string>;
}

/** One compare commit, read once: its tree, what changed since, and its projects. */
interface AtCommit {
  tree: InputsSource;
  changed: ChangedFile[];
  /** Project name -> configuration at that commit (HEAD's where nothing that shapes projects changed). */
  projects: Readonly<Record<string, ProjectLike>>;
  /** The images at that commit, by name, with their Dockerfile. */
  images: Map<string, string>;
  /** Their folders. */
  roots: string[];
}

/**
 * Decides every image of HEAD by what its build reads: the registry's
 * record of its inputs first (the image under the tag was built from the
 * same: nothing to do), else the inputs at the commit it is compared with.
 * One `git ls-tree` per commit; `nx graph` at an older commit only when
 * nx.json or an image's project.json changed since.
 */
export async function decideByInputs(request: InputsRequest): Promise<InputsPlan> {
  const { cwd, head, projects } = request;
  const reads = request.reads ?? commitReads(cwd);
  const headTree = await reads.tree(head);
  const { specs, inputs: headInputs } = inputsOf(request.images, projects, headTree);
  const testRule = (image: string) => ownTestRule(projects[image]) ?? request.settings.tests;
  const tests = (image: string, tree: InputsSource) => testFilesOf(locateTests(testRule(image), { name: image, root: projects[image]?.root ?? '' }), tree.files);

  const commits = new Map<string, Promise<AtCommit>>();
  const at = (commit: string) => {
    let known = commits.get(commit);
    if (!known) {
      known = readCommit(cwd, reads, commit, head, projects, request.settings);
      commits.set(commit, known);
    }
    return known;
  };

  const decisions: Decision[] = [];
  for (const comparison of request.comparisons) {
    const { image } = comparison;
    const headOf = headInputs[image];
    const tagged = request.tagged[image];
    if (comparison.buildAnyway || comparison.commit === undefined) {
      decisions.push(decideImage({ image, head: headOf, tests: [], comparison, ...(tagged ? { tagged } : {}) }));
      continue;
    }
    const then = await at(comparison.commit);
    const before = then.images.has(image)
      ? { inputs: buildInputs(imageBuildSpec({ name: image, ...(then.projects[image] ?? projects[image]) }, then.roots), then.tree), tests: tests(image, then.tree) }
      : { tests: [], ...renamedFrom(image, specs[image].dockerfile, then) };
    decisions.push(
      decideImage({ image, head: headOf, tests: tests(image, headTree), comparison, before, changed: then.changed, ...(tagged ? { tagged } : {}) }),
    );
  }

  const push = request.pushCompare ? await at(request.pushCompare) : undefined;
  const removed: InputsPlan['removed'] = [];
  if (push) {
    for (const [image, dockerfile] of push.images) {
      if (request.images.includes(image)) continue;
      const moved = push.changed.find((change) => change.from === dockerfile);
      const renamedTo = moved ? request.images.find((candidate) => specs[candidate]?.dockerfile === moved.path) : undefined;
      removed.push(renamedTo ? { image, renamedTo } : { image });
    }
  }
  const readers = request.images.flatMap((image) => [headInputs[image], { files: tests(image, headTree) }]);
  const unread = push ? unreadFiles(push.changed, [...readers, ...removedReaders(push, removed)]) : [];
  const inputs = Object.fromEntries(Object.entries(headInputs).map(([image, read]) => [image, read.digest]));
  return { decisions, removed: removed.sort((a, b) => a.image.localeCompare(b.image)), unread, inputs };
}

/** Every image's build spec and what it reads in one tree. */
function inputsOf(images: readonly string[], projects: Readonly<Record<string, ProjectLike>>, tree: InputsSource): { specs: Record<string, ImageBuildSpec>; inputs: Record<string, BuildInputs> } {
  const roots = images.map((image) => projects[image]?.root ?? '').filter((root) => root !== '');
  const specs: Record<string, ImageBuildSpec> = {};
  const inputs: Record<string, BuildInputs> = {};
  for (const image of images) {
    specs[image] = imageBuildSpec({ name: image, ...projects[image] }, roots);
    const read = buildInputs(specs[image], tree);
    if (!read) throw new Error(`decideByInputs: ${image}'s Dockerfile ${specs[image].dockerfile} is not in the tree`);
    inputs[image] = read;
  }
  return { specs, inputs };
}

/** The digest of what each image reads at HEAD: what a run that builds by request (a dispatch, a refresh) hands its jobs. */
export async function inputsAtHead(cwd: string, head: string, projects: Readonly<Record<string, ProjectLike>>, images: readonly string[]): Promise<Record<string, string>> {
  const { inputs } = inputsOf(images, projects, await treeAtCommit(cwd, head));
  return Object.fromEntries(Object.entries(inputs).map(([image, read]) => [image, read.digest]));
}

/** A removed image's files at the compare commit: a change to them is explained by its removal. */
function removedReaders(push: AtCommit, removed: InputsPlan['removed']): { files: readonly string[] }[] {
  return removed.flatMap(({ image }) => {
    const dockerfile = push.images.get(image) ?? '';
    const root = dockerfile.slice(0, dockerfile.lastIndexOf('/'));
    return [{ files: push.tree.files.map((file) => file.path).filter((path) => path === dockerfile || path.startsWith(`${root}/`)) }];
  });
}

/** The image a HEAD image was renamed from: a Dockerfile of the compare commit's, moved (by git's rename detection) to this image's. */
function renamedFrom(image: string, dockerfile: string, then: AtCommit): { renamedFrom?: string } {
  const moved = then.changed.find((change) => change.path === dockerfile && change.from !== undefined);
  if (!moved) return {};
  const old = [...then.images].find(([, file]) => file === moved.from);
  return old && old[0] !== image ? { renamedFrom: old[0] } : {};
}

async function readCommit(
  cwd: string,
  reads: CommitReads,
  commit: string,
  head: string,
  projects: Readonly<Record<string, ProjectLike>>,
  settings: Pick<WorkspaceSettings, 'dockerfiles' | 'variants'>,
): Promise<AtCommit> {
  const [tree, changed] = await Promise.all([reads.tree(commit), reads.changes(commit, head)]);
  // nx.json and the project.json files shape the projects; HEAD's stand for the commit's when neither changed.
  const shapes = (path: string | undefined) => path === 'nx.json' || path === 'project.json' || (path?.endsWith('/project.json') ?? false);
  const reshaped = changed.some((change) => shapes(change.path) || shapes(change.from));
  const then = reshaped ? await projectConfigurationsAt(cwd, commit) : projects;
  const images = new Map<string, string>();
  if (reshaped) {
    for (const image of imageGraph(then).images) images.set(image, imageBuildSpec({ name: image, ...then[image] }).dockerfile);
  } else {
    // Nothing that shapes projects changed: the images of that commit are its Dockerfiles the plugin's globs take.
    for (const file of tree.files) {
      const variant = variantOfDockerfile(file.path, settings.variants);
      const name = variant?.project ?? imageOfDockerfile(file.path, settings.dockerfiles);
      if (name !== undefined) images.set(name, file.path);
    }
  }
  const roots = [...images.values()].map((dockerfile) => dockerfile.slice(0, Math.max(0, dockerfile.lastIndexOf('/'))));
  return { tree, changed, projects: then, images, roots };
}

/** The tests rule an image's own test target carries, when it has one. */
function ownTestRule(project: ProjectLike | undefined): TestRule | undefined {
  if (!project) return undefined;
  const options = (project.targets?.[imageTargetNames(project).test] as { options?: { tests?: unknown } } | undefined)?.options;
  return options?.tests === undefined ? undefined : normalizeTestRule(options.tests, { image: project.name ?? '', subject: 'tests' });
}
