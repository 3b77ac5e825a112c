import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { TEST_ARTIFACT_TYPE, TEST_RESULT_ANNOTATION } from '../../lib/core/naming/conventions';
import type { TestResult } from '../../lib/core/evidence/image-tests';
import type { WorkspaceSettings } from '../../lib/core/graph/plugin-options';
import { testReportDir } from '../../lib/io/build-record';
import type { Suite } from '../../lib/io/image-tests';
import type { Attached, ReferrersApi } from '../../lib/io/registry/referrers';
import type { ImageTestExecutorSchema } from '../image-test/schema';
import { imageSuites } from '../image-test/suites';

/**
 * The suites the image's test target (settings.targets.test) runs, by its
 * options (which carry the plugin's tests rule and testCommand), or none
 * when the image has no tests of its own.
 */
export async function ownSuites(context: ExecutorContext, settings: WorkspaceSettings, project: string): Promise<Suite[]> {
  const target = context.projectsConfigurations?.projects[project]?.targets?.[settings.targets.test];
  const options = (target?.options ?? {}) as ImageTestExecutorSchema;
  const suites = await imageSuites({ context, settings, image: project, options, ancestors: options.ancestors ?? true });
  return suites.some((suite) => suite.name === project) ? suites : [];
}

/** The result of tests that were not run, and why. */
export function skippedResult(reason: string, suites: readonly Suite[]): TestResult {
  return { result: 'skipped', suites: suites.map((suite) => suite.name), passed: 0, failed: 0, failures: [], reason };
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
  return client.attach(repoPath, digest, { artifactType: TEST_ARTIFACT_TYPE, files, annotations: { [TEST_RESULT_ANNOTATION]: result.result } });
}
