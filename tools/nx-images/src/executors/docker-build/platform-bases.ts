import type { ResolvedBase } from '../../lib/core/dockerfile/bases';
import { UserError } from '../../lib/core/errors';
import { configPlatform, indexPlatforms } from '../../lib/core/build/image-index';
import { platformEntry, platformKey, platformOf, type Platform } from '../../lib/core/naming/platforms';
import { MAX_CONFIG_BYTES } from '../../lib/io/registry/transport';
import { isIndexMediaType, type FullRegistryClient } from '../../lib/io/registry/oci-client';
import type { NormalizedBuild } from './normalize';

/**
 * The bases of a build for one platform: a base in the registry that is an
 * index is read (pinned, labelled, recorded) as that platform's manifest in
 * it; a base that lacks the platform refuses the build before anything is
 * built, in one line. An image builds for fewer platforms than its bases,
 * never more. A base in the local engine is the engine's one platform.
 */
export async function basesForPlatform(build: NormalizedBuild, resolved: readonly ResolvedBase[], client: FullRegistryClient, platform: string): Promise<ResolvedBase[]> {
  return Promise.all(
    resolved.map(async (base): Promise<ResolvedBase> => {
      if (base.source !== 'registry' || !base.digest) return base;
      const repoPath = `${build.repository}/${base.image}`;
      const manifest = await client.getManifest(repoPath, base.digest);
      const parsed = JSON.parse(manifest.bytes.toString('utf8')) as unknown;
      if (isIndexMediaType(manifest.mediaType)) {
        const child = platformEntry(parsed, platform);
        if (!child) throw lacks(build, base, platform, indexPlatforms(parsed).map((entry) => platformOf(entry.platform)));
        return { ...base, digest: child, note: `${base.note}; its ${platform} manifest is ${child}` };
      }
      const has = await manifestPlatform(client, repoPath, parsed);
      if (has && platformKey(platformOf(has)) !== platformKey(platform)) throw lacks(build, base, platform, [platformOf(has)]);
      return base;
    }),
  );
}

function lacks(build: NormalizedBuild, base: ResolvedBase, platform: string, has: readonly string[]): UserError {
  return new UserError({
    subject: build.project,
    problem: `asks for ${platform}, which its base ${base.reference} lacks (it has ${has.join(', ') || 'no platform'})`,
    fix: `build ${base.image} for ${platform} too (its platforms option), or leave ${platform} out of ${build.project}'s platforms`,
  });
}

/** The platform one image manifest is for, as its config says; undefined when it names no config or no platform. */
export async function manifestPlatform(client: FullRegistryClient, repoPath: string, manifest: unknown): Promise<Platform | undefined> {
  const configDigest = (manifest as { config?: { digest?: unknown } }).config?.digest;
  if (typeof configDigest !== 'string') return undefined;
  return configPlatform(JSON.parse((await client.getBlob(repoPath, configDigest, MAX_CONFIG_BYTES)).toString('utf8')) as unknown);
}
