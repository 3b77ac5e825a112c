import { errorMessage } from '../core/errors';
import { parseReference } from '../core/naming/refs';
import { platformEntry } from '../core/naming/platforms';
import { createRegistryClient, isIndexMediaType, type RegistryClient } from './registry/oci-client';

/** An image from outside this repository that a build reads (ubuntu:24.04, quay.io/jupyter/...), as resolved for one build. */
export interface OutsideBase {
  /** The reference as the Dockerfile reads it, its args substituted. */
  reference: string;
  /** The digest its tag names now (an index, for a multi-platform image). */
  digest?: string;
  /** The platform the build reads and, for an index, that platform's manifest: what a refresh compares. */
  platform?: string;
  platformDigest?: string;
  /** Written with a digest in the Dockerfile: it never moves. */
  pinned?: true;
  /** Why it could not be resolved (then the build reads it by its tag, as Docker does). */
  error?: string;
}

/**
 * Resolves each outside reference in its own registry (Docker Hub when it
 * names none): the digest its tag names, and for an index the manifest of
 * `platform`. A reference pinned by digest is taken as written. One that
 * cannot be read is returned with the reason, never thrown: a build can
 * still read it by its tag.
 */
export async function resolveOutside(references: readonly string[], platform: string, env: NodeJS.ProcessEnv): Promise<OutsideBase[]> {
  const clients = new Map<string, RegistryClient>();
  const clientFor = (registry: string) => {
    let client = clients.get(registry);
    if (!client) {
      client = createRegistryClient({ registry, env, retry: { attempts: 2 }, timeoutMs: 30_000 });
      clients.set(registry, client);
    }
    return client;
  };
  return Promise.all(
    [...new Set(references)].map(async (reference): Promise<OutsideBase> => {
      const parsed = parseReference(reference);
      if (parsed.digest) return { reference, digest: parsed.digest, pinned: true };
      try {
        const client = clientFor(parsed.registry);
        const manifest = await client.getManifest(parsed.path, parsed.tag ?? 'latest');
        if (!isIndexMediaType(manifest.mediaType)) return { reference, digest: manifest.digest, platform };
        const child = platformEntry(JSON.parse(manifest.bytes.toString('utf8')) as unknown, platform);
        return { reference, digest: manifest.digest, platform, ...(child ? { platformDigest: child } : {}) };
      } catch (error) {
        return { reference, error: errorMessage(error) };
      }
    }),
  );
}
