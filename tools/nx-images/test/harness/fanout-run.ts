import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { minimatch } from 'minimatch';
import { runCiImages, type EventSpec, type SimulatedRun } from './github-run';
import { cleanEnv, linkNodeModules, type RunOutput, type Workspace } from './workspace';
import { npmScript } from './npm-script';

import type { MatrixEntry } from '../../src/lib/core/ci/fanout';

/** One job of a level's matrix, as the plan job's output lists it. */
export type { MatrixEntry };

/** A matrix entry of one image on the default runner, as the plan writes it for an image without platforms. */
export function entryOf(image: string, artifacts = ''): MatrixEntry {
  return { image, platform: '', 'runs-on': 'ubuntu-24.04', job: image, artifacts };
}

/** The engine the jobs build on: DOCKER_HOST, and how to empty it before each job (both optional: the shared engine, kept). */
export interface JobEngine {
  host?: string;
  empty?: () => Promise<void>;
}

export interface PlannedRun extends SimulatedRun {
  /** The plan job's outputs, read back from the GITHUB_OUTPUT file. */
  outputs: Record<string, string>;
}

/**
 * image-build.yml's fan-out, run the way GitHub runs it but on this machine:
 * the plan job in the workspace, then each matrix entry of each level as a
 * separate process in a fresh clone, on an engine emptied before every job
 * (so a job has no image the registry or an artifact did not give it), then
 * the summary job. Artifacts live in a folder standing in for the run's
 * artifact store: what a job uploads is copied there, what it downloads is
 * copied from there.
 */
export class FanoutRun {
  readonly store = mkdtempSync(join(tmpdir(), 'fornax-artifacts-'));
  private readonly clones: string[] = [];

  constructor(
    private readonly ws: Workspace,
    private readonly engine: JobEngine,
    private readonly registryHost: string,
    private readonly env: Record<string, string>,
  ) {}

  /** The plan job: `npm run ci:images -- --plan` with LEVEL_JOBS as the workflow sets it. */
  async plan(spec: EventSpec, levelJobs = 6): Promise<PlannedRun> {
    const output = join(this.store, `plan-output-${Date.now()}`);
    const result = await runCiImages(this.ws, spec, this.registryHost, { ...this.env, LEVEL_JOBS: String(levelJobs), GITHUB_OUTPUT: output }, ['--plan']);
    return { ...result, outputs: existsSync(output) ? parseStepOutputs(readFileSync(output, 'utf8')) : {} };
  }

  /** The matrix entries of one level, from the plan's outputs. */
  level(outputs: Record<string, string>, level: number): MatrixEntry[] {
    return JSON.parse(outputs[`level${level}`] ?? '[]') as MatrixEntry[];
  }

  /** One image job (image-build-one.yml): fresh clone at `ref`, emptied engine, its bases' artifacts downloaded, then `--image`, then its uploads. (Its runs-on is this machine: another platform builds under QEMU.) */
  async job(outputs: Record<string, string>, entry: MatrixEntry, ref: string): Promise<RunOutput> {
    const dir = await this.clone(ref);
    await this.engine.empty?.();
    if (entry.artifacts !== '') {
      for (const name of readdirSync(this.store).filter((candidate) => minimatch(candidate, entry.artifacts))) {
        cpSync(join(this.store, name), join(dir, 'dist', 'ci-artifacts', name), { recursive: true });
      }
    }
    const result = await this.script(dir, 'ci:images', ['--image'], { IMAGE: entry.image, PLATFORM: entry.platform, IMAGES_PLAN: outputs.plan ?? '' });
    const image = join(dir, 'dist', 'ci-artifacts', `image-${entry.job}`);
    if (existsSync(image)) cpSync(image, join(this.store, `image-${entry.job}`), { recursive: true });
    this.keepRecords(dir, `record-${entry.job}`);
    // A platform job's records, for its level's merge job only.
    const parts = join(dir, 'dist', 'ci-platforms');
    if (entry.platform !== '' && existsSync(parts)) cpSync(parts, join(this.store, `platform-${entry.job}`), { recursive: true });
    return result;
  }

  /** A level's merge job (image-build.yml's mergeN): fresh clone, its platform jobs' artifacts merged into dist/ci-platforms, `--merge`, then its records uploaded. No engine: it writes inside the registry only. */
  async merge(outputs: Record<string, string>, level: number, ref: string): Promise<RunOutput> {
    const dir = await this.clone(ref);
    const pattern = outputs[`merge${level}`] ?? '';
    for (const name of readdirSync(this.store).filter((candidate) => minimatch(candidate, pattern))) {
      cpSync(join(this.store, name), join(dir, 'dist', 'ci-platforms'), { recursive: true });
    }
    const result = await this.script(dir, 'ci:images', ['--merge'], { IMAGES_PLAN: outputs.plan ?? '', LEVEL: String(level) });
    this.keepRecords(dir, `record-merge${level}`);
    return result;
  }

  /** The records artifact: these folders whole, as image-build-one.yml and the merge jobs upload them. */
  private keepRecords(dir: string, artifact: string): void {
    for (const kind of ['ci-images', 'docker-build', 'image-test']) {
      const folder = join(dir, 'dist', kind);
      if (existsSync(folder)) cpSync(folder, join(this.store, artifact, kind), { recursive: true });
    }
  }

  /** Every level's jobs in order, then its merge job when it has one, each level after the one before, as the jobs' needs order them. Keyed by job (and `merge<N>`). */
  async levels(outputs: Record<string, string>, ref: string): Promise<Record<string, RunOutput>> {
    const results: Record<string, RunOutput> = {};
    for (let level = 1; level <= Number(outputs.levels ?? '0'); level++) {
      for (const entry of this.level(outputs, level)) results[entry.job] = await this.job(outputs, entry, ref);
      if (outputs[`merge${level}`]) results[`merge${level}`] = await this.merge(outputs, level, ref);
    }
    return results;
  }

  /** The summary job: a runner of its own (an emptied engine), every record-* artifact merged into dist/, then `--summary`. */
  async summary(outputs: Record<string, string>, ref: string): Promise<SimulatedRun> {
    await this.engine.empty?.();
    const dir = await this.clone(ref);
    for (const name of readdirSync(this.store).filter((candidate) => candidate.startsWith('record-'))) {
      cpSync(join(this.store, name), join(dir, 'dist'), { recursive: true });
    }
    const summaryPath = join(dir, 'summary.md');
    const result = await this.script(dir, 'ci:images', ['--summary'], { IMAGES_PLAN: outputs.plan ?? '', GITHUB_STEP_SUMMARY: summaryPath });
    return { ...result, summary: existsSync(summaryPath) ? readFileSync(summaryPath, 'utf8') : '' };
  }

  /** Forgets this run's artifacts, as a new workflow run starts with none. */
  newRun(): void {
    for (const name of readdirSync(this.store)) rmSync(join(this.store, name), { recursive: true, force: true });
  }

  cleanup(): void {
    for (const dir of this.clones) rmSync(dir, { recursive: true, force: true });
    rmSync(this.store, { recursive: true, force: true });
  }

  /** actions/checkout of `ref` with full history in a folder of its own, and npm install's node_modules. */
  private async clone(ref: string): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), 'fornax-job-'));
    this.clones.push(dir);
    await execa('git', ['clone', '--quiet', '--no-hardlinks', this.ws.dir, dir]);
    await execa('git', ['checkout', '--quiet', '--force', ref], { cwd: dir });
    await linkNodeModules(dir, this.ws.plugin);
    mkdirSync(join(dir, 'dist'), { recursive: true });
    return dir;
  }

  /** `npm run --silent <name> -- <args>` in a job's checkout, started as npm would start the script. */
  private async script(dir: string, name: string, args: string[], env: Record<string, string>): Promise<RunOutput> {
    const script = npmScript(dir, name, args);
    const result = await execa(script.command, script.args, {
      cwd: dir,
      env: {
        ...cleanEnv(),
        NO_COLOR: '1',
        FORCE_COLOR: '0',
        NX_DAEMON: 'false',
        NX_ISOLATE_PLUGINS: 'false',
        NX_NO_CLOUD: 'true',
        NX_SKIP_NX_CACHE: 'true',
        NX_TUI: 'false',
        CI: 'true',
        ...(this.engine.host ? { DOCKER_HOST: this.engine.host } : {}),
        ...this.env,
        ...env,
      },
      extendEnv: false,
      reject: false,
      all: true,
      stdin: 'ignore',
    });
    return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr, all: result.all ?? '' };
  }
}

/** GITHUB_OUTPUT's `name<<delimiter` blocks (and plain `name=value` lines) as a map. */
export function parseStepOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc?.[1] && heredoc[2]) {
      const end = lines.indexOf(heredoc[2], i + 1);
      outputs[heredoc[1]] = lines.slice(i + 1, end).join('\n');
      i = end;
      continue;
    }
    const plain = /^([^=]+)=(.*)$/.exec(line);
    if (plain?.[1]) outputs[plain[1]] = plain[2] ?? '';
  }
  return outputs;
}
