/**
 * `npm run demo`: the whole image machinery on this machine, offline, in a
 * few minutes, leaving nothing behind.
 *
 * 1. checks docker (a client that builds, a running engine), git and a static busybox;
 * 2. starts a throwaway registry on a free loopback port (`docker-registry`, else the registry:2 image);
 * 3. copies the workspace into a temporary git repository on a branch `demo/<random>`,
 *    with the offline sample images (test/fixtures/images: busybox on scratch);
 * 4. builds and pushes every image with `nx run-many -t docker-build --push` (base_image first: tractor builds FROM it);
 * 5. releases them with `nx run-many -t release --tags=v0.0.0-demo,stable` (every image's release-check first);
 * 6. reads every tag back from the registry and prints images, tags and digests.
 *
 * The registry, the copy (and its branch), the local images it built and
 * every temporary folder are removed on success, on failure and on Ctrl-C.
 * Your checkout is only read. FORNAX_BUSYBOX=<path> picks the busybox.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { errorMessage, UserError } from '../src/lib/core/errors';
import { CommandError } from '../src/lib/io/exec';
import { createRegistryClient } from '../src/lib/io/registry/oci-client';
import { branchToTag } from '../src/lib/core/naming/tags';
import { cleanupOnExit } from './lib/cleanup';
import { removeLocalImages } from './lib/local-images';
import { startRegistry } from './lib/local-registry';
import { preflight } from './lib/preflight';
import { createWorkspaceCopy, folders, forgetCiVariables, repoRoot, type WorkspaceCopy } from './lib/workspace-copy';

const REPOSITORY = 'fornax-demo/images';
const RELEASE_TAGS = ['v0.0.0-demo', 'stable'];
const fixtureImages = resolve(__dirname, '../test/fixtures/images');

async function main(): Promise<void> {
  // The demo is a laptop run: a CI variable in this shell must not pick its tag, registry or repository.
  forgetCiVariables(process.env);
  const cleanup = cleanupOnExit((line) => console.error(`demo: ${line}`));
  let succeeded = false;
  try {
    step(1, 'checking docker, git and busybox');
    const { cli, busybox } = await preflight(process.env, { registry: true });
    console.log(`demo: docker ${cli.docker} (${cli.mode === 'buildx' ? 'buildx' : "the engine's built-in BuildKit"}), busybox ${busybox}`);

    step(2, 'starting a throwaway registry on loopback');
    const registry = await startRegistry({ docker: cli.docker });
    cleanup.add(`stop the registry on ${registry.host}`, () => registry.stop());
    console.log(`demo: registry ${registry.url} via ${registry.via}, pid ${registry.pid ?? 'unknown'}`);
    for (const dir of registry.dirs) console.log(`demo: made ${dir}`);

    step(3, 'copying the workspace to a throwaway git repository');
    const branch = `demo/${randomBytes(3).toString('hex')}`;
    const images = (await folders(fixtureImages)).filter((name) => existsSync(join(repoRoot, 'images', name, 'Dockerfile')));
    if (images.length === 0) throw new UserError({ subject: 'demo', problem: `no sample image in ${fixtureImages} matches a project under images/`, fix: 'restore the fixtures' });
    const workspace = await createWorkspaceCopy({
      branch,
      prefix: 'fornax-demo-',
      busybox,
      images: images.map((name) => ({ name, files: join(fixtureImages, name) })),
    });
    cleanup.add(`remove ${workspace.dir}`, () => workspace.remove());
    const prefix = `${registry.host}/${REPOSITORY}/`;
    cleanup.add(`remove the local images ${prefix}*`, () => removeLocalImages(cli.docker, prefix));
    const tag = branchToTag(branch);
    console.log(`demo: made ${workspace.dir}`);
    console.log(`demo: branch ${branch} (tag ${tag}) exists only in that copy; images: ${images.join(', ')}`);

    step(4, 'building and pushing every image, in dependency order');
    const target = [`--registry=${registry.host}`, `--repository=${REPOSITORY}`, '--outputStyle=stream'];
    await nx(workspace, ['run-many', '-t', 'docker-build', '--push', '--registryCache', '--forwardOnly', '--baseTagFallback=main', ...target]);

    step(5, `releasing ${tag} as ${RELEASE_TAGS.join(' and ')}`);
    await nx(workspace, ['run-many', '-t', 'release', `--tags=${RELEASE_TAGS.join(',')}`, `--sourceTag=${tag}`, ...target]);

    step(6, `reading every tag back from ${registry.url}`);
    const rows = await readBack(registry.host, images, [tag, ...RELEASE_TAGS]);
    printTable(rows);
    const built = await builtDigests(workspace, images);
    for (const image of images) {
      const digests = new Set(rows.filter((row) => row.image === image).map((row) => row.digest));
      const pushed = built[image];
      if (digests.size !== 1 || pushed === undefined || !digests.has(pushed)) {
        throw new Error(`demo: ${image}: the release tags do not hold the digest docker-build pushed (${pushed ?? 'none recorded'}).`);
      }
      console.log(`demo: ${image}: ${RELEASE_TAGS.join(' and ')} hold the very manifest pushed as ${tag} (${pushed}), copied inside the registry.`);
    }
    succeeded = true;
  } finally {
    const failed = await cleanup.run();
    cleanup.release();
    if (failed.length > 0) {
      console.error(`demo: cleanup left ${failed.length} thing(s) behind; see above.`);
      process.exitCode = 1;
    } else {
      console.log('demo: cleaned up: registry stopped, local demo images and every temporary folder removed (the demo branch went with its copy).');
    }
    if (succeeded && failed.length === 0) console.log('demo: done.');
  }
}

function step(n: number, what: string): void {
  console.log(`\ndemo ${n}/6: ${what}`);
}

async function nx(workspace: WorkspaceCopy, args: string[]): Promise<void> {
  console.log(`demo: nx ${args.join(' ')}`);
  try {
    await workspace.nx(args, { stream: true });
  } catch (error) {
    if (error instanceof CommandError) throw new UserError({ subject: 'demo', problem: `nx ${args.slice(0, 3).join(' ')} failed`, fix: 'see its output above' });
    throw error;
  }
}

interface Row {
  image: string;
  tag: string;
  digest: string;
}

async function readBack(registryHost: string, images: string[], tags: string[]): Promise<Row[]> {
  const client = createRegistryClient({ registry: registryHost, env: {} });
  const rows: Row[] = [];
  for (const image of images) {
    for (const tag of tags) {
      const manifest = await client.resolve(`${REPOSITORY}/${image}`, tag);
      if (!manifest) throw new Error(`demo: ${registryHost}/${REPOSITORY}/${image}:${tag} is not in the registry.`);
      rows.push({ image, tag, digest: manifest.digest });
    }
  }
  return rows;
}

function printTable(rows: Row[]): void {
  const width = (pick: (row: Row) => string, title: string) => Math.max(title.length, ...rows.map((row) => pick(row).length));
  const imageWidth = width((row) => row.image, 'IMAGE');
  const tagWidth = width((row) => row.tag, 'TAG');
  console.log(`${'IMAGE'.padEnd(imageWidth)}  ${'TAG'.padEnd(tagWidth)}  DIGEST`);
  for (const row of rows) console.log(`${row.image.padEnd(imageWidth)}  ${row.tag.padEnd(tagWidth)}  ${row.digest}`);
}

/** The digest each docker-build run recorded as pushed (dist/docker-build/<image>.json in the copy). */
async function builtDigests(workspace: WorkspaceCopy, images: string[]): Promise<Record<string, string | undefined>> {
  const digests: Record<string, string | undefined> = {};
  for (const image of images) {
    const record = JSON.parse(await readFile(join(workspace.dir, 'dist', 'docker-build', `${image}.json`), 'utf8')) as { digest?: string };
    digests[image] = record.digest;
  }
  return digests;
}

main().catch((error: unknown) => {
  console.error(errorMessage(error));
  process.exitCode = 1;
});
