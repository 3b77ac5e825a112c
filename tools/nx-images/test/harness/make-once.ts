import { setTimeout as sleep } from 'node:timers/promises';
import { mkdir, rm, stat } from 'node:fs/promises';

export interface MakeOnce<T> {
  /** A folder whose creation is the lock: mkdir is atomic, so the process that creates it holds it. */
  lock: string;
  /** How old a lock may get before it counts as left by a process that died, and is broken. */
  staleMs: number;
  /** The thing when it is already made (by this process or another), else undefined. */
  made(): T | undefined;
  make(): Promise<T>;
}

/**
 * Makes a cache entry once across the processes of a run (vitest's workers,
 * two runs on one machine): the first to take the lock makes it, the others
 * wait for it and take what it made.
 */
export async function makeOnce<T>({ lock, staleMs, made, make }: MakeOnce<T>): Promise<T> {
  for (;;) {
    const ready = made();
    if (ready !== undefined) return ready;
    if (await takeLock(lock, staleMs)) break;
    await sleep(1000);
  }
  try {
    return made() ?? (await make());
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

async function takeLock(lock: string, staleMs: number): Promise<boolean> {
  try {
    await mkdir(lock);
    return true;
  } catch {
    const age = await stat(lock).then((info) => Date.now() - info.mtimeMs, () => 0);
    if (age > staleMs) await rm(lock, { recursive: true, force: true });
    return false;
  }
}
