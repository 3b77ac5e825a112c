import { existsSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { traceCommands, type CommandTrace, type TracedCall } from './harness/trace-commands';
import { createWorkspace, type Workspace } from './harness/workspace';

// Which docker client builds is asked once per workspace and remembered (src/lib/io/docker-cli-cache.ts):
// each task after the first asks the engine only, until a client on PATH changes.
const DOCKER = '/usr/bin/docker';
let ws: Workspace;
let scratch: string;
let trace: CommandTrace;

beforeAll(async () => {
  ws = await createWorkspace({ branch: 'main' });
  scratch = mkdtempSync(join(tmpdir(), 'fornax-docker-cli-'));
  trace = traceCommands(scratch, { docker: DOCKER, git: (await ws.exec('sh', ['-c', 'command -v git'])).stdout.trim() });
});

afterAll(() => {
  ws?.cleanup();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** A dry run of base_image with docker and git traced; the docker calls it made. */
async function dryRun(): Promise<TracedCall[]> {
  trace.clear();
  const result = await ws.nx(['run', 'base_image:docker-build', '--dry-run', '--registry=127.0.0.1:1', '--repository=fornax/images'], { PATH: trace.path });
  expect(result.exitCode, result.all).toBe(0);
  expect(result.all).toMatch(/builder +\S+docker \(built-in BuildKit\)/);
  return trace.calls().filter((call) => call.command === 'docker');
}

const probes = (calls: TracedCall[]) => calls.filter((call) => call.args[0] === 'buildx' || call.args.includes('--format={{.Client.Version}}'));
const engineChecks = (calls: TracedCall[]) => calls.filter((call) => call.args.includes('--format={{.Server.Version}}'));

describe('the docker client, remembered per workspace', () => {
  it('is asked of every client once, then only the engine is asked, until a client changes', async () => {
    const first = await dryRun();
    expect(probes(first).length, JSON.stringify(first)).toBeGreaterThanOrEqual(2);
    expect(existsSync(join(ws.dir, '.nx', 'workspace-data', 'nx-images-docker-cli.json'))).toBe(true);

    const second = await dryRun();
    expect(probes(second), 'no client asked again').toEqual([]);
    expect(engineChecks(second), 'the engine is asked each time').toHaveLength(1);

    // An upgraded client (here: the traced one's file touched) is asked again.
    const client = join(scratch, 'bin', 'docker');
    utimesSync(client, new Date(), new Date(Date.now() + 5_000));
    const third = await dryRun();
    expect(probes(third).length).toBeGreaterThanOrEqual(2);
  });
});
