import { appendFile, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderReleaseSummary } from '../lib/core/ci/summary';
import { subjectsMatrixOutput } from '../lib/core/ci/provenance';
import { writeStepOutputs } from '../lib/io/github-output';
import { releaseRecordDir, type ReleaseRecord } from '../lib/io/build-record';
import { UserError, errorMessage } from '../lib/core/errors';
import { CommandError, run } from '../lib/io/exec';
import { nxCommand } from '../lib/io/nx-cli';
import { commandLine } from '../lib/core/quote';
import { planReleaseRun, readReleaseContext } from '../lib/core/github/release-event';
import { readWorkspaceSettings } from '../lib/io/workspace-settings';
import { notesWithChanges } from '../lib/core/release/release-changes';
import { writeReleaseChanges } from '../lib/io/release-changes';

/** `npm run ci:release`: turns a published GitHub release into one `nx run-many -t release`. */
async function main(): Promise<number> {
  const env = process.env;
  const eventPath = env.GITHUB_EVENT_PATH;
  let event: unknown = {};
  if (eventPath) {
    try {
      event = JSON.parse(await readFile(eventPath, 'utf8'));
    } catch (error) {
      throw new UserError({ subject: 'ci:release', problem: `GITHUB_EVENT_PATH ${eventPath} could not be read as JSON (${errorMessage(error)})`, fix: 'run in GitHub Actions or point it at a release event file' });
    }
  }
  // The release target as nx.json names it (releaseTargetName), the plugin registered by name or by path.
  const invocation = planReleaseRun(readReleaseContext(env, event), (await readWorkspaceSettings(process.cwd())).targets.release);
  console.log(invocation.summary);
  console.log(commandLine('nx', invocation.nxArgs));
  const cwd = process.cwd();
  // Only this run's records may speak for it.
  await rm(releaseRecordDir(cwd), { recursive: true, force: true });
  try {
    await run(nxCommand(invocation.nxArgs, cwd), { stream: true });
  } catch (error) {
    if (error instanceof CommandError) {
      console.error(`ci:release: the release stopped (${error.notFound ? 'nx is not installed: run npm install' : `exit ${error.exitCode}`}); no tag was written unless a line above says so.`);
      return 1;
    }
    throw error;
  }
  const records = await readReleaseRecords(cwd);
  // The released digests, for release.yml's attest job (skipped when `[]`).
  if (env.GITHUB_OUTPUT) await writeStepOutputs(env.GITHUB_OUTPUT, subjectsMatrixOutput(records));
  if (env.GITHUB_STEP_SUMMARY && records.length > 0) await appendFile(env.GITHUB_STEP_SUMMARY, `## Release ${invocation.tags.join(', ')}\n\n${renderReleaseSummary(records)}`);
  // changes.md (each image against the previous release), and the notes release.yml gives the GitHub release: its own text, then the changes.
  const changes = await readFile(await writeReleaseChanges(cwd, invocation.tags[0] ?? ''), 'utf8');
  const body = (event as { release?: { body?: unknown } } | null)?.release?.body;
  await writeFile(join(releaseRecordDir(cwd), 'notes.md'), notesWithChanges(typeof body === 'string' ? body : '', changes));
  return 0;
}

async function readReleaseRecords(cwd: string): Promise<ReleaseRecord[]> {
  const dir = releaseRecordDir(cwd);
  const names = await readdir(dir).catch(() => [] as string[]);
  const records: ReleaseRecord[] = [];
  for (const name of names.filter((entry) => entry.endsWith('.json')).sort()) {
    records.push(JSON.parse(await readFile(join(dir, name), 'utf8')) as ReleaseRecord);
  }
  return records;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(errorMessage(error));
    process.exitCode = 1;
  },
);
