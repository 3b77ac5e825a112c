import { copyFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INVENTORY_ARTIFACT_TYPE, INVENTORY_FILE, type Inventory } from '../src/lib/core/evidence/inventory';
import { SBOM_FILE, SBOM_MEDIA_TYPE } from '../src/lib/core/evidence/sbom';
import { inventoryRecordPath } from '../src/lib/io/build-record';
import { readInventory, readLocalInventory, readSbom } from '../src/lib/io/inventory';
import { sbomSchemaErrors } from './harness/sbom-schema';
import { createRegistryClient } from '../src/lib/io/registry/oci-client';
import { readImage } from './harness/read-image';
import { startRegistry, type Registry } from './harness/registry';
import { runDockerBuildExecutor } from './harness/run-docker-build';
import { createWorkspace, type Workspace } from './harness/workspace';

// The inventory and the CycloneDX SBOM of a pushed image: made from the lock files its lock command
// writes inside it (real engine), attached to its digest (real Distribution registry, which has no
// referrers API: the fallback tag lists them), and read back with plain HTTP as well as the plugin.

const REPO = 'fornax/inventory';
const FIXTURES = resolve(__dirname, 'fixtures/inventory');
const SCRATCH_BUSYBOX = ['FROM scratch', 'COPY busybox /bin/busybox', 'RUN ["/bin/busybox", "--install", "-s", "/bin"]'];
// The lock command of the fixture image copies lock files in the real formats into $LOCKS_DIR.
const COPY_LOCKS = ['sh', '-c', 'cp /locks/* "$LOCKS_DIR"/'];

let registry: Registry;
let ws: Workspace;
const runs: Record<string, { success: boolean; output: string }> = {};

const client = () => createRegistryClient({ registry: registry.host, credentials: null });
async function digestOf(image: string): Promise<string> {
  const found = await readImage(registry.url, `${REPO}/${image}`, 'main');
  if (!found) throw new Error(`${REPO}/${image}:main is not in the registry`);
  return found.digest;
}

/** An artifact's one file, found through the fallback tag `sha256-<hex>` with nothing of the plugin: index, manifest, blob. */
async function viaFallbackTag(image: string, digest: string, artifactType: string): Promise<{ mediaType: string; title: string; bytes: Buffer } | undefined> {
  const base = `${registry.url}/v2/${REPO}/${image}`;
  const index = await fetch(`${base}/manifests/${digest.replace(':', '-')}`, { headers: { Accept: 'application/vnd.oci.image.index.v1+json' } });
  if (index.status !== 200) return undefined;
  const listed = ((await index.json()) as { manifests: { digest: string; artifactType?: string }[] }).manifests.filter((entry) => entry.artifactType === artifactType);
  const newest = listed.at(-1);
  if (!newest) return undefined;
  const manifest = (await (await fetch(`${base}/manifests/${newest.digest}`, { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } })).json()) as {
    artifactType: string;
    subject: { digest: string };
    layers: { mediaType: string; digest: string; annotations: Record<string, string> }[];
  };
  expect(manifest.subject.digest).toBe(digest);
  expect(manifest.artifactType).toBe(artifactType);
  const [layer] = manifest.layers;
  if (!layer) return undefined;
  const bytes = Buffer.from(await (await fetch(`${base}/blobs/${layer.digest}`)).arrayBuffer());
  return { mediaType: layer.mediaType, title: layer.annotations['org.opencontainers.image.title'] ?? '', bytes };
}

beforeAll(async () => {
  registry = await startRegistry();
  ws = await createWorkspace();
  // inv-full: lock files of every format, one with a malformed line; inv-empty: the built-in command, and neither conda nor pip.
  ws.write('images/inv-full/Dockerfile', [...SCRATCH_BUSYBOX, 'COPY locks/ /locks/', ''].join('\n'));
  for (const name of readdirSync(FIXTURES)) ws.write(`images/inv-full/locks/${name}`, readFileSync(join(FIXTURES, name), 'utf8'));
  ws.write('images/inv-empty/Dockerfile', [...SCRATCH_BUSYBOX, 'RUN echo empty > /empty.txt', ''].join('\n'));
  for (const image of ['inv-full', 'inv-empty']) copyFileSync('/bin/busybox', join(ws.dir, 'images', image, 'busybox'));
  await ws.commit('images with and without lock files');
  runs['inv-full'] = await runDockerBuildExecutor(ws.dir, 'inv-full', { registry: registry.host, repository: REPO, push: true, lockCommand: COPY_LOCKS });
  runs['inv-empty'] = await runDockerBuildExecutor(ws.dir, 'inv-empty', { registry: registry.host, repository: REPO, push: true });
}, 240_000);

afterAll(async () => {
  await registry?.stop();
  ws?.cleanup();
});

describe('the inventory and SBOM of a pushed image', () => {
  it('the inventory, read back from the registry through the fallback tag, holds every package with the right purl', async () => {
    expect(runs['inv-full']?.success, runs['inv-full']?.output).toBe(true);
    const digest = await digestOf('inv-full');
    const raw = await viaFallbackTag('inv-full', digest, INVENTORY_ARTIFACT_TYPE);
    expect(raw?.title).toBe(INVENTORY_FILE);
    const inventory = await readInventory(client(), `${REPO}/inv-full`, digest);
    expect(JSON.parse(raw?.bytes.toString('utf8') ?? '{}')).toEqual(inventory);
    expect(inventory?.image).toBe('inv-full');
    expect(inventory?.os).toEqual({ id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)' });
    expect(inventory?.packages.map((pkg) => `${pkg.environment} ${pkg.purl}`)).toEqual([
      'base pkg:conda/_libgcc_mutex@0.1?build=conda_forge&channel=conda-forge&subdir=linux-64&type=tar.bz2',
      'base pkg:pypi/astropy@6.1.4',
      'base pkg:conda/astropy-iers-data@0.2024.10.7.0.32.46?build=pyhd8ed1ab_0&channel=conda-forge&subdir=noarch&type=conda',
      'base pkg:pypi/fornax-demo?vcs_url=git%2Bhttps%3A%2F%2Fgithub.com%2Fnasa-fornax%2Ffornax-demo-notebooks%404f1c2d3e',
      'base pkg:pypi/fornax-tools@0.3.1',
      // pip freeze lists conda's numpy too: it is listed once, as conda's.
      'base pkg:conda/numpy@1.26.4?build=py311h64a7726_0&channel=conda-forge&subdir=linux-64&type=conda',
      'base pkg:conda/openssl@3.0.15?build=h5eee18b_0&channel=main&subdir=linux-64&type=conda',
      'base pkg:conda/python@3.11.10?build=hc5c86c4_3_cpython&channel=conda-forge&subdir=linux-64&type=conda',
      'base pkg:pypi/pyvo@1.6',
      'base pkg:pypi/zope-interface@7.1.0',
      'broken pkg:pypi/requests@2.32.3',
      'broken pkg:pypi/urllib3@2.2.3',
      'notebook pkg:pypi/jupyterlab@4.2.5',
      'system pkg:deb/debian/adduser@3.134?arch=all&distro=debian-12',
      'system pkg:deb/debian/base-files@12.4+deb12u7?arch=amd64&distro=debian-12',
      'system pkg:deb/debian/libc6@2.36-9+deb12u8?arch=amd64&distro=debian-12',
      'system pkg:deb/debian/libssl3@3.0.14-1~deb12u2?arch=amd64&distro=debian-12',
    ]);
    expect(inventory?.packages.find((pkg) => pkg.name === 'numpy')).toEqual({
      environment: 'base',
      name: 'numpy',
      version: '1.26.4',
      source: 'conda',
      purl: 'pkg:conda/numpy@1.26.4?build=py311h64a7726_0&channel=conda-forge&subdir=linux-64&type=conda',
      channel: 'conda-forge',
      build: 'py311h64a7726_0',
      file: 'conda-base.txt',
    });
  });

  it('the SBOM is attached with CycloneDX’s media type, valid against the 1.6 schema, one component per package with its purl', async () => {
    const digest = await digestOf('inv-full');
    const raw = await viaFallbackTag('inv-full', digest, SBOM_MEDIA_TYPE);
    expect(raw).toMatchObject({ mediaType: SBOM_MEDIA_TYPE, title: SBOM_FILE });
    const text = raw?.bytes.toString('utf8') ?? '';
    expect(await sbomSchemaErrors(text)).toBeUndefined();
    const sbom = JSON.parse(text) as { specVersion: string; metadata: { component: { type: string; name: string; version: string; purl: string } }; components: { type: string; purl?: string }[] };
    expect(await readSbom(client(), `${REPO}/inv-full`, digest)).toEqual(sbom);
    expect(sbom.specVersion).toBe('1.6');
    expect(sbom.metadata.component).toMatchObject({ type: 'container', name: 'inv-full', version: 'main', purl: `pkg:oci/inv-full@${digest}?repository_url=${encodeURIComponent(`${registry.host}/${REPO}/inv-full`)}&tag=main` });
    const inventory = (await readInventory(client(), `${REPO}/inv-full`, digest)) as Inventory;
    expect(sbom.components.filter((component) => component.type === 'library').map((component) => component.purl).sort()).toEqual(inventory.packages.map((pkg) => pkg.purl).sort());
  });

  it('a malformed line is reported with its file and line, and the push went on', async () => {
    const output = runs['inv-full']?.output ?? '';
    expect(output).toContain('inv-full: inventory: pip-broken.txt:3: not name==version, name @ url or -e of pip freeze, left out: numpy 1.26.4');
    expect(output).toMatch(/inv-full: inventory \(17 package\(s\)\) attached to sha256:[0-9a-f]{64} as sha256:/);
    expect(output).toMatch(/inv-full: SBOM \(CycloneDX 1\.6, 17 component\(s\)\) attached to sha256:/);
    const inventory = await readInventory(client(), `${REPO}/inv-full`, await digestOf('inv-full'));
    expect(inventory?.problems).toEqual([{ file: 'pip-broken.txt', line: 3, text: 'numpy 1.26.4', why: 'not name==version, name @ url or -e of pip freeze' }]);
  });

  it('the inventory is written next to the build record, the same as the attached one', async () => {
    const local = await readLocalInventory(ws.dir, 'inv-full');
    expect(local).toEqual(await readInventory(client(), `${REPO}/inv-full`, await digestOf('inv-full')));
  });

  it('an image with neither conda nor pip has an empty inventory and a valid empty SBOM, not an error', async () => {
    expect(runs['inv-empty']?.success, runs['inv-empty']?.output).toBe(true);
    const digest = await digestOf('inv-empty');
    expect(await readInventory(client(), `${REPO}/inv-empty`, digest)).toEqual({ schemaVersion: 1, image: 'inv-empty', packages: [], problems: [] });
    const text = (await viaFallbackTag('inv-empty', digest, SBOM_MEDIA_TYPE))?.bytes.toString('utf8') ?? '';
    expect(await sbomSchemaErrors(text)).toBeUndefined();
    expect((JSON.parse(text) as { components?: unknown[] }).components ?? []).toEqual([]);
  });
});

describe('a build that is not pushed', () => {
  it('writes its inventory locally; a failing lock command there is a warning, and leaves no stale inventory', async () => {
    const local = await runDockerBuildExecutor(ws.dir, 'inv-full', { registry: registry.host, repository: REPO, push: false, lockCommand: ['sh', '-c', 'cp /locks/pip-notebook.txt "$LOCKS_DIR"/'] });
    expect(local.success, local.output).toBe(true);
    expect((await readLocalInventory(ws.dir, 'inv-full'))?.packages.map((pkg) => pkg.purl)).toEqual(['pkg:pypi/jupyterlab@4.2.5']);

    const failing = await runDockerBuildExecutor(ws.dir, 'inv-full', { registry: registry.host, repository: REPO, push: false, lockCommand: ['sh', '-c', 'echo "conda is gone" >&2; exit 3'] });
    expect(failing.success, failing.output).toBe(true);
    expect(failing.output).toMatch(/inv-full: no inventory for this build, which is not pushed: inv-full: the lock command sh -c\.\.\. exited with 3 \(conda is gone\)/);
    expect(existsSync(inventoryRecordPath(ws.dir, 'inv-full'))).toBe(false);
  });
});
