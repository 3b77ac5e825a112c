import { createHash } from 'node:crypto';
import { join, posix } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { generateFiles, logger, type Tree } from '@nx/devkit';
import { PLUGIN_NAME } from '../../lib/core/graph/plugin-options';
import { gitignoreWith, withPrepareStep } from '../../lib/core/adopt/context-steps';
import { describeArgs } from '../../lib/core/adopt/detect';
import { missingSourceError } from '../../lib/core/dockerfile/context-sources';
import { parseRemote } from '../../lib/core/adopt/remote';
import { gitFacts, treeFacts, type GitFacts } from './facts';
import { resolveSettings, type Ask, type InitSettings } from './settings';
import type { InitGeneratorSchema } from './schema';

/** What init keeps of its own writes, so a file edited since is told from one it may update: hashes only, never in nx.json (an input of every task). */
export const RECORD_PATH = '.nx-images/init.json';
export const WORKFLOWS = ['image-build.yml', 'image-build-one.yml', 'release.yml'] as const;
/** The scripts the workflows call: the package's `nx-images` bin. */
export const SCRIPTS: Readonly<Record<string, string>> = { 'ci:images': 'nx-images images', 'ci:release': 'nx-images release', 'ci:free-disk': 'nx-images free-disk' };
/** The fewest level jobs image-build.yml has, so an image added later rarely needs one more. */
const MIN_LEVEL_JOBS = 6;

export interface InitDoors {
  git: GitFacts;
  ask: Ask;
}

interface Outcome {
  path: string;
  action: 'wrote' | 'updated' | 'unchanged' | 'kept';
  why?: string;
}

interface InitRecord {
  version: 1;
  /** path (or `nx.json#plugin`, `package.json#scripts.<name>`) -> sha256 of what init wrote there. */
  wrote: Record<string, string>;
}

/** `nx g @fornax/nx-images:init` (and `nx add`): detect, decide, write, report. */
export default async function initGenerator(tree: Tree, schema: InitGeneratorSchema): Promise<void> {
  const interactive = process.env.NX_INTERACTIVE === 'true' && process.stdin.isTTY;
  const report = await initWith(tree, schema, { git: await gitFacts(tree.root), ask: interactive ? askOnTerminal : () => Promise.resolve(undefined) });
  for (const line of report) logger.info(line);
}

/** The generator with its doors passed in: returns the lines it reports. */
export async function initWith(tree: Tree, schema: InitGeneratorSchema, doors: InitDoors): Promise<string[]> {
  const settings = await resolveSettings(treeFacts(tree, doors.git), schema, doors.ask);
  const record = readRecord(tree);
  const wrote: Record<string, string> = { ...record.wrote };
  const force = schema.force === true;
  const outcomes = [
    ...writeNxJson(tree, settings, wrote, force),
    ...writePackageJson(tree, wrote, force),
    ...writeWorkflows(tree, settings, doors.git, wrote, force),
    ...writeContextSteps(tree, settings),
  ];
  const next: InitRecord = { version: 1, wrote: Object.fromEntries(Object.entries(wrote).sort(([a], [b]) => a.localeCompare(b))) };
  const nextText = `${JSON.stringify(next, null, 2)}\n`;
  if (tree.read(RECORD_PATH, 'utf-8') !== nextText) tree.write(RECORD_PATH, nextText);
  return reportLines(settings, outcomes, doors.git);
}

/** The plugin's options as init writes them into nx.json: only what differs from nothing, in a fixed order. */
export function pluginOptions(settings: InitSettings): Record<string, unknown> {
  return {
    dockerfiles: settings.dockerfiles,
    ...(settings.variants ? { variants: settings.variants } : {}),
    buildArgs: settings.buildArgs,
    ...(settings.selfNames.length > 0 ? { selfNames: settings.selfNames } : {}),
    ...(settings.platforms.length > 0 ? { platforms: settings.platforms } : {}),
    ...(settings.tests ? { tests: settings.tests } : {}),
  };
}

function writeNxJson(tree: Tree, settings: InitSettings, wrote: Record<string, string>, force: boolean): Outcome[] {
  const text = tree.read('nx.json', 'utf-8');
  const nxJson = (text === null ? { $schema: './node_modules/nx/schemas/nx-schema.json' } : JSON.parse(text)) as Record<string, unknown> & { plugins?: unknown[]; defaultBase?: string };
  const outcomes: Outcome[] = [];
  const entry = { plugin: PLUGIN_NAME, options: pluginOptions(settings) };
  const plugins = [...(nxJson.plugins ?? [])];
  const index = plugins.findIndex((plugin) => (typeof plugin === 'string' ? plugin : (plugin as { plugin?: string }).plugin) === PLUGIN_NAME);
  const key = 'nx.json#plugin';
  if (index < 0) {
    plugins.push(entry);
    outcomes.push({ path: 'nx.json', action: 'wrote', why: `the ${PLUGIN_NAME} plugin entry` });
  } else if (hashOf(plugins[index]) === hashOf(entry)) {
    outcomes.push({ path: 'nx.json', action: 'unchanged', why: `the ${PLUGIN_NAME} plugin entry` });
  } else if (force || wrote[key] === hashOf(plugins[index])) {
    plugins[index] = entry;
    outcomes.push({ path: 'nx.json', action: 'updated', why: `the ${PLUGIN_NAME} plugin entry` });
  } else {
    outcomes.push({ path: 'nx.json', action: 'kept', why: `its ${PLUGIN_NAME} entry differs from what init writes and was not written by it (or edited since): --force replaces it` });
  }
  if (outcomes[0]?.action !== 'kept') wrote[key] = hashOf(entry);
  const next: Record<string, unknown> = { ...nxJson };
  if (!nxJson.defaultBase) next.defaultBase = settings.defaultBranch;
  else if (nxJson.defaultBase !== settings.defaultBranch) outcomes.push({ path: 'nx.json', action: 'kept', why: `defaultBase ${nxJson.defaultBase} (git says ${settings.defaultBranch})` });
  next.plugins = plugins;
  // Rewritten only when its content changes, so a file formatted by hand keeps its form.
  if (text === null || JSON.stringify(JSON.parse(text)) !== JSON.stringify(next)) tree.write('nx.json', `${JSON.stringify(next, null, 2)}\n`);
  return outcomes;
}

function writePackageJson(tree: Tree, wrote: Record<string, string>, force: boolean): Outcome[] {
  const text = tree.read('package.json', 'utf-8');
  const pkg = (text === null ? { name: 'images', private: true } : JSON.parse(text)) as Record<string, unknown> & { scripts?: Record<string, string> };
  const scripts = { ...(pkg.scripts ?? {}) };
  const outcomes: Outcome[] = [];
  for (const [name, command] of Object.entries(SCRIPTS)) {
    const key = `package.json#scripts.${name}`;
    const current = scripts[name];
    if (current === command) {
      outcomes.push({ path: 'package.json', action: 'unchanged', why: `script ${name}` });
    } else if (current === undefined || force || wrote[key] === hashOf(current)) {
      scripts[name] = command;
      outcomes.push({ path: 'package.json', action: current === undefined ? 'wrote' : 'updated', why: `script ${name}: ${command}` });
    } else {
      outcomes.push({ path: 'package.json', action: 'kept', why: `script ${name} ("${current}"): the workflows call it; --force makes it "${command}"` });
      continue;
    }
    wrote[key] = hashOf(command);
  }
  const next = { ...pkg, scripts };
  if (text === null || JSON.stringify(JSON.parse(text)) !== JSON.stringify(next)) tree.write('package.json', `${JSON.stringify(next, null, 2)}\n`);
  return outcomes;
}

/** The values the workflow templates are rendered with: the registry's login and the env the steps need beyond GitHub's defaults. */
export function workflowValues(settings: Pick<InitSettings, 'registry' | 'repository' | 'detection'>, git: GitFacts) {
  const ghcr = settings.registry === 'ghcr.io';
  const remote = git.originUrl ? parseRemote(git.originUrl) : undefined;
  // Without these the workflows push to ghcr.io under GITHUB_REPOSITORY: only the differences are written.
  const env: Record<string, string> = {};
  if (!ghcr) env.IMAGE_REGISTRY = settings.registry;
  if (!(remote?.host === 'github.com' && remote.path.toLowerCase() === settings.repository)) env.IMAGE_REPOSITORY = settings.repository;
  return {
    registry: settings.registry,
    ghcr,
    loginName: ghcr ? 'GitHub Container Registry' : settings.registry,
    username: ghcr ? '${{ github.actor }}' : '${{ secrets.REGISTRY_USERNAME }}',
    password: ghcr ? '${{ secrets.GITHUB_TOKEN }}' : '${{ secrets.REGISTRY_PASSWORD }}',
    /** `env:` lines, each indented by `indent` spaces. */
    envLines: (indent: number, only: readonly string[] = ['IMAGE_REGISTRY', 'IMAGE_REPOSITORY']) =>
      Object.entries(env)
        .filter(([name]) => only.includes(name))
        .map(([name, value]) => `${' '.repeat(indent)}${name}: ${value}\n`)
        .join(''),
    hasEnv: Object.keys(env).length > 0,
    levelJobs: Math.max(MIN_LEVEL_JOBS, settings.detection.levels.length),
  };
}

function writeWorkflows(tree: Tree, settings: InitSettings, git: GitFacts, wrote: Record<string, string>, force: boolean): Outcome[] {
  const paths = WORKFLOWS.map((name) => `.github/workflows/${name}`);
  const before = new Map(paths.map((path) => [path, tree.read(path, 'utf-8')]));
  generateFiles(tree, join(__dirname, 'files', 'workflows'), '.github/workflows', workflowValues(settings, git));
  return paths.map((path): Outcome => {
    const old = before.get(path) ?? null;
    const rendered = tree.read(path, 'utf-8') ?? '';
    if (old === rendered) return { path, action: 'unchanged' };
    if (old !== null && !force && wrote[path] !== hashOf(old)) {
      tree.write(path, old);
      return { path, action: 'kept', why: 'edited since init wrote it, or not written by init: --force overwrites it' };
    }
    wrote[path] = hashOf(rendered);
    return { path, action: old === null ? 'wrote' : 'updated' };
  });
}

/**
 * For each image whose Dockerfile copies a file its context lacks but the
 * repository root has: the prepare step copying it in, in the image's
 * project.json (docker-build depending on it), and the copy in its .gitignore.
 * Added to what is there; run again, nothing is missing and nothing is written.
 */
function writeContextSteps(tree: Tree, settings: InitSettings): Outcome[] {
  const outcomes: Outcome[] = [];
  for (const step of settings.detection.context.prepare) {
    const path = posix.join(step.root, 'project.json');
    const text = tree.read(path, 'utf-8');
    const json = withPrepareStep(text === null ? undefined : (JSON.parse(text) as Record<string, unknown>), step);
    tree.write(path, `${JSON.stringify(json, null, 2)}\n`);
    const what = step.copies.map((copy) => (copy.from === copy.to ? copy.from : `${copy.from} as ${copy.to}`)).join(', ');
    outcomes.push({ path, action: text === null ? 'wrote' : 'updated', why: `a ${step.target} step before docker-build copying ${what} from the repository root, which its Dockerfile copies` });
    const ignorePath = posix.join(step.root, '.gitignore');
    const ignore = gitignoreWith(tree.read(ignorePath, 'utf-8') ?? undefined, step.copies.map((copy) => copy.to));
    if (ignore !== undefined) {
      outcomes.push({ path: ignorePath, action: tree.exists(ignorePath) ? 'updated' : 'wrote', why: `git ignores what the ${step.target} step copies` });
      tree.write(ignorePath, ignore);
    }
  }
  return outcomes;
}

function readRecord(tree: Tree): InitRecord {
  const text = tree.read(RECORD_PATH, 'utf-8');
  if (text === null) return { version: 1, wrote: {} };
  try {
    const parsed = JSON.parse(text) as Partial<InitRecord>;
    return { version: 1, wrote: typeof parsed.wrote === 'object' && parsed.wrote !== null ? parsed.wrote : {} };
  } catch {
    // An unreadable record protects nothing: every existing file counts as the user's.
    return { version: 1, wrote: {} };
  }
}

/** sha256 of a text, or of a JSON value with its keys sorted. */
function hashOf(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value, (_key, inner: unknown) => (inner && typeof inner === 'object' && !Array.isArray(inner) ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => a.localeCompare(b))) : inner));
  return createHash('sha256').update(text).digest('hex');
}

function reportLines(settings: InitSettings, outcomes: readonly Outcome[], git: GitFacts): string[] {
  const { detection } = settings;
  const levelOf = new Map(detection.levels.flatMap((names, index) => names.map((name) => [name, index + 1] as const)));
  const images = detection.images.filter((image) => !image.variantOf).length;
  const variants = detection.images.length - images;
  const lines = [
    `init: ${images} image${images === 1 ? '' : 's'} in ${settings.dockerfiles}${variants > 0 ? ` and ${variants} variant${variants === 1 ? '' : 's'} in ${settings.variants}` : ''}:`,
  ];
  for (const image of detection.images) {
    lines.push(`  ${image.name}: level ${levelOf.get(image.name) ?? '?'}, ${image.bases.length > 0 ? `on ${image.bases.join(', ')}` : 'on no image of this repository'} (${image.dockerfile})`);
  }
  detection.levels.forEach((names, index) => lines.push(`init: level ${index + 1}: ${names.join(', ')}`));
  for (const entry of detection.leftOut) lines.push(`init: left out ${entry.path}: ${entry.reason}`);
  for (const warning of detection.warnings) lines.push(`init: note: ${warning}`);
  for (const missing of detection.context.unresolved) lines.push(`init: ${missing.fails ? 'missing' : 'note'}: ${missingSourceError(missing).message}`);
  const source = (option: string, detected: string) => (settings.given.includes(option) ? 'given' : detected);
  lines.push(`init: build args: ${describeArgs(settings.buildArgs)}${settings.buildArgs.imageTag ? `, image tag ${settings.buildArgs.imageTag}` : ''} (${source('buildArgs', detection.buildArgsFrom)})`);
  if (settings.selfNames.length > 0) lines.push(`init: self names: ${settings.selfNames.join(', ')}, read as this repository's images wherever it pushes (${source('selfNames', detection.selfNamesFrom)})`);
  lines.push(`init: platforms: ${settings.platforms.length > 0 ? `${settings.platforms.join(', ')}, each on its own runner in CI` : 'the runner\'s own'} (${source('platforms', detection.platformsFrom)})`);
  lines.push(`init: images go to ${settings.registry}/${settings.repository}/<image> (${settings.given.includes('registry') || settings.given.includes('repository') ? 'given' : `from ${detection.registryFrom}`})`);
  lines.push(`init: default branch ${settings.defaultBranch} (${source('defaultBranch', 'from git')})`);
  lines.push(`init: tests: ${settings.tests ? JSON.stringify(settings.tests) : '{root}/tests, in the image (the default)'} (${source('tests', detection.testsFrom)})`);
  lines.push(`init: nx.json ${PLUGIN_NAME} options: ${JSON.stringify(pluginOptions(settings))}`);
  for (const outcome of outcomes) lines.push(`init: ${outcome.action} ${outcome.path}${outcome.why ? `: ${outcome.why}` : ''}`);
  const values = workflowValues(settings, git);
  lines.push('init: left to do by hand:');
  lines.push('  - npm install, then commit package.json, package-lock.json (the workflows\' npm cache needs it), nx.json, .github/workflows and .nx-images/init.json');
  lines.push(
    values.ghcr
      ? '  - nothing for ghcr.io: the workflows push with the job\'s GITHUB_TOKEN; a package pushed before by hand needs this repository under Package settings -> Manage Actions access, with Write'
      : `  - the repository secrets REGISTRY_USERNAME and REGISTRY_PASSWORD: an account that may push to ${settings.registry}/${settings.repository}`,
  );
  lines.push('  - optional: the variables IMAGE_MIRRORS and MIRROR_REGISTRY with the secrets MIRROR_USERNAME, MIRROR_PASSWORD (mirrors), IMAGE_NOTIFY_URLS (endpoints), RELEASE_SOURCE_TAG and RELEASE_PROMOTE_TAGS (releases)');
  if (detection.levels.length > MIN_LEVEL_JOBS) lines.push(`  - nothing for the levels: image-build.yml has ${values.levelJobs} level jobs (LEVEL_JOBS) for ${detection.levels.length} levels`);
  return lines;
}

async function askOnTerminal(question: string, choices: readonly string[]): Promise<string | undefined> {
  const terminal = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return await terminal.question(`${question}${choices.length > 0 ? ` [${choices.join(' | ')}]` : ''} `);
  } finally {
    terminal.close();
  }
}
