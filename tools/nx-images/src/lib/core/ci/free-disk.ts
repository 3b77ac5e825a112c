import { isAbsolute } from 'node:path';
import { UserError } from '../errors';

/** What a hosted ubuntu runner carries that no image build here needs (upstream's list). */
export const RUNNER_TOOLCHAINS = [
  '/usr/share/dotnet',
  '/usr/local/lib/android',
  '/usr/local/share/android-sdk',
  '/usr/share/swift',
  '/opt/ghc',
  '/usr/local/.ghcup',
  '/opt/hostedtoolcache/CodeQL',
  '/usr/local/share/boost',
  '/usr/local/share/powershell',
  '/opt/microsoft',
];

/** The folders to remove: FREE_DISK_PATHS, else the runner's toolchains; each absolute and not / itself. */
export function pathsToFree(value: string | undefined): string[] {
  if (value === undefined || value.trim() === '') return RUNNER_TOOLCHAINS;
  const paths = value
    .split(/[,\n]/)
    .map((path) => path.trim())
    .filter((path) => path !== '');
  for (const path of paths) {
    if (!isAbsolute(path) || path.replace(/\/+$/, '') === '' || path.includes('..')) {
      throw new UserError({ subject: 'ci:free-disk', problem: `FREE_DISK_PATHS entry ${JSON.stringify(path)} is not an absolute folder below /`, fix: 'give absolute paths such as /usr/share/dotnet' });
    }
  }
  return paths;
}
