import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The arm64 static busybox the multi-platform fixtures copy (FROM scratch,
 * built and run under QEMU): FORNAX_ARM64_BUSYBOX, which .ci/run sets, else
 * where .ci/run puts it. A machine without it fails the test with the fix.
 */
export function arm64Busybox(env: NodeJS.ProcessEnv = process.env): string {
  const path = env.FORNAX_ARM64_BUSYBOX || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'fornax', 'arm64', 'bin', 'busybox');
  if (!existsSync(path)) throw new Error(`no arm64 static busybox at ${path}: run .ci/run once (it installs QEMU and fetches busybox-static:arm64), or set FORNAX_ARM64_BUSYBOX`);
  return path;
}
