import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import dockerignore from '@balena/dockerignore';

/**
 * What one image's build reads, worked out from a tree of files (a commit's,
 * as git holds it, or the disk's) and the build's resolved settings: its
 * context as the engine sees it after .dockerignore, its Dockerfile, the
 * files its steps before the build copy in, and the settings. Two commits
 * whose inputs have the same digest build the same image from the same
 * bases, so one of them need not build it.
 */

/** One file of a tree: git's mode and object id, or the disk's mode and content hash. */
export interface TreeFile {
  /** Workspace-relative, with forward slashes. */
  path: string;
  mode: string;
  id: string;
}

/** A tree to read inputs from: every file, and the text of any of them. */
export interface InputsSource {
  files: readonly TreeFile[];
  text(path: string): string | undefined;
}

/** Where an image's build reads from, as its project says (workspace-relative paths). */
export interface ImageBuildSpec {
  /** The build context folder; '' or '.' is the workspace root. */
  context: string;
  /** The Dockerfile. */
  dockerfile: string;
  /** Files or folders a step before the build copies into the context. */
  copies?: readonly string[];
  /** Folders inside the context that are other images' (a variant's folder inside its image's): their files are theirs. */
  exclude?: readonly string[];
  /** The build's resolved settings (its target's options and its steps' options), as plain data. */
  settings: unknown;
}

export interface BuildInputs {
  /** Every file the build reads, workspace-relative, sorted. */
  files: string[];
  /** sha256 of the files (by context-relative path, mode and id), the Dockerfile and the settings. */
  digest: string;
  /** sha256 of the settings alone: whether they are what changed. */
  settings: string;
}

/** The inputs of one image's build in `source`; a Dockerfile the tree lacks gives no inputs (the image does not exist there). */
export function buildInputs(spec: ImageBuildSpec, source: InputsSource): BuildInputs | undefined {
  const dockerfilePath = clean(spec.dockerfile);
  const dockerfile = source.files.find((file) => file.path === dockerfilePath);
  if (!dockerfile) return undefined;
  const context = clean(spec.context);
  const inContext = (path: string) => context === '' || path.startsWith(`${context}/`);
  const relative = (path: string) => (context === '' ? path : path.slice(context.length + 1));
  const ignored = contextFilter(ignoreFileOf(dockerfilePath, context, source));
  const excluded = (spec.exclude ?? []).map(clean).filter((folder) => folder !== '' && folder !== context);
  const theirs = (path: string) => excluded.some((folder) => path.startsWith(`${folder}/`));
  const contextFiles = source.files.filter((file) => inContext(file.path) && !theirs(file.path) && !ignored(relative(file.path)));
  const copies = (spec.copies ?? []).map(clean);
  const copied = source.files.filter((file) => copies.some((from) => file.path === from || file.path.startsWith(`${from}/`)));
  const settings = digestOf(spec.settings ?? null);
  const digest = digestOf({
    context: contextFiles.map((file) => [relative(file.path), file.mode, file.id]),
    dockerfile: [dockerfile.mode, dockerfile.id],
    copies: copied.map((file) => [file.path, file.mode, file.id]),
    settings,
  });
  const files = new Set([...contextFiles, dockerfile, ...copied].map((file) => file.path));
  return { files: [...files].sort(), digest, settings };
}

/**
 * The ignore file the engine applies: BuildKit's `<Dockerfile>.dockerignore`
 * beside the Dockerfile when there is one, else the context's .dockerignore.
 */
export function ignoreFileOf(dockerfile: string, context: string, source: Pick<InputsSource, 'text'>): string {
  const folder = clean(context);
  return source.text(`${clean(dockerfile)}.dockerignore`) ?? source.text(folder === '' ? '.dockerignore' : `${folder}/.dockerignore`) ?? '';
}

/** A test of context-relative paths against .dockerignore's rules, as Docker reads them (comments, `!` exceptions, `**`). */
export function contextFilter(ignoreFile: string): (path: string) => boolean {
  const rules = ignoreFile
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  if (rules.length === 0) return () => false;
  const matcher = dockerignore({ ignorecase: false }).add(rules);
  return (path) => matcher.ignores(path);
}

/** sha256 of a value's canonical JSON: object keys sorted, so the same data always gives the same digest. */
export function digestOf(value: unknown): string {
  return `sha256:${createHash('sha256').update(canonicalJson(value)).digest('hex')}`;
}

/** JSON with every object's keys in sorted order; undefined members are left out, as JSON.stringify does. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, member: unknown) => {
    if (member === null || typeof member !== 'object' || Array.isArray(member)) return member;
    const entries = Object.entries(member as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries);
  });
}

function clean(path: string): string {
  const normal = posix.normalize(path.replace(/\\/g, '/')).replace(/\/+$/, '');
  return normal === '.' || normal === '' ? '' : normal.replace(/^\.\//, '');
}
