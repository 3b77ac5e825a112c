import type { ExecutorContext } from '@nx/devkit';
import { describeResult } from '../../lib/core/evidence/image-tests';
import { UserError } from '../../lib/core/errors';
import { locateTests } from '../../lib/core/evidence/test-rule';
import { readBuildRecord, testRecordPath, testReportDir, writeTestRecord, type BuildRecord } from '../../lib/io/build-record';
import { assertEngineRunning, findDockerCli } from '../../lib/io/docker';
import { headSha } from '../../lib/io/git';
import { imageSuites, testsOfImage } from '../../lib/io/image-suites';
import { runSuites, type TestSubject } from '../../lib/io/image-tests';
import { log, outcome, taskOf, type Log } from '../outcome';
import type { ImageTestExecutorSchema } from './schema';
import { relative } from 'node:path';

/** Runs one image's tests (and its ancestors'), in the image this commit's docker-build made or on the host given it. */
async function imageTest(options: ImageTestExecutorSchema, context: ExecutorContext, out: Log): Promise<void> {
  const { project, projectRoot = project, targetName } = taskOf(context, 'image-test');
  // Its own target name is the one every image's tests go by (the plugin's testTargetName).
  const suites = await imageSuites({ context, testTarget: targetName, image: project, options, ancestors: options.ancestors ?? true });
  if (!suites.some((suite) => suite.name === project)) {
    const where = locateTests(testsOfImage(project, projectRoot, options).rule, { name: project, root: projectRoot }).map((location) => location.path).join(', ');
    throw new UserError({ subject: project, problem: `nothing to run in its tests (${where})`, fix: 'add a test_*.py file or an executable script there, or set the command option' });
  }
  const record = await readBuildRecord(context.root, project);
  const given = options.image?.trim();
  const image = given || builtImage(record, await headSha(context.root).catch(() => undefined), project, targetName);
  const cli = await findDockerCli();
  await assertEngineRunning(cli);
  out.info(`${project}: testing ${image} with ${suites.map((suite) => `${suite.name}'s tests`).join(', ')}`);
  const result = await runSuites(cli.docker, image, suites, testReportDir(context.root, project), subjectOf(context.root, given ? undefined : record));
  await writeTestRecord(context.root, project, result);
  const report = relative(context.root, testReportDir(context.root, project));
  out.info(`${project}: ${describeResult(result)}; report ${report}/junit.xml, result ${relative(context.root, testRecordPath(context.root, project))}`);
  if (result.result !== 'passed') {
    const first = result.failures[0];
    throw new UserError({
      subject: project,
      problem: `tests failed (${result.failed} of ${result.passed + result.failed})${first ? `, first ${first.suite}/${first.name}` : ''}`,
      fix: `see the output above and ${report}/junit.xml`,
    });
  }
}

/** The image this commit's docker-build made in this workspace: by ID when it is in the engine, else by the digest it was pushed with. */
function builtImage(record: BuildRecord | undefined, head: string | undefined, project: string, target: string): string {
  if (!record || (head && record.revision !== head)) {
    throw new UserError({ subject: project, problem: 'no build of this commit to test', fix: `run nx run ${project}:${target} (it builds first), or pass --image=<image ID or reference@digest>` });
  }
  if (record.imageId) return record.imageId;
  if (record.digest) return `${record.reference.slice(0, record.reference.lastIndexOf(':'))}@${record.digest}`;
  throw new UserError({ subject: project, problem: 'its last build recorded neither an image ID nor a digest', fix: 'build it again, or pass --image' });
}

/** The image's name and tag as its last build gave them, for a command run on the host. */
function subjectOf(workspaceRoot: string, record: BuildRecord | undefined): TestSubject {
  if (!record?.reference) return { workspaceRoot };
  return { workspaceRoot, name: record.reference.slice(0, record.reference.lastIndexOf(':')), tag: record.tag };
}

export default function imageTestExecutor(options: ImageTestExecutorSchema, context: ExecutorContext): Promise<{ success: boolean }> {
  return outcome(imageTest, options, context, log);
}
