import { isAbsolute, join, posix, relative, resolve, sep } from 'node:path';
import { baseQuestion, type BaseQuestion } from '../../lib/core/dockerfile/bases';
import { envFlag } from '../../lib/core/ci/env-flag';
import { UserError, type Subject } from '../../lib/core/errors';
import { isDryRun, nonEmpty } from '../../lib/core/option-values';
import { STEP_ENV } from '../../lib/core/ci/ci-plan';
import { resolveImageTarget } from '../../lib/core/naming/image-target';
import { imageName } from '../../lib/core/naming/refs';
import { assertValidTag, branchToTag, resolveTag } from '../../lib/core/naming/tags';
import type { PrepareExecutorSchema } from './schema';

/** What the executor found out before normalizing: everything the pure normalization reads. */
export interface PrepareFacts {
  projectName: string;
  /** The image's folder, relative to the workspace root. */
  projectRoot: string;
  workspaceRoot: string;
  /** Every image of this repository. */
  images: readonly string[];
  /** The images this image's docker-build depends on: the only ones built before this step. */
  buildDependencies: readonly string[];
  /** The name of the images' build target (the plugin's buildTargetName), as a fix names it. */
  buildTarget: string;
  defaultBranch: string;
  env: Readonly<Record<string, string | undefined>>;
  gitBranch?: string;
  originUrl?: string;
}

export interface CopyStep {
  /** Absolute paths. */
  from: string;
  to: string;
  /** Both relative to the workspace root, for the log. */
  shownFrom: string;
  shownTo: string;
}

export interface ExtractStep {
  image: string;
  /** Absolute inside the image. */
  path: string;
  /** Absolute on this machine, and relative to the workspace root for the log. */
  to: string;
  shownTo: string;
  /** The tags to try, as docker-build resolves a base. */
  question: BaseQuestion;
}

/** Every option resolved, every default filled in. */
export interface NormalizedPrepare {
  project: string;
  workspaceRoot: string;
  registry: string;
  repository: string;
  tag: string;
  defaultTag: string;
  /** Only the registry counts; without it the local engine is asked first. */
  push: boolean;
  dryRun: boolean;
  copies: CopyStep[];
  extracts: ExtractStep[];
}

export function normalizePrepareOptions(options: PrepareExecutorSchema, facts: PrepareFacts): NormalizedPrepare {
  const project = facts.projectName;
  const option = (name: string): Subject => ({ image: project, subject: `prepare option ${name}` });
  const copyEntries = listOption(options.copy, 'copy', project);
  const extractEntries = listOption(options.extract, 'extract', project);
  if (copyEntries.length === 0 && extractEntries.length === 0) {
    throw new UserError({
      subject: project,
      problem: 'the prepare step has nothing to do',
      fix: 'give it "copy" ([{ "from": "<file>", "to": "<file>" }]) or "extract" ([{ "image": "<image>", "path": "/<path>", "to": "<folder>" }])',
    });
  }
  const folder = resolve(facts.workspaceRoot, facts.projectRoot);
  const shown = (path: string) => relative(facts.workspaceRoot, path).split(sep).join('/');
  const copies = copyEntries.map((entry, index): CopyStep => {
    const what = option(`copy[${index}]`);
    const from = insideOf(facts.workspaceRoot, stringField(entry, 'from', what), field(what, 'from'), 'the workspace', true);
    const to = insideOf(folder, stringField(entry, 'to', what), field(what, 'to'), `the image's folder ${facts.projectRoot}`, false);
    return { from, to, shownFrom: shown(from), shownTo: shown(to) };
  });

  const { registry, repository } = resolveImageTarget(options, { project, env: facts.env, originUrl: facts.originUrl });
  const tagOption = nonEmpty(options.tag) ?? nonEmpty(facts.env[STEP_ENV.tag]);
  const { tag } = resolveTag({ ...(tagOption ? { option: tagOption } : {}), env: facts.env, ...(facts.gitBranch ? { gitBranch: facts.gitBranch } : {}) });
  const fallback = nonEmpty(options.baseTagFallback) ?? nonEmpty(facts.env[STEP_ENV.fallbackTag]);
  const defaultTag = fallback === undefined ? branchToTag(facts.defaultBranch) : assertValidTag(fallback, '--baseTagFallback');
  const push = options.push ?? envFlag(STEP_ENV.push, facts.env[STEP_ENV.push]);

  const extracts = extractEntries.map((entry, index): ExtractStep => {
    const what = option(`extract[${index}]`);
    const image = stringField(entry, 'image', what);
    if (image === project) throw new UserError({ ...field(what, 'image'), problem: `${project} is the image itself, which is built after this step`, fix: 'extract from another image' });
    if (!facts.images.includes(image)) {
      throw new UserError({ ...field(what, 'image'), problem: `${JSON.stringify(image)} is no image of this repository`, fix: `choose from ${facts.images.join(', ') || '(none)'}` });
    }
    if (!facts.buildDependencies.includes(image)) {
      throw new UserError({
        ...field(what, 'image'),
        problem: `${image} is not built before ${project}`,
        fix: `add { "projects": ["${image}"], "target": "${facts.buildTarget}", "params": "forward" } to the ${facts.buildTarget} dependsOn of ${facts.projectRoot}/project.json (after "...")`,
      });
    }
    const path = stringField(entry, 'path', what);
    if (!path.startsWith('/') || path.split('/').includes('..') || /[\0\n]/.test(path)) {
      throw new UserError({ ...field(what, 'path'), problem: `${JSON.stringify(path)} is not an absolute path inside the image`, fix: 'write it from /, without ".."' });
    }
    const to = insideOf(folder, stringField(entry, 'to', what), field(what, 'to'), `the image's folder ${facts.projectRoot}`, false);
    const question = baseQuestion({ image, followsBaseTag: true }, { name: imageName({ registry, repository, image }), branchTag: tag, defaultTag, local: !push });
    return { image, path: posix.normalize(path), to, shownTo: shown(to), question };
  });

  const targets = [...copies.map((step) => step.to), ...extracts.map((step) => step.to)];
  for (const [index, a] of targets.entries()) {
    const clash = targets.find((b, other) => other !== index && (a === b || a.startsWith(`${b}${sep}`)));
    if (clash !== undefined) throw new UserError({ subject: project, problem: `the prepare step writes ${shown(a)} and ${shown(clash)}, one over the other`, fix: 'give each entry a "to" of its own' });
  }
  return { project, workspaceRoot: facts.workspaceRoot, registry, repository, tag, defaultTag, push, dryRun: isDryRun(options.dryRun, facts.env), copies, extracts };
}

function listOption(value: unknown, name: string, project: string): Record<string, unknown>[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((entry) => typeof entry === 'object' && entry !== null && !Array.isArray(entry))) {
    throw new UserError({ image: project, subject: `prepare option ${name}`, problem: 'not a list of objects', fix: 'write it as [{ ... }, ...]' });
  }
  return value as Record<string, unknown>[];
}

/** One field of an entry: `prepare option copy[0]` -> `prepare option copy[0].from`. */
function field(what: Subject, name: string): Subject {
  return { ...what, subject: `${what.subject}.${name}` };
}

function stringField(entry: Record<string, unknown>, name: string, what: Subject): string {
  const value = entry[name];
  if (typeof value !== 'string' || value.trim() === '') throw new UserError({ ...what, problem: `there is no "${name}"`, fix: 'give it as a non-empty string' });
  return value.trim();
}

/** A relative path inside `root`, made absolute; the root itself only when `rootAllowed`. */
function insideOf(root: string, path: string, what: Subject, where: string, rootAllowed: boolean): string {
  if (isAbsolute(path) || /^[A-Za-z]:/.test(path) || /[\0\n]/.test(path)) throw new UserError({ ...what, problem: `${JSON.stringify(path)} is not a relative path`, fix: `give it relative to ${where}` });
  const absolute = join(root, path);
  const rel = relative(root, absolute);
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel) || (rel === '' && !rootAllowed)) {
    throw new UserError({ ...what, problem: `${JSON.stringify(path)} is not inside ${where}`, fix: `give a path inside it${rootAllowed ? '' : ' (not the folder itself)'}` });
  }
  return absolute;
}
