import { posix } from 'node:path';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { UserError } from '../errors';
import { contextFilter } from '../inputs/build-inputs';
import { substitute } from './dockerfile';

/**
 * What a Dockerfile's COPY and ADD read from the build context, checked
 * against the context's files as its ignore file filters them, before any
 * build: a missing source otherwise fails the build only when BuildKit
 * reaches it, possibly an hour of bases later. Plain data in and out.
 */

/** One source a COPY or ADD reads from the build context. */
export interface ContextSource {
  /** The instruction's first line, 1-based. */
  line: number;
  /** The instruction on one line: continuations joined, heredoc bodies left out. */
  instruction: string;
  /** The source as written. */
  written: string;
  /** The source from the context's root, normalized as BuildKit does ('' for the context itself). */
  path: string;
  /** It holds `*`, `?` or `[`: it names whatever it matches. */
  wildcard: boolean;
}

/** What is checked: one image's Dockerfile, its context, the files known and what steps before the build write. */
export interface ContextCheck {
  /** The image (project) the Dockerfile builds, as an error names it. */
  image: string;
  /** The Dockerfile, from the workspace root, and its text. */
  dockerfile: string;
  text: string;
  /** The build context folder, from the workspace root ('' or '.' for the root). */
  context: string;
  /**
   * Every file known, from the workspace root: the context's at least. With
   * the repository's other files (a commit's whole tree), a missing source
   * that is a file or folder of the repository root is named as such.
   */
  files: readonly { path: string }[];
  /** The ignore file the engine applies (see ignoreFileOf), '' for none. */
  ignoreFile: string;
  /** Files or folders, from the workspace root, that steps before the build write (a prepare step's copy and extract `to`, a step's outputs). */
  declared?: readonly string[];
  /** Build args the build sets; an ARG takes its default otherwise. */
  buildArgs?: Readonly<Record<string, string>>;
  /** The stage built (`target`); the last when unset. Stages it does not need are not built, and not checked. */
  target?: string;
}

/** A source the build would not find, and what to do about it. */
export interface MissingSource extends ContextSource {
  image: string;
  dockerfile: string;
  /** missing: not in the context; ignored: there, but its ignore file leaves it out; matches-nothing: a wildcard with no match. */
  why: 'missing' | 'ignored' | 'matches-nothing';
  /** The source from the workspace root, where the build would look for it. */
  inContext: string;
  /** A file or folder of the same name at the repository root, which a prepare step can copy into the context. */
  atRoot?: string;
  /** Whether the build fails on it: BuildKit copies nothing for a wildcard that matches nothing, and goes on. */
  fails: boolean;
  problem: string;
  fix: string;
}

/**
 * Every source the COPY and ADD instructions of the stages the build needs
 * read from the context, in the order of the text: not `COPY --from`, not
 * ADD's URLs and git repositories, not heredocs. A source made of an arg or
 * env variable the Dockerfile does not define cannot be known and is left out.
 */
export function contextSources(text: string, buildArgs: Readonly<Record<string, string>> = {}, target?: string): ContextSource[] {
  const parsed = DockerfileParser.parse(text);
  const globals: Record<string, string> = {};
  for (const property of parsed.getInitialARGs().flatMap((arg) => arg.getProperties())) {
    const name = property.getName();
    const value = buildArgs[name] ?? property.getValue();
    if (value !== null && value !== undefined) globals[name] = substitute(value, globals);
  }
  const stages = stagesOf(parsed.getInstructions());
  const needed = neededStages(stages, target);
  const sources: ContextSource[] = [];
  for (const [index, stage] of stages.entries()) {
    if (!needed.has(index)) continue;
    const vars: Record<string, string> = {};
    for (const instruction of stage.instructions) {
      const keyword = instruction.getKeyword();
      if (keyword === 'ARG' || keyword === 'ENV') {
        for (const property of (instruction as unknown as { getProperties(): { getName(): string; getValue(): string | null }[] }).getProperties()) {
          const name = property.getName();
          const value = keyword === 'ARG' ? (buildArgs[name] ?? property.getValue() ?? globals[name]) : property.getValue();
          if (value === null || value === undefined) continue;
          vars[name] = substitute(value, vars);
        }
        continue;
      }
      if (keyword !== 'COPY' && keyword !== 'ADD') continue;
      if (flagsOf(instruction).some((flag) => flag.name === 'from')) continue;
      const line = instruction.getRange().start.line + 1;
      const shown = oneLine(instruction);
      for (const written of sourcesOf(instruction)) {
        if (keyword === 'ADD' && isRemote(written)) continue;
        const expanded = expand(written, vars);
        if (expanded === undefined) continue;
        sources.push({ line, instruction: shown, written, path: contextPath(expanded), wildcard: /[*?[]/.test(expanded) });
      }
    }
  }
  return sources;
}

/**
 * The sources of the check's Dockerfile that the build would not find in
 * its context: not there, or left out by the ignore file. A source a step
 * before the build declares it writes is there. A wildcard that matches
 * nothing is listed too, as one the build does not fail on.
 */
export function missingContextSources(check: ContextCheck): MissingSource[] {
  const context = clean(check.context);
  const fromRoot = (path: string) => (context === '' ? path : path === '' ? context : `${context}/${path}`);
  const inContext = (path: string) => context === '' || path === context || path.startsWith(`${context}/`);
  const relative = (path: string) => (context === '' ? path : path === context ? '' : path.slice(context.length + 1));
  const ignored = contextFilter(check.ignoreFile);
  const everything = new Set(check.files.map((file) => clean(file.path)));
  const present: string[] = [];
  const left: string[] = [];
  for (const path of everything) {
    if (!inContext(path)) continue;
    (ignored(relative(path)) ? left : present).push(relative(path));
  }
  // A declared output counts as a file or a folder of whatever it will hold.
  const declared = (check.declared ?? []).map(clean).filter((path) => path !== '' && inContext(path)).map(relative).filter((path) => !ignored(path));
  const candidates = withFolders([...present, ...declared]);
  const leftCandidates = withFolders(left);
  const exists = (path: string) => path === '' || present.some((file) => file === path || file.startsWith(`${path}/`)) || declared.some((out) => out === path || out.startsWith(`${path}/`) || path.startsWith(`${out}/`));
  const ignoreName = '.dockerignore';
  const missing: MissingSource[] = [];
  for (const source of contextSources(check.text, check.buildArgs ?? {}, check.target)) {
    const base = { ...source, image: check.image, dockerfile: check.dockerfile, inContext: fromRoot(source.path) };
    if (source.wildcard) {
      const match = globMatcher(source.path);
      // What a declared folder will hold is not known: a pattern that reaches inside one may match there.
      const reachesInside = (out: string) => {
        const segments = source.path.split('/');
        const depth = out.split('/').length;
        return segments.length > depth && globMatcher(segments.slice(0, depth).join('/'))(out);
      };
      if ([...candidates].some(match) || declared.some(reachesInside)) continue;
      const excluded = [...leftCandidates].some(match);
      missing.push({
        ...base,
        why: excluded ? 'ignored' : 'matches-nothing',
        fails: false,
        problem: excluded ? `${source.written} matches only files ${ignoreName} leaves out of the build context ${context || '.'}` : `${source.written} matches nothing in the build context ${context || '.'}, so the build copies nothing from it`,
        fix: 'add what it should match, or remove it from the instruction',
      });
      continue;
    }
    if (exists(source.path)) continue;
    if (left.some((file) => file === source.path || file.startsWith(`${source.path}/`))) {
      missing.push({ ...base, why: 'ignored', fails: true, problem: `${source.written} is left out of the build context ${context || '.'} by ${ignoreName}`, fix: 'remove the rule that excludes it, or the source from the instruction' });
      continue;
    }
    const atRoot = context !== '' && source.path !== '' && [...everything].some((file) => file === source.path || file.startsWith(`${source.path}/`)) ? source.path : undefined;
    missing.push({
      ...base,
      why: 'missing',
      fails: true,
      ...(atRoot ? { atRoot } : {}),
      problem: `${source.written} is not in the build context ${context || '.'}${atRoot ? ` (it is at the repository root)` : ''}`,
      fix: atRoot
        ? `copy it in before the build with a prepare step, { "from": "${atRoot}", "to": "${source.path}" } in its copy (nx g @fornax/nx-images:init writes it)`
        : 'add it to the context, declare it as the "to" of a prepare step\'s copy or extract (or a step\'s outputs), or remove it from the instruction',
    });
  }
  return missing;
}

/** The one-line error of a missing source: `image: Dockerfile:line INSTRUCTION: problem: fix.` */
export function missingSourceError(missing: MissingSource): UserError {
  return new UserError({ image: missing.image, subject: `${missing.dockerfile}:${missing.line} ${missing.instruction}`, problem: missing.problem, fix: missing.fix });
}

interface StageOf {
  name?: string;
  /** The FROM argument, lower case. */
  from: string;
  instructions: Instruction[];
}

function stagesOf(instructions: readonly Instruction[]): StageOf[] {
  const stages: StageOf[] = [];
  for (const instruction of instructions) {
    if (instruction.getKeyword() === 'FROM') {
      const args = instruction.getArguments().map((arg) => arg.getValue());
      const as = args.findIndex((arg) => arg.toLowerCase() === 'as');
      const image = args.find((arg) => !arg.startsWith('--')) ?? '';
      stages.push({ ...(as >= 0 && args[as + 1] ? { name: (args[as + 1] ?? '').toLowerCase() } : {}), from: image.toLowerCase(), instructions: [] });
      continue;
    }
    stages.at(-1)?.instructions.push(instruction);
  }
  return stages;
}

/** The stages the built one needs: itself, and every stage it starts FROM, copies --from or mounts from, and theirs. */
function neededStages(stages: readonly StageOf[], target: string | undefined): Set<number> {
  const indexOf = (reference: string, before: number): number => {
    const name = reference.toLowerCase();
    if (/^[0-9]+$/.test(name)) return Number(name) < before ? Number(name) : -1;
    return stages.slice(0, before).findIndex((stage) => stage.name === name);
  };
  const start = target ? stages.findIndex((stage) => stage.name === target.toLowerCase()) : stages.length - 1;
  const needed = new Set<number>();
  const visit = (index: number) => {
    if (index < 0 || needed.has(index)) return;
    needed.add(index);
    const stage = stages[index];
    if (!stage) return;
    visit(indexOf(stage.from, index));
    for (const instruction of stage.instructions) {
      for (const flag of flagsOf(instruction)) {
        if (flag.name === 'from') visit(indexOf(flag.value, index));
        if (flag.name === 'mount') {
          const from = /(?:^|,)from=([^,]+)/.exec(flag.value)?.[1];
          if (from) visit(indexOf(from, index));
        }
      }
    }
  };
  visit(start < 0 ? stages.length - 1 : start);
  return needed;
}

function flagsOf(instruction: Instruction): { name: string; value: string }[] {
  const flagged = instruction as unknown as { getFlags?: () => { getName(): string; getValue(): string | null }[] };
  return (flagged.getFlags?.() ?? []).map((flag) => ({ name: flag.getName().toLowerCase(), value: flag.getValue() ?? '' }));
}

/** The sources of a COPY or ADD: every argument but the last, in JSON form or shell form, heredocs and their bodies left out. */
function sourcesOf(instruction: Instruction): string[] {
  const content = (instruction.getArgumentsContent() ?? '').trim();
  if (content.startsWith('[')) {
    try {
      const list = JSON.parse(content) as unknown;
      if (Array.isArray(list) && list.every((entry) => typeof entry === 'string')) return list.slice(0, -1);
    } catch {
      // Not JSON: Docker reads it in shell form.
    }
  }
  const heredocs = ((instruction as unknown as { getHeredocs?: () => { getContentRange(): RangeLike | null; getDelimiterRange(): RangeLike | null; getNameRange(): RangeLike }[] }).getHeredocs?.() ?? []).map((heredoc) => ({
    from: heredoc.getNameRange().end.line,
    to: (heredoc.getDelimiterRange() ?? heredoc.getContentRange() ?? heredoc.getNameRange()).end.line,
  }));
  const words = instruction
    .getArguments()
    .filter((arg) => !heredocs.some((body) => arg.getRange().start.line > body.from && arg.getRange().start.line <= body.to))
    .map((arg) => arg.getValue())
    .filter((word) => !word.startsWith('<<'));
  return words.slice(0, -1).map(unquote);
}

interface RangeLike {
  end: { line: number };
}

/** The instruction as one line: its first line, continuations joined, heredoc bodies and comments left out. */
function oneLine(instruction: Instruction): string {
  const keyword = instruction.getInstruction();
  const flags = flagsOf(instruction).map((flag) => `--${flag.name}${flag.value ? `=${flag.value}` : ''}`);
  const content = (instruction.getArgumentsContent() ?? '').trim();
  const body = content.startsWith('[') ? content.replace(/\s+/g, ' ') : sourcesAndDestination(instruction);
  return [keyword, ...flags, body].filter((part) => part !== '').join(' ');
}

function sourcesAndDestination(instruction: Instruction): string {
  const all = instruction.getArguments().map((arg) => arg.getValue());
  const heredoc = all.findIndex((word) => word.startsWith('<<'));
  if (heredoc < 0) return all.join(' ');
  // A heredoc's line: its operators and the destination, up to the end of that line.
  const line = instruction.getArguments()[heredoc]?.getRange().start.line;
  return instruction
    .getArguments()
    .filter((arg) => arg.getRange().start.line === line)
    .map((arg) => arg.getValue())
    .join(' ');
}

function isRemote(source: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(source) || /^git@[^:]+:/.test(source);
}

/** The source with the stage's args and env variables filled in; undefined when it names one the Dockerfile does not define. */
function expand(source: string, vars: Readonly<Record<string, string>>): string | undefined {
  for (const [, braced, operator, bare] of source.matchAll(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(:?[-+])?[^}]*\}|([A-Za-z_][A-Za-z0-9_]*))/g)) {
    const name = braced ?? bare ?? '';
    if (vars[name] === undefined && operator !== '-' && operator !== ':-' && operator !== '+' && operator !== ':+') return undefined;
  }
  return substitute(source, vars);
}

/** A source as BuildKit reads it: from the context's root, whatever `/`, `./` or `..` it starts with. */
function contextPath(source: string): string {
  return posix.normalize(`/${source}`).replace(/^\/+/, '').replace(/\/+$/, '');
}

function unquote(value: string): string {
  return /^(["']).*\1$/.test(value) && value.length >= 2 ? value.slice(1, -1) : value;
}

function clean(path: string): string {
  const normal = posix.normalize(path.replace(/\\/g, '/')).replace(/\/+$/, '');
  return normal === '.' || normal === '' ? '' : normal.replace(/^\.\//, '');
}

/** The paths and every folder above them. */
function withFolders(paths: readonly string[]): Set<string> {
  const all = new Set<string>();
  for (const path of paths) {
    all.add(path);
    for (let slash = path.lastIndexOf('/'); slash > 0; slash = path.lastIndexOf('/', slash - 1)) all.add(path.slice(0, slash));
  }
  return all;
}

/** Go's filepath.Match, as BuildKit matches a source: `*` and `?` within one path segment, `[...]` and `[^...]` classes with ranges, `\` escaping; a malformed pattern matches nothing. */
export function globMatcher(pattern: string): (path: string) => boolean {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] ?? '';
    if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else if (char === '\\') {
      if (i + 1 >= pattern.length) return () => false;
      source += escapeRegExp(pattern[++i] ?? '');
    } else if (char === '[') {
      let body = '';
      let j = i + 1;
      const negated = pattern[j] === '^';
      if (negated) j++;
      for (; j < pattern.length && pattern[j] !== ']'; j++) {
        const inner = pattern[j] ?? '';
        if (inner === '\\') {
          if (j + 1 >= pattern.length) return () => false;
          body += escapeInClass(pattern[++j] ?? '');
        } else body += inner === '-' ? '-' : escapeInClass(inner);
      }
      if (j >= pattern.length || body === '') return () => false;
      source += `[${negated ? '^/' : ''}${body}]`;
      i = j;
    } else source += escapeRegExp(char);
  }
  let regexp: RegExp;
  try {
    regexp = new RegExp(`^${source}$`, 'u');
  } catch {
    // A range out of order, as Go's ErrBadPattern.
    return () => false;
  }
  return (path) => regexp.test(path);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function escapeInClass(text: string): string {
  return text.replace(/[[\]\\^-]/g, '\\$&');
}
