import { resolve } from 'node:path';

/** The repository this test suite lives in. */
export const repoRoot = resolve(__dirname, '../../../..');

export interface RunOutput {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved. */
  all: string;
}

/** This process's environment without the GitHub and image variables a test must set itself. */
export function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (/^(GITHUB_|IMAGE_|REGISTRY_|NX_|RUNNER_)/.test(name)) continue;
    env[name] = value;
  }
  return env;
}
