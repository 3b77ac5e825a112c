import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TESTS_DIR } from '../core/conventions';
import { casesFromJunit, excerpt, junitXml, MOUNT, resultOf, suiteCommand, type SuiteCommand, type TestCase, type TestFile, type TestResult } from '../core/image-tests';
import { runInImage } from './docker';

/** One tests folder to run in an image. */
export interface Suite {
  /** The image the folder belongs to. */
  name: string;
  /** The folder, absolute. */
  dir: string;
  command: SuiteCommand;
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
 * The suites of an image, its own first: each image's tests folder
 * (`<root>/tests`) that exists and has something to run.
 */
export async function suitesOf(images: readonly { name: string; root: string }[], configured?: readonly string[]): Promise<Suite[]> {
  const suites: Suite[] = [];
  for (const image of images) {
    const dir = join(image.root, TESTS_DIR);
    if (!existsSync(dir)) continue;
    const command = suiteCommand(await testFiles(dir), image.name, configured);
    if (command) suites.push({ name: image.name, dir, command });
  }
  return suites;
}

/**
 * Runs the suites inside the image `imageId` (an ID or a reference pinned by
 * digest, never a tag another build could move), each folder mounted
 * read-only, the output streaming as it comes; writes `junit.xml` into
 * `reportDir` and returns the result. Only the exit codes and reports decide.
 */
export async function runSuites(docker: string, imageId: string, suites: readonly Suite[], reportDir: string): Promise<TestResult> {
  await rm(reportDir, { recursive: true, force: true });
  await mkdir(reportDir, { recursive: true });
  // The image's user may not be root; the report folder must be writable by it.
  await chmod(reportDir, 0o777);
  const cases: TestCase[] = [];
  for (const suite of suites) {
    const mount = `${MOUNT.tests}/${suite.name}`;
    const run = (argv: string[]) =>
      runInImage(docker, { image: imageId, argv, volumes: [`${suite.dir}:${mount}:ro`, `${reportDir}:${MOUNT.report}`], workdir: mount, keepBytes: 64 * 1024 });
    if (suite.command.kind === 'scripts') {
      for (const script of suite.command.scripts) {
        const result = await run([`${mount}/${script}`]);
        cases.push({ suite: suite.name, name: script, passed: result.exitCode === 0, ...(result.exitCode === 0 ? {} : { excerpt: failureText(result) }) });
      }
      continue;
    }
    const result = await run(suite.command.argv);
    const report = join(reportDir, `${suite.name}.xml`);
    const reported = existsSync(report) ? casesFromJunit(await readFile(report, 'utf8'), suite.name) : [];
    if (reported.length > 0 && (result.exitCode === 0 || reported.some((entry) => !entry.passed))) {
      cases.push(...reported);
    } else {
      // No report, or one that does not explain a failing exit: the command itself is the one case.
      cases.push({ suite: suite.name, name: suite.command.argv.join(' '), passed: result.exitCode === 0, ...(result.exitCode === 0 ? {} : { excerpt: failureText(result) }) });
    }
  }
  const result = resultOf(cases, suites.map((suite) => suite.name), imageId.startsWith('sha256:') ? imageId : undefined);
  await writeFile(join(reportDir, 'junit.xml'), junitXml(cases));
  return result;
}

function failureText(result: { exitCode: number; output: string; truncated: boolean }): string {
  const said = excerpt(result.output);
  return `exit code ${result.exitCode}${said ? `\n${said}` : ''}${result.truncated ? '\n(output cut)' : ''}`;
}
