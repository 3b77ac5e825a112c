import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

// Unit tests (`*.test.ts` under src/) are pure and fast; integration tests
// (`*.int.test.ts` under test/) drive a real Docker engine, registry and git.
export default defineConfig({
  test: {
    root: root,
    projects: [
      {
        test: {
          name: 'unit',
          root: root,
          include: ['src/**/*.test.ts'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'integration',
          root: root,
          include: ['test/**/*.int.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          maxWorkers: 2,
          // Unit tests first: they are fast and say most about a broken change.
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
