import type { Reporter, TestModule } from 'vitest/node';

/** How many files the closing list names. */
const SHOWN = 10;

/**
 * A vitest reporter that ends the run with its ten slowest test files: the
 * time each spent in its tests and hooks (set-up such as a shared fixture
 * build included), so the file to look at next is named after every run.
 */
export default class SlowestFiles implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const rows = testModules
      .map((module) => ({ file: module.relativeModuleId, project: module.project.name, seconds: module.diagnostic().duration / 1000 }))
      .sort((a, b) => b.seconds - a.seconds)
      .slice(0, SHOWN);
    if (rows.length === 0) return;
    const width = Math.max(...rows.map((row) => row.file.length));
    const lines = rows.map((row) => `  ${row.seconds.toFixed(1).padStart(6)} s  ${row.file.padEnd(width)}  (${row.project})`);
    console.log(`\nThe ${rows.length} slowest test files:\n${lines.join('\n')}\n`);
  }
}
