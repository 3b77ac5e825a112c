import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { casesFromJunit, excerpt, junitXml, MOUNT, needsPython, planSuite, resultOf, TEST_ARTIFACT_TYPE, TEST_RESULT_ANNOTATION, TEST_TIME_ANNOTATION, type FoundPath, type SuiteCommand, type TestCase, type TestFile, type TestResult } from '../core/evidence/image-tests';
import { fillPlaceholders, locateTests, mountOf, type TestRule, type TestRun } from '../core/evidence/test-rule';
import { testReportDir } from './build-record';
import { runCaptured } from './exec';
import { runInImage, tagImage, untagImage } from './docker';
import type { Attached, ReferrersApi } from './registry/referrers';
import { findTestPython } from './test-python';

/** One image's tests to run, in the image or on the host. */
export interface Suite {
  /** The image the tests belong to. */
  name: string;
  run: TestRun;
  /** The tests found, each a file or a folder, absolute, in the rule's order. */
  paths: string[];
  /** The folder mounted read-only in the image, absolute. */
  mount: string;
  /** What runs, in order: at most one command that writes the report, then the executable files. */
  commands: SuiteCommand[];
}

/** One image of a chain whose tests are wanted: its project root (from the workspace root), its rule and its configured command. */
export interface TestsOfImage {
  name: string;
  root: string;
  rule: TestRule;
  /** The image's command, else the rule's, else (in the image) the plugin's testCommand; empty: chosen from what is found. */
  command: readonly string[];
}

/** What a tests folder holds: its files, and which are executable. */
async function testFiles(dir: string): Promise<TestFile[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: TestFile[] = [];
  for (const entry of entries.filter((candidate) => candidate.isFile())) {
    const mode = (await stat(join(dir, entry.name))).mode;
    files.push({ name: entry.name, executable: (mode & 0o111) !== 0 });
  }
  return files;
}

/**
 * The suites of a chain of images, in its order: each image's tests where
 * its rule locates them (any of its paths that exists), when they have
 * something to run. The host's Python is resolved at most once, and only
 * when a suite needs it.
 */
export async function suitesOf(workspaceRoot: string, images: readonly TestsOfImage[], env: NodeJS.ProcessEnv = process.env): Promise<Suite[]> {
  let python: Promise<string> | undefined;
  const suites: Suite[] = [];
  for (const image of images) {
    const locations = locateTests(image.rule, image);
    const found: { path: string; info: Stats }[] = [];
    for (const location of locations) {
      const info = await stat(join(workspaceRoot, location.path)).catch(() => undefined);
      if (info && (info.isFile() || info.isDirectory())) found.push({ path: location.path, info });
    }
    if (found.length === 0) continue;
    const { mount, within } = mountOf(found.map((entry) => ({ path: entry.path, isFile: entry.info.isFile() })), locations[0]?.mount ?? '');
    const paths: FoundPath[] = [];
    for (const [index, entry] of found.entries()) {
      const what: FoundPath['found'] = entry.info.isFile() ? { kind: 'file', executable: (entry.info.mode & 0o111) !== 0 } : { kind: 'folder', files: await testFiles(join(workspaceRoot, entry.path)) };
      paths.push({ path: entry.path, within: within[index] ?? '', found: what });
    }
    if (needsPython(image.rule.run, image.command)) python ??= findTestPython(env);
    const commands = planSuite({ name: image.name, run: image.rule.run, mount, paths, command: image.command, ...(python ? { python: await python } : {}) });
    if (commands.length > 0) suites.push({ name: image.name, run: image.rule.run, paths: found.map((entry) => join(workspaceRoot, entry.path)), mount: join(workspaceRoot, mount), commands });
  }
  return suites;
}

/** The image under test as a host command sees it: where it would be pushed to, when that is known. */
export interface TestSubject {
  workspaceRoot: string;
  /** `registry/repository/image`, without a tag. */
  name?: string;
  registry?: string;
  repository?: string;
  tag?: string;
}

/**
 * Runs the suites on the image `imageId` (an ID or a reference pinned by
 * digest, never a tag another build could move), the output streaming as it
 * comes; writes `junit.xml` into `reportDir` and returns the result. Only
 * the exit codes and reports decide. In the image: each tests folder mounted
 * read-only, no network. On the host: the command in the workspace root,
 * given the image in its environment and a tag of this run's own (removed
 * afterwards) pointing at exactly that ID.
 */
export async function runSuites(docker: string, imageId: string, suites: readonly Suite[], reportDir: string, subject?: TestSubject): Promise<TestResult> {
  await rm(reportDir, { recursive: true, force: true });
  await mkdir(reportDir, { recursive: true });
  // The image's user may not be root; the report folder must be writable by it.
  await chmod(reportDir, 0o777);
  const cases: TestCase[] = [];
  const pinned = suites.some((suite) => suite.run === 'host') && imageId.startsWith('sha256:') ? pinnedReference(subject, suites[0]?.name ?? 'image') : undefined;
  if (pinned) await tagImage(docker, imageId, pinned);
  try {
    for (const suite of suites) cases.push(...(await runSuite(docker, imageId, suite, reportDir, { ...subject, pinned })));
  } finally {
    if (pinned) await untagImage(docker, pinned).catch(() => undefined);
  }
  const result = resultOf(cases, suites.map((suite) => suite.name), imageId.startsWith('sha256:') ? imageId : undefined);
  await writeFile(join(reportDir, 'junit.xml'), junitXml(cases));
  return result;
}

/** A tag of this test run's own, so a host command can name the image while no other build can move it. */
function pinnedReference(subject: TestSubject | undefined, image: string): string {
  return `${subject?.name ?? `fornax-image-test/${image}`}:image-test-${randomBytes(6).toString('hex')}`;
}

async function runSuite(docker: string, imageId: string, suite: Suite, reportDir: string, subject: Partial<TestSubject> & { pinned?: string }): Promise<TestCase[]> {
  const cases: TestCase[] = [];
  for (const command of suite.commands) cases.push(...(await runCommand(docker, imageId, suite, command, reportDir, subject)));
  return cases;
}

async function runCommand(docker: string, imageId: string, suite: Suite, command: SuiteCommand, reportDir: string, subject: Partial<TestSubject> & { pinned?: string }): Promise<TestCase[]> {
  const report = join(reportDir, `${suite.name}.xml`);
  const mount = `${MOUNT.tests}/${suite.name}`;
  const inImage = (argv: string[]) =>
    runInImage(docker, { image: imageId, argv, volumes: [`${suite.mount}:${mount}:ro`, `${reportDir}:${MOUNT.report}`], workdir: mount, keepBytes: 64 * 1024 });
  if (command.kind === 'scripts') {
    const cases: TestCase[] = [];
    for (const script of command.scripts) {
      const result = await inImage([`${mount}/${script}`]);
      cases.push({ suite: suite.name, name: script, passed: result.exitCode === 0, ...(result.exitCode === 0 ? {} : { excerpt: failureText(result) }) });
    }
    return cases;
  }
  let argv = command.argv;
  let result;
  if (command.kind === 'host') {
    argv = argv.map((word) => fillPlaceholders(word, { report }));
    const env = hostEnv(imageId, subject, report);
    result = await runCaptured({ command: argv[0] ?? '', args: argv.slice(1), cwd: subject.workspaceRoot, env }, { keepBytes: 64 * 1024 });
  } else {
    result = await inImage(argv);
  }
  const reported = existsSync(report) ? casesFromJunit(await readFile(report, 'utf8'), suite.name) : [];
  if (reported.length > 0 && (result.exitCode === 0 || reported.some((entry) => !entry.passed))) return reported;
  // No report, or one that does not explain a failing exit: the command itself is the one case.
  return [{ suite: suite.name, name: argv.join(' '), passed: result.exitCode === 0, ...(result.exitCode === 0 ? {} : { excerpt: failureText(result) }) }];
}

/** What a host command is told about the image it tests. */
function hostEnv(imageId: string, subject: Partial<TestSubject> & { pinned?: string }, report: string): Record<string, string> {
  const byId = imageId.startsWith('sha256:');
  return {
    IMAGE_ID: byId ? imageId : '',
    IMAGE_REF: subject.pinned ?? imageId,
    IMAGE_NAME: subject.name ?? '',
    IMAGE_REGISTRY: subject.registry ?? '',
    IMAGE_REPOSITORY: subject.repository ?? '',
    IMAGE_TAG: subject.tag ?? '',
    IMAGE_TEST_REPORT: report,
    // No __pycache__ left in the workspace's tests folders.
    PYTHONDONTWRITEBYTECODE: '1',
  };
}

function failureText(result: { exitCode: number; output: string; truncated: boolean }): string {
  const said = excerpt(result.output);
  return `exit code ${result.exitCode}${said ? `\n${said}` : ''}${result.truncated ? '\n(output cut)' : ''}`;
}

/**
 * Attaches the test result (result.json, and the JUnit report when the tests
 * ran) to the pushed image's digest, as an artifact whose subject is the image.
 */
export async function attachTestResult(client: ReferrersApi, repoPath: string, digest: string, result: TestResult, workspaceRoot: string, project: string): Promise<Attached> {
  const files = [{ title: 'result.json', mediaType: 'application/json', bytes: Buffer.from(`${JSON.stringify(result, null, 2)}\n`) }];
  if (result.result !== 'skipped') {
    const junit = await readFile(join(testReportDir(workspaceRoot, project), 'junit.xml')).catch(() => undefined);
    if (junit) files.push({ title: 'junit.xml', mediaType: 'application/xml', bytes: junit });
  }
  return client.attach(repoPath, digest, { artifactType: TEST_ARTIFACT_TYPE, files, annotations: { [TEST_RESULT_ANNOTATION]: result.result, [TEST_TIME_ANNOTATION]: new Date().toISOString() } });
}
