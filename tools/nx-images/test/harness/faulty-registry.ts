import { afterAll, beforeAll, beforeEach } from 'vitest';
import { startFaultProxy, type FaultProxy } from './fault-proxy';
import { startRegistry } from './registry';
import { createWorkspace, type Workspace } from './workspace';

export interface FaultyRegistry {
  /** The real registry; a test may restart it in place (same storage and port). */
  registry: Awaited<ReturnType<typeof startRegistry>>;
  /** A fresh fault-injecting proxy in front of it, for every test. */
  proxy: FaultProxy;
  ws: Workspace;
  /** The workspace's HEAD: the revision a seeded image must carry to be released. */
  head: string;
}

/**
 * Registers the hooks of a test file that releases through a fault proxy:
 * one real registry and workspace for the file, a new proxy for each test.
 * The fields are filled in by the hooks, so read them inside tests.
 */
export function useFaultyRegistry(): FaultyRegistry {
  const fx = {} as FaultyRegistry;
  beforeAll(async () => {
    fx.registry = await startRegistry();
    fx.ws = await createWorkspace();
    fx.head = await fx.ws.git('rev-parse', 'HEAD');
  });
  beforeEach(async () => {
    await fx.proxy?.stop();
    fx.proxy = await startFaultProxy(fx.registry.url);
  });
  afterAll(async () => {
    await fx.proxy?.stop();
    await fx.registry?.stop();
    fx.ws?.cleanup();
  });
  return fx;
}
