import { createHash } from 'node:crypto';

const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

export interface ImageInRegistry {
  /** sha256 of the manifest bytes, as the test computes it. */
  digest: string;
  mediaType: string;
  layers: string[];
  labels: Record<string, string>;
}

/**
 * Reads an image back from a registry over the plain Distribution API, with
 * no code of the plugin, so a test proves what really landed there.
 * Undefined when the tag does not exist.
 */
export async function readImage(registryUrl: string, path: string, reference: string): Promise<ImageInRegistry | undefined> {
  const response = await fetch(`${registryUrl}/v2/${path}/manifests/${reference}`, { headers: { Accept: ACCEPT } });
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`GET manifest ${path}:${reference}: HTTP ${response.status}`);
  const bytes = Buffer.from(await response.arrayBuffer());
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const header = response.headers.get('docker-content-digest');
  if (header && header !== digest) throw new Error(`registry says ${header}, bytes hash to ${digest}`);
  const manifest = JSON.parse(bytes.toString('utf8')) as {
    mediaType?: string;
    config?: { digest: string };
    layers?: { digest: string }[];
    manifests?: { digest: string }[];
  };
  const mediaType = response.headers.get('content-type') ?? manifest.mediaType ?? '';
  if (!manifest.config) {
    const first = manifest.manifests?.[0];
    const inner = first ? await readImage(registryUrl, path, first.digest) : undefined;
    return { digest, mediaType, layers: inner?.layers ?? [], labels: inner?.labels ?? {} };
  }
  const blob = await fetch(`${registryUrl}/v2/${path}/blobs/${manifest.config.digest}`);
  if (!blob.ok) throw new Error(`GET config blob of ${path}:${reference}: HTTP ${blob.status}`);
  const config = (await blob.json()) as { config?: { Labels?: Record<string, string> | null } };
  return { digest, mediaType, layers: (manifest.layers ?? []).map((layer) => layer.digest), labels: config.config?.Labels ?? {} };
}

export async function listTags(registryUrl: string, path: string): Promise<string[]> {
  const response = await fetch(`${registryUrl}/v2/${path}/tags/list`);
  if (response.status === 404) return [];
  const body = (await response.json()) as { tags?: string[] | null };
  return body.tags ?? [];
}
