import { stripVTControlCharacters } from 'node:util';
import { posix } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { fillPlaceholders, underscored, type TestRun } from './test-rule';

/**
 * An image's tests: a file or folder the `tests` rule locates (by default
 * `images/<name>/tests/`), run inside the image itself, by ID, with its
 * folder mounted read-only, or on the host given the image. What runs, how a
 * report reads, and what the result says, as plain data.
 */

export { LEGACY_TEST_ARTIFACT_TYPES, LEGACY_TEST_RESULT_ANNOTATIONS, TEST_ARTIFACT_TYPE, TEST_RESULT_ANNOTATION, TEST_TIME_ANNOTATION } from '../naming/conventions';
/** Where a suite's folder is mounted in the container, and where a report may be written. */
export const MOUNT = { tests: '/image-tests', report: '/image-tests-report' } as const;

export interface TestFile {
  name: string;
  executable: boolean;
}

/** How one tests folder runs in the image. */
export type SuiteCommand =
  | { kind: 'pytest'; argv: string[] }
  /** Each executable file on its own: its exit code is its verdict. */
  | { kind: 'scripts'; scripts: string[] }
  | { kind: 'command'; argv: string[] }
  /** On the host, in the workspace root; `{report}` in it stands for the JUnit file the runner reads. */
  | { kind: 'host'; argv: string[] };

/**
 * The configured command, else pytest when the folder holds `test_*.py`
 * files, else every executable file, in name order; undefined when there is
 * nothing to run.
 */
export function suiteCommand(files: readonly TestFile[], suite: string, configured?: readonly string[], within = ''): SuiteCommand | undefined {
  if (configured && configured.length > 0) return { kind: 'command', argv: [...configured] };
  if (files.some((file) => isPytestFile(file.name))) {
    return { kind: 'pytest', argv: [...PYTEST_IN_IMAGE, `--junitxml=${MOUNT.report}/${suite}.xml`, inImage(suite, within)] };
  }
  const scripts = files.filter((file) => file.executable).map((file) => (within ? `${within}/${file.name}` : file.name)).sort();
  return scripts.length > 0 ? { kind: 'scripts', scripts } : undefined;
}

const PYTEST_IN_IMAGE = ['python', '-m', 'pytest', '-v', '-p', 'no:cacheprovider'];

/** Where a suite's tests are inside the container: its mount, and their place within it. */
function inImage(suite: string, within: string): string {
  return within ? `${MOUNT.tests}/${suite}/${within}` : `${MOUNT.tests}/${suite}`;
}

/** One path of an image's tests as found on disk: where (from the workspace root), its place in the mount, and what is there. */
export interface FoundPath {
  path: string;
  /** Its place inside the mounted folder ('' when it is that folder). */
  within: string;
  found: { kind: 'file'; executable: boolean } | { kind: 'folder'; files: TestFile[] };
}

/** One image's tests as found on disk: the paths of its rule that exist, in the rule's order, and the one folder mounted with them. */
export interface FoundTests {
  /** The image they belong to: the suite's name. */
  name: string;
  run: TestRun;
  /** The folder mounted in the image, from the workspace root. */
  mount: string;
  paths: FoundPath[];
  /** The configured command (the image's, the rule's, the plugin's testCommand for the image); empty: chosen from what was found. */
  command: readonly string[];
  /** The absolute path of the host's Python with pytest, for a host run's default command or `{python}`. */
  python?: string;
}

/**
 * How one image's tests run, nothing when there is nothing to run: on the
 * host, a configured command, else pytest on the paths with the host's
 * Python; in the image, a configured command, else pytest on the test_*.py
 * files and the folders holding some, then every executable file of the
 * rest (a file, or a folder's, in name order). `{path}` as a whole word is
 * every path; inside a word, the paths joined by spaces.
 */
export function planSuite(tests: FoundTests): SuiteCommand[] {
  const { name } = tests;
  const values = { name, name_: underscored(name), python: tests.python ?? '{python}' };
  if (tests.paths.length === 0) return [];
  if (tests.run === 'host') {
    const argv = tests.command.length > 0 ? [...tests.command] : [values.python, '-m', 'pytest', '-v', '-p', 'no:cacheprovider', '--junitxml={report}', '{path}'];
    return [{ kind: 'host', argv: withPaths(argv, values, tests.paths.map((entry) => entry.path)) }];
  }
  const inside = { ...values, report: `${MOUNT.report}/${name}.xml` };
  if (tests.command.length > 0) return [{ kind: 'command', argv: withPaths(tests.command, inside, tests.paths.map((entry) => inImage(name, entry.within))) }];
  const pytest: string[] = [];
  const scripts: string[] = [];
  for (const entry of tests.paths) {
    const { found, within } = entry;
    if (found.kind === 'folder') {
      const command = suiteCommand(found.files, name, undefined, within);
      if (command?.kind === 'pytest') pytest.push(inImage(name, within));
      else if (command?.kind === 'scripts') scripts.push(...command.scripts);
    } else if (isPytestFile(entry.path)) {
      pytest.push(inImage(name, within));
    } else if (found.executable) {
      scripts.push(within);
    }
  }
  return [
    ...(pytest.length > 0 ? [{ kind: 'pytest' as const, argv: [...PYTEST_IN_IMAGE, `--junitxml=${inside.report}`, ...pytest] }] : []),
    ...(scripts.length > 0 ? [{ kind: 'scripts' as const, scripts }] : []),
  ];
}

function isPytestFile(path: string): boolean {
  return /^test_.*\.py$/.test(posix.basename(path));
}

/** A command's words with the placeholders filled in: `{path}` alone is every path, each a word of its own. */
function withPaths(argv: readonly string[], values: Record<string, string>, paths: readonly string[]): string[] {
  return argv.flatMap((word) => (word === '{path}' ? [...paths] : [fillPlaceholders(word, { ...values, path: paths.join(' ') })]));
}

/** Whether a host suite's command needs the host's Python resolved. */
export function needsPython(run: TestRun, command: readonly string[]): boolean {
  return run === 'host' && (command.length === 0 || command.some((word) => word.includes('{python}')));
}

export interface TestCase {
  /** The image whose tests folder it comes from. */
  suite: string;
  name: string;
  passed: boolean;
  /** For a failure: its first lines, safe to show anywhere. */
  excerpt?: string;
}

/** The first lines of some output, safe to show: escape sequences and control characters gone, at most `lines` lines of `width` characters. */
export function excerpt(output: string, lines = 6, width = 160): string {
  const clean = stripVTControlCharacters(output)
    .replace(/\r\n?/g, '\n')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\ufffd]/g, '');
  const all = clean.split('\n').filter((line) => line.trim() !== '');
  const shown = all.slice(0, lines).map((line) => (line.length > width ? `${line.slice(0, width)}…` : line));
  if (all.length > lines) shown.push(`… ${all.length - lines} more line(s)`);
  return shown.join('\n');
}

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', isArray: (name) => ['testsuite', 'testcase', 'failure', 'error'].includes(name) });

/** Text safe in XML content and attributes: the five entities escaped, characters XML 1.0 forbids dropped. */
export function xmlText(text: string): string {
  return text
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** A JUnit XML report of the cases, one testsuite per suite, as CI tools read it. */
export function junitXml(cases: readonly TestCase[]): string {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<testsuites>'];
  for (const suite of [...new Set(cases.map((entry) => entry.suite))]) {
    const own = cases.filter((entry) => entry.suite === suite);
    lines.push(`  <testsuite name="${xmlText(suite)}" tests="${own.length}" failures="${own.filter((entry) => !entry.passed).length}">`);
    for (const entry of own) {
      const open = `    <testcase classname="${xmlText(suite)}" name="${xmlText(entry.name)}"`;
      if (entry.passed) {
        lines.push(`${open}/>`);
        continue;
      }
      const text = entry.excerpt ?? '';
      lines.push(`${open}>`, `      <failure message="${xmlText(text.split('\n')[0] ?? '')}">${xmlText(text)}</failure>`, '    </testcase>');
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>', '');
  return lines.join('\n');
}

/** The cases of a JUnit XML report (pytest's, or a configured command's), under `suite`; none from a report that does not parse. */
export function casesFromJunit(xml: string, suite: string): TestCase[] {
  let parsed: unknown;
  try {
    parsed = parser.parse(xml);
  } catch {
    return [];
  }
  type Case = { '@name'?: unknown; '@classname'?: unknown; failure?: unknown[]; error?: unknown[] };
  const root = parsed as { testsuites?: { testsuite?: { testcase?: Case[] }[] }; testsuite?: { testcase?: Case[] }[] };
  const suites = root.testsuites?.testsuite ?? root.testsuite ?? [];
  return suites.flatMap((entry) =>
    (entry.testcase ?? []).map((testcase): TestCase => {
      const problems = [...(testcase.failure ?? []), ...(testcase.error ?? [])];
      const name = [testcase['@classname'], testcase['@name']].filter((part) => typeof part === 'string' && part !== '').join('.');
      if (problems.length === 0) return { suite, name, passed: true };
      const first = problems[0] as { '@message'?: unknown; '#text'?: unknown } | string;
      const message = typeof first === 'string' ? '' : typeof first['@message'] === 'string' ? first['@message'] : '';
      const body = typeof first === 'string' ? first : typeof first['#text'] === 'string' ? first['#text'] : '';
      // Our own reports repeat the message as the first line of the text.
      const text = body.startsWith(message) ? body : [message, body].filter((part) => part !== '').join('\n');
      return { suite, name, passed: false, excerpt: excerpt(text) };
    }),
  );
}

/** What an image's tests came to, as the build record, the summary and the attached artifact carry it. */
export interface TestResult {
  result: 'passed' | 'failed' | 'skipped';
  /** The image tested, by its ID (the config digest): the pushed manifest's config must be this. */
  imageId?: string;
  /** The suites run: the image's own tests and those of the images it is built FROM. */
  suites: string[];
  passed: number;
  failed: number;
  failures: { suite: string; name: string; excerpt: string }[];
  /** Why the tests were skipped. */
  reason?: string;
}

/** The result of the cases: passed when there was at least one case and none failed. */
export function resultOf(cases: readonly TestCase[], suites: readonly string[], imageId?: string): TestResult {
  const failures = cases.filter((entry) => !entry.passed).map((entry) => ({ suite: entry.suite, name: entry.name, excerpt: entry.excerpt ?? '' }));
  return {
    result: cases.length > 0 && failures.length === 0 ? 'passed' : 'failed',
    ...(imageId ? { imageId } : {}),
    suites: [...suites],
    passed: cases.length - failures.length,
    failed: failures.length,
    failures,
  };
}

/** One line: "passed (3 tests)", "failed: base_image/test_imports, tractor/run.sh", "skipped: [skip-tests] in the head commit". */
export function describeResult(result: TestResult | undefined): string {
  if (!result) return 'no tests';
  if (result.result === 'skipped') return `skipped: ${result.reason ?? 'asked to'}`;
  if (result.result === 'passed') return `passed (${result.passed} test${result.passed === 1 ? '' : 's'})`;
  if (result.failures.length === 0) return 'failed: no test ran';
  return `failed: ${result.failures.map((failure) => `${failure.suite}/${failure.name}`).join(', ')}`;
}

/** The result of tests that were not run, and why. */
export function skippedResult(reason: string, suites: readonly { name: string }[]): TestResult {
  return { result: 'skipped', suites: suites.map((suite) => suite.name), passed: 0, failed: 0, failures: [], reason };
}

/** The image, then the images it is built FROM, nearest first (its final stage's base, that one's, ...), each once. */
export function builtFromChain(image: string, finalBaseOf: (image: string) => string | undefined): string[] {
  const chain = [image];
  for (let next = finalBaseOf(image); next !== undefined && !chain.includes(next); next = finalBaseOf(next)) chain.push(next);
  return chain;
}
