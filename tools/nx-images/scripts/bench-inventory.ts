/**
 * `npm run bench:inventory`: how long the inventory's pure parts take at the
 * size of a big science image (5,000 packages): diffing two inventories,
 * building a CycloneDX SBOM and, apart, validating it against the schema;
 * and what the inventory+SBOM step adds to a push of a fixture image to a
 * local registry. Prints the figures and ratios; asserts nothing.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { copyFileSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { emptyInventory, inventoryJson, type Inventory } from '../src/lib/core/evidence/inventory';
import { diffInventories } from '../src/lib/core/evidence/inventory-diff';
import { inventoryFromLocks, type LockFileText } from '../src/lib/core/evidence/inventory-parse';
import { sbomJson } from '../src/lib/core/evidence/sbom';
import { writeInventoryRecord } from '../src/lib/io/build-record';
import { attachInventory, attachSbom } from '../src/lib/io/inventory';
import { sbomSchemaErrors } from '../test/harness/sbom-schema';
import { createRegistryClient, type FullRegistryClient } from '../src/lib/io/registry/oci-client';
import { readImage } from '../test/harness/read-image';
import { startRegistry } from '../test/harness/registry';
import { runDockerBuildExecutor } from '../test/harness/run-docker-build';
import { createWorkspace } from '../test/harness/workspace';

const PACKAGES = 5_000;
const RUNS = 15;
const PUSHES = 3;
const GOAL_MS = 200;
const FIXTURES = resolve(__dirname, '../test/fixtures/inventory');

/** A lock set of `count` packages in the real formats: conda, pip and dpkg listings, shifted by `seed` so two sets differ a little. */
function lockSet(count: number, seed: number): LockFileText[] {
  const conda: string[] = ['@EXPLICIT'];
  const pip: string[] = [];
  const dpkg: string[] = [];
  for (let index = 0; index < count; index++) {
    // Every 20th package moves a version between the two sets, every 100th is only in one of them.
    const bump = index % 20 === 0 ? seed : 0;
    if (index % 100 === 0 && seed === 1) continue;
    const version = `${1 + (index % 7)}.${index % 13}.${bump}`;
    if (index % 3 === 0) conda.push(`https://conda.anaconda.org/conda-forge/linux-64/pkg-c${index}-${version}-py311h${index.toString(16)}_0.conda#${'0'.repeat(32)}`);
    else if (index % 3 === 1) pip.push(`Py_Pkg.${index}==${version}`);
    else dpkg.push(`lib${index}\t${version}-1+deb12u1\tamd64\tii `);
  }
  return [
    { name: 'conda-base.txt', text: `${conda.join('\n')}\n` },
    { name: 'pip-base.txt', text: `${pip.join('\n')}\n` },
    { name: 'os-dpkg.txt', text: `${dpkg.join('\n')}\n` },
    { name: 'os-release.txt', text: 'ID=debian\nVERSION_ID=12\n' },
  ];
}

async function timeMs(work: () => unknown): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

async function timed(work: () => unknown, runs = RUNS): Promise<{ first: number; median: number }> {
  const times: number[] = [];
  for (let run = 0; run < runs; run++) times.push(await timeMs(work));
  return { first: times[0] ?? 0, median: median(times) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

const ms = (value: number) => `${value.toFixed(1)} ms`;
const goal = (value: number) => `${(value / GOAL_MS).toFixed(2)}x the ${GOAL_MS} ms goal`;

async function pureFigures(): Promise<void> {
  const parse = await timed(() => inventoryFromLocks('bench', lockSet(PACKAGES, 0)));
  const from = inventoryFromLocks('bench', lockSet(PACKAGES, 0)).inventory;
  const to = inventoryFromLocks('bench', lockSet(PACKAGES, 1)).inventory;
  const diff = diffInventories(from, to);
  console.log(`inventories: ${from.packages.length} and ${to.packages.length} packages; the diff: ${diff.added} added, ${diff.removed} removed, ${diff.changed} changed, ${diff.unchanged} unchanged`);
  console.log(`  parse a lock set of ${PACKAGES} packages      median ${ms(parse.median)} (first ${ms(parse.first)})`);
  const diffing = await timed(() => diffInventories(from, to));
  console.log(`  diff two inventories of ${PACKAGES}          median ${ms(diffing.median)} (first ${ms(diffing.first)}): ${goal(diffing.median)}`);
  const subject = { name: 'bench', tag: 'main', repositoryUrl: 'localhost:5000/bench/bench', digest: `sha256:${'ab'.repeat(32)}` };
  const clock = () => ({ now: new Date(), serialNumber: `urn:uuid:${randomUUID()}` });
  const building = await timed(() => sbomJson(from, subject, clock()));
  console.log(`  build an SBOM of ${from.packages.length} packages         median ${ms(building.median)} (first ${ms(building.first)}): ${goal(building.median)}`);
  const sbom = sbomJson(from, subject, clock());
  console.log(`    (${(Buffer.byteLength(sbom) / 2 ** 20).toFixed(2)} MiB of JSON)`);
  const compiling = await timeMs(() => sbomSchemaErrors(sbomJson(emptyInventory('bench'), subject, clock())));
  let errors: string | undefined;
  const validating = await timeMs(async () => {
    errors = await sbomSchemaErrors(sbom);
  });
  if (errors) throw new Error(`the SBOM is not valid: ${errors.slice(0, 300)}`);
  // The schema's uniqueItems checks compare every component with every other: seconds at this size.
  console.log(`  validate it (CycloneDX 1.6 strict schema), once  ${ms(validating)}, after ${ms(compiling)} to compile the schema; tests only, never in a build`);
}

/**
 * What docker-build does for the inventory of a pushed image, on its own: parse, write locally, attach both artifacts,
 * with the registry client the push already made and used (its connection and token are there before the step).
 */
async function inventoryStep(workspace: string, client: FullRegistryClient, registryHost: string, repoPath: string, digest: string, files: LockFileText[]): Promise<Inventory> {
  const { inventory } = inventoryFromLocks('bench', files);
  await writeInventoryRecord(workspace, 'bench', inventoryJson(inventory));
  await attachInventory(client, repoPath, digest, inventory);
  await attachSbom(client, repoPath, digest, sbomJson(inventory, { name: 'bench', tag: 'main', repositoryUrl: `${registryHost}/${repoPath}`, digest }, { now: new Date(), serialNumber: `urn:uuid:${randomUUID()}` }));
  return inventory;
}

async function pushFigures(): Promise<void> {
  const registry = await startRegistry();
  const ws = await createWorkspace();
  try {
    const repo = 'bench/inventory';
    ws.write('images/bench/Dockerfile', ['FROM scratch', 'COPY busybox /bin/busybox', 'RUN ["/bin/busybox", "--install", "-s", "/bin"]', 'COPY locks/ /locks/', 'COPY stamp.txt /stamp.txt', ''].join('\n'));
    for (const name of readdirSync(FIXTURES)) ws.write(`images/bench/locks/${name}`, readFileSync(join(FIXTURES, name), 'utf8'));
    copyFileSync('/bin/busybox', join(ws.dir, 'images/bench/busybox'));
    const files = readdirSync(FIXTURES).map((name) => ({ name, text: readFileSync(join(FIXTURES, name), 'utf8') }));
    const pushes: number[] = [];
    const steps: number[] = [];
    for (let push = 0; push < PUSHES; push++) {
      // A new file each time: every push is a new image, as in CI.
      await ws.commit(`push ${push}`, { 'images/bench/stamp.txt': randomBytes(16).toString('hex') });
      let result: { success: boolean; output: string } = { success: false, output: '' };
      pushes.push(await timeMs(async () => {
        result = await runDockerBuildExecutor(ws.dir, 'bench', { registry: registry.host, repository: repo, push: true, lockCommand: ['sh', '-c', 'cp /locks/* "$LOCKS_DIR"/'] });
      }));
      if (!result.success) throw new Error(`the fixture push failed:\n${result.output}`);
      const digest = (await readImage(registry.url, `${repo}/bench`, 'main'))?.digest ?? '';
      const client = createRegistryClient({ registry: registry.host, credentials: null });
      await client.resolve(`${repo}/bench`, digest);
      steps.push(await timeMs(() => inventoryStep(ws.dir, client, registry.host, `${repo}/bench`, digest, files)));
    }
    const push = median(pushes);
    const step = median(steps);
    console.log(`fixture image push (docker-build --push, ${PUSHES} runs, with the step): median ${ms(push)}`);
    console.log(`  inventory+SBOM step (${files.length} lock files; parse, write, attach 2 artifacts): median ${ms(step)}, ${((step / push) * 100).toFixed(1)} % of the push (goal < 5 %)`);
  } finally {
    await registry.stop();
    ws.cleanup();
  }
}

async function main(): Promise<void> {
  await pureFigures();
  await pushFigures();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
