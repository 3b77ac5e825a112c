import { describe } from 'vitest';
import { runTableRows } from './harness/readme-rows';

// The rows of docs/ci.md's "Outside GitHub" table that read a registry holding main, or none, run as
// written in a fresh clone (test/harness/readme-rows.ts); readme-commands.int.test.ts has the others.
describe('the commands outside GitHub that read what main pushed, or no registry', () => {
  runTableRows((row) => row.registry !== 'empty');
});
