import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

// Unit tests (`*.test.ts` under src/, and the test harness's own pure
// helpers under test/harness/) are pure and fast; integration tests
// (`*.int.test.ts` under test/) drive a real Docker engine, registry and git;
// the hardening suite (test/hardening/) puts hostile names, secrets and
// concurrent runs through them, and breaks engines, registries and networks
// on purpose. The files that inject faults run last, so a fault never lands
// in another file's build while it waits on a timing; they run beside each
// other, as their faults cannot meet (engine-faults stops a private engine,
// registry-faults breaks registries of its own, and neither waits on a tight
// timing); the rest of the hardening suite runs beside the integration tests.
const FAULTS = ['test/hardening/engine-faults.int.test.ts', 'test/hardening/registry-faults.int.test.ts'];
export default defineConfig({
  test: {
    root,
    // Fails the run when it leaves a folder of its own in the temporary folder; removes what it left untagged in the engine.
    globalSetup: ['test/harness/leftovers.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          root,
          include: ['src/**/*.test.ts', 'test/harness/**/*.test.ts'],
          exclude: ['**/*.int.test.ts'],
          // Pure and quick: every file in one worker thread, modules loaded once (a fork and a fresh
          // module graph per file cost 20 s of CPU for 2 s of tests).
          pool: 'threads',
          isolate: false,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'integration',
          root,
          include: ['test/**/*.int.test.ts'],
          exclude: FAULTS,
          testTimeout: 180_000,
          hookTimeout: 180_000,
          maxWorkers: 2,
          // Each worker runs file after file, loading the harness and the plugin's modules once: no file
          // changes the process (its environment, cwd or modules) for the next one.
          isolate: false,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          name: 'hardening',
          root,
          include: FAULTS,
          testTimeout: 300_000,
          hookTimeout: 300_000,
          // Only each other beside them: a private engine stopped mid-build must not meet another file's build.
          maxWorkers: 2,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
