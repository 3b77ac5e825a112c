import { describe, expect, it } from 'vitest';
import { detectRepository, literalPlace, type RepositoryFacts } from './detect';
import { dockerfileLayout } from './layout';
import { parseRemote } from './remote';

const facts = (dockerfiles: Record<string, string>, extra: Partial<RepositoryFacts> = {}): RepositoryFacts => ({
  dockerfiles: Object.entries(dockerfiles).map(([path, text]) => ({ path, text })),
  defaultBranch: 'main',
  originUrl: 'https://github.com/Some-Owner/Some-Repo.git',
  paths: [],
  ...extra,
});

const OURS = (base: string) => `ARG REGISTRY=ghcr.io\nARG REPOSITORY=nasa-fornax/fornax-images\nARG BASE_IMAGE_TAG=main\nFROM \${REGISTRY}/\${REPOSITORY}/${base}:\${BASE_IMAGE_TAG}\n`;
const FORNAX = (base: string) => `ARG REPOSITORY=ghcr.io/nasa-fornax/fornax-images\nARG BASE_TAG=latest\n\nFROM \${REPOSITORY}/${base}:\${BASE_TAG}\n`;
const STACKS = (base: string) => `ARG REGISTRY=quay.io\nARG OWNER=jupyter\nARG BASE_IMAGE=$REGISTRY/$OWNER/${base}\nFROM $BASE_IMAGE\n`;

// One row per shape in use: the Dockerfiles, then what detection must say.
const SHAPES: [string, RepositoryFacts, Record<string, unknown>][] = [
  [
    'our convention: images/<name>, REGISTRY + REPOSITORY + BASE_IMAGE_TAG',
    facts({ 'images/base_image/Dockerfile': 'ARG UPSTREAM_IMAGE=quay.io/jupyter/scipy-notebook:2025-12-31\nFROM ${UPSTREAM_IMAGE}\n', 'images/tractor/Dockerfile': OURS('base_image') }, { paths: ['images/tractor/tests', 'images/base_image/tests'] }),
    {
      dockerfiles: 'images/*/Dockerfile',
      variants: '',
      buildArgs: { registry: 'REGISTRY', repository: 'REPOSITORY', imageTag: '', baseTag: 'BASE_IMAGE_TAG' },
      registry: 'ghcr.io',
      repository: 'nasa-fornax/fornax-images',
      levels: [['base_image'], ['tractor']],
      tests: undefined,
      undecided: [],
    },
  ],
  [
    'fornax-images: root folders, REPOSITORY carries the registry, one BASE_TAG, tests/test_<name_>.py',
    facts(
      {
        'jupyter-base/Dockerfile': 'FROM ubuntu:24.04\n',
        'fornax-base/Dockerfile': FORNAX('jupyter-base'),
        'env-core/Dockerfile': FORNAX('fornax-base'),
        'fornax-main/Dockerfile': `ARG REPOSITORY=ghcr.io/nasa-fornax/fornax-images\nARG BASE_TAG=latest\nFROM \${REPOSITORY}/env-core:\${BASE_TAG} AS env_core\nFROM \${REPOSITORY}/fornax-base:\${BASE_TAG}\nCOPY --from=env_core /a /a\n`,
        'tests/fixtures/Dockerfile': 'FROM scratch\n',
      },
      { paths: ['tests', 'tests/test_fornax_main.py', 'tests/test_env_core.py', 'tests/common.py'], originUrl: 'git@github.com:nasa-fornax/fornax-images.git' },
    ),
    {
      dockerfiles: '*/Dockerfile',
      buildArgs: { registry: '', repository: 'REPOSITORY', imageTag: '', baseTag: 'BASE_TAG' },
      registry: 'ghcr.io',
      repository: 'nasa-fornax/fornax-images',
      levels: [['jupyter-base'], ['fornax-base'], ['env-core'], ['fornax-main']],
      tests: { path: 'tests/test_{name_}.py', mount: 'tests', run: 'image' },
      leftOut: [{ path: 'tests/fixtures/Dockerfile', reason: 'inside a tests/ folder: test data or an example, not an image' }],
      undecided: [],
    },
  ],
  [
    'docker-stacks: images/, ARG REGISTRY, ARG OWNER, ARG BASE_IMAGE=$REGISTRY/$OWNER/x, FROM $BASE_IMAGE, a variant',
    facts(
      {
        'images/docker-stacks-foundation/Dockerfile': 'ARG ROOT_IMAGE=ubuntu:24.04\nFROM $ROOT_IMAGE\n',
        'images/base-notebook/Dockerfile': STACKS('docker-stacks-foundation'),
        'images/scipy-notebook/Dockerfile': STACKS('base-notebook'),
        'images/pytorch-notebook/Dockerfile': STACKS('scipy-notebook'),
        'images/pytorch-notebook/cuda12/Dockerfile': STACKS('scipy-notebook'),
        'docs/using/Dockerfile': 'FROM quay.io/jupyter/base-notebook\n',
      },
      { paths: ['tests/by_image/base-notebook', 'tests/by_image/scipy-notebook', 'tests/conftest.py'], originUrl: 'https://github.com/jupyter/docker-stacks' },
    ),
    {
      dockerfiles: 'images/*/Dockerfile',
      variants: 'images/*/*/Dockerfile',
      buildArgs: { registry: 'REGISTRY', repository: 'OWNER', imageTag: '', baseTag: '' },
      registry: 'quay.io',
      repository: 'jupyter',
      levels: [['docker-stacks-foundation'], ['base-notebook'], ['scipy-notebook'], ['pytorch-notebook', 'pytorch-notebook-cuda12']],
      tests: { path: 'tests/by_image/{name}' },
      undecided: [expect.objectContaining({ option: 'testsRun', choices: ['image', 'host'] })],
    },
  ],
  [
    'literal references written in full: the self name, the image built after the one it names',
    facts({ 'a/Dockerfile': 'FROM alpine:3.20\n', 'b/Dockerfile': 'FROM ghcr.io/acme/stack/a:1.0\n' }, { originUrl: undefined }),
    {
      dockerfiles: '*/Dockerfile',
      buildArgs: { registry: 'REGISTRY', repository: 'REPOSITORY', imageTag: 'IMAGE_TAG', baseTag: 'BASE_IMAGE_TAG' },
      selfNames: ['ghcr.io/acme/stack/'],
      selfNamesFrom: '1 reference names a folder of this repository literally (b/Dockerfile: ghcr.io/acme/stack/a:1.0)',
      registry: 'ghcr.io',
      repository: 'acme/stack',
      levels: [['a'], ['b']],
      warnings: [],
      undecided: [],
    },
  ],
  [
    'Docker Hub names written literally: ARG BASE_TAG=master, FROM owner/base-image:${BASE_TAG}, tests/test_all.py beside tests/test_<name>.py, no remote',
    facts(
      {
        'base-image/Dockerfile': 'FROM ubuntu:24.04\n',
        'astro-tools/Dockerfile': 'ARG BASE_TAG=master\nFROM owner/base-image:${BASE_TAG}\n',
        'jupyter-lab/Dockerfile': 'ARG BASE_TAG=master\nFROM owner/astro-tools:${BASE_TAG}\nCOPY --from=owner/base-image:${BASE_TAG} /a /a\n',
      },
      {
        originUrl: undefined,
        defaultBranch: 'master',
        paths: ['tests', 'tests/test_all.py', 'tests/test_astro-tools.py'],
        texts: { 'tests/test_all.py': 'import subprocess\n', 'tests/test_astro-tools.py': 'import astropy\n', 'astro-tools/environment.yml': 'dependencies:\n  - astropy\n' },
      },
    ),
    {
      dockerfiles: '*/Dockerfile',
      registry: 'docker.io',
      repository: 'owner',
      registryFrom: 'the literal references to this repository\'s images (astro-tools/Dockerfile: owner/base-image:${BASE_TAG}, and 2 more; no registry written, so Docker Hub: docker.io)',
      defaultBranch: 'master',
      tests: { path: ['tests/test_all.py', 'tests/test_{name}.py'], mount: 'tests', run: 'image' },
      testsFrom: expect.stringMatching(/^1 of 3 images have tests at tests\/test_\{name\}\.py, and every image runs tests\/test_all\.py; they run in the image: 1 imports the images' own packages \(tests\/test_astro-tools\.py imports astropy/),
      selfNames: ['owner/'],
      selfNamesFrom: '3 references name a folder of this repository literally (astro-tools/Dockerfile: owner/base-image:${BASE_TAG}; jupyter-lab/Dockerfile: owner/astro-tools:${BASE_TAG}; jupyter-lab/Dockerfile: owner/base-image:${BASE_TAG})',
      // The tag arg every literal reference shares is the base tag arg.
      buildArgs: { registry: 'REGISTRY', repository: 'REPOSITORY', imageTag: '', baseTag: 'BASE_TAG' },
      levels: [['base-image'], ['astro-tools'], ['jupyter-lab']],
      images: [expect.objectContaining({ name: 'astro-tools', bases: ['base-image'] }), expect.objectContaining({ name: 'base-image', bases: [] }), expect.objectContaining({ name: 'jupyter-lab', bases: ['astro-tools', 'base-image'] })],
      warnings: [],
      undecided: [],
    },
  ],
  [
    'host tests through the Docker SDK: decided on the host, alone',
    facts(
      { 'images/a/Dockerfile': 'FROM alpine\n', 'images/b/Dockerfile': 'FROM alpine\n' },
      { paths: ['tests/by_image/a', 'tests/by_image/a/test_a.py', 'tests/by_image/b', 'tests/by_image/b/test_b.py'], texts: { 'tests/by_image/a/test_a.py': 'import docker\n', 'tests/by_image/b/test_b.py': 'import docker\n' } },
    ),
    { tests: { path: 'tests/by_image/{name}', run: 'host' }, testsFrom: expect.stringContaining('they run on the host: 2 test files drive containers (tests/by_image/a/test_a.py imports docker; tests/by_image/b/test_b.py imports docker)'), undecided: [] },
  ],
  [
    'a root file a Dockerfile copies: a prepare step; a source found nowhere: reported',
    facts({ 'fornax-jupyter/Dockerfile': 'FROM alpine\nCOPY kernels/ /k/\nCOPY introduction.md /i\n' }, { paths: ['fornax-jupyter', 'fornax-jupyter/Dockerfile', 'introduction.md'] }),
    {
      context: {
        prepare: [{ image: 'fornax-jupyter', root: 'fornax-jupyter', target: 'prepare', copies: [{ from: 'introduction.md', to: 'introduction.md' }] }],
        unresolved: [expect.objectContaining({ image: 'fornax-jupyter', line: 2, written: 'kernels/', why: 'missing', fails: true })],
      },
    },
  ],
  [
    'multi-stage files taking from several images in FROM, COPY --from and RUN --mount',
    facts({
      'images/a/Dockerfile': 'FROM alpine\n',
      'images/b/Dockerfile': 'FROM alpine\n',
      'images/c/Dockerfile': OURS('a'),
      'images/d/Dockerfile': `ARG REGISTRY=ghcr.io\nARG REPOSITORY=o/r\nARG BASE_IMAGE_TAG=main\nFROM \${REGISTRY}/\${REPOSITORY}/b:\${BASE_IMAGE_TAG} AS bee\nFROM \${REGISTRY}/\${REPOSITORY}/c:\${BASE_IMAGE_TAG}\nCOPY --from=bee /x /x\nCOPY --from=\${REGISTRY}/\${REPOSITORY}/a:\${BASE_IMAGE_TAG} /y /y\nRUN --mount=type=bind,from=\${REGISTRY}/\${REPOSITORY}/b:\${BASE_IMAGE_TAG},target=/m true\n`,
    }),
    {
      buildArgs: { registry: 'REGISTRY', repository: 'REPOSITORY', imageTag: '', baseTag: 'BASE_IMAGE_TAG' },
      levels: [['a', 'b'], ['c'], ['d']],
      // Two Dockerfiles give two repositories: a question, never a pick.
      registry: 'ghcr.io',
      repository: undefined,
      undecided: [expect.objectContaining({ option: 'repository', choices: ['nasa-fornax/fornax-images', 'o/r'] })],
    },
  ],
  [
    'no images of its own: every FROM external; the remote names the place',
    facts({ 'web/Dockerfile': 'FROM nginx:1.27\n', 'api/Dockerfile': 'FROM node:20 AS build\nFROM gcr.io/distroless/nodejs20\nCOPY --from=build /app /app\n' }),
    {
      dockerfiles: '*/Dockerfile',
      buildArgs: { registry: 'REGISTRY', repository: 'REPOSITORY', imageTag: 'IMAGE_TAG', baseTag: 'BASE_IMAGE_TAG' },
      registry: 'ghcr.io',
      repository: 'some-owner/some-repo',
      levels: [['api', 'web']],
      undecided: [],
    },
  ],
];

describe('detectRepository', () => {
  it.each(SHAPES)('%s', (_case, input, expected) => {
    const detection = detectRepository(input);
    expect(detection).toMatchObject(Object.fromEntries(Object.entries(expected).filter(([, value]) => value !== undefined)));
    for (const [key, value] of Object.entries(expected)) if (value === undefined) expect(detection[key as keyof typeof detection], key).toBeUndefined();
  });

  it('gives each image its bases', () => {
    const detection = detectRepository((SHAPES.find(([name]) => name.startsWith('multi-stage')) ?? SHAPES[0])[1]);
    expect(Object.fromEntries(detection.images.map((image) => [image.name, image.bases]))).toEqual({ a: [], b: [], c: ['a'], d: ['b', 'c', 'a'] });
  });

  it.each<[string, RepositoryFacts, string, RegExp]>([
    ['no default branch', facts({ 'images/a/Dockerfile': 'FROM alpine\n' }, { defaultBranch: undefined }), 'defaultBranch', /Which branch is the default/],
    ['no remote and no default', facts({ 'images/a/Dockerfile': 'FROM alpine\n' }, { originUrl: undefined }), 'registry', /Which registry/],
    ['a remote with no registry of its own', facts({ 'images/a/Dockerfile': 'FROM alpine\n' }, { originUrl: 'https://git.example.org/o/r.git' }), 'registry', /Which registry/],
    ['two layouts as large', facts({ 'a/x/Dockerfile': 'FROM alpine\n', 'b/y/Dockerfile': 'FROM alpine\n' }), 'dockerfiles', /a\/\*\/Dockerfile and b\/\*\/Dockerfile take as many/],
    ['no image folder', facts({ Dockerfile: 'FROM alpine\n' }), 'dockerfiles', /No Dockerfile sits in a folder/],
    ['a folder name that is no image name', facts({ 'images/Web_App/Dockerfile': 'FROM alpine\n', 'images/api/Dockerfile': 'FROM alpine\n' }), 'dockerfiles', /images\/Web_App\/Dockerfile is its folder "Web_App" is not a valid image name/],
    ['an upper-case repository default', facts({ 'images/a/Dockerfile': 'FROM alpine\n', 'images/b/Dockerfile': 'ARG REGISTRY=ghcr.io\nARG REPOSITORY=Acme/X\nFROM ${REGISTRY}/${REPOSITORY}/a\n' }), 'repository', /Acme\/X is not valid/],
  ])('asks, never guesses: %s', (_case, input, option, question) => {
    const undecided = detectRepository(input).undecided.filter((entry) => entry.option === option);
    expect(undecided.map((entry) => entry.question).join('\n')).toMatch(question);
  });

  it('says which base tag arg when two conventions resolve as many reads', () => {
    // Both ARGs could carry the registry; neither tells.
    const detection = detectRepository(facts({ 'images/a/Dockerfile': 'FROM alpine\n', 'images/b/Dockerfile': 'ARG R1=ghcr.io\nARG R2=quay.io\nARG O=x\nFROM ${R1}/${O}/a AS one\nFROM ${R2}/${O}/a\n' }));
    expect(detection.undecided.find((entry) => entry.option === 'buildArgs')?.choices).toEqual(['registry R1, repository O, no base tag arg', 'registry R2, repository O, no base tag arg']);
  });
});

describe('literalPlace', () => {
  it.each<[string, { registry: string; repository: string; implied: boolean }]>([
    ['owner/base-image:${BASE_TAG}', { registry: 'docker.io', repository: 'owner', implied: true }],
    ['owner/base-image', { registry: 'docker.io', repository: 'owner', implied: true }],
    ['docker.io/owner/x:1', { registry: 'docker.io', repository: 'owner', implied: false }],
    ['index.docker.io/owner/x@sha256:abc', { registry: 'docker.io', repository: 'owner', implied: false }],
    ['ghcr.io/owner/repo/x:1', { registry: 'ghcr.io', repository: 'owner/repo', implied: false }],
    ['localhost:5000/team/x:${TAG:-latest}', { registry: 'localhost:5000', repository: 'team', implied: false }],
    ['quay.io/x', { registry: 'quay.io', repository: '', implied: false }],
  ])('%s', (written, expected) => {
    expect(literalPlace(written)).toEqual(expected);
  });
});

describe('dockerfileLayout', () => {
  it.each<[string, string[], { dockerfiles: string; variants?: string; images: string[]; leftOut?: string[] }]>([
    ['images/ beats a lone root folder', ['images/a/Dockerfile', 'images/b/Dockerfile', 'tools/Dockerfile'], { dockerfiles: 'images/*/Dockerfile', images: ['a', 'b'], leftOut: ['tools/Dockerfile: outside images/*/Dockerfile and its variants images/*/*/Dockerfile'] }],
    ['a deeper Dockerfile under no image', ['images/a/Dockerfile', 'images/b/Dockerfile', 'images/other/x/Dockerfile'], { dockerfiles: 'images/*/Dockerfile', images: ['a', 'b'], leftOut: ['images/other/x/Dockerfile: outside images/*/Dockerfile and its variants images/*/*/Dockerfile'] }],
    ['a variant', ['images/a/Dockerfile', 'images/b/Dockerfile', 'images/a/gpu/Dockerfile'], { dockerfiles: 'images/*/Dockerfile', variants: 'images/*/*/Dockerfile', images: ['a', 'b'], leftOut: [] }],
    ['other names', ['images/a/Dockerfile', 'images/a/Dockerfile.dev', 'images/a/x.Dockerfile'], { dockerfiles: 'images/*/Dockerfile', images: ['a'], leftOut: ['images/a/Dockerfile.dev: not named Dockerfile (the plugin reads <folder>/Dockerfile only)', 'images/a/x.Dockerfile: not named Dockerfile (the plugin reads <folder>/Dockerfile only)'] }],
    ['fixtures and examples', ['x/Dockerfile', 'test/fixtures/y/Dockerfile', 'examples/z/Dockerfile'], { dockerfiles: '*/Dockerfile', images: ['x'], leftOut: ['examples/z/Dockerfile: inside a examples/ folder: test data or an example, not an image', 'test/fixtures/y/Dockerfile: inside a test/ folder: test data or an example, not an image'] }],
    ['unicode, spaces and # in folder names', ['images/ok/Dockerfile', 'images/日本/Dockerfile', 'images/a b/Dockerfile', 'images/#1/Dockerfile'], { dockerfiles: 'images/*/Dockerfile', images: ['ok'] }],
    ['nothing', [], { dockerfiles: '', images: [], leftOut: [] }],
  ])('%s', (_case, paths, expected) => {
    const layout = dockerfileLayout(paths);
    expect(layout.dockerfiles).toBe(expected.dockerfiles);
    if (expected.variants !== undefined) expect(layout.variants).toBe(expected.variants);
    expect(layout.images.map((image) => image.name)).toEqual(expected.images);
    if (expected.leftOut) expect(layout.leftOut.map((entry) => `${entry.path}: ${entry.reason}`)).toEqual(expected.leftOut);
  });
});

describe('parseRemote', () => {
  it.each<[string, { host: string; path: string } | undefined]>([
    ['https://github.com/nasa-fornax/fornax-images.git', { host: 'github.com', path: 'nasa-fornax/fornax-images' }],
    ['https://github.com/jupyter/docker-stacks', { host: 'github.com', path: 'jupyter/docker-stacks' }],
    ['git@github.com:Owner/Repo.git', { host: 'github.com', path: 'Owner/Repo' }],
    ['ssh://git@github.com:22/o/r.git', { host: 'github.com', path: 'o/r' }],
    ['https://user:token@gitlab.com/group/sub/r.git', { host: 'gitlab.com', path: 'group/sub/r' }],
    ['/srv/git/r.git', undefined],
    ['', undefined],
    ['https://github.com/', undefined],
  ])('%s', (url, expected) => {
    expect(parseRemote(url)).toEqual(expected);
  });
});
