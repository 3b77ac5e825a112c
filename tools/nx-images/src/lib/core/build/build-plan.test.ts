import { describe, expect, it } from 'vitest';
import { buildArgsFor, cacheTag, ociLabels, planBuild, registryCacheFor, wantsEngineBuilder, type BuildPlanInput } from './build-plan';
import { commandLine } from '../quote';

const base: BuildPlanInput = {
  docker: 'docker',
  mode: 'buildx',
  references: ['r.io/o/n/img:main'],
  context: '/ws/images/img',
  file: '/ws/images/img/Dockerfile',
  platforms: [],
  cacheFrom: [],
  cacheTo: [],
  pull: false,
  noCache: false,
  secrets: [],
  buildArgs: { REGISTRY: 'r.io' },
  labels: { 'org.opencontainers.image.version': 'main' },
  push: true,
  metadataFile: '/t/m.json',
  iidFile: '/t/iid',
};

const line = (input: Partial<BuildPlanInput>) => {
  const plan = planBuild({ ...base, ...input });
  return [plan.build, ...plan.push].map((c) => commandLine(c.command, c.args, c.env)).join('\n');
};

describe('planBuild', () => {
  it.each<[string, Partial<BuildPlanInput>, string]>([
    [
      'buildx, push',
      {},
      'docker buildx build --file=/ws/images/img/Dockerfile --build-arg=REGISTRY=r.io --label=org.opencontainers.image.version=main --tag=r.io/o/n/img:main --iidfile=/t/iid --metadata-file=/t/m.json --push /ws/images/img',
    ],
    [
      'buildx, push after loading (to test what is pushed): --load, then docker push per tag',
      { pushAfterLoad: true, references: ['r.io/o/n/img:main', 'r.io/o/n/img:x'] },
      [
        'docker buildx build --file=/ws/images/img/Dockerfile --build-arg=REGISTRY=r.io --label=org.opencontainers.image.version=main --tag=r.io/o/n/img:main --tag=r.io/o/n/img:x --iidfile=/t/iid --metadata-file=/t/m.json --load /ws/images/img',
        'docker push r.io/o/n/img:main',
        'docker push r.io/o/n/img:x',
      ].join('\n'),
    ],
    [
      'buildx, load',
      { push: false },
      'docker buildx build --file=/ws/images/img/Dockerfile --build-arg=REGISTRY=r.io --label=org.opencontainers.image.version=main --tag=r.io/o/n/img:main --iidfile=/t/iid --metadata-file=/t/m.json --load /ws/images/img',
    ],
    [
      'buildx, every option',
      {
        builder: 'ci',
        target: 'final',
        platforms: ['linux/amd64', 'linux/arm64'],
        pull: true,
        noCache: true,
        cacheFrom: ['type=registry,ref=r.io/o/n/img:buildcache-main'],
        cacheTo: ['type=registry,ref=r.io/o/n/img:buildcache-x,mode=max,ignore-error=true'],
        secrets: ['id=token,env=TOKEN'],
        references: ['r.io/o/n/img:main', 'r.io/o/n/img:latest'],
      },
      'docker buildx build --builder=ci --file=/ws/images/img/Dockerfile --target=final --platform=linux/amd64,linux/arm64 --pull --no-cache --cache-to=type=registry,ref=r.io/o/n/img:buildcache-x,mode=max,ignore-error=true --build-arg=REGISTRY=r.io --label=org.opencontainers.image.version=main --cache-from=type=registry,ref=r.io/o/n/img:buildcache-main --secret=id=token,env=TOKEN --tag=r.io/o/n/img:main --tag=r.io/o/n/img:latest --iidfile=/t/iid --metadata-file=/t/m.json --push /ws/images/img',
    ],
    [
      'classic, push per tag',
      { mode: 'classic', docker: '/usr/bin/docker', references: ['r.io/o/n/img:main', 'r.io/o/n/img:x'] },
      [
        'DOCKER_BUILDKIT=1 /usr/bin/docker build --file=/ws/images/img/Dockerfile --build-arg=REGISTRY=r.io --label=org.opencontainers.image.version=main --tag=r.io/o/n/img:main --tag=r.io/o/n/img:x --iidfile=/t/iid /ws/images/img',
        '/usr/bin/docker push r.io/o/n/img:main',
        '/usr/bin/docker push r.io/o/n/img:x',
      ].join('\n'),
    ],
    [
      'classic, inline cache and a registry cache source',
      { mode: 'classic', push: false, cacheTo: ['type=inline'], cacheFrom: ['type=registry,ref=r.io/o/n/img:main'] },
      'DOCKER_BUILDKIT=1 docker build --file=/ws/images/img/Dockerfile --build-arg=REGISTRY=r.io --build-arg=BUILDKIT_INLINE_CACHE=1 --label=org.opencontainers.image.version=main --cache-from=r.io/o/n/img:main --tag=r.io/o/n/img:main --iidfile=/t/iid /ws/images/img',
    ],
    [
      'hostile values stay one argument each',
      { buildArgs: { X: '$(touch /tmp/p); `id`\n--push' }, labels: { l: "it's" } },
      "docker buildx build --file=/ws/images/img/Dockerfile '--build-arg=X=$(touch /tmp/p); `id`\n--push' '--label=l=it'\\''s' --tag=r.io/o/n/img:main --iidfile=/t/iid --metadata-file=/t/m.json --push /ws/images/img",
    ],
  ])('%s', (_name, input, expected) => {
    expect(line(input)).toBe(expected);
  });

  it('warns that a registry cache export needs buildx, and leaves it out', () => {
    const plan = planBuild({ ...base, mode: 'classic', cacheTo: ['type=registry,ref=r.io/x:cache'] });
    expect(plan.warnings).toEqual([expect.stringMatching(/needs the docker buildx plugin/)]);
    expect(plan.build.args.join(' ')).not.toContain('cache');
  });

  it.each<[string, Partial<BuildPlanInput>, RegExp]>([
    ['two platforms without buildx', { mode: 'classic', platforms: ['linux/amd64', 'linux/arm64'] }, /needs the docker buildx plugin/],
    ['a builder without buildx', { mode: 'classic', builder: 'x' }, /needs the docker buildx plugin/],
    ['a bad platform', { platforms: ['linux'] }, /not os\/arch/],
    ['a bad secret', { secrets: ['src=/etc/passwd'] }, /not "id=<id>,src=<file>"/],
    ['a cache entry that looks like an option', { cacheFrom: ['--output=/'] }, /cache entry/],
    ['a bad label key', { labels: { 'bad key': 'x' } }, /not a valid label key/],
    ['a target that looks like an option', { target: '--output=/' }, /not a stage name/],
    ['a builder that looks like an option', { builder: '-x' }, /not a builder name/],
  ])('refuses %s', (_name, input, message) => {
    expect(() => planBuild({ ...base, ...input })).toThrow(message);
  });
});

describe('buildArgsFor', () => {
  const input = { defaults: { REGISTRY: 'r.io', REPOSITORY: 'o/n', IMAGE_TAG: 'feature-x', BASE_IMAGE_TAG: 'main' } };
  it('passes the standard args', () => {
    expect(buildArgsFor({ ...input, user: {} })).toEqual({ REGISTRY: 'r.io', REPOSITORY: 'o/n', IMAGE_TAG: 'feature-x', BASE_IMAGE_TAG: 'main' });
  });
  it('lets a user value win and turns numbers into text', () => {
    expect(buildArgsFor({ ...input, user: { BASE_IMAGE_TAG: 'pinned', N: 3, B: true } })).toMatchObject({ BASE_IMAGE_TAG: 'pinned', N: '3', B: 'true' });
  });
  it.each([['1X'], ['A-B'], [''], ['A B'], ['--x']])('refuses the name %j', (name) => {
    expect(() => buildArgsFor({ ...input, user: { [name]: 'v' } })).toThrow(/not a valid name/);
  });
  it('refuses a NUL', () => {
    expect(() => buildArgsFor({ ...input, user: { A: 'a\0b' } })).toThrow(/NUL/);
  });
});

describe('ociLabels', () => {
  it('labels revision, created, version, and source when known', () => {
    expect(ociLabels({ revision: 'abc', created: new Date(0), version: 'main', source: 'https://github.com/o/n' })).toEqual({
      'org.opencontainers.image.revision': 'abc',
      'org.opencontainers.image.created': '1970-01-01T00:00:00.000Z',
      'org.opencontainers.image.version': 'main',
      'org.opencontainers.image.source': 'https://github.com/o/n',
    });
    expect(Object.keys(ociLabels({ revision: 'abc', created: new Date(0), version: 'v' }))).toHaveLength(3);
  });
});

describe('registryCacheFor', () => {
  it.each<[string, Parameters<typeof registryCacheFor>[0], ReturnType<typeof registryCacheFor>]>([
    [
      'a builder in a container: a cache image per branch',
      { kind: 'registry', name: 'r.io/o/n/img', tag: 'feature-x', defaultTag: 'main' },
      {
        cacheFrom: ['type=registry,ref=r.io/o/n/img:buildcache-feature-x', 'type=registry,ref=r.io/o/n/img:buildcache-main'],
        cacheTo: ['type=registry,ref=r.io/o/n/img:buildcache-feature-x,mode=max,ignore-error=true'],
      },
    ],
    [
      'the default branch reads its cache once',
      { kind: 'registry', name: 'r.io/o/n/img', tag: 'main', defaultTag: 'main' },
      { cacheFrom: ['type=registry,ref=r.io/o/n/img:buildcache-main'], cacheTo: ['type=registry,ref=r.io/o/n/img:buildcache-main,mode=max,ignore-error=true'] },
    ],
    [
      'a builder on the engine\'s store: inline cache in the images themselves',
      { kind: 'inline', name: 'r.io/o/n/img', tag: 'feature-x', defaultTag: 'main' },
      { cacheFrom: ['r.io/o/n/img:feature-x', 'r.io/o/n/img:main'], cacheTo: ['type=inline'] },
    ],
  ])('%s', (_name, input, expected) => {
    expect(registryCacheFor(input)).toEqual(expected);
  });

  it('keeps the cache tag of a 128-character tag valid and distinct', () => {
    const a = cacheTag('a'.repeat(128));
    const b = cacheTag('a'.repeat(127) + 'b');
    expect(a).toMatch(/^buildcache-[0-9a-f]{16}$/);
    expect(a).not.toBe(b);
  });
});

describe('wantsEngineBuilder', () => {
  it.each<[string, Parameters<typeof wantsEngineBuilder>[0], boolean]>([
    ['a pull request on a builder in a container: the engine\'s own', { push: false, mode: 'buildx', usesEngineStore: false }, true],
    ['a push: the container builder, which pushes straight to the registry', { push: true, mode: 'buildx', usesEngineStore: false }, false],
    ['buildx already on the docker driver', { push: false, mode: 'buildx', usesEngineStore: true }, false],
    ['the engine\'s built-in BuildKit', { push: false, mode: 'classic', usesEngineStore: true }, false],
    ['a builder the user named', { push: false, builder: 'ci', mode: 'buildx', usesEngineStore: false }, false],
  ])('%s', (_case, input, expected) => {
    expect(wantsEngineBuilder(input)).toBe(expected);
  });
});
