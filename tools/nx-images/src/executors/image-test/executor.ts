import type { ExecutorContext } from '@nx/devkit';
import { describeResult } from '../../lib/core/image-tests';
import { UserError } from '../../lib/core/errors';
import { workspaceSettings } from '../../lib/core/plugin-options';
import { readBuildRecord, testRecordPath, testReportDir, writeTestRecord } from '../../lib/io/build-record';
import { assertEngineRunning, findDockerCli } from '../../lib/io/docker';
import { headSha } from '../../lib/io/git';
import { runSuites } from '../../lib/io/image-tests';
import { log, outcome, type Log } from '../outcome';
import type { ImageTestExecutorSchema } from './schema';
import { imageSuites } from './suites';
import { relative } from 'node:path';

/** Runs one image's tests (and its ancestors') inside the image this commit's docker-build made. */
async function imageTest(options: ImageTestExecutorSchema, context: ExecutorContext, out: Log): Promise<void> {
  const project = context.projectName;
  if (!project) throw new UserError('image-test runs for one project: run it as nx run <image>:image-test.');
  const settings = workspaceSettings(context.nxJsonConfiguration);
  const command = options.command && options.command.length > 0 ? options.command : settings.testCommand;
  const suites = await imageSuites({ context, settings, image: project, command, ancestors: options.ancestors ?? true });
  if (!suites.some((suite) => suite.name === project)) {
    throw new UserError(`${project}: nothing to run in its tests folder: add a test_*.py file or an executable script, or set the command option.`);
  }
  const image = options.image?.trim() || (await builtImage(context.root, project));
  const cli = await findDockerCli();
  await assertEngineRunning(cli.docker);
  out.info(`${project}: testing ${image} with ${suites.map((suite) => `${suite.name}'s tests`).join(', ')}`);
  const result = await runSuites(cli.docker, image, suites, testReportDir(context.root, project));
  await writeTestRecord(context.root, project, result);
  const report = relative(context.root, testReportDir(context.root, project));
  out.info(`${project}: ${describeResult(result)}; report ${report}/junit.xml, result ${relative(context.root, testRecordPath(context.root, project))}`);
  if (result.result !== 'passed') {
    const first = result.failures[0];
    throw new UserError(`${project}: tests failed (${result.failed} of ${result.passed + result.failed})${first ? `, first ${first.suite}/${first.name}` : ''}: see the output above and ${report}/junit.xml.`);
  }
}

/** The image this commit's docker-build made in this workspace: by ID when it is in the engine, else by the digest it was pushed with. */
async function builtImage(workspaceRoot: string, project: string): Promise<string> {
  const record = await readBuildRecord(workspaceRoot, project);
  const head = await headSha(workspaceRoot).catch(() => undefined);
  if (!record || (head && record.revision !== head)) {
    throw new UserError(`${project}: no build of this commit to test: run nx run ${project}:image-test (it builds first), or pass --image=<image ID or reference@digest>.`);
  }
  if (record.imageId) return record.imageId;
  if (record.digest) return `${record.reference.slice(0, record.reference.lastIndexOf(':'))}@${record.digest}`;
  throw new UserError(`${project}: its last build recorded neither an image ID nor a digest: build it again, or pass --image.`);
}

export default function imageTestExecutor(options: ImageTestExecutorSchema, context: ExecutorContext): Promise<{ success: boolean }> {
  return outcome(imageTest, options, context, log);
}
