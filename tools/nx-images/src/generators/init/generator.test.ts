import type { Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { describe, expect, it } from 'vitest';
import { UserError, type Problem } from '../../lib/core/errors';
import { initWith, RECORD_PATH, SCRIPTS, type InitDoors } from './generator';
import type { InitGeneratorSchema } from './schema';

const FORNAX = (base: string) => `ARG REPOSITORY=ghcr.io/nasa-fornax/fornax-images\nARG BASE_TAG=latest\nFROM \${REPOSITORY}/${base}:\${BASE_TAG}\n`;
const STACKS = (base: string) => `ARG REGISTRY=quay.io\nARG OWNER=jupyter\nARG BASE_IMAGE=$REGISTRY/$OWNER/${base}\nFROM $BASE_IMAGE\n`;
const WORKFLOWS = ['.github/workflows/image-build.yml', '.github/workflows/image-build-one.yml', '.github/workflows/release.yml'];

/** nasa-fornax/fornax-images' shape: root folders, one test file per image under tests/. */
function fornaxTree(): Tree {
  const tree = createTreeWithEmptyWorkspace();
  tree.write('jupyter-base/Dockerfile', 'FROM ubuntu:24.04\n');
  tree.write('fornax-base/Dockerfile', FORNAX('jupyter-base'));
  tree.write('env-core/Dockerfile', FORNAX('fornax-base'));
  tree.write('fornax-main/Dockerfile', `${FORNAX('fornax-base')}COPY --from=\${REPOSITORY}/env-core:\${BASE_TAG} /a /a\n`);
  tree.write('tests/test_env_core.py', 'def test(): pass\n');
  tree.write('tests/common.py', '');
  tree.write('scripts/build.sh', '#!/bin/sh\n');
  return tree;
}

/** jupyter/docker-stacks' shape: images/<name>, FROM $BASE_IMAGE, a variant, host tests per image. */
function stacksTree(): Tree {
  const tree = createTreeWithEmptyWorkspace();
  tree.write('images/docker-stacks-foundation/Dockerfile', 'FROM ubuntu:24.04\n');
  tree.write('images/base-notebook/Dockerfile', STACKS('docker-stacks-foundation'));
  tree.write('images/scipy-notebook/Dockerfile', STACKS('base-notebook'));
  tree.write('images/scipy-notebook/cuda/Dockerfile', STACKS('base-notebook'));
  tree.write('tests/by_image/base-notebook/test_x.py', '');
  return tree;
}

const FORNAX_GIT: InitDoors = { git: { defaultBranch: 'main', originUrl: 'git@github.com:nasa-fornax/fornax-images.git' }, ask: () => Promise.resolve(undefined) };
const STACKS_GIT: InitDoors = { git: { defaultBranch: 'main', originUrl: 'https://github.com/jupyter/docker-stacks' }, ask: () => Promise.resolve(undefined) };

/** Every file of the tree that differs from the empty workspace, with its content. */
function snapshot(tree: Tree): Record<string, string> {
  return Object.fromEntries(tree.listChanges().map((change) => [change.path, change.content?.toString('utf8') ?? '<deleted>']));
}

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the shape it reads back
function readJson<T>(tree: Tree, path: string): T {
  return JSON.parse(tree.read(path, 'utf-8') ?? 'null') as T;
}

async function refusal(run: () => Promise<unknown>): Promise<Error> {
  try {
    await run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a refusal');
}

describe('init generator', () => {
  it('writes the plugin entry, the scripts, the workflows and its record, keeping what nx.json had', async () => {
    const tree = fornaxTree();
    const nxBefore = readJson<Record<string, unknown>>(tree, 'nx.json');
    const report = await initWith(tree, {}, FORNAX_GIT);

    const nxJson = readJson<{ plugins: unknown[]; defaultBase: string } & Record<string, unknown>>(tree, 'nx.json');
    expect(nxJson.plugins).toEqual([
      {
        plugin: '@fornax/nx-images',
        options: {
          dockerfiles: '*/Dockerfile',
          buildArgs: { registry: '', repository: 'REPOSITORY', imageTag: '', baseTag: 'BASE_TAG' },
          tests: { path: 'tests/test_{name_}.py', mount: 'tests', run: 'image' },
        },
      },
    ]);
    expect(nxJson.defaultBase).toBe('main');
    for (const [key, value] of Object.entries(nxBefore)) if (key !== 'plugins') expect(nxJson[key], key).toEqual(value);
    expect(readJson<{ scripts: Record<string, string> }>(tree, 'package.json').scripts).toMatchObject(SCRIPTS);
    for (const path of WORKFLOWS) expect(tree.exists(path), path).toBe(true);
    // ghcr.io under the remote's own path: the workflows' defaults, so nothing is added to them.
    expect(tree.read('.github/workflows/image-build.yml', 'utf-8')).not.toContain('IMAGE_REPOSITORY:');
    expect(tree.read('.github/workflows/image-build.yml', 'utf-8')).toContain('  LEVEL_JOBS: 6\n');
    expect(Object.keys(readJson<{ wrote: Record<string, string> }>(tree, RECORD_PATH).wrote).sort()).toEqual(
      [...WORKFLOWS, 'nx.json#plugin', ...Object.keys(SCRIPTS).map((name) => `package.json#scripts.${name}`)].sort(),
    );
    // Dockerfiles, tests and scripts are never written.
    expect(Object.keys(snapshot(tree)).filter((path) => /Dockerfile$|^tests\/|^scripts\//.test(path)).sort()).toEqual(
      ['env-core/Dockerfile', 'fornax-base/Dockerfile', 'fornax-main/Dockerfile', 'jupyter-base/Dockerfile', 'scripts/build.sh', 'tests/common.py', 'tests/test_env_core.py'],
    );
    expect(tree.read('fornax-main/Dockerfile', 'utf-8')).toBe(`${FORNAX('fornax-base')}COPY --from=\${REPOSITORY}/env-core:\${BASE_TAG} /a /a\n`);

    expect(report).toEqual(
      expect.arrayContaining([
        'init: 4 images in */Dockerfile:',
        '  fornax-main: level 4, on fornax-base, env-core (fornax-main/Dockerfile)',
        '  jupyter-base: level 1, on no image of this repository (jupyter-base/Dockerfile)',
        'init: level 3: env-core',
        'init: images go to ghcr.io/nasa-fornax/fornax-images/<image> (from the default of ARG REPOSITORY in the Dockerfiles)',
        'init: wrote .github/workflows/release.yml',
        'init: left to do by hand:',
      ]),
    );
  });

  it('changes nothing when run again', async () => {
    const tree = fornaxTree();
    await initWith(tree, {}, FORNAX_GIT);
    const first = snapshot(tree);
    const report = await initWith(tree, {}, FORNAX_GIT);
    expect(snapshot(tree)).toEqual(first);
    expect(report.filter((line) => /^init: (wrote|updated|kept) /.test(line))).toEqual([]);
    expect(report).toContain('init: unchanged .github/workflows/image-build.yml');
  });

  it('writes the prepare step a root file needs, reports a source found nowhere, and changes nothing when run again', async () => {
    const tree = fornaxTree();
    tree.write('fornax-jupyter/Dockerfile', `${FORNAX('fornax-base')}COPY kernels/ /opt/kernels/\nCOPY introduction.md /opt/introduction.md\n`);
    tree.write('introduction.md', '# Welcome\n');
    const report = await initWith(tree, {}, FORNAX_GIT);
    expect(readJson<unknown>(tree, 'fornax-jupyter/project.json')).toEqual({
      $schema: '../node_modules/nx/schemas/project-schema.json',
      targets: {
        prepare: { executor: '@fornax/nx-images:prepare', cache: false, options: { copy: [{ from: 'introduction.md', to: 'introduction.md' }] } },
        'docker-build': { dependsOn: ['...', 'prepare'] },
      },
    });
    expect(tree.read('fornax-jupyter/.gitignore', 'utf-8')).toContain('\n/introduction.md\n');
    expect(report).toEqual(
      expect.arrayContaining([
        'init: wrote fornax-jupyter/project.json: a prepare step before docker-build copying introduction.md from the repository root, which its Dockerfile copies',
        'init: wrote fornax-jupyter/.gitignore: git ignores what the prepare step copies',
        'init: missing: fornax-jupyter: fornax-jupyter/Dockerfile:4 COPY kernels/ /opt/kernels/: kernels/ is not in the build context fornax-jupyter: add it to the context, declare it as the "to" of a prepare step\'s copy or extract (or a step\'s outputs), or remove it from the instruction.',
      ]),
    );
    expect(report.filter((line) => line.includes('introduction.md is not'))).toEqual([]);
    const first = snapshot(tree);
    const again = await initWith(tree, {}, FORNAX_GIT);
    expect(snapshot(tree)).toEqual(first);
    expect(again.filter((line) => /^init: (wrote|updated|kept) /.test(line))).toEqual([]);
  });

  it('leaves a hand-formatted nx.json as it is when its content needs no change', async () => {
    const tree = fornaxTree();
    await initWith(tree, {}, FORNAX_GIT);
    const compact = JSON.stringify(readJson<unknown>(tree, 'nx.json'));
    tree.write('nx.json', compact);
    await initWith(tree, {}, FORNAX_GIT);
    expect(tree.read('nx.json', 'utf-8')).toBe(compact);
  });

  it('keeps a file edited since it wrote it, says so, and overwrites it with --force', async () => {
    const tree = fornaxTree();
    await initWith(tree, {}, FORNAX_GIT);
    const written = tree.read('.github/workflows/release.yml', 'utf-8') ?? '';
    const edited = `${written}# mine\n`;
    tree.write('.github/workflows/release.yml', edited);
    tree.write('package.json', JSON.stringify({ name: 'x', scripts: { 'ci:images': 'make images' } }));

    const kept = await initWith(tree, { registry: 'quay.io' }, FORNAX_GIT);
    expect(tree.read('.github/workflows/release.yml', 'utf-8')).toBe(edited);
    expect(kept).toContain('init: kept .github/workflows/release.yml: edited since init wrote it, or not written by init: --force overwrites it');
    expect(kept).toContain('init: kept package.json: script ci:images ("make images"): the workflows call it; --force makes it "nx-images images"');
    // A file init wrote and nobody edited follows the new values without --force.
    expect(kept).toContain('init: updated .github/workflows/image-build.yml');
    expect(tree.read('.github/workflows/image-build.yml', 'utf-8')).toContain('registry: quay.io');

    const forced = await initWith(tree, { registry: 'quay.io', force: true }, FORNAX_GIT);
    expect(forced).toContain('init: updated .github/workflows/release.yml');
    expect(tree.read('.github/workflows/release.yml', 'utf-8')).toContain('          IMAGE_REGISTRY: quay.io\n');
    expect(readJson<{ scripts: Record<string, string> }>(tree, 'package.json').scripts['ci:images']).toBe('nx-images images');
  });

  it('keeps workflows and a plugin entry it did not write', async () => {
    const tree = fornaxTree();
    tree.write('.github/workflows/release.yml', 'name: ours\n');
    tree.write('nx.json', JSON.stringify({ plugins: [{ plugin: '@fornax/nx-images', options: { dockerfiles: 'x/*/Dockerfile' } }], defaultBase: 'develop' }));
    const report = await initWith(tree, {}, FORNAX_GIT);
    expect(tree.read('.github/workflows/release.yml', 'utf-8')).toBe('name: ours\n');
    expect(readJson<{ plugins: unknown[]; defaultBase: string }>(tree, 'nx.json')).toEqual({ plugins: [{ plugin: '@fornax/nx-images', options: { dockerfiles: 'x/*/Dockerfile' } }], defaultBase: 'develop' });
    expect(report).toEqual(expect.arrayContaining([
      expect.stringMatching(/^init: kept nx\.json: its @fornax\/nx-images entry differs/),
      'init: kept nx.json: defaultBase develop (git says main)',
      expect.stringMatching(/^init: kept \.github\/workflows\/release\.yml/),
    ]));
  });

  it('writes the docker-stacks shape: variants, OWNER, quay.io in the workflows, the answer for where tests run', async () => {
    const tree = stacksTree();
    await initWith(tree, { testsRun: 'host' }, STACKS_GIT);
    expect(readJson<{ plugins: { options: unknown }[] }>(tree, 'nx.json').plugins[0]?.options).toEqual({
      dockerfiles: 'images/*/Dockerfile',
      variants: 'images/*/*/Dockerfile',
      buildArgs: { registry: 'REGISTRY', repository: 'OWNER', imageTag: '', baseTag: '' },
      tests: { path: 'tests/by_image/{name}', run: 'host' },
    });
    const build = tree.read('.github/workflows/image-build.yml', 'utf-8') ?? '';
    expect(build).toContain('  LEVEL_JOBS: 6\n  IMAGE_REGISTRY: quay.io\n  IMAGE_REPOSITORY: jupyter\n');
    expect(build).toContain('          registry: quay.io\n          username: ${{ secrets.REGISTRY_USERNAME }}\n');
    expect(build).not.toContain('ghcr.io');
    expect(tree.read('.github/workflows/image-build-one.yml', 'utf-8')).toContain('\nenv:\n  IMAGE_REGISTRY: quay.io\n  IMAGE_REPOSITORY: jupyter\n\njobs:\n');
    expect(tree.read('.github/workflows/release.yml', 'utf-8')).toContain('      - name: Log in to quay.io\n');
  });

  it('writes as many level jobs as the graph has levels, six at least', async () => {
    const tree = createTreeWithEmptyWorkspace();
    for (let n = 1; n <= 8; n++) tree.write(`images/i${n}/Dockerfile`, n === 1 ? 'FROM alpine\n' : `ARG REGISTRY=ghcr.io\nARG REPOSITORY=o/r\nARG BASE_IMAGE_TAG=main\nFROM \${REGISTRY}/\${REPOSITORY}/i${n - 1}:\${BASE_IMAGE_TAG}\n`);
    await initWith(tree, {}, { git: { defaultBranch: 'main', originUrl: 'https://github.com/o/r' }, ask: () => Promise.resolve(undefined) });
    const build = tree.read('.github/workflows/image-build.yml', 'utf-8') ?? '';
    expect(build).toContain('  LEVEL_JOBS: 8\n');
    expect(build).toContain('  level8:\n    needs: [plan, merge7]\n');
    expect(build).toContain('  merge8:\n    needs: [plan, level8]\n');
    expect(build).toContain(`needs: [plan, ${Array.from({ length: 8 }, (_, i) => `level${i + 1}, merge${i + 1}`).join(', ')}]`);
  });

  const like = (pattern: RegExp) => expect.stringMatching(pattern) as unknown as string;
  it.each<[string, () => Tree, InitGeneratorSchema, InitDoors, Partial<Problem>]>([
    ['where the tests run', stacksTree, {}, STACKS_GIT, { subject: 'init', problem: like(/^no answer to "Do the tests in tests\/by_image\/base-notebook run inside the image .*"$/), fix: like(/^pass --testsRun=image\|host /) }],
    ['the registry, with no remote and no Dockerfile default', () => {
      const tree = createTreeWithEmptyWorkspace();
      tree.write('images/a/Dockerfile', 'FROM alpine\n');
      return tree;
    }, {}, { git: { defaultBranch: 'main' }, ask: () => Promise.resolve(undefined) }, { subject: 'init', problem: like(/^no answer to "Which registry do the images go to /), fix: like(/^pass --registry /) }],
    ['the default branch, outside git', fornaxTree, {}, { git: {}, ask: () => Promise.resolve(undefined) }, { subject: 'init', problem: like(/^no answer to "Which branch is the default/), fix: like(/^pass --defaultBranch /) }],
    ['a registry that is no host', fornaxTree, { registry: 'not a host' }, FORNAX_GIT, { subject: 'registry', problem: '"not a host" is not a registry host' }],
    ['a build arg name that is no name', fornaxTree, { baseTagArg: 'BASE-TAG' }, FORNAX_GIT, { subject: 'init', problem: '--baseTagArg=BASE-TAG is not a build arg name', fix: 'use letters, digits and _, or none' }],
    ['a self name with a tag', fornaxTree, { selfNames: 'owner/x:1' }, FORNAX_GIT, { subject: 'init --selfNames', problem: '"owner/x:1" is not a registry path (no tag, digest or $ARG)' }],
  ])('with nobody to ask, refuses an undecided %s in one line naming the flag, writing nothing', async (_case, make, schema, doors, fields) => {
    const tree = make();
    const before = snapshot(tree);
    const error = await refusal(() => initWith(tree, schema, doors));
    expect(error).toBeInstanceOf(UserError);
    expect(error).toEqual(expect.objectContaining(fields));
    expect(error.message).not.toContain('\n');
    expect(snapshot(tree)).toEqual(before);
  });

  it('asks what it cannot decide, and takes the answer', async () => {
    const tree = stacksTree();
    const asked: string[] = [];
    await initWith(tree, {}, { git: STACKS_GIT.git, ask: (question, choices) => (asked.push(`${question} ${choices.join('|')}`), Promise.resolve('image')) });
    expect(asked).toEqual([expect.stringMatching(/^Do the tests in tests\/by_image\/base-notebook run .* image\|host$/)]);
    expect(readJson<{ plugins: { options: { tests: unknown } }[] }>(tree, 'nx.json').plugins[0]?.options.tests).toEqual({ path: 'tests/by_image/{name}', run: 'image' });
  });

  it('decides alone where tests run that drive containers, and says why', async () => {
    const tree = stacksTree();
    tree.write('tests/by_image/base-notebook/test_x.py', 'import docker\n\ndef test_up():\n    docker.from_env()\n');
    const report = await initWith(tree, {}, STACKS_GIT);
    expect(readJson<{ plugins: { options: { tests: unknown } }[] }>(tree, 'nx.json').plugins[0]?.options.tests).toEqual({ path: 'tests/by_image/{name}', run: 'host' });
    expect(report).toContain('init: tests: {"path":"tests/by_image/{name}","run":"host"} (1 of 3 images have tests at tests/by_image/{name}; they run on the host: 1 test file drives containers (tests/by_image/base-notebook/test_x.py imports docker))');
  });

  it('takes a Docker Hub registry and owner from literal references to its own images, and a common test file', async () => {
    const tree = createTreeWithEmptyWorkspace();
    tree.write('base-image/Dockerfile', 'FROM ubuntu:24.04\n');
    tree.write('astro-tools/Dockerfile', 'ARG BASE_TAG=master\nFROM owner/base-image:${BASE_TAG}\n');
    tree.write('tests/test_all.py', 'def test_all(): pass\n');
    tree.write('tests/test_astro-tools.py', 'def test_own(): pass\n');
    const report = await initWith(tree, {}, { git: { defaultBranch: 'master' }, ask: () => Promise.resolve(undefined) });
    expect(readJson<{ plugins: { options: { tests: unknown } }[] }>(tree, 'nx.json').plugins[0]?.options.tests).toEqual({ path: ['tests/test_all.py', 'tests/test_{name}.py'], mount: 'tests', run: 'image' });
    expect(report).toContain('init: images go to docker.io/owner/<image> (from the literal references to this repository\'s images (astro-tools/Dockerfile: owner/base-image:${BASE_TAG}; no registry written, so Docker Hub: docker.io))');
    expect(tree.read('.github/workflows/image-build.yml', 'utf-8')).toContain('  IMAGE_REGISTRY: docker.io\n  IMAGE_REPOSITORY: owner\n');
  });

  it.each<[string, Record<string, string>, InitGeneratorSchema, unknown, string]>([
    ['detected from docker-stacks\' platform jobs', { '.github/workflows/docker.yml': 'jobs:\n  a:\n    with:\n      platform: aarch64\n      runs-on: ubuntu-24.04-arm\n  x:\n    with:\n      platform: x86_64\n' }, {}, ['linux/amd64', 'linux/arm64'], 'init: platforms: linux/amd64, linux/arm64, each on its own runner in CI (the workflows build for linux/amd64, linux/arm64 (.github/workflows/docker.yml))'],
    ['left the default when the workflows name one', { '.github/workflows/b.yml': 'platforms: linux/amd64\n' }, {}, undefined, 'init: platforms: the runner\'s own (the workflows build for linux/amd64 only: the default (the runner\'s own platform))'],
    ['given by flag', {}, { platforms: 'linux/amd64, linux/arm64' }, ['linux/amd64', 'linux/arm64'], 'init: platforms: linux/amd64, linux/arm64, each on its own runner in CI (given)'],
    ['the default by flag, over the workflows', { '.github/workflows/b.yml': 'platforms: linux/amd64,linux/arm64\n' }, { platforms: 'default' }, undefined, 'init: platforms: the runner\'s own (given)'],
  ])('writes platforms %s', async (_case, files, schema, expected, line) => {
    const tree = createTreeWithEmptyWorkspace();
    tree.write('base-image/Dockerfile', 'FROM ubuntu:24.04\n');
    for (const [path, text] of Object.entries(files)) tree.write(path, text);
    const report = await initWith(tree, schema, { git: { defaultBranch: 'main', originUrl: 'https://github.com/o/r' }, ask: () => Promise.resolve(undefined) });
    expect(readJson<{ plugins: { options: { platforms?: unknown } }[] }>(tree, 'nx.json').plugins[0]?.options.platforms).toEqual(expected);
    expect(report).toContain(line);
  });

  it('refuses a platform that is not os/arch in one line naming the flag', async () => {
    const tree = createTreeWithEmptyWorkspace();
    tree.write('base-image/Dockerfile', 'FROM ubuntu:24.04\n');
    await expect(initWith(tree, { platforms: 'arm64' }, { git: { defaultBranch: 'main', originUrl: 'https://github.com/o/r' }, ask: () => Promise.resolve(undefined) })).rejects.toThrow('init --platforms: "arm64" is not os/arch[/variant]: write platforms as Docker does, e.g. "linux/arm64".');
    expect(tree.exists('nx.json') && tree.read('nx.json', 'utf-8')?.includes('@fornax/nx-images')).toBe(false);
  });

  it.each<[string, InitGeneratorSchema, unknown, string | undefined]>([
    ['detected', {}, ['owner/'], 'init: self names: owner/, read as this repository\'s images wherever it pushes (1 reference names a folder of this repository literally (astro-tools/Dockerfile: owner/base-image:${BASE_TAG}))'],
    ['given by flag, comma-separated', { selfNames: 'owner, docker.io/owner/' }, ['owner/', 'docker.io/owner/'], 'init: self names: owner/, docker.io/owner/, read as this repository\'s images wherever it pushes (given)'],
    ['none by flag', { selfNames: 'none' }, undefined, undefined],
    ['another name by flag: the literal reference is then an outside image', { selfNames: 'other/' }, ['other/'], 'init: self names: other/, read as this repository\'s images wherever it pushes (given)'],
  ])('writes selfNames %s', async (_case, schema, expected, line) => {
    const tree = createTreeWithEmptyWorkspace();
    tree.write('base-image/Dockerfile', 'FROM ubuntu:24.04\n');
    tree.write('astro-tools/Dockerfile', 'ARG BASE_TAG=master\nFROM owner/base-image:${BASE_TAG}\n');
    const report = await initWith(tree, schema, { git: { defaultBranch: 'master' }, ask: () => Promise.resolve(undefined) });
    expect(readJson<{ plugins: { options: { selfNames?: unknown } }[] }>(tree, 'nx.json').plugins[0]?.options.selfNames).toEqual(expected);
    const onBase = report.some((text) => text.startsWith('  astro-tools: level 2, on base-image'));
    expect(onBase, report.join('\n')).toBe(expected !== undefined && (expected as string[]).includes('owner/'));
    if (line) expect(report).toContain(line);
    else expect(report.filter((text) => text.startsWith('init: self names'))).toEqual([]);
  });

  it.each<[string, InitGeneratorSchema, unknown]>([
    ['several paths by flag, comma-separated', { testsPath: 'tests/test_all.py, tests/test_{name}.py', testsRun: 'image' }, { path: ['tests/test_all.py', 'tests/test_{name}.py'], run: 'image' }],
    ['one path by flag', { testsPath: 'checks/{name}', testsRun: 'host' }, { path: 'checks/{name}', run: 'host' }],
    ['host by flag over a layout with a mount: no mount', { testsRun: 'host' }, { path: 'tests/test_{name_}.py', run: 'host' }],
  ])('the tests rule: %s', async (_case, schema, expected) => {
    const tree = fornaxTree();
    await initWith(tree, schema, FORNAX_GIT);
    expect(readJson<{ plugins: { options: { tests: unknown } }[] }>(tree, 'nx.json').plugins[0]?.options.tests).toEqual(expected);
  });

  it('reads the bases again under arg names given by flag', async () => {
    const tree = createTreeWithEmptyWorkspace();
    tree.write('images/a/Dockerfile', 'FROM alpine\n');
    // Two conventions resolve as many FROMs; the flag decides and the bases follow it.
    tree.write('images/b/Dockerfile', 'ARG R1=ghcr.io\nARG R2=quay.io\nARG O=x\nFROM ${R1}/${O}/a AS one\nFROM ${R2}/${O}/a\n');
    await expect(initWith(tree, {}, FORNAX_GIT)).rejects.toThrow(expect.objectContaining({ subject: 'init', problem: expect.stringMatching(/^no answer to "Which args name this repository's images\?/) as unknown, fix: expect.stringMatching(/^pass --repositoryArg/) as unknown }));
    const report = await initWith(tree, { registryArg: 'R1', repositoryArg: 'O', registry: 'ghcr.io', repository: 'x' }, FORNAX_GIT);
    expect(report).toContain('  b: level 2, on a (images/b/Dockerfile)');
    expect(report).toContain('init: build args: registry R1, repository O, no base tag arg (given)');
  });
});
