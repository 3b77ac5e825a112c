import { createHash } from 'node:crypto';
import type { Command } from '../command';
import { LABEL } from '../naming/conventions';
import { UserError } from '../errors';

/** How BuildKit is reached: the buildx plugin, or the engine's built-in BuildKit through `docker build`. */
export type BuilderMode = 'buildx' | 'classic';

const BUILD_ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LABEL_KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;
const PLATFORM = /^[a-z0-9_]+\/[a-z0-9_]+(?:\/[a-z0-9_.]+)?$/;
const SECRET = /^(?:[a-z]+=[^,]+)(?:,[a-z]+=[^,]+)*$/;

export interface BuildArgsInput {
  /** The args every build gets (registry, repository, tags; see buildArgValues). */
  defaults: Readonly<Record<string, string>>;
  user: Readonly<Record<string, string | number | boolean>>;
}

/** The build args of one build: the defaults, then the user's, a user's value winning. */
export function buildArgsFor(input: BuildArgsInput): Record<string, string> {
  const args: Record<string, string> = { ...input.defaults };
  for (const [name, value] of Object.entries(input.user)) {
    if (!BUILD_ARG_NAME.test(name)) {
      throw new UserError({ subject: 'build arg', problem: `${JSON.stringify(name)} is not a valid name`, fix: 'use letters, digits and "_", not starting with a digit' });
    }
    if (!['string', 'number', 'boolean'].includes(typeof value)) {
      throw new UserError({ subject: `build arg ${name}`, problem: 'not text', fix: `quote it in project.json, e.g. "${name}": "1"` });
    }
    const text = String(value);
    if (text.includes('\0')) throw new UserError({ subject: `build arg ${name}`, problem: 'it contains a NUL character', fix: 'remove it' });
    args[name] = text;
  }
  return args;
}

export interface LabelInput {
  revision: string;
  source?: string;
  created: Date;
  version: string;
}

/** The OCI annotations every image carries (https://github.com/opencontainers/image-spec/blob/main/annotations.md); the base labels come from core/bases.ts. */
export function ociLabels(input: LabelInput): Record<string, string> {
  const labels: Record<string, string> = {
    [LABEL.revision]: input.revision,
    [LABEL.created]: input.created.toISOString(),
    [LABEL.version]: input.version,
  };
  if (input.source) labels[LABEL.source] = input.source;
  return labels;
}

/** What to build and how, as the executor's options resolve it. */
export interface BuildSpec {
  /** Every reference to tag, the main one first. */
  references: string[];
  context: string;
  file: string;
  target?: string;
  platforms: string[];
  cacheFrom: string[];
  cacheTo: string[];
  pull: boolean;
  noCache: boolean;
  builder?: string;
  secrets: string[];
  buildArgs: Readonly<Record<string, string>>;
  labels: Readonly<Record<string, string>>;
  push: boolean;
  /** Build into the engine and push from there (buildx: --load, then docker push), so what was tested in between is what is pushed. */
  pushAfterLoad?: boolean;
}

export interface BuildPlanInput extends BuildSpec {
  docker: string;
  mode: BuilderMode;
  /** Where buildx writes its metadata (the pushed digest); buildx mode only. */
  metadataFile: string;
  /** Where the image ID is written. */
  iidFile: string;
}

export interface BuildPlan {
  build: Command;
  /** `docker push` per reference, when the build does not push itself (classic mode, or pushAfterLoad). */
  push: Command[];
  /** Options this builder cannot honour and that were left out, each said once. */
  warnings: string[];
}

/**
 * The commands of one build, in a fixed order, one branch per option, the
 * context last. Every value is passed as `--flag=value`, so no value can be
 * read as another option.
 */
export function planBuild(input: BuildPlanInput): BuildPlan {
  checkPlanInput(input);
  const warnings: string[] = [];
  const buildx = input.mode === 'buildx';
  const args: string[] = buildx ? ['buildx', 'build'] : ['build'];
  if (input.builder) {
    if (!buildx) throw new UserError({ subject: `builder "${input.builder}"`, problem: 'it needs the docker buildx plugin', fix: 'install it, or leave out --builder' });
    args.push(`--builder=${input.builder}`);
  }
  args.push(`--file=${input.file}`);
  if (input.target) args.push(`--target=${input.target}`);
  if (input.platforms.length > 0) {
    if (!buildx && input.platforms.length > 1) {
      throw new UserError({ subject: 'platforms', problem: `building for ${input.platforms.length} platforms needs the docker buildx plugin`, fix: 'install it, or pass one platform' });
    }
    args.push(`--platform=${input.platforms.join(',')}`);
  }
  if (input.pull) args.push('--pull');
  if (input.noCache) args.push('--no-cache');
  const buildArgs = { ...input.buildArgs };
  for (const entry of input.cacheTo) {
    if (buildx) {
      args.push(`--cache-to=${entry}`);
    } else if (/^type=inline\b/.test(entry)) {
      buildArgs.BUILDKIT_INLINE_CACHE ??= '1';
    } else {
      warnings.push(`cache export "${entry}" needs the docker buildx plugin; this build writes no cache there (use type=inline).`);
    }
  }
  for (const [name, value] of Object.entries(buildArgs)) args.push(`--build-arg=${name}=${value}`);
  for (const [key, value] of Object.entries(input.labels)) args.push(`--label=${key}=${value}`);
  for (const entry of input.cacheFrom) {
    args.push(`--cache-from=${buildx ? entry : cacheImageOf(entry, warnings)}`);
  }
  for (const secret of input.secrets) args.push(`--secret=${secret}`);
  for (const reference of input.references) args.push(`--tag=${reference}`);
  args.push(`--iidfile=${input.iidFile}`);
  const pushesItself = buildx && input.push && !input.pushAfterLoad;
  if (buildx) {
    args.push(`--metadata-file=${input.metadataFile}`);
    args.push(pushesItself ? '--push' : '--load');
  }
  args.push(input.context);
  const build: Command = { command: input.docker, args, ...(buildx ? {} : { env: { DOCKER_BUILDKIT: '1' } }) };
  const push = !input.push || pushesItself ? [] : input.references.map((reference) => ({ command: input.docker, args: ['push', reference] }));
  return { build, push, warnings };
}

/** `docker build --cache-from` of the engine's BuildKit takes an image, not buildx's `type=registry,ref=...`. */
function cacheImageOf(entry: string, warnings: string[]): string {
  if (!entry.includes('=')) return entry;
  const ref = /(?:^|,)ref=([^,]+)/.exec(entry)?.[1];
  if (/(?:^|,)type=registry(?:,|$)/.test(entry) && ref) return ref;
  warnings.push(`cache source "${entry}" needs the docker buildx plugin; passing it as is.`);
  return entry;
}

function checkPlanInput(input: BuildPlanInput): void {
  for (const key of Object.keys(input.labels)) {
    if (!LABEL_KEY.test(key)) throw new UserError({ subject: 'label', problem: `${JSON.stringify(key)} is not a valid label key`, fix: 'use [A-Za-z0-9._/-]' });
  }
  for (const platform of input.platforms) {
    if (!PLATFORM.test(platform)) {
      throw new UserError({ subject: 'platform', problem: `${JSON.stringify(platform)} is not os/arch[/variant]`, fix: 'pass e.g. linux/amd64' });
    }
  }
  for (const secret of input.secrets) {
    if (!SECRET.test(secret) || !/(?:^|,)id=/.test(secret)) {
      throw new UserError({ subject: 'secret', problem: `${JSON.stringify(secret)} is not "id=<id>,src=<file>" or "id=<id>,env=<VAR>"`, fix: 'fix the secrets option' });
    }
  }
  for (const entry of [...input.cacheFrom, ...input.cacheTo]) {
    if (entry.startsWith('-') || entry.trim() === '') throw new UserError({ subject: 'cache entry', problem: `${JSON.stringify(entry)} is not valid`, fix: 'pass e.g. type=registry,ref=<image>:buildcache' });
  }
  if (input.builder !== undefined && input.builder !== '' && !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(input.builder)) {
    throw new UserError({ subject: 'builder', problem: `${JSON.stringify(input.builder)} is not a builder name`, fix: 'pass the name "docker buildx ls" shows' });
  }
  if (input.target !== undefined && input.target !== '' && !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(input.target)) {
    throw new UserError({ subject: 'target', problem: `${JSON.stringify(input.target)} is not a stage name`, fix: 'pass the name after AS in the Dockerfile' });
  }
}

/**
 * A build that does not push reads the bases this run left in the engine; a
 * buildx builder in a container (what docker/setup-buildx-action makes)
 * cannot see them, so such a build uses buildx's `default` builder, whose
 * `docker` driver reads and writes the engine's own images.
 */
export function wantsEngineBuilder(input: { push: boolean; builder?: string; mode: BuilderMode; usesEngineStore: boolean }): boolean {
  return !input.push && input.builder === undefined && input.mode === 'buildx' && !input.usesEngineStore;
}

export interface CacheInput {
  /** `inline`: the cache travels in the images themselves; `registry`: a cache image per branch. */
  kind: 'inline' | 'registry';
  /** `registry/repository/image`, without a tag. */
  name: string;
  tag: string;
  /** The default branch's tag, whose cache every branch may start from. */
  defaultTag: string;
}

/**
 * Layer cache in the registry: read the branch's and the default branch's,
 * write the branch's. A buildx builder in a container keeps it in a cache
 * image per branch (`buildcache-<tag>`, all layers, an export error
 * ignored); a builder on the engine's own store can only embed it in the
 * image itself (inline).
 */
export function registryCacheFor(input: CacheInput): { cacheFrom: string[]; cacheTo: string[] } {
  const tags = [...new Set([input.tag, input.defaultTag])];
  if (input.kind === 'inline') {
    return { cacheFrom: tags.map((tag) => `${input.name}:${tag}`), cacheTo: ['type=inline'] };
  }
  const cacheRef = (tag: string) => `${input.name}:${cacheTag(tag)}`;
  return {
    cacheFrom: tags.map((tag) => `type=registry,ref=${cacheRef(tag)}`),
    cacheTo: [`type=registry,ref=${cacheRef(input.tag)},mode=max,ignore-error=true`],
  };
}

/** `buildcache-<tag>`, kept within the 128 characters of a tag. */
export function cacheTag(tag: string): string {
  const name = `buildcache-${tag}`;
  return name.length <= 128 ? name : `buildcache-${createHash('sha256').update(tag).digest('hex').slice(0, 16)}`;
}
