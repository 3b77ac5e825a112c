import { isAbsolute, join, relative, resolve } from 'node:path';
import { baseLabels, baseQuestion, pinnedReference, type BaseQuestion, type ResolvedBase } from '../../lib/core/dockerfile/bases';
import { buildArgsFor, ociLabels, type BuildSpec } from '../../lib/core/build/build-plan';
import { dockerfileImages, replaceReads } from '../../lib/core/dockerfile/dockerfile';
import { UserError, type Subject } from '../../lib/core/errors';
import { isDryRun, nonEmpty } from '../../lib/core/option-values';
import { assertLockCommand } from '../../lib/core/evidence/locks';
import { parseGitRemote, resolveRegistry, resolveRepository } from '../../lib/core/graph/image-settings';
import type { WorkspaceSettings } from '../../lib/core/graph/plugin-options';
import { assertValidImageName, imageName, imageReference, parseReference, variantTag } from '../../lib/core/naming/refs';
import { buildArgValues, repositoryImages, type BuildArgNames, type RepositoryImageRead } from '../../lib/core/dockerfile/repository-images';
import { assertValidTag, branchToTag, resolveBranch, resolveTag } from '../../lib/core/naming/tags';
import { assertBuildArgTemplates, assertTagTemplates, perBuildTags, planBuildTags, renderTemplate } from '../../lib/core/naming/templates';
import type { DockerBuildExecutorSchema } from './schema';

/** What the executor found out before planning: everything the pure normalization reads. */
export interface BuildFacts {
  projectName: string;
  /** The project's folder, relative to the workspace root. */
  projectRoot: string;
  workspaceRoot: string;
  /** The plugin's options and the default branch, from nx.json. */
  settings: WorkspaceSettings;
  env: Readonly<Record<string, string | undefined>>;
  gitBranch?: string;
  headSha?: string;
  originUrl?: string;
  now: Date;
  /** The time the templates render (`{time}`): --buildTime, else IMAGE_BUILD_TIME, else the clock (lib/io/build-time). */
  buildTime: Date;
  /** Reads the Dockerfile (throws ENOENT when it is missing). */
  dockerfile: (path: string) => string;
}

/** One image of this repository the Dockerfile reads, and how its tag is to be resolved. */
export interface BaseToResolve {
  question: BaseQuestion;
  /** Every place the Dockerfile reads it. */
  reads: RepositoryImageRead[];
}

/** Every option resolved, every default filled in. */
export interface NormalizedBuild extends BuildSpec {
  project: string;
  image: string;
  registry: string;
  repository: string;
  tag: string;
  tagFrom: string;
  extraTags: string[];
  /** The per-build tags: written once after the push (a copy of the pushed manifest), never moved. */
  buildTags: string[];
  /** The per-build tags read from the image's inventory: templates rendered but for their {version:...}, finished after the push. */
  inventoryTags: string[];
  /** The build time the templates rendered, ISO 8601. */
  buildTime: string;
  /** The build args whose values came from a template, as rendered. */
  templatedArgs: Record<string, string>;
  dryRun: boolean;
  /** The default branch's tag: where a base falls back to, and the shared layer cache. */
  defaultTag: string;
  forwardOnly: boolean;
  registryCache: boolean;
  /** Run the image's tests between the build and the push. */
  test: boolean;
  /** Why the tests are skipped, when they are. */
  skipTests?: string;
  /** The command that writes the image's lock files when it is pushed: the image's own, else the plugin option; empty: the built-in one. */
  lockCommand: string[];
  /** The branch this build is for (GITHUB_HEAD_REF, GITHUB_REF_NAME or the checked-out one), when known. */
  branch?: string;
  buildArgNames: BuildArgNames;
  buildArgs: Record<string, string>;
  labels: Record<string, string>;
  revision: string;
  dockerfileText: string;
  /** The images of this repository the Dockerfile reads, each to be resolved on its own. */
  bases: BaseToResolve[];
  /** The image the built stage starts from when it is one of `bases`. */
  finalBase?: string;
  /** The reference the built stage starts from when it is not one of ours (e.g. an upstream image); undefined for scratch. */
  externalBase?: string;
}

export function normalizeOptions(options: DockerBuildExecutorSchema, facts: BuildFacts): NormalizedBuild {
  const image = assertValidImageName(nonEmpty(options.image) ?? facts.projectName);
  const registry = resolveRegistry(options.registry, facts.env);
  const repository = resolveRepository(options.repository, facts.env, facts.originUrl);
  const { tag: branchTag, from: tagFrom } = resolveTag({ option: nonEmpty(options.tag), env: facts.env, gitBranch: facts.gitBranch });
  // A variant's every tag carries its name (`cuda12-main`); its bases still follow the branch's own tag.
  const variant = nonEmpty(options.variant);
  const tag = variantTag(variant, branchTag);
  const extraTags = (options.extraTags ?? []).map((extra) => variantTag(variant, assertValidTag(extra, 'extra tag')));
  const references = [tag, ...extraTags.filter((extra) => extra !== tag)].map((t) =>
    imageReference({ registry, repository, image, tag: t }),
  );
  const context = inWorkspace(facts.workspaceRoot, nonEmpty(options.context) ?? facts.projectRoot, 'context');
  const file = inWorkspace(
    facts.workspaceRoot,
    nonEmpty(options.file) ?? relative(facts.workspaceRoot, join(context, 'Dockerfile')),
    'file',
  );
  const fileName = relative(facts.workspaceRoot, file);
  let dockerfileText: string;
  try {
    dockerfileText = facts.dockerfile(file);
  } catch {
    throw new UserError({ subject: facts.projectName, problem: `no Dockerfile at ${fileName}`, fix: 'add one, or point the "file" option at it' });
  }
  const revision = facts.headSha ?? nonEmpty(facts.env.GITHUB_SHA);
  if (!revision) {
    throw new UserError({ subject: facts.projectName, problem: 'no commit to label the image with', fix: 'run inside the git repository, or set GITHUB_SHA' });
  }
  const platforms = options.platforms ?? [];
  if (platforms.length > 1 && options.test === true && !nonEmpty(options.skipTests)) {
    // The tests run in the engine, and an engine holds one platform of an image.
    throw new UserError({
      subject: facts.projectName,
      problem: `--test needs the image in the engine, which holds one platform, but ${platforms.length} platforms were asked for`,
      fix: 'test one platform (--platforms=linux/amd64), or pass --skipTests=<reason>',
    });
  }
  const option = (name: string): Subject => ({ image: facts.projectName, subject: `docker-build option ${name}` });
  const ownLockCommand = assertLockCommand(options.lockCommand, option('lockCommand'));
  const names = facts.settings.buildArgs;
  const templateValues = { branch: branchTag, image, sha: revision, time: facts.buildTime };
  // The option `tags` holds templates (as nx.json's does); the tags are what they render.
  const tagTemplates = (options.tags ?? []).length > 0 ? assertTagTemplates(options.tags, option('tags')) : facts.settings.tagTemplates;
  const planned = planBuildTags(tagTemplates, templateValues, variant, { image: facts.projectName, subject: 'tags template' });
  const buildTags = perBuildTags(planned.now, [tag, ...extraTags]);
  const argTemplates = { ...facts.settings.buildArgTemplates, ...assertBuildArgTemplates(options.buildArgTemplates, option('buildArgTemplates')) };
  const templatedArgs = Object.fromEntries(
    Object.entries(argTemplates).map(([name, template]) => [name, renderTemplate(template, { ...templateValues, tag: buildTags[0] ?? tag }, { image: facts.projectName, subject: `build arg template ${name}` })]),
  );
  // A value given in buildArgs is taken as written and wins over a template.
  const user = { ...templatedArgs, ...(options.buildArgs ?? {}) };
  const pinnedTag = !names.baseTag || user[names.baseTag] === undefined ? undefined : assertValidTag(String(user[names.baseTag]), `build arg ${names.baseTag}`);
  const buildArgs = buildArgsFor({
    defaults: buildArgValues(names, { registry, repository, tag, baseTag: pinnedTag ?? branchTag }),
    user,
  });
  const target = nonEmpty(options.target);
  const ours = repositoryImages(dockerfileText, names, target, fileName, Object.fromEntries(Object.entries(user).map(([name, value]) => [name, String(value)])));
  const expanded = dockerfileImages(dockerfileText, buildArgs, target);
  const defaultTag = nonEmpty(options.baseTagFallback) ?? branchToTag(facts.settings.defaultBranch);
  const push = options.push ?? false;
  const bases: BaseToResolve[] = [];
  for (const baseImage of ours.images) {
    const reads = ours.reads.filter((read) => read.image === baseImage);
    const first = reads[0];
    if (!first) continue;
    const written = parseReference(expanded.reads.find((read) => read.start === first.start)?.reference ?? '');
    // A digest written in the Dockerfile already pins the base: nothing to resolve.
    if (!first.followsBaseTag && written.digest) continue;
    const question = baseQuestion(first, {
      name: imageName({ registry, repository, image: baseImage }),
      branchTag,
      defaultTag,
      ...(pinnedTag === undefined ? {} : { pinnedTag }),
      ...(written.tag === undefined ? {} : { writtenTag: written.tag }),
      // Without a push the bases this run built were loaded into the engine; a pushed image must only stand on pushed bases.
      local: !push && !(options.pull ?? false),
    });
    bases.push({ question, reads: reads.filter((read) => read.followsBaseTag === first.followsBaseTag) });
  }
  const externalBase = ours.finalBase ? undefined : expanded.finalBase?.reference;
  const labels = ociLabels({
    revision,
    source: sourceUrl(facts.env, facts.originUrl),
    created: createdAt(facts.env, facts.now),
    version: tag,
  });
  return {
    project: facts.projectName,
    image,
    registry,
    repository,
    tag,
    tagFrom,
    extraTags,
    buildTags,
    inventoryTags: planned.later,
    buildTime: templateValues.time.toISOString(),
    templatedArgs: Object.fromEntries(Object.entries(templatedArgs).filter(([name]) => options.buildArgs?.[name] === undefined)),
    references,
    context,
    file,
    target,
    platforms,
    cacheFrom: options.cacheFrom ?? [],
    cacheTo: options.cacheTo ?? [],
    pull: options.pull ?? false,
    noCache: options.noCache ?? false,
    builder: nonEmpty(options.builder),
    secrets: options.secrets ?? [],
    push,
    dryRun: isDryRun(options.dryRun, facts.env),
    defaultTag,
    forwardOnly: options.forwardOnly ?? false,
    registryCache: options.registryCache ?? false,
    test: (options.test ?? false) && !nonEmpty(options.skipTests),
    ...(nonEmpty(options.skipTests) ? { skipTests: nonEmpty(options.skipTests) } : {}),
    lockCommand: ownLockCommand.length > 0 ? ownLockCommand : facts.settings.lockCommand,
    branch: resolveBranch({ env: facts.env, gitBranch: facts.gitBranch })?.branch,
    buildArgNames: names,
    buildArgs,
    labels: { ...labels, ...baseLabels([], undefined, externalBase) },
    revision,
    dockerfileText,
    bases,
    ...(ours.finalBase ? { finalBase: ours.finalBase.image } : {}),
    ...(externalBase ? { externalBase } : {}),
  };
}

/** The build once its bases are resolved: a Dockerfile that reads each by digest (or by a tag of its own in the local engine), and the labels that record them. */
export interface PinnedBuild {
  build: NormalizedBuild;
  /** The Dockerfile to build; unchanged when no base was resolved. */
  dockerfile: string;
}

/**
 * Applies the resolved bases: every read of a base is rewritten to its pinned
 * reference; the base tag arg becomes the final base's resolved tag; the base
 * labels record every base. `localTags` names the tag each local base got for
 * this build.
 */
export function pinBases(build: NormalizedBuild, resolved: readonly ResolvedBase[], localTags: Readonly<Record<string, string>> = {}): PinnedBuild {
  const replacements = build.bases.flatMap(({ question, reads }) => {
    const base = resolved.find((entry) => entry.image === question.image);
    if (!base) throw new Error(`pinBases: ${question.image} was not resolved`);
    const text = pinnedReference(base, question.name, localTags[question.image]);
    return text === undefined ? [] : reads.map((read) => ({ read, text }));
  });
  const final = resolved.find((base) => base.image === build.finalBase);
  const baseTag = build.buildArgNames.baseTag;
  const userPinned = build.bases.some(({ question }) => question.from === 'pinned');
  const buildArgs = final && !userPinned && baseTag ? { ...build.buildArgs, [baseTag]: final.tag } : build.buildArgs;
  return {
    build: { ...build, buildArgs, labels: { ...build.labels, ...baseLabels(resolved, build.finalBase, build.externalBase) } },
    dockerfile: replaceReads(build.dockerfileText, replacements),
  };
}

/** A path inside the workspace, absolute; a path that leaves it is refused. */
function inWorkspace(workspaceRoot: string, path: string, what: string): string {
  const absolute = isAbsolute(path) ? path : resolve(workspaceRoot, path);
  const rel = relative(workspaceRoot, absolute);
  if (rel.startsWith('..') || isAbsolute(rel)) {
    throw new UserError({ subject: what, problem: `${JSON.stringify(path)} is outside the workspace`, fix: 'give a path inside it' });
  }
  return absolute;
}

/** The repository's web address: the GitHub run's, else the origin remote's. */
function sourceUrl(env: BuildFacts['env'], originUrl: string | undefined): string | undefined {
  if (env.GITHUB_REPOSITORY) return `${env.GITHUB_SERVER_URL ?? 'https://github.com'}/${env.GITHUB_REPOSITORY}`;
  if (!originUrl) return undefined;
  const path = parseGitRemote(originUrl);
  const host = /^(?:[a-z+]+:\/\/)?(?:[^@/]+@)?([^/:]+)/i.exec(originUrl)?.[1];
  return path && host && host.includes('.') ? `https://${host}/${path}` : undefined;
}

/** SOURCE_DATE_EPOCH, when set, makes the created label reproducible. */
function createdAt(env: BuildFacts['env'], now: Date): Date {
  const epoch = env.SOURCE_DATE_EPOCH;
  if (epoch && /^\d+$/.test(epoch)) return new Date(Number(epoch) * 1000);
  return now;
}
