import { addProjectConfiguration, readJson, readProjectConfiguration, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { DockerfileParser } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../lib/core/errors';
import imageGenerator, { dockerfileQuoted } from './generator';
import { repositoryDefault } from './normalize';

const CONTRACT = (from: string, repository = 'nasa-fornax/fornax-images') => [
  'ARG REGISTRY=ghcr.io',
  `ARG REPOSITORY=${repository}`,
  'ARG BASE_IMAGE_TAG=main',
  `FROM \${REGISTRY}/\${REPOSITORY}/${from}:\${BASE_IMAGE_TAG}`,
];

const IMAGE_TARGETS = {
  'release-check': { executor: '@fornax/nx-images:release-check' },
  release: { executor: '@fornax/nx-images:release' },
};

/** A workspace shaped like this repository: two images, the plugin, and two projects that are not images. */
function workspace(): Tree {
  const tree = createTreeWithEmptyWorkspace();
  addProjectConfiguration(tree, 'base_image', {
    root: 'images/base_image',
    tags: ['type:image'],
    targets: { 'docker-build': { executor: '@fornax/nx-images:docker-build' }, ...IMAGE_TARGETS },
  });
  tree.write('images/base_image/Dockerfile', 'ARG UPSTREAM_IMAGE=quay.io/jupyter/scipy-notebook:2025-12-31\nFROM ${UPSTREAM_IMAGE}\n');
  addProjectConfiguration(tree, 'tractor', {
    root: 'images/tractor',
    tags: ['type:image'],
    targets: {
      'docker-build': {
        executor: '@fornax/nx-images:docker-build',
        dependsOn: [{ projects: ['base_image'], target: 'docker-build', params: 'forward' }],
      },
      ...IMAGE_TARGETS,
    },
  });
  // A repository other than the usual default, so the test shows it is read from the `from` image.
  tree.write('images/tractor/Dockerfile', `${CONTRACT('base_image', 'someone/mirror').join('\n')}\nRUN true\n`);
  addProjectConfiguration(tree, 'nx-images', { root: 'tools/nx-images', targets: { test: { executor: 'nx:run-commands' } } });
  addProjectConfiguration(tree, 'tagged_only', { root: 'images/tagged_only', tags: ['type:image'], targets: {} });
  addProjectConfiguration(tree, 'untagged', {
    root: 'images/untagged',
    targets: { 'docker-build': { executor: '@fornax/nx-images:docker-build' } },
  });
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

  it('scaffolds images/<name> FROM base_image by default', () => {
    imageGenerator(tree, { name: 'astro_tools' });

    expect(tree.children('images/astro_tools').sort()).toEqual(['Dockerfile', 'README.md', 'environment.yml', 'project.json']);
    const dockerfile = read(tree, 'images/astro_tools/Dockerfile');
    expect(dockerfile.split('\n').slice(0, 4)).toEqual(CONTRACT('base_image'));
    expect(dockerfile).toContain('org.opencontainers.image.base.name="${REGISTRY}/${REPOSITORY}/base_image:${BASE_IMAGE_TAG}"');
    expect(dockerfile).toMatch(/^COPY .*environment\.yml \/tmp\/astro_tools-environment\.yml$/m);
    expect(read(tree, 'images/astro_tools/environment.yml')).toMatch(/^dependencies: \[\]$/m);

    const readme = read(tree, 'images/astro_tools/README.md');
    expect(readme).toMatch(/^# astro_tools$/m);
    expect(readme).toContain('starts FROM the `base_image` image');
    expect(readme).toContain('npx nx run astro_tools:docker-build');
    expect(readme).toContain('<!-- Replace the sentence above');
  });

  it('writes a project.json like the other images, building after the from image', () => {
    imageGenerator(tree, { name: 'astro_tools' });

    expect(readJson(tree, 'images/astro_tools/project.json')).toEqual({
      name: 'astro_tools',
      $schema: '../../node_modules/nx/schemas/project-schema.json',
      projectType: 'application',
      tags: ['type:image'],
      targets: {
        'docker-build': {
          executor: '@fornax/nx-images:docker-build',
          dependsOn: [{ projects: ['base_image'], target: 'docker-build', params: 'forward' }],
        },
        ...IMAGE_TARGETS,
      },
    });
    expect(readProjectConfiguration(tree, 'astro_tools').root).toBe('images/astro_tools');
  });

  it('starts from another image, taking its REPOSITORY default and building after it', () => {
    imageGenerator(tree, { name: 'tractor_plus', from: 'tractor' });

    const dockerfile = read(tree, 'images/tractor_plus/Dockerfile');
    expect(dockerfile.split('\n').slice(0, 4)).toEqual(CONTRACT('tractor', 'someone/mirror'));
    expect(readProjectConfiguration(tree, 'tractor_plus').targets?.['docker-build']?.dependsOn).toEqual([
      { projects: ['tractor'], target: 'docker-build', params: 'forward' },
    ]);
    expect(read(tree, 'images/tractor_plus/README.md')).toContain('starts FROM the `tractor` image');
  });

  it('uses the usual repository when the from image has no Dockerfile yet', () => {
    tree.delete('images/base_image/Dockerfile');
    imageGenerator(tree, { name: 'astro_tools' });
    expect(read(tree, 'images/astro_tools/Dockerfile').split('\n').slice(0, 4)).toEqual(CONTRACT('base_image'));
  });

  it('generates a Dockerfile with no lint findings whose COPY sources are all generated', () => {
    imageGenerator(tree, { name: 'astro_tools', description: 'Catalog "cross-match" & $HOME tools \\ more' });
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

  it.each([
    ['upper case', { name: 'Astro' }, /image name "Astro" is not valid: use lower-case/],
    ['empty', { name: '' }, /image name "" is not valid/],
    ['a leading separator', { name: '-astro' }, /image name "-astro" is not valid/],
    ['a trailing separator', { name: 'astro_' }, /image name "astro_" is not valid/],
    ['a double dot', { name: 'a..b' }, /image name "a..b" is not valid/],
    ['a slash', { name: 'astro/tools' }, /image name "astro\/tools" is not valid/],
    ['a space', { name: 'astro tools' }, /image name "astro tools" is not valid/],
    ['a #', { name: 'astro#1' }, /image name "astro#1" is not valid/],
    ['unicode', { name: 'aströ' }, /image name "aströ" is not valid/],
    ['a command', { name: '$(touch x)' }, /image name "\$\(touch x\)" is not valid/],
    ['an existing image', { name: 'tractor' }, /image "tractor": images\/tractor already exists: choose another name/],
    ['a project elsewhere', { name: 'nx-images' }, /image "nx-images": a project with that name already exists at tools\/nx-images: choose another name/],
    ['a folder with no project', { name: 'leftover' }, /image "leftover": images\/leftover already exists/],
    ['from itself', { name: 'astro_tools', from: 'astro_tools' }, /--from="astro_tools" is the image being created: start from an existing image/],
    ['from nothing', { name: 'astro_tools', from: 'nope' }, /^--from="nope" is not an image of this repository: use one of base_image, tractor\.$/],
    ['from a project that is not an image', { name: 'astro_tools', from: 'nx-images' }, /--from="nx-images" is not an image of this repository: use one of base_image, tractor/],
    ['from an image without docker-build', { name: 'astro_tools', from: 'tagged_only' }, /--from="tagged_only" is not an image/],
    ['from a buildable project not tagged as an image', { name: 'astro_tools', from: 'untagged' }, /--from="untagged" is not an image/],
    ['a two-line description', { name: 'astro_tools', description: 'one\ntwo' }, /--description must be one line/],
  ])('refuses %s with one line and writes nothing', (_case, schema, message) => {
    tree.write('images/leftover/notes.txt', 'not a project');
    const before = tree.listChanges().map((change) => change.path);

    let error: unknown;
    try {
      imageGenerator(tree, schema);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
    expect(tree.listChanges().map((change) => change.path)).toEqual(before);
  });

  it('refuses a from image whose REPOSITORY default is not a literal repository', () => {
    tree.write('images/tractor/Dockerfile', `ARG REGISTRY=ghcr.io\nARG REPOSITORY=\${OWNER}/images\nFROM scratch\n`);
    expect(() => imageGenerator(tree, { name: 'astro_tools', from: 'tractor' })).toThrow(
      /images\/tractor\/Dockerfile: ARG REPOSITORY=\$\{OWNER\}\/images is not a literal lower-case owner\/name/,
    );
    expect(tree.exists('images/astro_tools')).toBe(false);
  });

  it('lists no images when there are none', () => {
    const empty = createTreeWithEmptyWorkspace();
    expect(() => imageGenerator(empty, { name: 'astro_tools' })).toThrow(
      /--from="base_image" is not an image of this repository: there is none yet/,
    );
  });
});

describe('repositoryDefault', () => {
  it.each([
    ['the ARG default', 'ARG REPOSITORY=someone/mirror\nFROM scratch\n', 'someone/mirror'],
    ['a quoted default', 'ARG REPOSITORY="a/b"\nFROM scratch\n', 'a/b'],
    ['one of several ARGs on a line', 'ARG REGISTRY=ghcr.io REPOSITORY=x/y\nFROM scratch\n', 'x/y'],
    ['no ARG', 'FROM scratch\n', 'nasa-fornax/fornax-images'],
    ['an ARG with no default', 'ARG REPOSITORY\nFROM scratch\n', 'nasa-fornax/fornax-images'],
    ['an ARG only after FROM', 'FROM scratch\nARG REPOSITORY=late/one\n', 'nasa-fornax/fornax-images'],
  ])('reads %s', (_case, dockerfile, expected) => {
    expect(repositoryDefault(dockerfile)).toBe(expected);
  });

  it.each([
    ['a variable', 'ARG REPOSITORY=$OWNER/x\nFROM scratch\n'],
    ['upper case', 'ARG REPOSITORY=Nasa-Fornax/x\nFROM scratch\n'],
    ['a space', 'ARG REPOSITORY="a b/c"\nFROM scratch\n'],
  ])('refuses %s', (_case, dockerfile) => {
    expect(() => repositoryDefault(dockerfile, 'images/x/Dockerfile')).toThrow(/images\/x\/Dockerfile: ARG REPOSITORY=.* is not a literal/);
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
