import { errorMessage } from '../core/errors';
import { readBasesLabel } from '../core/dockerfile/bases';
import { mirrorName, type Mirror } from '../core/publish/publish';
import { isValidImageName } from '../core/naming/refs';
import { notifyEndpoints, type NotifyOptions } from './notify';
import { copyImage, copyReferrers } from './registry/copy';
import { createRegistryClient, isIndexMediaType, type FullRegistryClient } from './registry/oci-client';
import { indexPlatforms } from '../core/build/image-index';

/**
 * Publishes one image beyond the primary registry: copies `<image>:<tag>`
 * to every mirror under each tag, registry to registry, then calls the
 * notification endpoints. A failing mirror or endpoint never undoes
 * anything: it is reported, the others go on, and a rerun completes it.
 */

export interface MirrorCopy {
  /** `registry/repository` of the mirror. */
  mirror: string;
  /** The digest the mirror now has under the tags (the primary's). */
  digest?: string;
  /** Tags this run moved there. */
  moved?: string[];
  blobsSent?: number;
  /** Blobs linked from a base's repository on the mirror instead of sent. */
  blobsMounted?: number;
  bytesSent?: number;
  /** What is attached to the image (test results, lock sets): copied now, and already there. */
  artifacts?: { copied: number; present: number };
  /** Why the copy failed, one line. */
  error?: string;
}

export interface PublishRecord {
  image: string;
  /** `registry/repository/image:tag` on the primary. */
  source: string;
  digest?: string;
  tags: string[];
  mirrors: MirrorCopy[];
  /** Calls made (endpoints × tags) and those accepted; the endpoints themselves are never recorded. */
  notified: { calls: number; accepted: number };
  /** Every failure, one line each: what a run must report before it fails. */
  errors: string[];
}

export interface PublishInput {
  image: string;
  primary: Mirror;
  /** The tags to publish; the first is read on the primary, all are written on each mirror. */
  tags: readonly string[];
  mirrors: readonly Mirror[];
  endpoints: readonly URL[];
  /** Call the endpoints always, only when a mirror tag moved, or never. */
  notify: 'always' | 'if-moved' | 'never';
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
  /** A client per registry; default the real one, with the credentials each registry is allowed. */
  clientFor?: (registry: string) => FullRegistryClient;
  notifyOptions?: NotifyOptions;
}

/**
 * The environment a mirror's credentials are looked up in: the primary's
 * REGISTRY_USERNAME/REGISTRY_PASSWORD are never sent to another registry,
 * so a mirror logs in through the Docker config (docker login, a credential
 * helper such as ecr-login).
 */
export function credentialsEnvFor(registry: string, primary: string, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (registry === primary) return env;
  const { REGISTRY_USERNAME: _user, REGISTRY_PASSWORD: _password, ...rest } = env;
  return rest;
}

/**
 * One client per registry, each with the credentials it is allowed
 * (credentialsEnvFor), made once: share it across images so logins and
 * tokens are not fetched again for each.
 */
export function registryClients(primary: string, env: NodeJS.ProcessEnv, log?: (line: string) => void): (registry: string) => FullRegistryClient {
  const clients = new Map<string, FullRegistryClient>();
  return (registry) => {
    let client = clients.get(registry);
    if (!client) {
      client = createRegistryClient({ registry, env: credentialsEnvFor(registry, primary, env), ...(log ? { log } : {}) });
      clients.set(registry, client);
    }
    return client;
  };
}

export async function publishImage(input: PublishInput): Promise<PublishRecord> {
  const log = input.log ?? (() => undefined);
  const clientFor = input.clientFor ?? registryClients(input.primary.registry, input.env ?? process.env, log);
  const [sourceTag = ''] = input.tags;
  const fromRepo = `${input.primary.repository}/${input.image}`;
  const record: PublishRecord = {
    image: input.image,
    source: `${input.primary.registry}/${fromRepo}:${sourceTag}`,
    tags: [...input.tags],
    mirrors: [],
    notified: { calls: 0, accepted: 0 },
    errors: [],
  };
  const from = clientFor(input.primary.registry);
  // Its bases' repositories on a mirror hold most of its layers: those are mounted there, not sent again.
  const bases = readBasesLabel(await from.readLabels(fromRepo, sourceTag).catch(() => undefined))
    .map((base) => base.image)
    .filter((base) => base !== input.image && isValidImageName(base));
  let moved = false;
  for (const mirror of input.mirrors) {
    const name = mirrorName(mirror);
    try {
      const target = { from, fromRepo, to: clientFor(mirror.registry), toRepo: `${mirror.repository}/${input.image}`, log };
      const mountFrom = bases.map((base) => `${mirror.repository}/${base}`);
      const copied = await copyImage({ ...target, reference: sourceTag, tags: input.tags, mountFrom });
      record.digest = copied.digest;
      // The evidence travels with the image: its test results and lock sets, under the same digest.
      const artifacts = await copyReferrers({ ...target, subject: copied.digest });
      // An index's evidence is each platform's: copied to the same platform manifest in the mirror.
      for (const digest of isIndexMediaType(copied.mediaType) ? await platformDigests(from, fromRepo, copied.digest) : []) {
        const ofPlatform = await copyReferrers({ ...target, subject: digest });
        artifacts.copied += ofPlatform.copied;
        artifacts.present += ofPlatform.present;
      }
      const movedTags = copied.tags.filter((tag) => tag.changed).map((tag) => tag.tag);
      moved ||= movedTags.length > 0;
      record.mirrors.push({
        mirror: name,
        digest: copied.digest,
        moved: movedTags,
        blobsSent: copied.blobs.sent,
        blobsMounted: copied.blobs.mounted,
        bytesSent: copied.bytesSent,
        artifacts: { copied: artifacts.copied, present: artifacts.present },
      });
      log(
        `${input.image}: mirror ${name}/${input.image} ${movedTags.length > 0 ? `has ${movedTags.join(', ')}` : `already had ${input.tags.join(', ')}`} at ${copied.digest} (${copied.blobs.sent} blob(s), ${copied.bytesSent} bytes sent; ${copied.blobs.present} already there, ${copied.blobs.mounted} mounted from a base; ${artifacts.copied + artifacts.present} attached artifact(s), ${artifacts.copied} copied now)`,
      );
    } catch (error) {
      const line = `${input.image}: mirror ${name} failed: ${errorMessage(error)}`;
      record.mirrors.push({ mirror: name, error: errorMessage(error) });
      record.errors.push(line);
      log(line);
    }
  }
  record.digest ??= (await from.resolve(fromRepo, sourceTag).catch(() => undefined))?.digest;
  const notify = input.endpoints.length > 0 && (input.notify === 'always' || (input.notify === 'if-moved' && moved));
  if (notify) {
    for (const tag of input.tags) {
      const result = await notifyEndpoints(input.endpoints, input.image, tag, { log, ...input.notifyOptions });
      record.notified.calls += input.endpoints.length;
      record.notified.accepted += result.accepted;
      record.errors.push(...result.failures);
      for (const failure of result.failures) log(failure);
    }
  }
  return record;
}

/** The platform manifests an index lists (attestations left out). */
async function platformDigests(client: FullRegistryClient, repoPath: string, digest: string): Promise<string[]> {
  const index = await client.getManifest(repoPath, digest);
  return indexPlatforms(JSON.parse(index.bytes.toString('utf8')) as unknown).map((entry) => entry.digest);
}
