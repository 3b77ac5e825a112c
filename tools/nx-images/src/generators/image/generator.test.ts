import { addProjectConfiguration, readNxJson, updateNxJson, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { DockerfileParser } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { beforeEach, describe, expect, it } from 'vitest';
import { UserError, type Problem } from '../../lib/core/errors';
import { DEFAULT_BUILD_ARG_NAMES, repositoryImages, type BuildArgNames } from '../../lib/core/dockerfile/repository-images';
import imageGenerator, { dockerfileQuoted } from './generator';
import { repositoryDefault } from './normalize';

const REAL_NAMES: BuildArgNames = { registry: '', repository: 'REPOSITORY', imageTag: '', baseTag: 'BASE_TAG' };

const CONTRACT = (from: string, repository = 'nasa-fornax/fornax-images') => [
  'ARG REGISTRY=ghcr.io',
  `ARG REPOSITORY=${repository}`,
  'ARG BASE_IMAGE_TAG=main',
  `FROM \${REGISTRY}/\${REPOSITORY}/${from}:\${BASE_IMAGE_TAG}`,
];

/** A workspace shaped like this repository: two images (Dockerfiles only, as the plugin infers them), the plugin, and a project that is no image. */
function workspace(): Tree {
  const tree = createTreeWithEmptyWorkspace();
  tree.write('images/base_image/Dockerfile', 'ARG UPSTREAM_IMAGE=quay.io/jupyter/scipy-notebook:2025-12-31\nFROM ${UPSTREAM_IMAGE}\nRUN mamba env update --name base --file /tmp/environment.yml\n');
  // A repository other than the usual default, so the test shows it is read from the `from` image.
  tree.write('images/tractor/Dockerfile', `${CONTRACT('base_image', 'someone/mirror').join('\n')}\nRUN true\n`);
  addProjectConfiguration(tree, 'nx-images', { root: 'tools/nx-images', targets: { test: { executor: 'nx:run-commands' } } });
  tree.write('tools/nx-images/fixtures/images/ghost/Dockerfile', 'FROM scratch\n');
  return tree;
}

/** The same images in the real Fornax tree's convention, with nx.json saying so. */
function realTree(): Tree {
  const tree = createTreeWithEmptyWorkspace();
  const nxJson = readNxJson(tree) ?? {};
  updateNxJson(tree, { ...nxJson, plugins: [{ plugin: '@fornax/nx-images', options: { buildArgs: REAL_NAMES } }] });
  tree.write('images/fornax-base/Dockerfile', 'ARG BASE_TAG=latest\nARG REPOSITORY=ghcr.io/nasa-fornax/fornax-images\nFROM ${REPOSITORY}/jupyter-base:${BASE_TAG}\n');
  tree.write('images/jupyter-base/Dockerfile', 'FROM ubuntu:24.04\n');
  tree.write('images/env-heasoft/Dockerfile', 'ARG BASE_TAG=latest\nARG REPOSITORY=ghcr.io/nasa-fornax/fornax-images\nFROM ${REPOSITORY}/fornax-base:${BASE_TAG}\n');
  return tree;
}

function read(tree: Tree, path: string): string {
  const content = tree.read(path, 'utf-8');
  if (content === null) throw new Error(`${path} was not generated`);
  return content;
}

describe('image generator', () => {
  let tree: Tree;
  beforeEach(() => {
    tree = workspace();
  });

  it('scaffolds images/<name> FROM base_image by default, with no project.json', () => {
    imageGenerator(tree, { name: 'astro_tools' });

    expect(tree.children('images/astro_tools').sort()).toEqual(['Dockerfile', 'README.md', 'environment.yml', 'tests']);
    expect(tree.children('images/astro_tools/tests')).toEqual(['test_astro_tools.py']);
    expect(read(tree, 'images/astro_tools/tests/test_astro_tools.py')).toContain('nx run astro_tools:image-test');
    const dockerfile = read(tree, 'images/astro_tools/Dockerfile');
    // base_image declares no repository: the new image pulls from where tractor does.
    expect(dockerfile.split('\n').slice(0, 4)).toEqual(CONTRACT('base_image', 'someone/mirror'));
    expect(dockerfile).not.toMatch(/fornax|vendor|licenses/i);
    expect(dockerfile).toContain('org.opencontainers.image.base.name="${REGISTRY}/${REPOSITORY}/base_image:${BASE_IMAGE_TAG}"');
    expect(dockerfile).toMatch(/^COPY .*environment\.yml \/tmp\/astro_tools-environment\.yml$/m);
    expect(dockerfile).not.toContain('COPY --from');
    expect(read(tree, 'images/astro_tools/environment.yml')).toMatch(/^dependencies: \[\]$/m);
    // What the plugin will infer from it: one task dependency, on base_image.
    expect(repositoryImages(dockerfile, DEFAULT_BUILD_ARG_NAMES)).toMatchObject({ images: ['base_image'], finalBase: { image: 'base_image' } });

    const readme = read(tree, 'images/astro_tools/README.md');
    expect(readme).toMatch(/^# astro_tools$/m);
    expect(readme).toContain('It starts FROM the `base_image` image of this repository (`images/base_image`)');
    expect(readme).toContain('npx nx run astro_tools:docker-build');
    expect(readme).toContain('<!-- Replace the sentence above');
  });

  it.each<[string, string | string[]]>([
    ['comma-separated', 'tractor,base_image'],
    ['as a list', ['tractor', 'base_image']],
  ])('takes --from with several images %s: the first is the final base, the others named stages', (_case, from) => {
    imageGenerator(tree, { name: 'deep_field', from });

    const dockerfile = read(tree, 'images/deep_field/Dockerfile');
    expect(dockerfile.split('\n').slice(0, 5)).toEqual([
      'ARG REGISTRY=ghcr.io',
      'ARG REPOSITORY=someone/mirror',
      'ARG BASE_IMAGE_TAG=main',
      'FROM ${REGISTRY}/${REPOSITORY}/base_image:${BASE_IMAGE_TAG} AS base_image',
      'FROM ${REGISTRY}/${REPOSITORY}/tractor:${BASE_IMAGE_TAG}',
    ]);
    expect(dockerfile).toContain('#   COPY --from=base_image /path/in/base_image /path/in/this/image');
    expect(repositoryImages(dockerfile, DEFAULT_BUILD_ARG_NAMES)).toMatchObject({ images: ['base_image', 'tractor'], finalBase: { image: 'tractor' } });
    expect(read(tree, 'images/deep_field/README.md')).toContain('and takes files from `base_image` through named stages');
  });

  it('writes the real tree\'s convention when nx.json names its build args', () => {
    const real = realTree();
    imageGenerator(real, { name: 'env-sas', from: ['fornax-base', 'env-heasoft'] });

    const dockerfile = read(real, 'images/env-sas/Dockerfile');
    expect(dockerfile.split('\n').slice(0, 4)).toEqual([
      'ARG REPOSITORY=ghcr.io/nasa-fornax/fornax-images',
      'ARG BASE_TAG=main',
      'FROM ${REPOSITORY}/env-heasoft:${BASE_TAG} AS env_heasoft',
      'FROM ${REPOSITORY}/fornax-base:${BASE_TAG}',
    ]);
    expect(dockerfile).toContain('ARG REPOSITORY\nARG BASE_TAG\nLABEL');
    expect(dockerfile).toContain('#   COPY --from=env_heasoft /path/in/env-heasoft /path/in/this/image');
    expect(repositoryImages(dockerfile, REAL_NAMES)).toMatchObject({ images: ['env-heasoft', 'fornax-base'], finalBase: { image: 'fornax-base' } });
  });

  it('uses the repository another image declares when the from image declares none, else --repository, else asks for it', () => {
    imageGenerator(tree, { name: 'astro_tools', from: 'base_image' });
    expect(read(tree, 'images/astro_tools/Dockerfile').split('\n').slice(0, 4)).toEqual(CONTRACT('base_image', 'someone/mirror'));
    imageGenerator(tree, { name: 'deep', from: 'base_image', repository: 'acme/stack' });
    expect(read(tree, 'images/deep/Dockerfile').split('\n').slice(0, 4)).toEqual(CONTRACT('base_image', 'acme/stack'));
    const bare = createTreeWithEmptyWorkspace();
    bare.write('images/base_image/Dockerfile', 'FROM alpine\n');
    expect(() => imageGenerator(bare, { name: 'x' })).toThrow(
      expect.objectContaining({ subject: '--repository', problem: 'none given, and no image of this repository sets a default for ARG REPOSITORY', fix: expect.stringMatching(/^pass --repository=owner\/name/) as unknown }),
    );
    expect(bare.exists('images/x')).toBe(false);
  });

  it('writes the vendor and licenses labels only when given', () => {
    imageGenerator(tree, { name: 'astro_tools', vendor: 'Acme "Labs"', licenses: 'MIT' });
    const dockerfile = read(tree, 'images/astro_tools/Dockerfile');
    expect(dockerfile).toContain('      org.opencontainers.image.vendor="Acme \\"Labs\\"" \\\n      org.opencontainers.image.licenses="MIT" \\\n');
    expect(validate(dockerfile).map((d) => d.message)).toEqual([]);
  });

  it.each<[string, string[]]>([
    ['one base', ['base_image']],
    ['named stages', ['tractor', 'base_image']],
  ])('generates a Dockerfile with no lint findings whose COPY sources are all generated (%s)', (_case, from) => {
    imageGenerator(tree, { name: 'astro_tools', from, description: 'Catalog "cross-match" & $HOME tools \\ more' });
    const dockerfile = read(tree, 'images/astro_tools/Dockerfile');

    expect(validate(dockerfile).map((d) => d.message)).toEqual([]);
    const copies = DockerfileParser.parse(dockerfile)
      .getInstructions()
      .filter((instruction) => instruction.getKeyword() === 'COPY')
      .map((instruction) => instruction.getArguments().map((a) => a.getValue()).filter((a) => !a.startsWith('--')).slice(0, -1));
    expect(copies.flat()).toEqual(['environment.yml']);
    expect(tree.exists('images/astro_tools/environment.yml')).toBe(true);
  });

  it('puts the description in the README as written and in the label quoted', () => {
    const description = 'Catalog "cross-match" & $HOME tools \\ more';
    imageGenerator(tree, { name: 'astro_tools', description });

    const readme = read(tree, 'images/astro_tools/README.md');
    expect(readme).toContain(`\n${description}\n`);
    expect(readme).not.toContain('<!-- Replace');
    // The integration test builds this label and reads it back; here, the text as written.
    expect(read(tree, 'images/astro_tools/Dockerfile')).toContain(
      '      org.opencontainers.image.description="Catalog \\"cross-match\\" & \\$HOME tools \\\\ more" \\\n',
    );
  });

  const badName = (name: string) => ({ subject: 'image name', problem: `${JSON.stringify(name)} is not valid`, fix: 'use lower-case letters, digits and single separators (._-), e.g. base_image' });
  const notAnImage = (name: string) => ({ subject: '--from', problem: `"${name}" is not an image of this repository`, fix: 'use one of base_image, tractor' });
  it.each<[string, Parameters<typeof imageGenerator>[1], Partial<Problem>]>([
    ['upper case', { name: 'Astro' }, badName('Astro')],
    ['empty', { name: '' }, badName('')],
    ['a leading separator', { name: '-astro' }, badName('-astro')],
    ['a trailing separator', { name: 'astro_' }, badName('astro_')],
    ['a double dot', { name: 'a..b' }, badName('a..b')],
    ['a slash', { name: 'astro/tools' }, badName('astro/tools')],
    ['a space', { name: 'astro tools' }, badName('astro tools')],
    ['a #', { name: 'astro#1' }, badName('astro#1')],
    ['unicode', { name: 'aströ' }, badName('aströ')],
    ['a command', { name: '$(touch x)' }, badName('$(touch x)')],
    ['an existing image', { name: 'tractor' }, { subject: 'image "tractor"', problem: 'images/tractor already exists', fix: 'choose another name, or edit that image instead' }],
    ['a project elsewhere', { name: 'nx-images' }, { subject: 'image "nx-images"', problem: 'a project with that name already exists at tools/nx-images', fix: 'choose another name' }],
    ['a folder with no Dockerfile', { name: 'leftover' }, { subject: 'image "leftover"', problem: 'images/leftover already exists' }],
    ['from itself', { name: 'astro_tools', from: 'astro_tools' }, { subject: '--from', problem: '"astro_tools" is the image being created', fix: 'start from an existing image, e.g. --from=base_image' }],
    ['from nothing', { name: 'astro_tools', from: 'nope' }, notAnImage('nope')],
    ['from a project that is not an image', { name: 'astro_tools', from: 'nx-images' }, notAnImage('nx-images')],
    ['from a Dockerfile outside the images glob', { name: 'astro_tools', from: 'ghost' }, notAnImage('ghost')],
    ['one of several from images unknown', { name: 'astro_tools', from: ['tractor', 'nope'] }, notAnImage('nope')],
    ['an image named twice in from', { name: 'astro_tools', from: 'tractor,base_image,tractor' }, { subject: '--from', problem: 'it names tractor twice', fix: 'name each image once' }],
    ['a two-line description', { name: 'astro_tools', description: 'one\ntwo' }, { subject: '--description', problem: 'more than one line', fix: 'put longer text in the generated README.md instead' }],
  ])('refuses %s with one line and writes nothing', (_case, schema, fields) => {
    tree.write('images/leftover/notes.txt', 'not a project');
    const before = tree.listChanges().map((change) => change.path);

    let error: unknown;
    try {
      imageGenerator(tree, schema);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UserError);
    expect(error).toEqual(expect.objectContaining(fields));
    expect((error as Error).message).not.toContain('\n');
    expect(tree.listChanges().map((change) => change.path)).toEqual(before);
  });

  it('refuses a from image whose REPOSITORY default is not a literal repository', () => {
    tree.write('images/tractor/Dockerfile', `ARG REGISTRY=ghcr.io\nARG REPOSITORY=\${OWNER}/images\nFROM scratch\n`);
    expect(() => imageGenerator(tree, { name: 'astro_tools', from: 'tractor' })).toThrow(
      expect.objectContaining({ subject: 'images/tractor/Dockerfile', problem: 'ARG REPOSITORY=${OWNER}/images is not a literal lower-case owner/name', fix: 'fix that default first' }),
    );
    expect(tree.exists('images/astro_tools')).toBe(false);
  });

  it('refuses a dockerfiles glob it cannot place a new image in', () => {
    const nxJson = readNxJson(tree) ?? {};
    updateNxJson(tree, { ...nxJson, plugins: [{ plugin: '@fornax/nx-images', options: { dockerfiles: 'images/**/Dockerfile' } }] });
    expect(() => imageGenerator(tree, { name: 'astro_tools' })).toThrow(
      expect.objectContaining({ subject: 'nx.json\'s dockerfiles', problem: 'the image generator writes into <folder>/<name>/Dockerfile, but the glob is images/**/Dockerfile' }),
    );
  });

  it('lists no images when there are none', () => {
    const empty = createTreeWithEmptyWorkspace();
    expect(() => imageGenerator(empty, { name: 'astro_tools' })).toThrow(
      expect.objectContaining({ subject: '--from', problem: '"base_image" is not an image of this repository', fix: expect.stringMatching(/^there is none yet/) as unknown }),
    );
  });
});

describe('image generator in an adopted repository', () => {
  it('follows docker-stacks: images/<name>, REGISTRY=quay.io and OWNER, no base tag, a plain body, a host test under tests/by_image/<name>', () => {
    const tree = createTreeWithEmptyWorkspace();
    const nxJson = readNxJson(tree) ?? {};
    const options = { buildArgs: { registry: 'REGISTRY', repository: 'OWNER', imageTag: '', baseTag: '' }, tests: { path: 'tests/by_image/{name}', run: 'host' } };
    updateNxJson(tree, { ...nxJson, plugins: [{ plugin: '@fornax/nx-images', options }] });
    tree.write('images/base-notebook/Dockerfile', 'ARG REGISTRY=quay.io\nARG OWNER=jupyter\nARG BASE_IMAGE=$REGISTRY/$OWNER/docker-stacks-foundation\nFROM $BASE_IMAGE\n');
    imageGenerator(tree, { name: 'astro-notebook', from: 'base-notebook' });

    const dockerfile = read(tree, 'images/astro-notebook/Dockerfile');
    expect(dockerfile.split('\n').slice(0, 3)).toEqual(['ARG REGISTRY=quay.io', 'ARG OWNER=jupyter', 'FROM ${REGISTRY}/${OWNER}/base-notebook']);
    expect(dockerfile).not.toMatch(/mamba|NB_UID|environment\.yml/);
    expect(validate(dockerfile).map((d) => d.message)).toEqual([]);
    expect(repositoryImages(dockerfile, options.buildArgs)).toMatchObject({ images: ['base-notebook'], finalBase: { image: 'base-notebook', tagFrom: 'none' } });
    expect(tree.children('images/astro-notebook').sort()).toEqual(['Dockerfile', 'README.md']);
    expect(read(tree, 'tests/by_image/astro-notebook/test_astro-notebook.py')).toContain('os.environ["IMAGE_REF"]');
    expect(read(tree, 'images/astro-notebook/README.md')).toContain('`tests/by_image/astro-notebook/test_astro-notebook.py` runs on the host, given the image,');
  });

  it('follows fornax-images: root folders, REPOSITORY with the registry, BASE_TAG, tests/test_<name_>.py', () => {
    const tree = realTree();
    const nxJson = readNxJson(tree) ?? {};
    updateNxJson(tree, { ...nxJson, plugins: [{ plugin: '@fornax/nx-images', options: { dockerfiles: '*/Dockerfile', buildArgs: REAL_NAMES, tests: { path: 'tests/test_{name_}.py', mount: 'tests' } } }] });
    tree.write('fornax-base/Dockerfile', 'ARG BASE_TAG=latest\nARG REPOSITORY=ghcr.io/nasa-fornax/fornax-images\nFROM ${REPOSITORY}/jupyter-base:${BASE_TAG}\n');
    tree.write('tests/test_env_sas.py', '');
    imageGenerator(tree, { name: 'env-xmm', from: 'fornax-base' });
    expect(read(tree, 'env-xmm/Dockerfile').split('\n').slice(0, 3)).toEqual(['ARG REPOSITORY=ghcr.io/nasa-fornax/fornax-images', 'ARG BASE_TAG=main', 'FROM ${REPOSITORY}/fornax-base:${BASE_TAG}']);
    expect(read(tree, 'tests/test_env_xmm.py')).toContain('def test_python_runs_in_the_image');
    expect(() => imageGenerator(tree, { name: 'env-sas', from: 'fornax-base' })).toThrow(expect.objectContaining({ subject: 'image "env-sas"', problem: 'its tests file tests/test_env_sas.py already exists' }));
  });
});

describe('repositoryDefault', () => {
  it.each<[string, string, BuildArgNames, string | undefined]>([
    ['the ARG default', 'ARG REPOSITORY=someone/mirror\nFROM scratch\n', DEFAULT_BUILD_ARG_NAMES, 'someone/mirror'],
    ['a quoted default', 'ARG REPOSITORY="a/b"\nFROM scratch\n', DEFAULT_BUILD_ARG_NAMES, 'a/b'],
    ['one of several ARGs on a line', 'ARG REGISTRY=ghcr.io REPOSITORY=x/y\nFROM scratch\n', DEFAULT_BUILD_ARG_NAMES, 'x/y'],
    ['no ARG', 'FROM scratch\n', DEFAULT_BUILD_ARG_NAMES, undefined],
    ['an ARG with no default', 'ARG REPOSITORY\nFROM scratch\n', DEFAULT_BUILD_ARG_NAMES, undefined],
    ['an ARG only after FROM', 'FROM scratch\nARG REPOSITORY=late/one\n', DEFAULT_BUILD_ARG_NAMES, undefined],
    ['the real tree: registry inside', 'ARG REPOSITORY=ghcr.io/nasa-fornax/fornax-images\nFROM scratch\n', REAL_NAMES, 'ghcr.io/nasa-fornax/fornax-images'],
    ['the real tree: a registry with a port', 'ARG REPOSITORY=127.0.0.1:5000/a/b\nFROM scratch\n', REAL_NAMES, '127.0.0.1:5000/a/b'],
  ])('reads %s', (_case, dockerfile, names, expected) => {
    expect(repositoryDefault(dockerfile, names)).toBe(expected);
  });

  it.each<[string, string, BuildArgNames]>([
    ['a variable', 'ARG REPOSITORY=$OWNER/x\nFROM scratch\n', DEFAULT_BUILD_ARG_NAMES],
    ['upper case', 'ARG REPOSITORY=Nasa-Fornax/x\nFROM scratch\n', DEFAULT_BUILD_ARG_NAMES],
    ['a space', 'ARG REPOSITORY="a b/c"\nFROM scratch\n', DEFAULT_BUILD_ARG_NAMES],
    ['the real tree with no registry', 'ARG REPOSITORY=fornax-images\nFROM scratch\n', REAL_NAMES],
  ])('refuses %s', (_case, dockerfile, names) => {
    expect(() => repositoryDefault(dockerfile, names, 'images/x/Dockerfile')).toThrow(expect.objectContaining({ subject: 'images/x/Dockerfile', problem: expect.stringMatching(/^ARG REPOSITORY=.* is not a literal/) as unknown }));
  });
});

describe('dockerfileQuoted', () => {
  it.each([
    ['plain text', 'plain text'],
    ['say "hi"', 'say \\"hi\\"'],
    ['$HOME and ${X}', '\\$HOME and \\${X}'],
    ['back\\slash', 'back\\\\slash'],
    ['', ''],
  ])('%j -> %j', (input, expected) => {
    expect(dockerfileQuoted(input)).toBe(expected);
  });
});
