import { posix } from 'node:path';
import { underscored } from '../evidence/test-rule';

/**
 * Where a repository keeps its images' tests, and whether they run in the
 * image or on the host, read from the files alone: the layouts in use, and
 * what the test files import. Plain data in and out.
 */

/** The tests rule init writes into nx.json (the plugin's `tests` option). */
export interface TestsRule {
  path: string | string[];
  mount?: string;
  run?: 'image' | 'host';
}

/** One image as tests detection needs it. */
export interface TestedImage {
  name: string;
  root: string;
}

/** The tests layout found, the evidence for where they run, and the question left when the evidence does not tell. */
export interface TestsLayout {
  /** undefined: the plugin's default (`{root}/tests`, in the image). */
  tests?: TestsRule;
  /** Where the rule comes from, and where the tests run and why, in a sentence. */
  testsFrom: string;
  /** Asked when host and image evidence are equally present (none at all, for a layout that does not say). */
  question?: { question: string; choices: string[] };
}

/** Files every image runs beside its own, in tests/. */
export const COMMON_TEST_FILES = ['tests/test_all.py', 'tests/test_common.py'] as const;
/** Modules that drive containers from the host. */
const HOST_MODULES = ['docker', 'testcontainers', 'python_on_whales'];
/** Flags of pip and conda install whose value is the next word, not a package. */
const VALUE_FLAGS = new Set(['-c', '--channel', '-r', '--requirement', '-f', '--find-links', '-i', '--index-url', '--extra-index-url', '-n', '--name', '-p', '--prefix', '-e', '--editable', '-t', '--target', '--constraint']);
/** Installed everywhere: no evidence of either kind. */
const NEUTRAL_PACKAGES = new Set(['pytest', 'python', 'pip', 'setuptools', 'wheel', 'conda', 'mamba']);

interface Candidate {
  rule: TestsRule;
  /** Whether tests of this layout run in the image when nothing says otherwise (the plugin's own layouts). */
  inImageByDefault: boolean;
  /** The image's own path, for counting. */
  own: string;
}

/**
 * The rule that finds the most images' own tests among the layouts in use
 * (`<image>/tests`, `tests/test_<name_>.py` or `tests/test_<name>.py`,
 * `tests/by_image/<name>`, `tests/<name>`), with a file every image runs
 * (tests/test_all.py) listed first when there is one; then where they run,
 * by what the test files import (`texts`, by path; `installed`, the
 * packages the images install).
 */
export function testsLayout(images: readonly TestedImage[], paths: ReadonlySet<string>, texts: Readonly<Record<string, string>>, installed: ReadonlySet<string>): TestsLayout {
  const common = COMMON_TEST_FILES.find((file) => paths.has(file));
  const candidates: Candidate[] = [
    { rule: { path: '{root}/tests' }, inImageByDefault: true, own: '{root}/tests' },
    { rule: { path: 'tests/test_{name_}.py', mount: 'tests' }, inImageByDefault: true, own: 'tests/test_{name_}.py' },
    { rule: { path: 'tests/test_{name}.py', mount: 'tests' }, inImageByDefault: true, own: 'tests/test_{name}.py' },
    { rule: { path: 'tests/by_image/{name}' }, inImageByDefault: false, own: 'tests/by_image/{name}' },
    { rule: { path: 'tests/{name}' }, inImageByDefault: false, own: 'tests/{name}' },
  ];
  const ownPath = (candidate: Candidate, image: TestedImage) => fill(candidate.own, image);
  const scored = candidates.map((candidate) => ({ candidate, found: images.filter((image) => paths.has(ownPath(candidate, image))).length }));
  const best = scored.reduce((a, b) => (b.found > a.found ? b : a));
  if (best.found === 0 && !common) return { testsFrom: 'no image has tests yet: an image gets an image-test target once <its folder>/tests holds them' };
  // A common file with no image's own tests: the rule of the plugin's generator, tests/test_<name_>.py, beside it.
  const chosen = best.found === 0 ? candidates[1] : best.candidate;
  const withCommon = common && chosen.own.startsWith('tests/test_');
  const rule: TestsRule = withCommon ? { ...chosen.rule, path: [common, chosen.own] } : chosen.rule;
  const where = `${best.found} of ${images.length} images have tests at ${chosen.own}${withCommon ? `, and every image runs ${common}` : ''}`;

  const files = testFilesOf(rule, images, paths);
  const evidence = runEvidence(files, paths, texts, installed);
  const run = evidence.host.length > evidence.image.length ? 'host' : evidence.image.length > evidence.host.length ? 'image' : chosen.inImageByDefault && evidence.host.length === 0 ? 'image' : undefined;
  const said = describeEvidence(evidence);
  if (run === undefined) {
    const example = images.find((image) => rulePathsOf(rule).some((path) => paths.has(fill(path, image))));
    return {
      tests: rule,
      testsFrom: where,
      question: {
        question: `Do the tests in ${example ? rulePathsOf(rule).map((path) => fill(path, example)).join(' and ') : chosen.own} run inside the image (image) or on the host, given the image (host)? ${said || 'Their files say neither.'}`,
        choices: ['image', 'host'],
      },
    };
  }
  const because = said ? `: ${said}` : ' (the default: nothing in them drives a container)';
  const testsFrom = `${where}; they run ${run === 'host' ? 'on the host' : 'in the image'}${because}`;
  // The plugin's default needs no rule; a rule run on the host has no mount.
  if (rule.path === '{root}/tests' && run === 'image') return { testsFrom };
  const { mount, ...rest } = rule;
  return { tests: run === 'host' || mount === undefined ? { ...rest, run } : { ...rest, mount, run }, testsFrom };
}

/** What the test files say about where they run: the files that drive containers, and those that import the images' packages. */
export interface RunEvidence {
  host: { file: string; why: string }[];
  image: { file: string; why: string }[];
}

/**
 * Host evidence: a file importing docker, testcontainers or
 * python_on_whales, or a test taking a `container` fixture that a
 * conftest.py beside it or above it defines. Image evidence: a file
 * importing a package the images install.
 */
export function runEvidence(files: readonly string[], paths: ReadonlySet<string>, texts: Readonly<Record<string, string>>, installed: ReadonlySet<string>): RunEvidence {
  const evidence: RunEvidence = { host: [], image: [] };
  for (const file of files) {
    const text = texts[file];
    if (text === undefined) continue;
    const modules = importedModules(text);
    const drivers = modules.filter((module) => HOST_MODULES.includes(module));
    if (drivers.length > 0) evidence.host.push({ file, why: `imports ${drivers.join(', ')}` });
    else if (takesContainerFixture(text)) {
      const conftest = conftestsOf(file, paths).find((path) => /^\s*def\s+container\s*\(/m.test(texts[path] ?? ''));
      if (conftest) evidence.host.push({ file, why: `uses the container fixture of ${conftest}` });
    }
    const own = modules.filter((module) => installed.has(packageKey(module)) && !HOST_MODULES.includes(module));
    if (own.length > 0) evidence.image.push({ file, why: `imports ${own.join(', ')}, which the images install` });
  }
  return evidence;
}

/** The top-level modules a Python file imports (`import a.b, c as d`, `from a.b import c`); relative imports left out. */
export function importedModules(text: string): string[] {
  const modules = new Set<string>();
  for (const [, from, names] of text.matchAll(/^[ \t]*(?:from[ \t]+([A-Za-z_][\w.]*)[ \t]+import\b|import[ \t]+([^\n#;]+))/gm)) {
    if (from) modules.add(from.split('.')[0] ?? '');
    for (const part of (names ?? '').replace(/[()\\]/g, ' ').split(',')) {
      const name = /^\s*([A-Za-z_][\w]*)/.exec(part)?.[1];
      if (name) modules.add(name);
    }
  }
  modules.delete('');
  return [...modules];
}

function takesContainerFixture(text: string): boolean {
  return [...text.matchAll(/^[ \t]*(?:async[ \t]+)?def[ \t]+test\w*[ \t]*\(([^)]*)\)/gm)].some(([, params]) => /(?:^|[\s,(])container[ \t]*(?:[,:=]|$)/.test(params ?? ''));
}

/** The conftest.py files pytest loads for a test file: in its folder and each folder above it. */
function conftestsOf(file: string, paths: ReadonlySet<string>): string[] {
  const found: string[] = [];
  for (let folder = posix.dirname(file); ; folder = posix.dirname(folder)) {
    const conftest = folder === '.' ? 'conftest.py' : `${folder}/conftest.py`;
    if (paths.has(conftest)) found.push(conftest);
    if (folder === '.') break;
  }
  return found;
}

/** The Python files of the rule's paths for every image: a file, or every .py under a folder. */
function testFilesOf(rule: TestsRule, images: readonly TestedImage[], paths: ReadonlySet<string>): string[] {
  const files = new Set<string>();
  for (const image of images) {
    for (const path of rulePathsOf(rule).map((entry) => fill(entry, image))) {
      if (path.endsWith('.py') && paths.has(path)) files.add(path);
      else for (const candidate of paths) if (candidate.startsWith(`${path}/`) && candidate.endsWith('.py') && posix.basename(candidate) !== 'conftest.py') files.add(candidate);
    }
  }
  return [...files].sort();
}

function describeEvidence(evidence: RunEvidence): string {
  const list = (entries: RunEvidence['host']) => `${entries.slice(0, 3).map((entry) => `${entry.file} ${entry.why}`).join('; ')}${entries.length > 3 ? `; ${entries.length - 3} more` : ''}`;
  const parts = [];
  if (evidence.host.length > 0) parts.push(`${evidence.host.length} test file${evidence.host.length === 1 ? '' : 's'} drive${evidence.host.length === 1 ? 's' : ''} containers (${list(evidence.host)})`);
  if (evidence.image.length > 0) parts.push(`${evidence.image.length} import${evidence.image.length === 1 ? 's' : ''} the images' own packages (${list(evidence.image)})`);
  return parts.join(', ');
}

function rulePathsOf(rule: TestsRule): string[] {
  return typeof rule.path === 'string' ? [rule.path] : rule.path;
}

function fill(path: string, image: TestedImage): string {
  return path.replace('{root}', image.root).replace('{name_}', underscored(image.name)).replace('{name}', image.name);
}

/**
 * The packages the images install, as import names would read them (lower
 * case, `-` as `_`): conda's environment files (dependencies and their pip
 * list), pip's requirements files, and the `pip`, `conda`, `mamba` and
 * `micromamba install` lines of the Dockerfiles.
 */
export function installedPackages(files: readonly { path: string; text: string }[]): Set<string> {
  const names = new Set<string>();
  const add = (spec: string) => {
    const name = /^([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(spec.trim().replace(/^[a-z0-9-]+::/i, ''))?.[1];
    if (name && !NEUTRAL_PACKAGES.has(packageKey(name))) names.add(packageKey(name));
  };
  for (const { path, text } of files) {
    const base = posix.basename(path);
    if (/^environment.*\.ya?ml$/.test(base)) {
      // The dependencies and their pip list; not the channels.
      const dependencies = /^dependencies:[ \t]*\r?\n((?:[ \t-][^\n]*\r?\n?|\r?\n)*)/m.exec(text)?.[1] ?? '';
      for (const [, spec] of dependencies.matchAll(/^[ \t]*-[ \t]+([^\s#]+)[ \t]*(?:#.*)?$/gm)) if (!spec?.endsWith(':')) add(spec ?? '');
    } else if (/^requirements.*\.txt$/.test(base)) {
      for (const line of text.split(/\r?\n/)) if (!/^\s*(?:#|-)/.test(line)) add(line);
    } else {
      const joined = text.replace(/\\\r?\n/g, ' ');
      for (const [, words] of joined.matchAll(/\b(?:pip3?|conda|mamba|micromamba|uv pip)\s+install\b([^\n&;|]*)/g)) {
        const list = (words ?? '').split(/\s+/);
        for (const [index, word] of list.entries()) {
          if (word === '' || word.startsWith('-') || word.includes('/') || word.includes('$') || VALUE_FLAGS.has(list[index - 1] ?? '')) continue;
          add(word.replace(/^["']|["']$/g, ''));
        }
      }
    }
  }
  return names;
}

/** A package or module name as both are compared: lower case, `-` and `.` as `_`. */
function packageKey(name: string): string {
  return name.toLowerCase().replace(/[-.]/g, '_');
}
