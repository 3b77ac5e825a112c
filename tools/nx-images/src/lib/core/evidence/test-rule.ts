import { posix } from 'node:path';
import { TESTS_DIR } from '../naming/conventions';
import { UserError, type Subject } from '../errors';

/**
 * Where an image's tests are and how they run, as nx.json's `tests` option
 * (or an image's image-test `tests` option) says: a file or folder found by
 * a pattern, run inside the image or on the host. Plain data in and out.
 */

/** Inside the image by its ID, with no network; or on the host, in the workspace root, given the image. */
export type TestRun = 'image' | 'host';

export interface TestRule {
  /**
   * From the workspace root, a file or a folder, or a list of them (every
   * image's common file and its own, say); `{name}`, `{name_}` and `{root}`
   * stand for the image. An image has tests when any of them exists.
   */
  path: string | string[];
  /** The folder mounted read-only in the image (run image), so helpers beside the tests import; '': the path's folder (the path, when it is one). */
  mount: string;
  run: TestRun;
  /** The command; empty: pytest for test_*.py, else the executable files (in the image), pytest on the path (on the host). */
  command: string[];
}

/** Today's rule: the image's own `tests/` folder, run inside it. */
export const DEFAULT_TEST_RULE: TestRule = { path: `{root}/${TESTS_DIR}`, mount: '', run: 'image', command: [] };

const RULE_KEYS = ['path', 'mount', 'run', 'command'];
const PATH_PLACEHOLDERS = ['name', 'name_', 'root'];
const COMMAND_PLACEHOLDERS = ['name', 'name_', 'path', 'report'];
const EXAMPLE = '{ "path": "tests/test_{name_}.py", "mount": "tests", "run": "image" }';

/** Checks a `tests` option and fills in its defaults; `where` names it in a one-line error ("nx.json: ... option tests"). */
export function normalizeTestRule(value: unknown, where: Subject): TestRule {
  if (value === undefined) return DEFAULT_TEST_RULE;
  const key = (name: string): Subject => ({ ...where, subject: `${where.subject}.${name}` });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UserError({ ...where, problem: 'not an object', fix: `give one such as ${EXAMPLE}` });
  const given = value as Record<string, unknown>;
  const unknown = Object.keys(given).filter((name) => !RULE_KEYS.includes(name));
  if (unknown.length > 0) throw new UserError({ ...where, problem: `there is no ${unknown.map((name) => JSON.stringify(name)).join(', ')}`, fix: `use the keys ${RULE_KEYS.join(', ')}` });
  const run = given.run ?? 'image';
  if (run !== 'image' && run !== 'host') throw new UserError({ ...key('run'), problem: `${JSON.stringify(run)} is neither "image" nor "host"`, fix: 'say where the tests run' });
  const path = pathOption(given.path ?? DEFAULT_TEST_RULE.path, key('path'));
  const mount = given.mount ?? '';
  if (typeof mount !== 'string') throw new UserError({ ...key('mount'), problem: 'not a folder', fix: 'give a folder from the workspace root, e.g. "tests"' });
  if (mount !== '' && run === 'host') throw new UserError({ ...key('mount'), problem: 'it is only for tests run in the image', fix: 'remove it, or set "run": "image"' });
  const command = given.command ?? [];
  if (!Array.isArray(command) || !command.every((word) => typeof word === 'string' && word.trim() !== '')) {
    throw new UserError({ ...key('command'), problem: 'not a list of non-empty strings', fix: 'give one such as ["sh", "{path}"]' });
  }
  const rule: TestRule = { path, mount, run, command: command as string[] };
  for (const each of rulePaths(rule)) checkPlaceholders(each, PATH_PLACEHOLDERS, key('path'));
  checkPlaceholders(mount, PATH_PLACEHOLDERS, key('mount'));
  for (const word of rule.command) checkPlaceholders(word, run === 'host' ? [...COMMAND_PLACEHOLDERS, 'python'] : COMMAND_PLACEHOLDERS, key('command'));
  // Fails now, for any image, a pattern that leaves the workspace or the mount.
  locateTests(rule, { name: 'x', root: 'images/x' }, where);
  return rule;
}

/** A path, or a non-empty list of distinct paths, as given: one string stays one string. */
function pathOption(value: unknown, where: Subject): string | string[] {
  const fix = 'give a path from the workspace root, e.g. "tests/test_{name_}.py", or a list of them, e.g. ["tests/test_all.py", "tests/test_{name}.py"]';
  const isPath = (entry: unknown): entry is string => typeof entry === 'string' && entry.trim() !== '';
  if (isPath(value)) return value;
  if (!Array.isArray(value)) throw new UserError({ ...where, problem: 'not a path', fix });
  if (value.length === 0) throw new UserError({ ...where, problem: 'an empty list', fix });
  const bad = value.findIndex((entry) => !isPath(entry));
  if (bad >= 0) throw new UserError({ ...where, problem: `entry ${bad} (${JSON.stringify(value[bad]) ?? 'undefined'}) is not a path`, fix });
  const paths = value as string[];
  const twice = paths.find((entry, index) => paths.indexOf(entry) !== index);
  if (twice !== undefined) throw new UserError({ ...where, problem: `it lists ${JSON.stringify(twice)} twice`, fix: 'give each path once' });
  return [...paths];
}

/** The rule's paths, as a list: one path is a list of one. */
export function rulePaths(rule: Pick<TestRule, 'path'>): string[] {
  return typeof rule.path === 'string' ? [rule.path] : [...rule.path];
}

function checkPlaceholders(text: string, known: readonly string[], where: Subject): void {
  for (const [, name] of text.matchAll(/\{([^{}]*)\}/g)) {
    if (!known.includes(name ?? '')) throw new UserError({ ...where, problem: `{${name ?? ''}} is an unknown placeholder`, fix: `use ${known.map((entry) => `{${entry}}`).join(', ')}` });
  }
}

/** An image's name with `-` and `.` as `_`, as a Python module name needs (fornax-hea -> fornax_hea). */
export function underscored(name: string): string {
  return name.replace(/[-.]/g, '_');
}

/** The placeholders of a path or command filled in for one image. */
export function fillPlaceholders(text: string, values: Record<string, string>): string {
  return text.replace(/\{([^{}]*)\}/g, (whole, name: string) => values[name] ?? whole);
}

/** Where one of an image's tests paths is: the path and the mount ('' when the rule leaves it to the paths), both from the workspace root. */
export interface TestLocation {
  path: string;
  mount: string;
}

/**
 * The rule applied to one image (its name and its project root, from the
 * workspace root): one location per path of the rule, in its order, each
 * refused when it leaves the workspace, or, with a mount, when it is not
 * inside that mount. Two paths that come to the same place are one.
 */
export function locateTests(rule: TestRule, image: { name: string; root: string }, where: Subject = { image: image.name, subject: 'tests' }): TestLocation[] {
  const values = { name: image.name, name_: underscored(image.name), root: image.root };
  const mount = rule.mount === '' ? '' : insideWorkspace(fillPlaceholders(rule.mount, values), { ...where, subject: `${where.subject}.mount` });
  const paths: string[] = [];
  for (const each of rulePaths(rule)) {
    const path = insideWorkspace(fillPlaceholders(each, values), { ...where, subject: `${where.subject}.path` });
    if (mount !== '' && mount !== '.' && path !== mount && !path.startsWith(`${mount}/`)) {
      throw new UserError({ ...where, problem: `the tests ${path} are not inside the mount ${mount}`, fix: 'set mount to a folder that holds them' });
    }
    if (!paths.includes(path)) paths.push(path);
  }
  return paths.map((path) => ({ path, mount }));
}

function insideWorkspace(path: string, where: Subject): string {
  const normal = posix.normalize(path.replace(/\\/g, '/')).replace(/\/+$/, '');
  if (posix.isAbsolute(normal) || normal === '..' || normal.startsWith('../') || normal === '' || normal === '.') {
    throw new UserError({ ...where, problem: `${JSON.stringify(path)} is not inside the workspace`, fix: 'give a path from the workspace root, e.g. "tests/test_{name_}.py"' });
  }
  return normal;
}

/**
 * The one folder mounted in the image for the tests found (each a file or a
 * folder) and each one's place inside it ('' when it is the folder itself):
 * the rule's mount, else the deepest folder holding them all (a file's
 * folder, a folder itself).
 */
export function mountOf(found: readonly { path: string; isFile: boolean }[], ruleMount: string): { mount: string; within: string[] } {
  const own = found.map((entry) => (entry.isFile ? posix.dirname(entry.path) : entry.path));
  const mount = ruleMount !== '' ? ruleMount : commonFolder(own);
  return { mount, within: found.map((entry) => (mount === '.' ? entry.path : posix.relative(mount, entry.path))) };
}

/** The deepest folder every one of the folders is in ('.' for the workspace). */
function commonFolder(folders: readonly string[]): string {
  const [first, ...rest] = folders.map((folder) => (folder === '.' ? [] : folder.split('/')));
  let shared = first ?? [];
  for (const parts of rest) {
    let n = 0;
    while (n < shared.length && n < parts.length && shared[n] === parts[n]) n++;
    shared = shared.slice(0, n);
  }
  return shared.length === 0 ? '.' : shared.join('/');
}
