import { posix } from 'node:path';
import type { BuildArgNames } from '../dockerfile/repository-images';
import { normalizeRepository } from '../naming/refs';
import { argConvention, repositoryPart, type ArgConvention } from './arg-convention';
import { contextPlan, type ContextPlan } from './context-steps';
import { installedPackages, testsLayout, type TestsRule } from './tests-layout';
import { dockerfileLayout } from './layout';
import { detectPlatforms } from './platforms';
import { parseRemote, registryOfHost } from './remote';

/** What init reads of a repository: plain data gathered by the caller (the generator reads a Tree, a test writes a table). */
export interface RepositoryFacts {
  /** Every Dockerfile (`Dockerfile`, `Dockerfile.*`, `*.Dockerfile`) not ignored by git, with its text. */
  dockerfiles: { path: string; text: string }[];
  /** The branch git says is the default (origin/HEAD), else the one checked out; undefined when there is none. */
  defaultBranch?: string;
  /** The URL of the remote `origin`, when there is one. */
  originUrl?: string;
  /** Every file and folder path from the root that git does not ignore (the generator lists the tree). */
  paths: string[];
  /**
   * The text of the files detection reads beyond the Dockerfiles, by path:
   * the images' project.json and ignore files, the tests' Python files, the
   * images' environment and requirements files (see readsText).
   */
  texts?: Record<string, string>;
  /** The user's globs, when given: they replace the detected ones. */
  given?: { dockerfiles?: string; variants?: string; buildArgs?: BuildArgNames; selfNames?: string[] };
}

/** Whether detection reads a file's text (see RepositoryFacts.texts): what the generator gathers beside the Dockerfiles. */
export function readsText(path: string): boolean {
  const name = posix.basename(path);
  // The workflows: which platforms they build for.
  if (/^\.github\/workflows\/[^/]+\.ya?ml$/.test(path)) return true;
  if (name === 'project.json' || name === '.dockerignore' || name.endsWith('.Dockerfile.dockerignore') || /^Dockerfile.*\.dockerignore$/.test(name)) return true;
  if (/^environment.*\.ya?ml$/.test(name) || /^requirements.*\.txt$/.test(name)) return true;
  // The tests' Python files: what they import says where they run.
  return name.endsWith('.py') && (name === 'conftest.py' || /^test_|_test\.py$/.test(name) || path.split('/').some((part) => part === 'tests' || part === 'test'));
}

/** A value init could not decide, and how the user decides it. */
export interface Undecided {
  /** The option of the init generator that answers it. */
  option: 'registry' | 'repository' | 'defaultBranch' | 'dockerfiles' | 'buildArgs' | 'testsRun';
  question: string;
  /** The values seen, when the question is a choice among them. */
  choices: string[];
}

export interface DetectedImage {
  /** The Nx project: the image, or `<image>-<variant>`. */
  name: string;
  dockerfile: string;
  root: string;
  /** The images of this repository it takes from (FROM, COPY --from, RUN --mount from). */
  bases: string[];
  variantOf?: string;
}

export type { TestsRule } from './tests-layout';

export interface Detection {
  images: DetectedImage[];
  dockerfiles: string;
  variants: string;
  leftOut: { path: string; reason: string }[];
  buildArgs: BuildArgNames;
  /** Where the buildArgs come from, in a sentence. */
  buildArgsFrom: string;
  /** The literal names of this repository's images its Dockerfiles use (the selfNames option); empty: none. */
  selfNames: string[];
  /** Where the selfNames come from, in a sentence. */
  selfNamesFrom: string;
  /** The platforms the repository's workflows build for (the platforms option), two or more; empty: the default. */
  platforms: string[];
  /** Where the platforms come from, in a sentence. */
  platformsFrom: string;
  registry?: string;
  repository?: string;
  /** Where the registry and repository come from, in a sentence. */
  registryFrom: string;
  defaultBranch?: string;
  /** The tests rule to write; undefined: the plugin's default (`{root}/tests`, in the image). */
  tests?: TestsRule;
  testsFrom: string;
  /** The images and variants by level: level 1 takes from none of them. */
  levels: string[][];
  /** What the user should know: references the plugin will take for external images, cycles. */
  warnings: string[];
  /** The images' build contexts checked against the files: the prepare steps to write, the sources init cannot provide. */
  context: ContextPlan;
  undecided: Undecided[];
}

/** Reads a repository's images, their convention and its settings; never guesses: what it cannot decide is in `undecided`. */
export function detectRepository(facts: RepositoryFacts): Detection {
  const undecided: Undecided[] = [];
  const warnings: string[] = [];
  const layout = dockerfileLayout(facts.dockerfiles.map((file) => file.path), facts.given);
  const text = new Map(facts.dockerfiles.map((file) => [file.path, file.text]));
  if (layout.ties.length > 0) {
    undecided.push({ option: 'dockerfiles', question: `Which Dockerfiles are the images? ${layout.ties.join(' and ')} take as many each.`, choices: layout.ties });
  }
  for (const conflict of layout.conflicts) {
    undecided.push({ option: 'dockerfiles', question: `${conflict.path} is ${conflict.reason}: which glob leaves it out (or move it)?`, choices: [] });
  }
  if (layout.images.length === 0) {
    undecided.push({ option: 'dockerfiles', question: 'No Dockerfile sits in a folder named after an image: which glob finds the images (e.g. images/*/Dockerfile)?', choices: [] });
  }

  const projects = [
    ...layout.images.map((image) => ({ ...image, variantOf: undefined as string | undefined })),
    ...layout.variantsFound.map((variant) => ({ name: variant.name, dockerfile: variant.dockerfile, root: variant.root, variantOf: variant.image })),
  ];
  const convention = argConvention(
    projects.map((project) => ({ name: project.name, path: project.dockerfile, text: text.get(project.dockerfile) ?? '' })),
    layout.images.map((image) => image.name),
    facts.given?.buildArgs,
    facts.given?.selfNames,
  );
  if (convention.ties.length > 0) {
    const all = [convention.buildArgs, ...convention.ties].map(describeArgs);
    undecided.push({ option: 'buildArgs', question: `Which args name this repository's images? ${all.join(' or ')} resolve as many FROMs each.`, choices: all });
  }
  const buildArgsFrom =
    facts.given?.buildArgs
      ? 'given'
      : convention.resolved > 0
      ? `${convention.resolved} read${convention.resolved === 1 ? '' : 's'} of this repository's images resolve${convention.resolved === 1 ? 's' : ''} through them`
      : 'no Dockerfile names another image of this repository through build args: the plugin\'s own convention (what `nx g image` writes)';

  const images: DetectedImage[] = projects.map((project) => ({
    name: project.name,
    dockerfile: project.dockerfile,
    root: project.root,
    bases: convention.bases[project.name] ?? [],
    ...(project.variantOf ? { variantOf: project.variantOf } : {}),
  }));
  const { levels, cycle } = levelsOfImages(images);
  if (cycle.length > 0) warnings.push(`the images ${cycle.join(', ')} take from each other in a cycle: the plugin refuses to build them until one FROM is removed.`);

  const place = registryAndRepository(convention, facts.originUrl, undecided, warnings);
  if (!facts.defaultBranch) {
    undecided.push({ option: 'defaultBranch', question: 'Which branch is the default, whose tags every other branch falls back to (git has none checked out)?', choices: [] });
  }
  const textOf = (path: string) => facts.texts?.[path] ?? text.get(path);
  const installed = installedPackages([...facts.dockerfiles, ...Object.entries(facts.texts ?? {}).map(([path, content]) => ({ path, text: content }))]);
  const { question, ...tests } = testsLayout(images.filter((image) => !image.variantOf), new Set(facts.paths), facts.texts ?? {}, installed);
  if (question) undecided.push({ option: 'testsRun', ...question });
  const context = contextPlan(images.map((image) => ({ name: image.name, root: image.root, ...projectJsonOf(textOf(posix.join(image.root, 'project.json'))) })), facts.paths, textOf);
  return {
    images,
    dockerfiles: layout.dockerfiles,
    variants: layout.variants,
    leftOut: layout.leftOut,
    buildArgs: convention.buildArgs,
    buildArgsFrom,
    selfNames: convention.selfNames,
    selfNamesFrom: selfNamesEvidence(convention.literal),
    ...platformsOf(facts.texts ?? {}),
    ...place,
    ...(facts.defaultBranch ? { defaultBranch: facts.defaultBranch } : {}),
    ...tests,
    levels,
    warnings,
    context,
    undecided,
  };
}

/** The platforms of the workflows among the texts. */
function platformsOf(texts: Readonly<Record<string, string>>): Pick<Detection, 'platforms' | 'platformsFrom'> {
  const { platforms, from } = detectPlatforms(Object.fromEntries(Object.entries(texts).filter(([path]) => path.startsWith('.github/workflows/'))));
  return { platforms, platformsFrom: from };
}

/** A project.json's text, parsed; nothing when there is none or it does not parse (Nx itself reports that). */
function projectJsonOf(text: string | undefined): { projectJson?: { targets?: Record<string, { dependsOn?: readonly unknown[]; [key: string]: unknown } | undefined> } } {
  if (text === undefined) return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? { projectJson: parsed } : {};
  } catch {
    return {};
  }
}

/** Why the self names: the reads that name a folder of this repository literally, the first few shown. */
function selfNamesEvidence(literal: ArgConvention['literal']): string {
  if (literal.length === 0) return 'no Dockerfile names an image of this repository literally';
  const shown = literal.slice(0, 3).map((read) => `${read.path}: ${read.written}`);
  const more = literal.length > shown.length ? `, and ${literal.length - shown.length} more` : '';
  return `${literal.length} reference${literal.length === 1 ? '' : 's'} name${literal.length === 1 ? 's' : ''} a folder of this repository literally (${shown.join('; ')}${more})`;
}

/** `registry REGISTRY, repository OWNER, no base tag arg`: how a convention reads in a question. */
export function describeArgs(names: BuildArgNames): string {
  return [
    names.registry ? `registry ${names.registry}` : 'no registry arg',
    `repository ${names.repository}`,
    names.baseTag ? `base tag ${names.baseTag}` : 'no base tag arg',
  ].join(', ');
}

function levelsOfImages(images: readonly DetectedImage[]): { levels: string[][]; cycle: string[] } {
  const level = new Map<string, number>();
  const byName = new Map(images.map((image) => [image.name, image]));
  let remaining = [...byName.keys()];
  for (let n = 1; remaining.length > 0; n++) {
    const ready = remaining.filter((name) => (byName.get(name)?.bases ?? []).every((base) => (level.get(base) ?? n) < n));
    if (ready.length === 0) return { levels: levelsFrom(level), cycle: remaining.sort() };
    for (const name of ready) level.set(name, n);
    remaining = remaining.filter((name) => !ready.includes(name));
  }
  return { levels: levelsFrom(level), cycle: [] };
}

function levelsFrom(level: ReadonlyMap<string, number>): string[][] {
  const levels: string[][] = [];
  for (const [name, n] of [...level.entries()].sort((a, b) => a[0].localeCompare(b[0]))) (levels[n - 1] ??= []).push(name);
  return levels;
}

/** The registry and repository: the Dockerfiles' defaults, else the literal references, else the remote; several candidates are a question. */
function registryAndRepository(
  convention: ReturnType<typeof argConvention>,
  originUrl: string | undefined,
  undecided: Undecided[],
  notes: string[],
): Pick<Detection, 'registry' | 'repository' | 'registryFrom'> {
  const registries = new Set<string>();
  const repositories = new Set<string>();
  let from = '';
  if (convention.buildArgs.registry) {
    for (const value of convention.registryDefaults) registries.add(value);
    for (const value of convention.repositoryDefaults) repositories.add(value);
    if (registries.size + repositories.size > 0) from = `the defaults of ARG ${convention.buildArgs.registry} and ${convention.buildArgs.repository} in the Dockerfiles`;
  } else {
    for (const value of convention.repositoryDefaults) addSplit(value, registries, repositories);
    if (registries.size + repositories.size > 0) from = `the default of ARG ${convention.buildArgs.repository} in the Dockerfiles`;
  }
  if (registries.size + repositories.size === 0 && convention.literal.length > 0) {
    const places = convention.literal.map((read) => literalPlace(read.written));
    for (const place of places) {
      registries.add(place.registry);
      repositories.add(place.repository);
    }
    const first = convention.literal[0];
    const implied = places.some((place) => place.implied);
    from = `the literal references to this repository's images (${first?.path ?? ''}: ${first?.written ?? ''}${convention.literal.length > 1 ? `, and ${convention.literal.length - 1} more` : ''}${implied ? '; no registry written, so Docker Hub: docker.io' : ''})`;
  }
  const remote = originUrl ? parseRemote(originUrl) : undefined;
  if (registries.size === 0 && remote && registryOfHost(remote.host)) {
    registries.add(registryOfHost(remote.host) ?? '');
    from ||= `the remote origin (${remote.host})`;
  }
  if (repositories.size === 0 && remote) {
    repositories.add(remote.path.toLowerCase());
    from = from && !from.startsWith('the remote') ? `${from}, and the remote origin` : `the remote origin (${remote.host}/${remote.path})`;
  }
  const pick = (values: Set<string>, option: 'registry' | 'repository', valid: (value: string) => boolean, question: string): string | undefined => {
    const list = [...values];
    if (list.length === 1 && list[0] !== undefined && valid(list[0])) return list[0];
    undecided.push({ option, question: list.length > 1 ? `${question} The Dockerfiles say ${list.join(' and ')}.` : list.length === 1 ? `${question} ${list[0]} is not valid.` : question, choices: list });
    return undefined;
  };
  if (remote && registries.size === 1 && repositories.size === 1 && from.startsWith('the default')) {
    const remoteRegistry = registryOfHost(remote.host);
    const remotePath = remote.path.toLowerCase();
    if (remoteRegistry && (remoteRegistry !== [...registries][0] || remotePath !== [...repositories][0])) {
      notes.push(`the Dockerfiles name ${[...registries][0]}/${[...repositories][0]} while the remote would give ${remoteRegistry}/${remotePath}: init follows the Dockerfiles; pass --registry and --repository for the other.`);
    }
  }
  const registry = pick(registries, 'registry', (value) => /^[a-z0-9.-]+(?::\d+)?$/.test(value) && (value.includes('.') || value.startsWith('localhost')), 'Which registry do the images go to (e.g. ghcr.io)?');
  const repository = pick(repositories, 'repository', isRepository, 'Which repository path do the images go under (owner or owner/name)?');
  return { ...(registry ? { registry } : {}), ...(repository ? { repository } : {}), registryFrom: from || 'nothing: no Dockerfile default and no remote' };
}

/**
 * Where a literal reference to an image of this repository says the images
 * are: `ghcr.io/owner/repo/x:1` -> ghcr.io, owner/repo; `owner/x:${TAG}`,
 * with no registry written, Docker Hub's (docker.io, as `index.docker.io` is too).
 */
export function literalPlace(written: string): { registry: string; repository: string; implied: boolean } {
  const name = repositoryPart(written);
  const path = name.slice(0, Math.max(0, name.lastIndexOf('/')));
  const slash = path.indexOf('/');
  const first = slash < 0 ? path : path.slice(0, slash);
  const isHost = first.includes('.') || first.includes(':') || first === 'localhost';
  if (!isHost) return { registry: 'docker.io', repository: path, implied: true };
  const registry = ['index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com'].includes(first) ? 'docker.io' : first;
  return { registry, repository: slash < 0 ? '' : path.slice(slash + 1), implied: false };
}

function addSplit(value: string, registries: Set<string>, repositories: Set<string>): void {
  const slash = value.indexOf('/');
  const host = slash > 0 ? value.slice(0, slash) : '';
  if (host.includes('.') || host.includes(':') || host === 'localhost') {
    registries.add(host);
    repositories.add(value.slice(slash + 1));
  } else {
    repositories.add(value);
  }
}

function isRepository(value: string): boolean {
  try {
    return normalizeRepository(value) === value;
  } catch {
    return false;
  }
}
