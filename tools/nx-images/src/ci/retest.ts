import { registryImageOf } from '../lib/core/graph/image-graph';
import type { FanoutPlan } from '../lib/core/ci/fanout';
import { errorMessage } from '../lib/core/errors';
import { describeResult } from '../lib/core/evidence/image-tests';
import { commandLine } from '../lib/core/quote';
import { readTestRecord, testRecordPath, writeOutcomeRecord } from '../lib/io/build-record';
import { CommandError, run } from '../lib/io/exec';
import { attachTestResult } from '../lib/io/image-tests';
import { nxCommand } from '../lib/io/nx-cli';
import { createRegistryClient } from '../lib/io/registry/oci-client';
import { rm } from 'node:fs/promises';

/** How an image's tests went when they alone changed. */
export interface RetestResult {
  image: string;
  /** The image tested: `registry/repository/image@digest`; undefined when there was none to test. */
  tested?: string;
  /** passed or failed; absent: no image under the branch's tag or the default branch's to test. */
  result: 'passed' | 'failed' | 'absent';
  /** Whether the result was attached to the digest (an image under this branch's own tag, in a run that pushes). */
  attached: boolean;
  reason?: string;
}

/**
 * Runs an image's tests, which alone changed, against the image as it is
 * under the branch's tag (else the default branch's, which the branch
 * builds on): nothing is rebuilt and no tag moves. In a run that pushes, the
 * result is attached to the digest under the branch's own tag, so
 * release-check refuses that image while its newest result failed.
 */
export async function retestImage(cwd: string, plan: FanoutPlan, image: string, log: (line: string) => void): Promise<RetestResult> {
  const client = createRegistryClient({ registry: plan.registry, retry: { attempts: 3 } });
  const candidates = [plan.tag, plan.defaultTag].map((tag) => registryImageOf(image, tag, plan.variants));
  let found: { repoPath: string; tag: string; digest: string; own: boolean } | undefined;
  for (const [index, candidate] of candidates.entries()) {
    const repoPath = `${plan.repository}/${candidate.image}`;
    const descriptor = await client.resolve(repoPath, candidate.tag);
    if (descriptor) {
      found = { repoPath, tag: candidate.tag, digest: descriptor.digest, own: index === 0 };
      break;
    }
  }
  if (!found) {
    const result: RetestResult = { image, result: 'absent', attached: false, reason: `no image under ${plan.tag} or ${plan.defaultTag} to test` };
    log(`ci:images: ${image}: retest: ${result.reason}`);
    await writeOutcomeRecord(cwd, { image, outcome: 'built', reason: result.reason });
    return result;
  }
  const tested = `${plan.registry}/${found.repoPath}@${found.digest}`;
  const testTarget = plan.testTarget ?? 'image-test';
  const args = ['run', `${image}:${testTarget}`, `--image=${tested}`, '--exclude-task-dependencies', '--outputStyle=stream'];
  log(`ci:images: ${image}: its tests alone changed: testing ${plan.registry}/${found.repoPath}:${found.tag} (${found.digest}): ${commandLine('nx', args)}`);
  await rm(testRecordPath(cwd, image), { force: true });
  try {
    await run(nxCommand(args, cwd), { stream: true });
  } catch (error) {
    if (!(error instanceof CommandError)) throw error;
  }
  const tests = await readTestRecord(cwd, image);
  const passed = tests?.result === 'passed';
  let attached = false;
  if (tests && plan.push && found.own) {
    try {
      await attachTestResult(client, found.repoPath, found.digest, tests, cwd, image);
      attached = true;
    } catch (error) {
      log(`ci:images: ${image}: the retest's result could not be attached to ${found.digest}: ${errorMessage(error)}`);
    }
  }
  const reason = tests ? `retest ${describeResult(tests)}` : 'the retest left no result: see its log';
  log(`ci:images: ${image}: ${reason}${attached ? `; attached to ${found.digest}` : ''}`);
  await writeOutcomeRecord(cwd, { image, outcome: passed ? 'built' : 'failed', reason });
  return { image, tested, result: passed ? 'passed' : 'failed', attached, reason };
}
