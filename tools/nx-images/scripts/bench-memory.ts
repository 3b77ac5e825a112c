/**
 * `npm run bench:memory`: runs the executors 50 times in one process, the
 * way a long Nx run would, and prints heap and RSS every 10 runs and the
 * growth ratio after warm-up. Each run is a dry-run docker-build, a
 * release-check and a release against a loopback registry; every 10th also
 * builds and pushes for real. Prints figures; asserts nothing.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { ExecutorContext } from '@nx/devkit';
import dockerBuildExecutor from '../src/executors/docker-build/executor';
import releaseCheckExecutor from '../src/executors/release-check/executor';
import releaseExecutor from '../src/executors/release/executor';
import { startRegistry } from '../test/harness/registry';
import { pushImage } from '../test/harness/seed';
import { createWorkspace } from '../test/harness/workspace';

const RUNS = Number(process.env.BENCH_RUNS ?? 50);
const REAL_EVERY = 10;
const WARM_UP = 10;
const REPO = 'fornax/bench';
const MB = 1024 * 1024;

// A full collection before each reading, so the figures show what is kept, not what is pending.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function context(root: string, project: string): ExecutorContext {
  return {
    root,
    cwd: root,
    projectName: project,
    isVerbose: false,
    projectsConfigurations: { version: 2, projects: { [project]: { root: `images/${project}` } } },
    nxJsonConfiguration: {},
  } as unknown as ExecutorContext;
}

function reading(): { heap: number; rss: number } {
  gc();
  const usage = process.memoryUsage();
  return { heap: usage.heapUsed / MB, rss: usage.rss / MB };
}

/** Runs `work` with the executors' console output dropped; the figures are the output. */
async function quietly<T>(work: () => Promise<T>): Promise<T> {
  const methods = ['log', 'info', 'warn', 'error', 'debug'] as const;
  const original = methods.map((name) => [name, console[name].bind(console)] as const);
  for (const name of methods) console[name] = () => undefined;
  try {
    return await work();
  } finally {
    for (const [name, method] of original) console[name] = method;
  }
}

async function main(): Promise<void> {
  const registry = await startRegistry();
  const ws = await createWorkspace({ branch: 'main' });
  // The engine's BuildKit is reached through the Debian CLI; the first docker on PATH here cannot build.
  process.env.PATH = `/usr/bin:${process.env.PATH ?? ''}`;
  try {
    const head = await ws.git('rev-parse', 'HEAD');
    await pushImage(registry.url, `${REPO}/base_image`, 'main', { labels: { 'org.opencontainers.image.revision': head } });
    const options = { registry: registry.host, repository: REPO };
    const figures: { run: number; heap: number; rss: number }[] = [];
    let failures = 0;
    console.log(`bench:memory: ${RUNS} runs in one process (pid ${process.pid}), a real build every ${REAL_EVERY}`);
    for (let run = 1; run <= RUNS; run++) {
      const results = await quietly(async () => [
        await dockerBuildExecutor({ ...options, dryRun: true }, context(ws.dir, 'base_image')),
        await releaseCheckExecutor({ ...options, tags: `v1.0.${run}` }, context(ws.dir, 'base_image')),
        await releaseExecutor({ ...options, tags: `v1.0.${run}` }, context(ws.dir, 'base_image')),
        ...(run % REAL_EVERY === 0 ? [await dockerBuildExecutor({ ...options, push: true, tag: `bench-${run}` }, context(ws.dir, 'base_image'))] : []),
      ]);
      failures += results.filter((result) => !result.success).length;
      if (run === 1 || run % 10 === 0) {
        const now = reading();
        figures.push({ run, ...now });
        console.log(`  after run ${String(run).padStart(3)}: heap ${now.heap.toFixed(1).padStart(6)} MB, rss ${now.rss.toFixed(1).padStart(6)} MB`);
      }
    }
    const base = figures.find((entry) => entry.run === WARM_UP) ?? figures[0];
    const last = figures.at(-1);
    if (!base || !last) throw new Error('bench:memory: no reading was taken; set BENCH_RUNS to 1 or more.');
    console.log(`bench:memory: heap growth after warm-up (run ${base.run} -> ${last.run}): x${(last.heap / base.heap).toFixed(2)}`);
    console.log(`bench:memory: rss growth after warm-up (run ${base.run} -> ${last.run}): x${(last.rss / base.rss).toFixed(2)}`);
    console.log(`bench:memory: ${failures} failed executor call(s)${failures > 0 ? ' (the figures then measure failures too)' : ''}`);
  } finally {
    await registry.stop();
    ws.cleanup();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
