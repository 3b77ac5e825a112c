import { isAbsolute, join, relative, resolve } from 'node:path';
import { baseLabels, baseQuestion, pinnedReference, type BaseQuestion, type ResolvedBase } from '../../lib/core/dockerfile/bases';
import { buildArgsFor, ociLabels, type BuildSpec } from '../../lib/core/build/build-plan';
import { dockerfileImages, replaceReads } from '../../lib/core/dockerfile/dockerfile';
import { UserError, type Subject } from '../../lib/core/errors';
import { isDryRun, nonEmpty } from '../../lib/core/option-values';
import { assertLockCommand } from '../../lib/core/evidence/locks';
import { parseGitRemote } from '../../lib/core/graph/image-settings';
import type { BuildSettings } from '../../lib/core/graph/target-settings';
import { LABEL } from '../../lib/core/naming/conventions';
import { assertPlatforms } from '../../lib/core/naming/platforms';
import { resolveImageTarget, type ImageTarget } from '../../lib/core/naming/image-target';
import { imageName, imageReference, parseReference, variantTag } from '../../lib/core/naming/refs';
import { buildArgValues, repositoryImages, type BuildArgNames, type RepositoryImageRead } from '../../lib/core/dockerfile/repository-images';
import { assertValidTag, branchToTag, resolveBranch, resolveTag } from '../../lib/core/naming/tags';
import { assertBuildArgTemplates, assertTagTemplates, perBuildTags, planBuildTags, renderTemplate } from '../../lib/core/naming/templates';
import type { OutsideBase } from '../../lib/io/outside-bases';
import type { DockerBuildExecutorSchema } from './schema';

/** What the executor found out before planning: everything the pure normalization reads. */
export interface BuildFacts {
  projectName: string;
  /** The project's folder, relative to the workspace root. */
  projectRoot: string;
  workspaceRoot: string;
  /** What this target carries of nx.json's options (its settings option, or the defaults). */
  settings: BuildSettings;
  env: Readonly<Record<string, string | undefined>>;
  gitBranch?: string;
  headSha?: string;
  originUrl?: string;
  now: Date;
  /** The time the templates render (`{time}`): --buildTime, else IMAGE_BUILD_TIME, else the clock (lib/io/build-time). */
  buildTime: Date;
  /** Reads the Dockerfile (throws ENOENT when it is missing). */
  dockerfile: (path: string) => string;
  /** The digest of what the build reads at HEAD (core/inputs), labelled so the next plan can compare; undefined outside a git repository. */
  inputs?: string;
  /** The images of the workspace, when known: a literal self name of any other image is an outside image. */
  images?: ReadonlySet<string>;
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
  /** Build arg name -> its template, for every templated arg a buildArgs value does not replace: what the build's settings say, not what one build rendered. */
  argTemplates: Record<string, string>;
  dryRun: boolean;
  /** The default branch's tag: where a base falls back to, and the shared layer cache. */
  defaultTag: string;
  forwardOnly: boolean;
  /** Push this one platform by digest only: no tag, no index (a fan-out platform job). */
  digestOnly: boolean;
  /** Look up an image built from the same inputs on the same bases before building (a push only). */
  reuse: boolean;
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
  /** Every read of an image from outside this repository (any stage, COPY --from, RUN --mount), its args substituted: resolved and pinned for the build, and recorded. */
  outside: OutsideRead[];
  /** The images of this repository named literally with a digest (`owner/x@sha256:...`): the digest as written, read from this run's registry and repository. */
  digestPinned: DigestPinnedRead[];
}

/** A literal read of an image of this repository pinned by digest in the Dockerfile. */
export interface DigestPinnedRead {
  image: string;
  /** `registry/repository/image@digest`: where this run reads it. */
  reference: string;
  digest: string;
  /** As the Dockerfile writes it. */
  written: string;
  start: number;
  end: number;
}

/** One read of an outside image. */
export interface OutsideRead {
  reference: string;
  start: number;
  end: number;
}

/**
 * Every option resolved and every default filled in, in five parts that
 * each do one job: which image and where (identity), what it is built from
 * (sources), the per-build tags and templated args (templates), the build
 * args, and the bases with the labels that record them.
 */
export function normalizeOptions(options: DockerBuildExecutorSchema, facts: BuildFacts): NormalizedBuild {
  const identity = identityOf(options, facts);
  const sources = sourcesOf(options, facts);
  const templates = templatesOf(options, facts, identity, sources.revision);
  const args = buildArgsOf(options, facts, identity, templates.rendered);
  const bases = basesOf(options, facts, identity, sources, args);
  const option = (name: string): Subject => ({ image: facts.projectName, subject: `docker-build option ${name}` });
  const ownLockCommand = assertLockCommand(options.lockCommand, option('lockCommand'));
  return {
    project: facts.projectName,
    image: identity.target.image,
    registry: identity.target.registry,
    repository: identity.target.repository,
    tag: identity.tag,
    tagFrom: identity.tagFrom,
    extraTags: identity.extraTags,
    references: identity.references,
    buildTags: templates.buildTags,
    inventoryTags: templates.inventoryTags,
    buildTime: facts.buildTime.toISOString(),
    templatedArgs: Object.fromEntries(Object.entries(templates.rendered).filter(([name]) => options.buildArgs?.[name] === undefined)),
    argTemplates: Object.fromEntries(Object.entries(templates.argTemplates).filter(([name]) => options.buildArgs?.[name] === undefined)),
    context: sources.context,
    file: sources.file,
    target: sources.target,
    platforms: sources.platforms,
    cacheFrom: options.cacheFrom ?? [],
    cacheTo: options.cacheTo ?? [],
    pull: options.pull ?? false,
    noCache: options.noCache ?? false,
    builder: nonEmpty(options.builder),
    secrets: options.secrets ?? [],
    push: options.push ?? false,
    dryRun: isDryRun(options.dryRun, facts.env),
    defaultTag: bases.defaultTag,
    forwardOnly: options.forwardOnly ?? false,
    digestOnly: digestOnly(options, facts.projectName, sources.platforms),
    // A platform pushed by digest only (one part of an index) is reused as that platform's manifest.
    reuse: (options.push ?? false) && options.reuse !== false,
    registryCache: options.registryCache ?? false,
    test: (options.test ?? false) && !nonEmpty(options.skipTests),
    ...(nonEmpty(options.skipTests) ? { skipTests: nonEmpty(options.skipTests) } : {}),
    lockCommand: ownLockCommand.length > 0 ? ownLockCommand : facts.settings.lockCommand,
    branch: resolveBranch({ env: facts.env, gitBranch: facts.gitBranch })?.branch,
    buildArgNames: args.names,
    buildArgs: args.buildArgs,
    labels: labelsOf(facts, identity, sources, bases.externalBase),
    revision: sources.revision,
    dockerfileText: sources.dockerfileText,
    bases: bases.bases,
    ...(bases.finalBase ? { finalBase: bases.finalBase } : {}),
    ...(bases.externalBase ? { externalBase: bases.externalBase } : {}),
    outside: bases.outside,
    digestPinned: bases.digestPinned,
  };
}

/** Which image, where, under which tags. */
interface Identity {
  target: ImageTarget;
  /** The branch's tag, which the bases follow. */
  branchTag: string;
  /** The image's own tag: the branch's, with the variant's prefix. */
  tag: string;
  tagFrom: string;
  extraTags: string[];
  references: string[];
}

function identityOf(options: DockerBuildExecutorSchema, facts: BuildFacts): Identity {
  const target = resolveImageTarget(options, { project: facts.projectName, env: facts.env, originUrl: facts.originUrl });
  const { tag: branchTag, from: tagFrom } = resolveTag({ option: nonEmpty(options.tag), env: facts.env, gitBranch: facts.gitBranch });
  // A variant's every tag carries its name (`cuda12-main`); its bases still follow the branch's own tag.
  const tag = variantTag(target.variant, branchTag);
  const extraTags = (options.extraTags ?? []).map((extra) => variantTag(target.variant, assertValidTag(extra, 'extra tag')));
  const references = [tag, ...extraTags.filter((extra) => extra !== tag)].map((t) => imageReference({ ...target, tag: t }));
  return { target, branchTag, tag, tagFrom, extraTags, references };
}

/** What the image is built from: the context, the Dockerfile and its text, the commit, the stage and the platforms. */
interface Sources {
  context: string;
  file: string;
  /** The Dockerfile's path from the workspace root, for messages. */
  fileName: string;
  dockerfileText: string;
  revision: string;
  target?: string;
  platforms: string[];
}

function sourcesOf(options: DockerBuildExecutorSchema, facts: BuildFacts): Sources {
  const context = inWorkspace(facts.workspaceRoot, nonEmpty(options.context) ?? facts.projectRoot, 'context');
  const file = inWorkspace(facts.workspaceRoot, nonEmpty(options.file) ?? relative(facts.workspaceRoot, join(context, 'Dockerfile')), 'file');
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
  // The image's own list replaces nx.json's; several are built one after another, each tested in its own platform's container.
  const platforms = options.platforms === undefined ? facts.settings.platforms : assertPlatforms(options.platforms, { image: facts.projectName, subject: 'docker-build option platforms' });
  const target = nonEmpty(options.target);
  return { context, file, fileName, dockerfileText, revision, ...(target === undefined ? {} : { target }), platforms };
}

/** --digestOnly is one platform's part of a pushed index: it needs --push and exactly one platform. */
function digestOnly(options: DockerBuildExecutorSchema, project: string, platforms: readonly string[]): boolean {
  if (options.digestOnly !== true) return false;
  if (options.push !== true || platforms.length !== 1) {
    throw new UserError({ subject: project, problem: '--digestOnly pushes one platform by digest, but this build does not push exactly one platform', fix: 'pass --push and one --platforms value (the fan-out\'s platform jobs do), or leave --digestOnly out' });
  }
  return true;
}

/** The per-build tags and the templated build args, rendered with this build's values. */
interface Templates {
  buildTags: string[];
  inventoryTags: string[];
  /** Build arg name -> rendered value, for every template (a buildArgs value of the same name wins later). */
  rendered: Record<string, string>;
  /** Build arg name -> its template. */
  argTemplates: Record<string, string>;
}

function templatesOf(options: DockerBuildExecutorSchema, facts: BuildFacts, identity: Identity, revision: string): Templates {
  const option = (name: string): Subject => ({ image: facts.projectName, subject: `docker-build option ${name}` });
  const values = { branch: identity.branchTag, image: identity.target.image, sha: revision, time: facts.buildTime };
  // Templates under the old name would otherwise be dropped without a word, and the per-build tags with them.
  if ((options as Record<string, unknown>).tags !== undefined) throw new UserError({ ...option('tags'), problem: 'the templates of the tags a build gets are the option tagTemplates', fix: 'rename tags to tagTemplates' });
  const tagTemplates = options.tagTemplates === undefined ? facts.settings.tagTemplates : assertTagTemplates(options.tagTemplates, option('tagTemplates'));
  const planned = planBuildTags(tagTemplates, values, identity.target.variant, { image: facts.projectName, subject: 'tag template' });
  const buildTags = perBuildTags(planned.now, [identity.tag, ...identity.extraTags]);
  const argTemplates = { ...facts.settings.buildArgTemplates, ...assertBuildArgTemplates(options.buildArgTemplates, option('buildArgTemplates')) };
  const rendered = Object.fromEntries(
    Object.entries(argTemplates).map(([name, template]) => [name, renderTemplate(template, { ...values, tag: buildTags[0] ?? identity.tag }, { image: facts.projectName, subject: `build arg template ${name}` })]),
  );
  return { buildTags, inventoryTags: planned.later, rendered, argTemplates };
}

/** The build args: the convention's (registry, repository, tags), then the templates', then the user's, which win. */
interface BuildArgs {
  names: BuildArgNames;
  /** The args as given (templates and buildArgs), as strings: what the Dockerfile's own references read. */
  given: Record<string, string>;
  /** A base tag the user pinned through the base tag arg. */
  pinnedTag?: string;
  buildArgs: Record<string, string>;
}

function buildArgsOf(options: DockerBuildExecutorSchema, facts: BuildFacts, identity: Identity, rendered: Record<string, string>): BuildArgs {
  const names = facts.settings.buildArgNames;
  // A value given in buildArgs is taken as written and wins over a template.
  const user = { ...rendered, ...(options.buildArgs ?? {}) };
  const pinnedTag = !names.baseTag || user[names.baseTag] === undefined ? undefined : assertValidTag(String(user[names.baseTag]), `build arg ${names.baseTag}`);
  const { registry, repository } = identity.target;
  const buildArgs = buildArgsFor({ defaults: buildArgValues(names, { registry, repository, tag: identity.tag, baseTag: pinnedTag ?? identity.branchTag }), user });
  const given = Object.fromEntries(Object.entries(user).map(([name, value]) => [name, String(value)]));
  return { names, given, ...(pinnedTag === undefined ? {} : { pinnedTag }), buildArgs };
}

/** The images of this repository the Dockerfile reads, each with how its tag is resolved, and the final stage's base. */
interface Bases {
  bases: BaseToResolve[];
  finalBase?: string;
  externalBase?: string;
  /** The default branch's tag: where a base falls back to. */
  defaultTag: string;
  outside: OutsideRead[];
  digestPinned: DigestPinnedRead[];
}

function basesOf(options: DockerBuildExecutorSchema, facts: BuildFacts, identity: Identity, sources: Sources, args: BuildArgs): Bases {
  const ours = repositoryImages(sources.dockerfileText, args.names, sources.target, sources.fileName, args.given, facts.settings.selfNames ?? [], facts.images);
  const expanded = dockerfileImages(sources.dockerfileText, args.buildArgs, sources.target);
  const defaultTag = nonEmpty(options.baseTagFallback) ?? branchToTag(facts.settings.defaultBranch);
  const { registry, repository } = identity.target;
  // A literal name with a digest keeps its digest; the Dockerfile's owner/x becomes this run's registry and repository, as the args would make it.
  const digestPinned = ours.reads.flatMap((read): DigestPinnedRead[] => {
    const digest = read.literal ? parseReference(expanded.reads.find((entry) => entry.start === read.start)?.reference ?? '').digest : undefined;
    if (!digest || read.followsBaseTag) return [];
    return [{ image: read.image, reference: `${imageName({ registry, repository, image: read.image })}@${digest}`, digest, written: read.written, start: read.start, end: read.end }];
  });
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
      branchTag: identity.branchTag,
      defaultTag,
      ...(args.pinnedTag === undefined ? {} : { pinnedTag: args.pinnedTag }),
      ...(written.tag === undefined ? {} : { writtenTag: written.tag }),
      // Without a push the bases this run built were loaded into the engine; a pushed image must only stand on pushed bases.
      local: !(options.push ?? false) && !(options.pull ?? false),
    });
    bases.push({ question, reads: reads.filter((read) => read.followsBaseTag === first.followsBaseTag) });
  }
  const externalBase = ours.finalBase ? undefined : expanded.finalBase?.reference;
  const oursAt = new Set(ours.reads.map((read) => read.start));
  const outside = expanded.reads.filter((read) => !oursAt.has(read.start)).map(({ reference, start, end }) => ({ reference, start, end }));
  return { bases, ...(ours.finalBase ? { finalBase: ours.finalBase.image } : {}), ...(externalBase ? { externalBase } : {}), defaultTag, outside, digestPinned };
}

/** The OCI labels known before the bases are resolved (pinBases adds theirs), and the digest of the build's inputs. */
function labelsOf(facts: BuildFacts, identity: Identity, sources: Sources, externalBase: string | undefined): Record<string, string> {
  return {
    ...ociLabels({ revision: sources.revision, source: sourceUrl(facts.env, facts.originUrl), created: createdAt(facts.env, facts.now), version: identity.tag }),
    ...baseLabels([], undefined, externalBase),
    // Written even when unknown (outside git): a base's would otherwise be inherited and compared as this image's.
    [LABEL.inputs]: facts.inputs ?? '',
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
export function pinBases(build: NormalizedBuild, resolved: readonly ResolvedBase[], localTags: Readonly<Record<string, string>> = {}, outside: readonly OutsideBase[] = []): PinnedBuild {
  const ours = build.bases.flatMap(({ question, reads }) => {
    const base = resolved.find((entry) => entry.image === question.image);
    if (!base) throw new Error(`pinBases: ${question.image} was not resolved`);
    const text = pinnedReference(base, question.name, localTags[question.image]);
    return text === undefined ? [] : reads.map((read) => ({ read, text }));
  });
  // An outside image is read by the digest its tag named when the build began, so the label records what was built on.
  const theirs = build.outside.flatMap((read) => {
    const base = outside.find((entry) => entry.reference === read.reference);
    return base?.digest && !base.pinned ? [{ read, text: `${read.reference}@${base.digest}` }] : [];
  });
  const asWritten = build.digestPinned.map((read) => ({ read, text: read.reference }));
  const replacements = [...ours, ...theirs, ...asWritten];
  const final = resolved.find((base) => base.image === build.finalBase);
  const baseTag = build.buildArgNames.baseTag;
  const userPinned = build.bases.some(({ question }) => question.from === 'pinned');
  const buildArgs = final && !userPinned && baseTag ? { ...build.buildArgs, [baseTag]: final.tag } : build.buildArgs;
  return {
    build: { ...build, buildArgs, labels: { ...build.labels, ...baseLabels(resolved, build.finalBase, build.externalBase), ...outsideLabel(outside) } },
    dockerfile: replaceReads(build.dockerfileText, replacements),
  };
}

/**
 * The outside images the build read, with their digests, as one label,
 * written even when empty: an image inherits its base's labels, and must
 * never pass its base's outside images off as its own.
 */
function outsideLabel(outside: readonly OutsideBase[]): Record<string, string> {
  return { [LABEL.outside]: JSON.stringify(outside.map(({ error: _error, ...base }) => base)) };
}

/** The digest-pinned literal reads as bases the labels and the record carry beside the resolved ones. */
export function digestPinnedBases(build: Pick<NormalizedBuild, 'digestPinned'>): ResolvedBase[] {
  const seen = new Set<string>();
  return build.digestPinned.flatMap((read): ResolvedBase[] => {
    if (seen.has(read.reference)) return [];
    seen.add(read.reference);
    return [{ image: read.image, reference: read.reference, tag: '', source: 'registry', digest: read.digest, written: read.written, note: `the digest written in the Dockerfile (${read.written}), read from ${read.reference}` }];
  });
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
