import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { describe, expect, it } from 'vitest';
import { workspaceSettings } from '../src/lib/core/graph/plugin-entry';
import { targetSettings } from '../src/lib/core/graph/target-settings';
import { imageSuites } from '../src/lib/io/image-suites';
import { CommandError, run } from '../src/lib/io/exec';
import { pythonWithPytest } from './harness/python';

// The real images' tests need the real images, which cannot be built here. What can be checked is
// that pytest collects them (so they are valid Python and name the cases docs/tests.md promises) and
// that the image-test target runs them, an image's own before its ancestors'.

const workspaceRoot = resolve(__dirname, '../../..');
const imagesDir = join(workspaceRoot, 'images');
const images = readdirSync(imagesDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(imagesDir, entry.name, 'Dockerfile')))
  .map((entry) => entry.name)
  .sort();

/** pytest's node IDs for a tests folder, collected (imported, never run) by the host's Python; throws when collection fails. */
async function collected(dir: string): Promise<{ ids: string[]; output: string }> {
  const result = await run({
    command: await pythonWithPytest(),
    args: ['-m', 'pytest', '--collect-only', '-q', '-p', 'no:cacheprovider', `--rootdir=${dir}`, dir],
    // Collecting imports the files: no __pycache__ may land in the repository.
    env: { PYTHONDONTWRITEBYTECODE: '1' },
    cwd: dir,
  }).catch((error: unknown) => {
    // pytest reports a file that does not import on stdout.
    if (error instanceof CommandError) throw new Error(`pytest could not collect ${dir}:\n${error.stdout}\n${error.stderr}`);
    throw error;
  });
  const ids = result.stdout.split('\n').filter((line) => line.includes('::')).map((line) => line.trim());
  return { ids, output: `${result.stdout}\n${result.stderr}` };
}

describe('the real images’ tests', () => {
  it.each(images)('images/%s has tests/test_<name>.py, and pytest collects it', async (image) => {
    const dir = join(imagesDir, image, 'tests');
    expect(existsSync(join(dir, `test_${image}.py`)), `images/${image}/tests/test_${image}.py`).toBe(true);
    const { ids, output } = await collected(dir);
    expect(ids.length, output).toBeGreaterThan(0);
    expect(existsSync(join(dir, '__pycache__'))).toBe(false);
  });

  it('base_image checks that the science stack imports and that the Jupyter server starts and answers', async () => {
    const { ids } = await collected(join(imagesDir, 'base_image', 'tests'));
    expect(ids).toEqual(
      expect.arrayContaining([
        'test_base_image.py::test_science_stack_imports[astropy]',
        'test_base_image.py::test_science_stack_imports[pyvo]',
        'test_base_image.py::test_jupyter_server_starts_and_answers',
      ]),
    );
  });

  it('tractor checks that the Tractor imports and fits a source', async () => {
    const { ids } = await collected(join(imagesDir, 'tractor', 'tests'));
    expect(ids).toEqual(expect.arrayContaining(['test_tractor.py::test_tractor_stack_imports[tractor]', 'test_tractor.py::test_tractor_fits_a_point_source']));
  });

  it('every module a test imports is one the image installs: pytest (the runner) is in base_image', () => {
    const environment = readFileSync(join(imagesDir, 'base_image', 'environment.yml'), 'utf8');
    expect(environment).toMatch(/^\s+- pytest\b/m);
  });

  it('nx infers image-test for each, after its docker-build', async () => {
    const shown = await run({ command: 'npx', args: ['nx', 'show', 'project', 'tractor', '--json'], env: { NX_DAEMON: 'false' }, cwd: workspaceRoot });
    const target = (JSON.parse(shown.stdout) as { targets: Record<string, { executor?: string; dependsOn?: unknown[] }> }).targets['image-test'];
    expect(target).toMatchObject({ executor: '@fornax/nx-images:image-test', dependsOn: [{ target: 'docker-build', params: 'forward' }] });
  });

  it('the image-test target runs tractor’s tests with pytest, then base_image’s', async () => {
    const nxJson = JSON.parse(readFileSync(join(workspaceRoot, 'nx.json'), 'utf8')) as Parameters<typeof workspaceSettings>[0];
    // Each image's test target as the plugin infers it: the nx.json settings it carries, and its folder.
    const settings = targetSettings(workspaceSettings(nxJson)).test;
    const project = (name: string) => ({ root: `images/${name}`, targets: { [settings.testTarget]: { options: { settings } } } });
    const context = { root: workspaceRoot, cwd: workspaceRoot, isVerbose: false, projectsConfigurations: { version: 2, projects: { tractor: project('tractor'), base_image: project('base_image') } } } as unknown as ExecutorContext;
    const suites = await imageSuites({ context, testTarget: settings.testTarget, image: 'tractor', options: { settings }, ancestors: true });
    expect(suites.map((suite) => [suite.name, suite.commands])).toEqual([
      ['tractor', [{ kind: 'pytest', argv: expect.arrayContaining(['python', '-m', 'pytest', '/image-tests/tractor']) as unknown }]],
      ['base_image', [{ kind: 'pytest', argv: expect.arrayContaining(['python', '-m', 'pytest', '/image-tests/base_image']) as unknown }]],
    ]);
  });
});
