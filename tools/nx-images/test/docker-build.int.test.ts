import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImage } from './harness/read-image';
import { startRegistry, type Registry } from './harness/registry';
import { createWorkspace, type Workspace } from './harness/workspace';

const LABEL = 'org.opencontainers.image';
let registry: Registry;
const workspaces: Workspace[] = [];

beforeAll(async () => {
  registry = await startRegistry();
});

afterAll(async () => {
  await registry?.stop();
  for (const workspace of workspaces) workspace.cleanup();
});

async function workspaceOn(branch: string): Promise<Workspace> {
  const workspace = await createWorkspace({ branch, origin: 'https://github.com/Nasa-Fornax/Fornax-Images.git' });
  workspaces.push(workspace);
  return workspace;
}

function build(workspace: Workspace, project: string, ...extra: string[]) {
  return workspace.nx([
    'run',
    `${project}:docker-build`,
    `--registry=${registry.host}`,
    '--repository=fornax/images',
    '--exclude-task-dependencies',
    ...extra,
  ]);
}

describe('docker-build against a real engine and registry', () => {
  it('pushes base_image under the branch tag with its labels, then tractor builds FROM it', async () => {
    const workspace = await workspaceOn('feature/Fix_Issue#34');
    const head = await workspace.git('rev-parse', 'HEAD');

    const base = await build(workspace, 'base_image', '--push');
    expect(base.exitCode, base.all).toBe(0);
    const pushedBase = await readImage(registry.url, 'fornax/images/base_image', 'feature-Fix_Issue-34');
    expect(pushedBase).toBeDefined();
    expect(pushedBase!.labels[`${LABEL}.revision`]).toBe(head);
    expect(pushedBase!.labels[`${LABEL}.version`]).toBe('feature-Fix_Issue-34');
    expect(pushedBase!.labels[`${LABEL}.source`]).toBe('https://github.com/Nasa-Fornax/Fornax-Images');
    expect(Date.parse(pushedBase!.labels[`${LABEL}.created`] ?? '')).toBeGreaterThan(Date.now() - 10 * 60_000);
    expect(pushedBase!.labels[`${LABEL}.base.name`]).toBeUndefined();

    const record = JSON.parse(readFileSync(join(workspace.dir, 'dist/docker-build/base_image.json'), 'utf8')) as Record<string, unknown>;
    expect(record).toMatchObject({
      project: 'base_image',
      reference: `${registry.host}/fornax/images/base_image:feature-Fix_Issue-34`,
      pushed: true,
      digest: pushedBase!.digest,
      revision: head,
    });

    const tractor = await build(workspace, 'tractor', '--push');
    expect(tractor.exitCode, tractor.all).toBe(0);
    const pushedTractor = await readImage(registry.url, 'fornax/images/tractor', 'feature-Fix_Issue-34');
    expect(pushedTractor!.labels[`${LABEL}.base.name`]).toBe(`${registry.host}/fornax/images/base_image:feature-Fix_Issue-34`);
    // Built on that base: its layers start with the base's layers.
    expect(pushedTractor!.layers.slice(0, pushedBase!.layers.length)).toEqual(pushedBase!.layers);
    expect(pushedTractor!.layers.length).toBeGreaterThan(pushedBase!.layers.length);
  });

  it('passes the build args, and a user value for the same name wins', async () => {
    const workspace = await workspaceOn('args');
    workspace.write(
      'images/base_image/Dockerfile',
      'FROM scratch\nARG REGISTRY\nARG REPOSITORY\nARG IMAGE_TAG\nARG BASE_IMAGE_TAG\nARG EXTRA\n' +
        'LABEL seen.registry=$REGISTRY seen.repository=$REPOSITORY seen.tag=$IMAGE_TAG seen.base=$BASE_IMAGE_TAG seen.extra=$EXTRA\n' +
        'COPY base.txt /base.txt\n',
    );
    await workspace.commit('label the build args');
    const result = await build(workspace, 'base_image', '--push', '--buildArgs.EXTRA=a b;c', '--buildArgs.REPOSITORY=mine/wins');
    expect(result.exitCode, result.all).toBe(0);
    const image = await readImage(registry.url, 'fornax/images/base_image', 'args');
    expect(image!.labels).toMatchObject({
      'seen.registry': registry.host,
      'seen.repository': 'mine/wins',
      'seen.tag': 'args',
      'seen.base': 'args',
      'seen.extra': 'a b;c',
    });
  });

  it('without --push loads the image into the local engine, and tractor builds on that local base', async () => {
    const workspace = await workspaceOn('local-only');
    const base = await build(workspace, 'base_image');
    expect(base.exitCode, base.all).toBe(0);
    const tractor = await build(workspace, 'tractor');
    expect(tractor.exitCode, tractor.all).toBe(0);
    expect(await readImage(registry.url, 'fornax/images/base_image', 'local-only')).toBeUndefined();
    const { stdout } = await execa('/usr/bin/docker', [
      'image',
      'inspect',
      '--format={{json .Config.Labels}}',
      `${registry.host}/fornax/images/tractor:local-only`,
    ]);
    expect((JSON.parse(stdout) as Record<string, string>)[`${LABEL}.base.name`]).toBe(`${registry.host}/fornax/images/base_image:local-only`);
  });

  it('builds a branch named like a command without running it', async () => {
    const marker = mkdtempSync(join(tmpdir(), 'fornax-pwned-'));
    const target = join(marker, 'pwned');
    try {
      const workspace = await workspaceOn(`x$(touch\${IFS}${target})`);
      const result = await build(workspace, 'base_image', '--push');
      expect(result.exitCode, result.all).toBe(0);
      const tag = `x-touch-IFS-${target.slice(1).replace(/[^A-Za-z0-9_.-]+/g, '-')}-`;
      expect(await readImage(registry.url, 'fornax/images/base_image', tag)).toBeDefined();
      expect(existsSync(target)).toBe(false);
    } finally {
      rmSync(marker, { recursive: true, force: true });
    }
  });

  it('pushes every extra tag to the same digest', async () => {
    const workspace = await workspaceOn('extra');
    const result = await build(workspace, 'base_image', '--push', '--extraTags=also-this', '--extraTags=and-that');
    expect(result.exitCode, result.all).toBe(0);
    const main = await readImage(registry.url, 'fornax/images/base_image', 'extra');
    for (const tag of ['also-this', 'and-that']) {
      expect((await readImage(registry.url, 'fornax/images/base_image', tag))?.digest).toBe(main!.digest);
    }
  });
});

describe('docker-build dry run', () => {
  it('prints the plan and the exact commands with no Docker engine at all', async () => {
    const workspace = await workspaceOn('feature/dry');
    // A PATH with node and git only: no docker client, no engine.
    const bin = mkdtempSync(join(tmpdir(), 'fornax-bin-'));
    symlinkSync(process.execPath, join(bin, 'node'));
    symlinkSync((await execa('sh', ['-c', 'command -v git'])).stdout.trim(), join(bin, 'git'));
    const result = await workspace.nx(
      ['run', 'tractor:docker-build', '--dry-run', '--registry=127.0.0.1:1', '--repository=fornax/images', '--exclude-task-dependencies'],
      { DOCKER_HOST: 'unix:///nonexistent/docker.sock', PATH: bin },
    );
    rmSync(bin, { recursive: true, force: true });
    expect(result.exitCode, result.all).toBe(0);
    expect(result.all).toContain('dry run, nothing is run');
    expect(result.all).toMatch(/docker buildx build --file=\S+\/images\/tractor\/Dockerfile/);
    expect(result.all).toContain('--tag=127.0.0.1:1/fornax/images/tractor:feature-dry');
    expect(result.all).toContain('--build-arg=BASE_IMAGE_TAG=feature-dry');
    expect(result.all).toContain('--label=org.opencontainers.image.base.name=127.0.0.1:1/fornax/images/base_image:feature-dry');
    expect(existsSync(join(workspace.dir, 'dist'))).toBe(false);
  });
});

describe('docker-build errors: one clear line, non-zero exit', () => {
  it.each([
    ['a tag that is not valid', ['--tag=feature/x'], /--tag: "feature\/x" is not a valid Docker tag/],
    ['a build arg name that is not valid', ['--buildArgs.BAD-NAME=x'], /build arg: "BAD-NAME" is not a valid name/],
    ['an unknown option', ['--noSuchOption=1'], /noSuchOption/],
    ['a context outside the workspace', ['--context=../../etc'], /outside the workspace/],
  ])('%s', async (_name, args, message) => {
    const workspace = await workspaceOn('errors');
    const result = await build(workspace, 'base_image', ...args);
    expect(result.exitCode).not.toBe(0);
    expect(result.all).toMatch(message);
    expect(existsSync(join(workspace.dir, 'dist/docker-build/base_image.json'))).toBe(false);
  });

  it('a repository that is not valid', async () => {
    const workspace = await workspaceOn('errors');
    const result = await workspace.nx(['run', 'base_image:docker-build', '--repository=Fornax/Im ages']);
    expect(result.exitCode).not.toBe(0);
    expect(result.all).toMatch(/base_image: repository: "Fornax\/Im ages" is not a valid repository path: pass --repository=owner\/name/);
  });

  it('a missing Dockerfile names the image and the fix', async () => {
    const workspace = await workspaceOn('no-dockerfile');
    const result = await build(workspace, 'base_image', '--file=images/base_image/Dockerfile.gone');
    expect(result.exitCode).not.toBe(0);
    expect(result.all).toMatch(/base_image: no Dockerfile at images\/base_image\/Dockerfile.gone: add one, or point the "file" option at it/);
  });

  it('a daemon that does not answer', async () => {
    const workspace = await workspaceOn('no-daemon');
    const result = await workspace.nx(['run', 'base_image:docker-build', '--repository=fornax/images'], {
      DOCKER_HOST: 'unix:///nonexistent/docker.sock',
    });
    expect(result.exitCode).not.toBe(0);
    expect(result.all).toMatch(/base_image: docker: the Docker engine does not answer .*start it/);
  });

  it('a Dockerfile that fails at a step', async () => {
    const workspace = await workspaceOn('failing');
    workspace.write('images/base_image/Dockerfile', 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "false"]\n');
    await workspace.commit('break the build');
    const result = await build(workspace, 'base_image', '--push');
    expect(result.exitCode).not.toBe(0);
    expect(result.all).toMatch(/base_image: docker build of \S+base_image:failing failed \(exit code 1\): fix the Dockerfile/);
  });

  it('a registry that refuses the push', async () => {
    const readonly = await startRegistry({ readonly: true });
    try {
      const workspace = await workspaceOn('refused');
      const result = await workspace.nx([
        'run',
        'base_image:docker-build',
        `--registry=${readonly.host}`,
        '--repository=fornax/images',
        '--push',
      ]);
      expect(result.exitCode).not.toBe(0);
      expect(result.all).toMatch(/base_image: docker push of \S+ failed .*docker login/);
    } finally {
      await readonly.stop();
    }
  });
});
