import { DockerfileParser, ModifiableInstruction, type Instruction } from 'dockerfile-ast';

/** Where a Dockerfile reads an image: a stage's `FROM`, `COPY --from=` or `RUN --mount=...,from=`. */
export type ImageReadKind = 'from' | 'copy' | 'mount';

/** One place a Dockerfile reads an image (not a stage of its own, not scratch). */
export interface ImageRead {
  kind: ImageReadKind;
  /** The reference as written, e.g. `${REPOSITORY}/env-heasoft:${BASE_TAG}`. */
  written: string;
  /** With the global ARGs substituted. */
  reference: string;
  /** Where `written` stands in the Dockerfile: character offsets, end excluded. */
  start: number;
  end: number;
  /** Index of the stage the read belongs to; for a FROM, the stage it starts. */
  stage: number;
}

export interface DockerfileImages {
  /** Every image the Dockerfile reads, in the order of the text. */
  reads: ImageRead[];
  /**
   * The read the built stage (`target`, else the last) starts from,
   * following `FROM <stage>` back through earlier stages; undefined for
   * `FROM scratch` or a target that does not exist.
   */
  finalBase?: ImageRead;
  /** Names of the stages (`AS <name>`), lower case, by index. */
  stages: (string | undefined)[];
}

interface Stage {
  name?: string;
  /** The FROM argument with the global ARGs substituted. */
  reference: string;
  read?: ImageRead;
}

/**
 * The images a Dockerfile reads, as `docker build` would see them: global
 * ARGs take their default unless `buildArgs` sets them, a name that is a
 * stage of the Dockerfile is not an image, and `scratch` is nothing.
 */
export function dockerfileImages(dockerfile: string, buildArgs: Readonly<Record<string, string>>, target?: string, options: { markDefaults?: boolean } = {}): DockerfileImages {
  const parsed = DockerfileParser.parse(dockerfile);
  const offset = offsetsOf(dockerfile);
  const args = globalArgs(parsed.getInitialARGs().flatMap((arg) => arg.getProperties()), buildArgs, options.markDefaults ?? false);

  const stages: Stage[] = [];
  const reads: ImageRead[] = [];
  const froms = parsed.getFROMs();
  const stageNames = froms.map((from) => from.getBuildStage()?.toLowerCase() ?? undefined);
  for (const [index, from] of froms.entries()) {
    const written = from.getImage() ?? '';
    const range = from.getImageRange();
    const reference = substitute(written, args);
    const plain = unmarked(reference);
    const stage: Stage = { name: stageNames[index], reference: plain };
    const earlierStage = stageNames.slice(0, index).includes(plain.toLowerCase());
    if (range && !earlierStage && plain !== 'scratch' && plain !== '') {
      stage.read = { kind: 'from', written, reference, start: offset(range.start), end: offset(range.end), stage: index };
      reads.push(stage.read);
    }
    stages.push(stage);
  }

  for (const instruction of parsed.getInstructions()) {
    const stage = stageIndexAt(froms.map((from) => from.getRange().start.line), instruction.getRange().start.line);
    if (stage < 0) continue;
    for (const found of flagReads(instruction)) {
      const reference = unquote(substitute(found.written, args));
      if (isStageReference(unmarked(reference), stageNames)) continue;
      reads.push({ ...found, reference, start: offset(found.range.start), end: offset(found.range.end), stage });
    }
  }
  reads.sort((a, b) => a.start - b.start);
  return { reads, finalBase: finalBaseOf(stages, target), stages: stageNames };
}

/** `COPY --from=<x>` and every `RUN --mount=...,from=<x>` of one instruction, as written. */
function flagReads(instruction: Instruction): { kind: ImageReadKind; written: string; range: RangeLike }[] {
  const keyword = instruction.getKeyword();
  if ((keyword !== 'COPY' && keyword !== 'RUN') || !(instruction instanceof ModifiableInstruction)) return [];
  const flags = instruction.getFlags();
  const found: { kind: ImageReadKind; written: string; range: RangeLike }[] = [];
  for (const flag of flags) {
    if (keyword === 'COPY' && flag.getName() === 'from') {
      const value = flag.getValue();
      const range = flag.getValueRange();
      if (value && range) found.push({ kind: 'copy', written: value, range });
    }
    if (keyword === 'RUN' && flag.getName() === 'mount') {
      for (const option of flag.getOptions()) {
        const value = option.getValue();
        const range = option.getValueRange();
        if (option.getName() === 'from' && value && range) found.push({ kind: 'mount', written: value, range });
      }
    }
  }
  return found;
}

function finalBaseOf(stages: readonly Stage[], target: string | undefined): ImageRead | undefined {
  let index = target ? stages.findIndex((stage) => stage.name === target.toLowerCase()) : stages.length - 1;
  for (let hops = 0; index >= 0 && hops <= stages.length; hops++) {
    const stage = stages[index];
    if (!stage) return undefined;
    if (stage.read) return stage.read;
    const reference = stage.reference.toLowerCase();
    index = stages.slice(0, index).findIndex((earlier) => earlier.name === reference);
  }
  return undefined;
}

/** A stage named, or numbered (`--from=0`), in this Dockerfile. */
function isStageReference(reference: string, stageNames: readonly (string | undefined)[]): boolean {
  if (/^[0-9]+$/.test(reference)) return Number(reference) < stageNames.length;
  return stageNames.includes(reference.toLowerCase());
}

function stageIndexAt(fromLines: readonly number[], line: number): number {
  let index = -1;
  for (const [i, fromLine] of fromLines.entries()) if (fromLine <= line) index = i;
  return index;
}

/**
 * Around the value of an ARG the build does not set (its default, or empty
 * when it has none), with `markDefaults`: a reader can then tell a tag that
 * comes from such an arg from one written in the text.
 */
export const DEFAULT_MARK = { open: '\u0002', close: '\u0003' } as const;

/** The text without the marks of markDefaults. */
export function unmarked(text: string): string {
  return text.replaceAll(DEFAULT_MARK.open, '').replaceAll(DEFAULT_MARK.close, '');
}

/** The global ARGs (before the first FROM): each its build arg, else its default, substituted in order. */
function globalArgs(
  properties: readonly { getName(): string; getValue(): string | null }[],
  buildArgs: Readonly<Record<string, string>>,
  markDefaults: boolean,
): Record<string, string> {
  const args: Record<string, string> = {};
  for (const property of properties) {
    const name = property.getName();
    const given = buildArgs[name];
    if (given !== undefined) {
      args[name] = given;
      continue;
    }
    const value = property.getValue();
    const expanded = value === null ? undefined : substitute(value, args);
    if (markDefaults) args[name] = `${DEFAULT_MARK.open}${expanded ?? ''}${DEFAULT_MARK.close}`;
    else if (expanded !== undefined) args[name] = expanded;
  }
  return args;
}

function unquote(value: string): string {
  return /^(["']).*\1$/.test(value) ? value.slice(1, -1) : value;
}

interface RangeLike {
  start: { line: number; character: number };
  end: { line: number; character: number };
}

/** Turns the parser's line/character positions into offsets in the text (lines end at \n, \r\n or \r, as the parser counts them). */
function offsetsOf(text: string): (position: { line: number; character: number }) => number {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '\r' && text[i + 1] === '\n') i++;
    if (char === '\n' || char === '\r') starts.push(i + 1);
  }
  return ({ line, character }) => (starts[line] ?? text.length) + character;
}

/**
 * The Dockerfile with each read's reference replaced by another text, e.g.
 * a reference pinned to a digest; everything else byte for byte.
 */
export function replaceReads(dockerfile: string, replacements: readonly { read: Pick<ImageRead, 'start' | 'end'>; text: string }[]): string {
  const sorted = [...replacements].sort((a, b) => b.read.start - a.read.start);
  let out = dockerfile;
  let limit = Number.POSITIVE_INFINITY;
  for (const { read, text } of sorted) {
    if (read.end > limit) throw new Error(`replaceReads: overlapping reads at ${read.start}-${read.end}`);
    out = out.slice(0, read.start) + text + out.slice(read.end);
    limit = read.start;
  }
  return out;
}

/** Shell-style `$VAR`, `${VAR}`, `${VAR:-default}` and `${VAR:+alternative}`, as the Dockerfile frontend expands them. */
export function substitute(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(
    /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g,
    (_match, braced: string | undefined, operator: string | undefined, word: string | undefined, bare: string | undefined) => {
      const name = braced ?? bare ?? '';
      const value = vars[name];
      switch (operator) {
        case ':-':
          return value ? value : (word ?? '');
        case '-':
          return value !== undefined ? value : (word ?? '');
        case ':+':
          return value ? (word ?? '') : '';
        case '+':
          return value !== undefined ? (word ?? '') : '';
        default:
          return value ?? '';
      }
    },
  );
}
