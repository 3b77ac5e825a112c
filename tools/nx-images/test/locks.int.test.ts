import { chmodSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { list as listTar } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLocks } from '../src/lib/io/locks';
import { createRegistryClient } from '../src/lib/io/registry/oci-client';
import { runCiImages } from './harness/github-run';
import { readImage } from './harness/read-image';
import { startRegistry, type Registry } from './harness/registry';
import { runReleaseExecutor } from './harness/run-release';
import { pushImage } from './harness/seed';
import { createWorkspace, type Workspace } from './harness/workspace';

// Lock files are exported inside each image right after its build (real engine), attached to the
// pushed digest (real registry), and collected by the release into archives with no engine at all.

const REPO = 'fornax/locked';
const FAKE = 'images/env-fake';
const CONDA = [
  '#!/bin/sh',
  '# Answers as conda does for the two calls the built-in lock command makes.',
  'case "$1 $2" in',
  '  "env list") printf "# conda environments:\\n#\\nbase                  *  /opt/conda\\nheasoft                 /opt/conda/envs/heasoft\\n\\n" ;;',
  '  "list --explicit") printf "# platform: linux-64\\n@EXPLICIT\\nhttps://conda.anaconda.org/conda-forge/linux-64/numpy-1.26.4.conda#%s\\n" "$4" ;;',
  '  *) exit 2 ;;',
  'esac',
  '',
].join('\n');
const python = (freeze: string) => ['#!/bin/sh', 'case "$*" in', '  "-m pip --version") echo "pip 24.0" ;;', `  "-m pip freeze --all") echo "${freeze}" ;;`, '  *) exit 2 ;;', 'esac', ''].join('\n');
const TRACTOR_LOCKS = ['sh', '-c', 'printf "numpy 1.26.4\\n" > "$LOCKS_DIR/conda-base.txt"; printf "tractor==1.0\\n" > "$LOCKS_DIR/pip-tractor.txt"'];

let registry: Registry;
let ws: Workspace;
let head: string;

const client = () => createRegistryClient({ registry: registry.host, credentials: null });
async function lockFiles(image: string, tag: string): Promise<{ files: Record<string, string>; note?: string } | undefined> {
  const digest = (await readImage(registry.url, `${REPO}/${image}`, tag))?.digest ?? '';
  const set = await readLocks(client(), `${REPO}/${image}`, digest);
  return set && { files: Object.fromEntries(set.files.map((file) => [file.name, file.bytes.toString('utf8')])), ...(set.index.note ? { note: set.index.note } : {}) };
}

beforeAll(async () => {
  registry = await startRegistry();
  ws = await createWorkspace();
  ws.write('images/tractor/project.json', `${JSON.stringify({ targets: { 'docker-build': { options: { lockCommand: TRACTOR_LOCKS } } } }, null, 2)}\n`);
  // An image with conda environments, their pythons and a virtual environment, all busybox scripts.
  ws.write(`${FAKE}/Dockerfile`, ['ARG REGISTRY=ghcr.io', 'ARG REPOSITORY=nasa-fornax/fornax-images', 'ARG BASE_IMAGE_TAG=main', 'FROM ${REGISTRY}/${REPOSITORY}/base_image:${BASE_IMAGE_TAG}', 'COPY fake/ /', ''].join('\n'));
  ws.write(`${FAKE}/fake/bin/conda`, CONDA);
  ws.write(`${FAKE}/fake/opt/conda/bin/python`, python('astropy==7.0.0'));
  ws.write(`${FAKE}/fake/opt/conda/envs/heasoft/conda-meta/history`, '');
  ws.write(`${FAKE}/fake/opt/venvs/tools/pyvenv.cfg`, 'home = /usr/bin\n');
  ws.write(`${FAKE}/fake/opt/venvs/tools/bin/python`, python('pyvo==1.6'));
  for (const script of ['fake/bin/conda', 'fake/opt/conda/bin/python', 'fake/opt/venvs/tools/bin/python']) chmodSync(join(ws.dir, FAKE, script), 0o755);
  // An image with no shell at all.
  ws.write('images/noshell/Dockerfile', 'FROM scratch\nCOPY data.txt /data.txt\n');
  ws.write('images/noshell/data.txt', 'no shell here\n');
  head = await ws.commit('lock sets for every image');
  const run = await runCiImages(ws, { name: 'push', branch: 'main', sha: head }, registry.host, { IMAGE_REPOSITORY: REPO });
  if (run.exitCode !== 0) throw new Error(`building main failed:\n${run.all}`);
}, 300_000);

afterAll(async () => {
  await registry?.stop();
  ws?.cleanup();
});

describe('lock files, exported at build time', () => {
  it('an image’s own lock command runs inside it; its files are attached to the pushed digest and read back', async () => {
    expect(await lockFiles('tractor', 'main')).toEqual({ files: { 'conda-base.txt': 'numpy 1.26.4\n', 'pip-tractor.txt': 'tractor==1.0\n' } });
  });

  it('the built-in command lists every conda environment and every virtual environment the image has', async () => {
    const locks = await lockFiles('env-fake', 'main');
    expect(Object.keys(locks?.files ?? {}).sort()).toEqual(['conda-base.txt', 'conda-heasoft.txt', 'pip-base.txt', 'pip-venv-opt-venvs-tools.txt']);
    expect(locks?.files['conda-heasoft.txt']).toContain('numpy-1.26.4.conda#/opt/conda/envs/heasoft');
    expect(locks?.files['pip-base.txt']).toBe('astropy==7.0.0\n');
    expect(locks?.files['pip-venv-opt-venvs-tools.txt']).toBe('pyvo==1.6\n');
  });

  it('an image with neither conda nor pip, or with no shell, gets an empty set that says why, and is pushed', async () => {
    expect(await lockFiles('base_image', 'main')).toEqual({ files: {}, note: 'the image has neither conda nor pip' });
    expect(await lockFiles('noshell', 'main')).toEqual({ files: {}, note: 'the image has no shell, so nothing could be asked of it' });
  });

  it('a lock command that fails stops the push and names the image', async () => {
    await ws.git('checkout', '--quiet', '-b', 'broken/locks');
    const sha = await ws.commit('tractor: a broken lock command', {
      'images/tractor/project.json': `${JSON.stringify({ targets: { 'docker-build': { options: { lockCommand: ['sh', '-c', 'echo "conda is gone" >&2; exit 3'] } } } }, null, 2)}\n`,
      'images/tractor/tractor.txt': 'broken\n',
    });
    const result = await runCiImages(ws, { name: 'push', branch: 'broken/locks', sha }, registry.host, { IMAGE_REPOSITORY: REPO });
    await ws.git('checkout', '--quiet', 'main');
    expect(result.exitCode).not.toBe(0);
    expect(result.all).toMatch(/tractor: the lock command sh -c\.\.\. exited with 3 \(conda is gone\): fix it/);
    expect(await readImage(registry.url, `${REPO}/tractor`, 'broken-locks')).toBeUndefined();
  });
});

describe('the release collects the lock sets from the registry', () => {
  it('writes one archive per image, with no engine, and its step summary lists size, tests and archive', async () => {
    const event = join(ws.dir, 'release-event.json');
    await writeFile(event, JSON.stringify({ action: 'published', release: { tag_name: 'v2.0.0', target_commitish: 'main', prerelease: false }, repository: { default_branch: 'main' } }));
    const summary = join(ws.dir, 'release-summary.md');
    await writeFile(summary, '');
    const result = await ws.exec('npm', ['run', '--silent', 'ci:release'], {
      GITHUB_EVENT_NAME: 'release',
      GITHUB_EVENT_PATH: event,
      GITHUB_SHA: head,
      GITHUB_STEP_SUMMARY: summary,
      IMAGE_REGISTRY: registry.host,
      IMAGE_REPOSITORY: REPO,
      // No engine: a docker command would fail here.
      DOCKER_HOST: 'unix:///nonexistent/docker.sock',
    });
    expect(result.exitCode, result.all).toBe(0);

    const dir = join(ws.dir, 'dist', 'release', 'locks');
    expect(readdirSync(dir).sort()).toEqual(['base_image-v2.0.0-locks.tar.gz', 'env-fake-v2.0.0-locks.tar.gz', 'noshell-v2.0.0-locks.tar.gz', 'tractor-v2.0.0-locks.tar.gz']);
    expect(await archived(join(dir, 'tractor-v2.0.0-locks.tar.gz'))).toEqual({ 'tractor/conda-base.txt': 'numpy 1.26.4\n', 'tractor/pip-tractor.txt': 'tractor==1.0\n' });
    const empty = await archived(join(dir, 'base_image-v2.0.0-locks.tar.gz'));
    expect(Object.keys(empty)).toEqual(['base_image/NO-LOCK-FILES.txt']);
    expect(empty['base_image/NO-LOCK-FILES.txt']).toMatch(/^base_image \(sha256:[a-f0-9]{64}\) has no environment lock files: the image has neither conda nor pip\.\n$/);

    const text = readFileSync(summary, 'utf8');
    expect(text).toContain('| image | released digest | built from | compressed size | tests | lock files | tags |');
    const tractor = (await readImage(registry.url, `${REPO}/tractor`, 'v2.0.0'))?.digest ?? '';
    expect(text).toMatch(new RegExp(`\\| \`tractor\` \\| \`${tractor}\` \\| \`${registry.host.replace(/\./g, '\\.')}/${REPO}/base_image:main\` \\(\`sha256:[a-f0-9]{64}\`\\) \\| [0-9.]+ (B|KiB|MiB) \\| no tests \\| \`tractor-v2\\.0\\.0-locks\\.tar\\.gz\` \\(2 file\\(s\\)\\) \\| \`v2\\.0\\.0\`, \`stable\` \\|`));
    expect(text).toContain('| `base_image-v2.0.0-locks.tar.gz` (none: the image has neither conda nor pip) |');
  }, 120_000);

  it('refuses an image with no lock set attached, unless --allowMissingLocks; then its archive says so', async () => {
    const repo = 'fornax/unlocked';
    await pushImage(registry.url, `${repo}/base_image`, 'main', { labels: { 'org.opencontainers.image.revision': head }, locks: false });
    const options = { registry: registry.host, repository: repo, tags: ['v1.0.0'], commit: head };
    const refused = await runReleaseExecutor('release-check', ws.dir, 'base_image', options);
    expect(refused.success).toBe(false);
    expect(refused.output).toMatch(/base_image: \S+\/fornax\/unlocked\/base_image:main \(sha256:\w+\) has no environment lock set attached .*: push it again \(nx run base_image:docker-build --push, as CI does\), or release with --allowMissingLocks\./);

    const released = await runReleaseExecutor('release', ws.dir, 'base_image', { ...options, allowMissingLocks: true });
    expect(released.success, released.output).toBe(true);
    expect(released.output).toContain('locks: no lock set attached, released with --allowMissingLocks');
    const contents = await archived(join(ws.dir, 'dist', 'release', 'locks', 'base_image-v1.0.0-locks.tar.gz'));
    expect(contents['base_image/NO-LOCK-FILES.txt']).toContain('no lock set was attached to this digest; it was released with --allowMissingLocks');
  });
});

/** Every file of a .tar.gz, path -> text, read with the same library the release writes it with. */
async function archived(file: string): Promise<Record<string, string>> {
  expect(existsSync(file), file).toBe(true);
  const files: Record<string, string> = {};
  await listTar({
    file,
    onReadEntry: (entry) => {
      const chunks: Buffer[] = [];
      entry.on('data', (chunk: Buffer) => chunks.push(chunk));
      entry.on('end', () => {
        if (entry.type === 'File') files[entry.path] = Buffer.concat(chunks).toString('utf8');
      });
    },
  });
  return files;
}
