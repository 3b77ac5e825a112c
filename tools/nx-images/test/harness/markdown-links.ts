/**
 * The links of this repository's Markdown (README.md, docs/*.md) and the
 * anchors of its headings, as GitHub renders them: pure, so that
 * test/docs-links.int.test.ts only reads the files and hands them here.
 *
 * Covered: ATX headings (`## Title`), fenced code blocks (``` and ~~~,
 * skipped), code spans (skipped), inline links and images (`[text](dest)`,
 * `![alt](dest)`, with an optional title) and reference definitions
 * (`[id]: dest`). Not covered, as these files use none: setext headings,
 * indented code blocks, HTML anchors.
 */
import { posix } from 'node:path';

export interface MarkdownLink {
  /** The destination as written, e.g. `docs/ci.md#github-settings`. */
  readonly target: string;
  /** 1-based. */
  readonly line: number;
}

export interface LinkProblem {
  readonly file: string;
  readonly line: number;
  readonly target: string;
  readonly problem: string;
}

/** Where a relative link points: a path from the repository root (`''` for the same file's `#anchor`) and the anchor, decoded. */
export interface LinkTarget {
  readonly path: string;
  readonly anchor: string | undefined;
}

// What GitHub keeps of a heading: letters, marks and numbers of any script, `_` (and other connector punctuation), `-` and spaces.
const DROPPED = /[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const ATX_HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;
// `[text](dest "title")` or `![alt](<dest>)`, not after a `\`; the text may hold one level of brackets.
const INLINE_LINK = /(?<!\\)!?\[(?:[^[\]\\]|\\.|\[[^[\]]*\])*\]\(\s*(<[^<>\n]*>|[^\s()<>]*(?:\([^\s()]*\)[^\s()<>]*)*)(?:\s+(?:"[^"]*"|'[^']*'|\([^()]*\)))?\s*\)/g;
const REFERENCE_DEFINITION = /^ {0,3}\[[^\]]+\]:\s*(<[^<>]*>|\S+)/;

/** GitHub's anchor for a heading's text: lower case, punctuation dropped except `-` and `_`, each space a `-`. */
export function slug(heading: string): string {
  return renderedText(heading).toLowerCase().replace(DROPPED, '').replace(/ /g, '-');
}

/** Every heading's anchor, in order, outside code blocks; a repeated one gets `-1`, `-2`, ... as on GitHub. */
export function headingAnchors(markdown: string): string[] {
  const seen = new Map<string, number>();
  const anchors: string[] = [];
  for (const { text } of proseLines(markdown)) {
    const heading = ATX_HEADING.exec(text);
    if (!heading) continue;
    const base = slug(heading[2] ?? '');
    let anchor = base;
    while (seen.has(anchor)) {
      const count = (seen.get(base) ?? 0) + 1;
      seen.set(base, count);
      anchor = `${base}-${count}`;
    }
    seen.set(anchor, 0);
    anchors.push(anchor);
  }
  return anchors;
}

/** Every link and image destination outside code blocks and code spans, with its line. */
export function markdownLinks(markdown: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  for (const { text, line } of proseLines(markdown)) {
    const prose = withoutCodeSpans(text);
    const definition = REFERENCE_DEFINITION.exec(prose);
    if (definition) links.push({ target: unbracket(definition[1] ?? ''), line });
    for (const match of prose.matchAll(INLINE_LINK)) links.push({ target: unbracket(match[1] ?? ''), line });
  }
  return links;
}

/**
 * Where a link written in `file` (a path from the repository root) points, or
 * undefined when it leaves the repository's files: a URL with a scheme
 * (`https:`, `mailto:`), `//host`, or an empty destination.
 */
export function resolveLink(file: string, target: string): LinkTarget | undefined {
  if (target === '' || SCHEME.test(target) || target.startsWith('//')) return undefined;
  const hash = target.indexOf('#');
  const pathPart = decode(hash < 0 ? target : target.slice(0, hash));
  const anchor = hash < 0 ? undefined : decode(target.slice(hash + 1));
  if (pathPart === '') return { path: '', anchor };
  // GitHub reads a leading `/` from the repository root.
  const path = pathPart.startsWith('/') ? posix.normalize(pathPart.slice(1)) : posix.normalize(posix.join(posix.dirname(file), pathPart));
  return { path: path.replace(/\/$/, ''), anchor };
}

/**
 * The links of `files` (path from the repository root -> Markdown) that point
 * nowhere: a relative path that `exists` denies, or an anchor no heading of
 * the target has. The target of an anchor must be one of `files`.
 */
export function brokenLinks(files: ReadonlyMap<string, string>, exists: (path: string) => boolean): LinkProblem[] {
  const anchorsOf = new Map<string, Set<string>>();
  const anchors = (path: string, markdown: string): Set<string> => {
    let set = anchorsOf.get(path);
    if (!set) {
      set = new Set(headingAnchors(markdown));
      anchorsOf.set(path, set);
    }
    return set;
  };
  const problems: LinkProblem[] = [];
  for (const [file, markdown] of files) {
    for (const { target, line } of markdownLinks(markdown)) {
      const resolved = resolveLink(file, target);
      if (!resolved) continue;
      const problem = linkProblem(file, resolved, files, exists, anchors);
      if (problem) problems.push({ file, line, target, problem });
    }
  }
  return problems;
}

function linkProblem(
  file: string,
  { path, anchor }: LinkTarget,
  files: ReadonlyMap<string, string>,
  exists: (path: string) => boolean,
  anchors: (path: string, markdown: string) => Set<string>,
): string | undefined {
  const targetPath = path === '' ? file : path;
  if (targetPath === '..' || targetPath.startsWith('../')) return `${targetPath} is outside the repository`;
  if (!files.has(targetPath) && !exists(targetPath)) return `${targetPath} does not exist`;
  if (anchor === undefined || anchor === '') return undefined;
  const markdown = files.get(targetPath);
  if (markdown === undefined) return `#${anchor} points into ${targetPath}, whose headings are not checked: link to a Markdown file of the checked set, or drop the anchor`;
  if (anchors(targetPath, markdown).has(anchor)) return undefined;
  return `${targetPath} has no heading whose anchor is #${anchor}`;
}

/** The lines outside fenced code blocks, numbered from 1. */
function proseLines(markdown: string): { text: string; line: number }[] {
  const lines: { text: string; line: number }[] = [];
  let fence: string | undefined;
  markdown.split('\n').forEach((raw, index) => {
    const text = raw.replace(/\r$/, '');
    const opening = FENCE.exec(text);
    if (fence === undefined) {
      if (opening) fence = opening[1];
      else lines.push({ text, line: index + 1 });
    } else if (opening && opening[1]?.[0] === fence[0] && (opening[1]?.length ?? 0) >= fence.length && text.trim() === opening[1]) {
      fence = undefined;
    }
  });
  return lines;
}

/** The line with each code span blanked (same length), so nothing inside one reads as a link. */
function withoutCodeSpans(text: string): string {
  return text.replace(/(`+)(?!`)([\s\S]*?[^`])\1(?!`)/g, (span) => ' '.repeat(span.length));
}

/**
 * A heading's text as rendered: a code span is its content as written; outside
 * code spans a link or image becomes its text, an HTML tag goes and `\x` is `x`.
 */
function renderedText(heading: string): string {
  return heading
    .split(/((`+)(?!`)[\s\S]*?[^`]\2(?!`))/)
    .filter((_part, index) => index % 3 !== 2)
    .map((part, index) =>
      index % 2 === 1
        ? codeSpanContent(part)
        : part
            .replace(/!?\[((?:[^[\]]|\[[^[\]]*\])*)\]\([^)]*\)/g, '$1')
            .replace(/<[^>]+>/g, '')
            .replace(/\\(.)/g, '$1'),
    )
    .join('')
    .trim();
}

/** A code span's content: the backticks off, and one space each side when both sides have one (CommonMark). */
function codeSpanContent(span: string): string {
  const ticks = /^`+/.exec(span)?.[0].length ?? 0;
  const content = span.slice(ticks, span.length - ticks);
  return content.startsWith(' ') && content.endsWith(' ') && content.trim() !== '' ? content.slice(1, -1) : content;
}

function unbracket(destination: string): string {
  return destination.startsWith('<') && destination.endsWith('>') ? destination.slice(1, -1) : destination;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** A line of a shell block: the command, and the comment that ends it (what the line claims), without the `#`. */
export interface CommandLine {
  command: string;
  comment: string;
}

/**
 * The lines of the first `sh` block in the section under `heading` (the
 * heading line as written, `## Add an image`); an error when the section has
 * none, so a renamed heading or a removed block fails its test.
 */
export function shellLinesUnder(markdown: string, heading: string): CommandLine[] {
  const lines = markdown.split('\n');
  const start = lines.indexOf(heading);
  if (start < 0) throw new Error(`no heading "${heading}"`);
  const section = lines.slice(start + 1);
  const end = section.findIndex((line) => /^#{1,6} /.test(line));
  const open = section.slice(0, end < 0 ? undefined : end).indexOf('```sh');
  if (open < 0) throw new Error(`no sh block under "${heading}"`);
  const rest = section.slice(open + 1);
  const close = rest.indexOf('```');
  if (close < 0) throw new Error(`the sh block under "${heading}" is not closed`);
  return rest
    .slice(0, close)
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const hash = line.search(/\s#/);
      return hash < 0 ? { command: line.trim(), comment: '' } : { command: line.slice(0, hash).trim(), comment: line.slice(hash).replace(/^\s#\s*/, '').trim() };
    });
}
