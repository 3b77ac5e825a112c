import { IMAGE_PROJECT_TAG, TARGET } from '../naming/conventions';
import { UserError, type Subject } from '../errors';
import { workspaceSettings } from './plugin-entry';
import { PLUGIN_NAME, type WorkspaceSettings } from './plugin-options';
import { DEFAULT_TARGET_NAMES, type TargetNames } from './target-names';
import { targetSettings } from './target-settings';

/** The parts of an Nx project configuration this module reads and writes. */
export interface ProjectLike {
  root?: string;
  name?: string;
  tags?: string[];
  targets?: Record<string, { dependsOn?: readonly unknown[]; [key: string]: unknown } | undefined>;
  metadata?: Record<string, unknown>;
}

/**
 * What makes a project an image, the one definition every part uses: the
 * plugin's inference tags each Dockerfile's project `type:image`.
 */
export function isImageProject(project: Pick<ProjectLike, 'tags'>): boolean {
  return (project.tags ?? []).includes(IMAGE_PROJECT_TAG);
}

/**
 * The project one Dockerfile makes: named after its folder, tagged
 * `type:image`, with the image targets. `takesFrom` (the images of this
 * repository its Dockerfile reads) become task dependencies of docker-build,
 * never project-graph edges, so a change to a base does not make the images
 * built from it affected.
 */
export function inferImageProject(
  name: string,
  dockerfile: string,
  takesFrom: readonly string[],
  hasTests = false,
  /** A variant (`images/<image>/<variant>/Dockerfile`): pushed as `<image>:<variant>-<tag>`. */
  variant?: { image: string; variant: string },
  /** The plugin's options as createNodes resolved them: each target carries its executor's part as its `settings` option, so a run never reads nx.json again. */
  settings: WorkspaceSettings = workspaceSettings(undefined),
) {
  const from = takesFrom.length > 0 ? `; builds after ${takesFrom.join(', ')}, which its Dockerfile reads` : '';
  // Every target that names the image in the registry takes the variant's name and tag prefix.
  const identity = variant ? { image: variant.image, variant: variant.variant } : {};
  const names = settings.targets;
  const own = targetSettings(settings);
  const about = { technologies: ['docker'], imageTargets: { ...names } };
  return {
    name,
    projectType: 'application' as const,
    tags: [IMAGE_PROJECT_TAG],
    metadata: variant
      ? { description: `Variant ${variant.variant} of ${variant.image}, built from ${dockerfile}`, ...about, variantOf: variant.image }
      : { description: `Container image built from ${dockerfile}`, ...about },
    targets: {
      [names.build]: {
        executor: `${PLUGIN_NAME}:${TARGET.build}`,
        cache: false,
        options: { ...identity, settings: own.build },
        dependsOn: takesFrom.map((image) => ({ projects: [image], target: names.build, params: 'forward' as const })),
        metadata: {
          description: `Build the image and push it or load it into the local engine${from}.`,
          technologies: ['docker'],
          // Kept apart from dependsOn, so a project.json that replaces dependsOn without "..." is caught.
          takesFrom: [...takesFrom],
        },
      },
      [names.releaseCheck]: {
        executor: `${PLUGIN_NAME}:${TARGET.releaseCheck}`,
        cache: false,
        options: { ...identity, settings: own.release },
        metadata: { description: 'Check, writing nothing, that the image can be released.', technologies: ['docker'] },
      },
      ...(hasTests
        ? {
            [names.test]: {
              executor: `${PLUGIN_NAME}:${TARGET.test}`,
              cache: false,
              options: { settings: own.test },
              // The image is built first (and what it takes from), then tested by its ID.
              dependsOn: [{ target: names.build, params: 'forward' as const }],
              metadata: { description: 'Run the image\'s tests (and those of the images it is built FROM) inside the image.', technologies: ['docker'] },
            },
          }
        : {}),
      [names.release]: {
        executor: `${PLUGIN_NAME}:${TARGET.release}`,
        cache: false,
        options: { ...identity, settings: own.release },
        // All or nothing: no image is released until every image passed its check.
        dependsOn: [{ projects: [`tag:${IMAGE_PROJECT_TAG}`], target: names.releaseCheck, params: 'forward' as const }],
        metadata: { description: 'Give the image the release tags inside the registry.', technologies: ['docker'] },
      },
      [names.publish]: {
        executor: `${PLUGIN_NAME}:${TARGET.publish}`,
        cache: false,
        options: { ...identity, settings: own.publish },
        metadata: { description: 'Copy a tag of the image to every mirror, registry to registry, and call the notification endpoints.', technologies: ['docker'] },
      },
      [names.diff]: {
        executor: `${PLUGIN_NAME}:${TARGET.imageDiff}`,
        cache: false,
        options: { ...identity },
        metadata: { description: 'Compare two tags or digests of the image from the registry (--from, --to): packages by environment and size by layer.', technologies: ['docker'] },
      },
    },
  };
}

/** The names an image project's targets go by: what the plugin recorded when it inferred the project, else the defaults. */
export function imageTargetNames(project: Pick<ProjectLike, 'metadata'>): TargetNames {
  const recorded = project.metadata?.imageTargets as Partial<Record<keyof TargetNames, unknown>> | undefined;
  const names = { ...DEFAULT_TARGET_NAMES };
  for (const key of Object.keys(names) as (keyof TargetNames)[]) {
    const value = recorded?.[key];
    if (typeof value === 'string' && value !== '') names[key] = value;
  }
  return names;
}

/** The images of this repository the project's Dockerfile reads, as the inference recorded them. */
export function dockerfileDependencies(project: ProjectLike): string[] {
  const metadata = project.targets?.[imageTargetNames(project).build]?.metadata as { takesFrom?: unknown } | undefined;
  return Array.isArray(metadata?.takesFrom) ? metadata.takesFrom.filter((name): name is string => typeof name === 'string') : [];
}

/** What one entry of an image's docker-build `dependsOn` asks Nx to run first. */
export type BuildDependency =
  /** The docker-build of another image. */
  | { kind: 'image'; image: string }
  /** A target of the image's own project: a step before the build. */
  | { kind: 'step'; target: string }
  /** Nothing this machinery orders: "...", "^target", another project's other target. */
  | { kind: 'other' };

/** Nx's project patterns (`tag:...`, globs, negation): they name no one image. */
const PROJECT_PATTERN = /^tag:|[*?!{}[\]]/;

/**
 * Reads each entry of the docker-build `dependsOn` as Nx does: a project's
 * docker-build is an image, a target of the project itself (`"prepare"`,
 * `{ "target": "prepare" }`, `"<self>:prepare"`) is a step before the build.
 * An entry it cannot read, or one naming images by a pattern, is refused.
 */
export function readBuildDependsOn(project: ProjectLike): BuildDependency[] {
  const self = project.name;
  const build = imageTargetNames(project).build;
  const where: Subject = { image: project.name ?? project.root ?? 'an image', subject: `the ${build} dependsOn of ${project.root ?? project.name ?? 'its'}/project.json` };
  // Its own docker-build is a dependency on itself, which the image graph refuses as a cycle.
  const ownTarget = (target: string): BuildDependency =>
    target !== build ? { kind: 'step', target } : self === undefined ? { kind: 'other' } : { kind: 'image', image: self };
  const read: BuildDependency[] = [];
  for (const entry of project.targets?.[build]?.dependsOn ?? []) {
    if (typeof entry === 'string') {
      if (entry === '...' || entry.startsWith('^')) read.push({ kind: 'other' });
      else {
        // "<project>:<target>"; a string without a project is a target of this project.
        const match = /^([^:]+):(.+)$/.exec(entry);
        if (!match?.[1] || !match[2]) read.push(ownTarget(entry));
        else if (match[1] === self) read.push(ownTarget(match[2]));
        else read.push(match[2] === build ? { kind: 'image', image: match[1] } : { kind: 'other' });
      }
      continue;
    }
    const { projects, target, dependencies } = (typeof entry === 'object' && entry !== null ? entry : {}) as { projects?: unknown; target?: unknown; dependencies?: unknown };
    if (typeof target !== 'string' || target === '' || (projects !== undefined && typeof projects !== 'string' && !Array.isArray(projects))) {
      throw new UserError({ ...where, problem: `it has an entry this plugin cannot read (${JSON.stringify(entry)})`, fix: `write "<target>", "<image>:${build}" or { "projects": ["<image>"], "target": "${build}" }` });
    }
    if (dependencies === true || projects === 'dependencies') {
      read.push({ kind: 'other' });
      continue;
    }
    if (projects === undefined || projects === 'self') {
      read.push(ownTarget(target));
      continue;
    }
    for (const name of typeof projects === 'string' ? [projects] : projects) {
      if (typeof name !== 'string') {
        // Nx leaves its placeholder for a project it could not name: one whose project.json gives no name.
        const root = (name as { value?: unknown } | null)?.value;
        if (typeof root === 'string') {
          throw new UserError({
            subject: `${root}/project.json`,
            problem: `it gives the project no "name", so Nx cannot name it where ${project.name ?? 'an image'} builds on it`,
            fix: `add "name": "${root.slice(root.lastIndexOf('/') + 1)}" to it`,
          });
        }
        throw new UserError({ ...where, problem: `it names a project that is not a string (${JSON.stringify(name)})`, fix: 'write each image\'s name' });
      }
      if (name === self) read.push(ownTarget(target));
      else if (target !== build) read.push({ kind: 'other' });
      else if (PROJECT_PATTERN.test(name)) {
        throw new UserError({ ...where, problem: `it names images by the pattern ${JSON.stringify(name)}`, fix: `name each image it builds after, e.g. { "projects": ["env-core"], "target": "${build}" }` });
      } else read.push({ kind: 'image', image: name });
    }
  }
  return read;
}

/**
 * The images a project's docker-build waits for: every project named in a
 * `dependsOn` entry for the docker-build target, whether the inference put
 * it there (from the Dockerfile) or a project.json added it.
 */
export function buildDependencies(project: ProjectLike): string[] {
  const images: string[] = [];
  for (const entry of readBuildDependsOn(project)) if (entry.kind === 'image' && !images.includes(entry.image)) images.push(entry.image);
  return images;
}

/** The platforms an image's build makes: its build target's platforms option, else the plugin's (its settings); empty: the runner's own. */
export function buildPlatforms(project: ProjectLike): string[] {
  const options = project.targets?.[imageTargetNames(project).build]?.options as { platforms?: unknown; settings?: { platforms?: unknown } } | undefined;
  const given = options?.platforms ?? options?.settings?.platforms;
  return Array.isArray(given) ? given.filter((platform): platform is string => typeof platform === 'string') : [];
}

/** The steps before the build: targets of the image's own project its docker-build depends on, in the order written. */
export function stepsBeforeBuild(project: ProjectLike): string[] {
  const steps: string[] = [];
  for (const entry of readBuildDependsOn(project)) if (entry.kind === 'step' && !steps.includes(entry.target)) steps.push(entry.target);
  return steps;
}
