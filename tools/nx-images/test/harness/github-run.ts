import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { RunOutput, Workspace } from './workspace';
import { npmScript } from './npm-script';

const fixtures = resolve(__dirname, '../fixtures/events');
const ZERO = '0'.repeat(40);

export interface SimulatedRun extends RunOutput {
  summary: string;
}

export interface EventSpec {
  name: 'push' | 'pull_request' | 'workflow_dispatch' | 'schedule';
  /** The branch pushed to (push, workflow_dispatch) or the pull request's head branch. */
  branch: string;
  sha: string;
  /** push: the commit before; omitted means a new branch (all zeros). */
  before?: string;
  forced?: boolean;
  /** pull_request: base branch and its commit. */
  baseRef?: string;
  baseSha?: string;
  /** workflow_dispatch: the images input. */
  images?: string;
  /** push: the head commit's message. */
  message?: string;
  /** The repository's default branch, as the event's repository says it; default: the fixture's (main). */
  defaultBranch?: string;
}

interface FixtureEvent extends Record<string, unknown> {
  pull_request?: { head: { ref: string; sha: string }; base: { ref: string; sha: string } };
}

/** A GitHub event payload of the fixture's shape, with this run's commits. */
export function eventPayload(spec: EventSpec): Record<string, unknown> {
  const fixture = { push: 'push.json', pull_request: 'pull_request.json', workflow_dispatch: 'workflow_dispatch.json', schedule: 'schedule.json' }[spec.name];
  const event = JSON.parse(readFileSync(join(fixtures, fixture), 'utf8')) as FixtureEvent;
  if (spec.defaultBranch !== undefined && typeof event.repository === 'object' && event.repository !== null) {
    Object.assign(event.repository, { default_branch: spec.defaultBranch, master_branch: spec.defaultBranch });
  }
  if (spec.name === 'push') {
    Object.assign(event, {
      ref: `refs/heads/${spec.branch}`,
      before: spec.before ?? ZERO,
      after: spec.sha,
      created: spec.before === undefined,
      forced: spec.forced ?? false,
      deleted: false,
    });
    if (spec.message !== undefined) event.head_commit = { ...(event.head_commit as Record<string, unknown>), id: spec.sha, message: spec.message };
  } else if (spec.name === 'pull_request') {
    const pr = event.pull_request;
    if (!pr) throw new Error('the pull_request fixture has no pull_request');
    pr.head.ref = spec.branch;
    pr.head.sha = spec.sha;
    pr.base.ref = spec.baseRef ?? 'main';
    pr.base.sha = spec.baseSha ?? pr.base.sha;
  } else if (spec.name === 'workflow_dispatch') {
    event.ref = `refs/heads/${spec.branch}`;
    event.inputs = { images: spec.images ?? '' };
  }
  return event;
}

/**
 * Runs `npm run ci:images` in the workspace (its script, harness/npm-script.ts)
 * as the image-build workflow does, with the GITHUB_* variables the runner sets for this event.
 */
export async function runCiImages(
  workspace: Workspace,
  spec: EventSpec,
  registryHost: string,
  extraEnv: Record<string, string> = {},
  args: string[] = [],
): Promise<SimulatedRun> {
  const dir = mkdtempSync(join(tmpdir(), 'fornax-event-'));
  try {
    const eventPath = join(dir, 'event.json');
    const summaryPath = join(dir, 'summary.md');
    writeFileSync(eventPath, JSON.stringify(eventPayload(spec)));
    writeFileSync(summaryPath, '');
    const pr = spec.name === 'pull_request';
    const env: Record<string, string> = {
      GITHUB_ACTIONS: 'true',
      GITHUB_EVENT_NAME: spec.name,
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_STEP_SUMMARY: summaryPath,
      GITHUB_REPOSITORY: 'fornax/images',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_SHA: spec.sha,
      GITHUB_REF: pr ? 'refs/pull/7/merge' : `refs/heads/${spec.branch}`,
      GITHUB_REF_NAME: pr ? '7/merge' : spec.branch,
      GITHUB_HEAD_REF: pr ? spec.branch : '',
      GITHUB_BASE_REF: pr ? (spec.baseRef ?? 'main') : '',
      IMAGE_REGISTRY: registryHost,
      IMAGE_REPOSITORY: 'fornax/images',
      ...(spec.images !== undefined ? { IMAGES: spec.images } : {}),
      ...extraEnv,
    };
    const script = npmScript(workspace.dir, 'ci:images', args);
    const result = await workspace.exec(script.command, script.args, env);
    return { ...result, summary: readFileSync(summaryPath, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
