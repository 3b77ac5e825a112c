import { chmodSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referrersTag } from '../src/lib/core/evidence/oci-artifact';
import { run } from '../src/lib/io/exec';
import { pythonWithPytest } from './harness/python';
import { listTags, readImage } from './harness/read-image';
import { startRegistry, type Registry } from './harness/registry';
import { createWorkspace, type Workspace } from './harness/workspace';

// An image made by `nx g @fornax/nx-images:image` is a full member of the repository with no
// other file edited: it builds FROM its base, shows up as affected, and is released with the rest.
// The steps share one workspace and registry and run in order.

const LABEL = 'org.opencontainers.image';
const REPOSITORY = 'fornax/images';
const DESCRIPTION = 'Catalog "cross-match" & $HOME tools \\ for Fornax';
const CONTRACT = [
  'ARG REGISTRY=ghcr.io',
  'ARG REPOSITORY=nasa-fornax/fornax-images',
  'ARG BASE_IMAGE_TAG=main',
  'FROM ${REGISTRY}/${REPOSITORY}/base_image:${BASE_IMAGE_TAG}',
];
// The generated body installs conda packages (needs the internet); this one uses only the base's busybox.
const OFFLINE_BODY = ['COPY astro.txt /etc/fornax-astro', 'RUN cat /etc/fornax-base /etc/fornax-astro > /etc/fornax-stack', ''];

let registry: Registry;
let ws: Workspace;
/** HEAD before the generator ran. */
let beforeGenerate: string;
/** The commit that adds astro_tools. */
let withImage: string;

beforeAll(async () => {
  registry = await startRegistry();
  ws = await createWorkspace({ branch: 'main', origin: 'https://github.com/nasa-fornax/fornax-images.git' });
  beforeGenerate = await ws.git('rev-parse', 'HEAD');
});

afterAll(async () => {
  await registry?.stop();
  ws?.cleanup();
});

function build(project: string, ...extra: string[]) {
  return ws.nx([
    'run',
    `${project}:docker-build`,
    `--registry=${registry.host}`,
    `--repository=${REPOSITORY}`,
    '--push',
    '--exclude-task-dependencies',
    '--outputStyle=static',
    ...extra,
  ]);
}

async function affected(base: string, head: string): Promise<string[]> {
  const result = await ws.nx(['show', 'projects', '--affected', `--base=${base}`, `--head=${head}`, '--json']);
  expect(result.exitCode, result.all).toBe(0);
  return (JSON.parse(result.stdout) as string[]).sort();
}

describe('an image made by the image generator', () => {
  it('refuses a bad name through nx with one line, a non-zero exit and no file written', async () => {
    for (const [args, message] of [
      [['Astro_Tools'], /image name: "Astro_Tools" is not valid: use lower-case letters/],
      [['astro_tools', '--from=nope'], /--from: "nope" is not an image of this repository: use one of base_image, tractor\./],
    ] as const) {
      const result = await ws.nx(['g', '@fornax/nx-images:image', ...args]);
      expect(result.exitCode, result.all).not.toBe(0);
      expect(result.all).toMatch(message);
      expect(result.all).not.toMatch(/^\s+at /m);
      expect(await ws.git('status', '--porcelain', '--untracked-files=all')).toBe('');
    }
  });

  it('is generated into images/<name> by nx g', async () => {
    // The stand-in images use no conda, so the conda body is asked for by name (the real images' default).
    const result = await ws.nx(['g', '@fornax/nx-images:image', 'astro_tools', `--description=${DESCRIPTION}`, '--body=conda']);
    expect(result.exitCode, result.all).toBe(0);
    const status = await ws.git('status', '--porcelain', '--untracked-files=all');
    expect(status.split('\n').sort()).toEqual([
      '?? images/astro_tools/Dockerfile',
      '?? images/astro_tools/README.md',
      '?? images/astro_tools/environment.yml',
      '?? images/astro_tools/tests/test_astro_tools.py',
    ]);
    // The first test is real pytest, for an image with Python; pytest collects it as it is.
    const collected = await run({
      command: await pythonWithPytest(),
      args: ['-m', 'pytest', '--collect-only', '-q', '-p', 'no:cacheprovider', 'images/astro_tools/tests'],
      env: { PYTHONDONTWRITEBYTECODE: '1' },
      cwd: ws.dir,
    });
    expect(collected.stdout).toContain('test_astro_tools.py::test_python_is_the_environment_that_environment_yml_updates');

    // Keep the generated contract and LABEL, swap the package install for an offline body.
    const generated = readFileSync(join(ws.dir, 'images/astro_tools/Dockerfile'), 'utf8').split('\n');
    const head = generated.slice(0, generated.findIndex((line) => line.startsWith('USER ')));
    expect(head.slice(0, 4)).toEqual(CONTRACT);
    expect(head.join('\n')).toContain(`${LABEL}.description=`);
    ws.write('images/astro_tools/Dockerfile', [...head, ...OFFLINE_BODY].join('\n'));
    ws.write('images/astro_tools/astro.txt', 'astro_tools\n');
    // Likewise the stand-in has no Python: its first test becomes a busybox script.
    rmSync(join(ws.dir, 'images/astro_tools/tests/test_astro_tools.py'));
    ws.write('images/astro_tools/tests/check-astro.sh', '#!/bin/sh\ngrep -q astro_tools /etc/fornax-stack\n');
    chmodSync(join(ws.dir, 'images/astro_tools/tests/check-astro.sh'), 0o755);
    withImage = await ws.commit('add astro_tools');
    // No project.json: the plugin infers the project, and its order after base_image, from the Dockerfile.
    expect(existsSync(join(ws.dir, 'images/astro_tools/project.json'))).toBe(false);
    const shown = await ws.nx(['show', 'project', 'astro_tools', '--json']);
    expect(shown.exitCode, shown.all).toBe(0);
    const targets = (JSON.parse(shown.stdout) as { targets: Record<string, { dependsOn?: unknown[] }> }).targets;
    expect(targets['docker-build']?.dependsOn).toEqual([{ projects: ['base_image'], target: 'docker-build', params: 'forward' }]);
    expect(targets['image-test']?.dependsOn).toEqual([{ target: 'docker-build', params: 'forward' }]);
  });

  it('builds FROM the base_image pushed on main: base label, base layers first, description label as given', async () => {
    const base = await build('base_image');
    expect(base.exitCode, base.all).toBe(0);
    const pushedBase = await readImage(registry.url, `${REPOSITORY}/base_image`, 'main');
    expect(pushedBase).toBeDefined();

    // Tested before the push, so the release takes it (an image with tests needs a passing result).
    const result = await build('astro_tools', '--test');
    expect(result.exitCode, result.all).toBe(0);
    expect(result.all).toContain('astro_tools: tests passed (1 test)');
    const image = await readImage(registry.url, `${REPOSITORY}/astro_tools`, 'main');
    expect(image).toBeDefined();
    expect(image!.labels[`${LABEL}.base.name`]).toBe(`${registry.host}/${REPOSITORY}/base_image:main`);
    expect(image!.labels[`${LABEL}.title`]).toBe('astro_tools');
    expect(image!.labels[`${LABEL}.description`]).toBe(DESCRIPTION);
    expect(image!.labels[`${LABEL}.revision`]).toBe(withImage);
    expect(image!.layers.slice(0, pushedBase!.layers.length)).toEqual(pushedBase!.layers);
    expect(image!.layers.length).toBeGreaterThan(pushedBase!.layers.length);
  });

  it('is affected by its own commit, and not by a later commit that touches only base_image', async () => {
    expect(await affected(beforeGenerate, withImage)).toEqual(['astro_tools']);
    const baseOnly = await ws.commit('base_image: notes', { 'images/base_image/notes.txt': 'a change to the base only\n' });
    expect(await affected(withImage, baseOnly)).toEqual(['base_image']);
  });

  it('takes part in the release: listed with the release target, and tagged with the digest of its main', async () => {
    const listed = await ws.nx(['show', 'projects', '--with-target', 'release', '--json']);
    expect(listed.exitCode, listed.all).toBe(0);
    expect((JSON.parse(listed.stdout) as string[]).sort()).toEqual(['astro_tools', 'base_image', 'tractor']);

    // Every image's main must be built from the release commit (or an ancestor with no change to its folder).
    for (const project of ['base_image', 'tractor']) {
      const built = await build(project);
      expect(built.exitCode, built.all).toBe(0);
    }
    const release = await ws.nx([
      'run-many',
      '-t',
      'release',
      `--registry=${registry.host}`,
      `--repository=${REPOSITORY}`,
      '--tags=v0.0.1',
      '--outputStyle=static',
    ]);
    expect(release.exitCode, release.all).toBe(0);
    const main = await readImage(registry.url, `${REPOSITORY}/astro_tools`, 'main');
    const released = await readImage(registry.url, `${REPOSITORY}/astro_tools`, 'v0.0.1');
    expect(released?.digest).toBe(main!.digest);
    expect((await listTags(registry.url, `${REPOSITORY}/astro_tools`)).sort()).toEqual(['main', 'v0.0.1']);
    // Beside them, the OCI fallback tag listing what is attached to that digest (its test result, its lock set).
    expect(await listTags(registry.url, `${REPOSITORY}/astro_tools`, true)).toContain(referrersTag(main!.digest));
  });
});
