import type { ResolvedBase } from '../../lib/core/dockerfile/bases';
import type { RegistryClient } from '../../lib/io/registry/oci-client';
import { resolveImage } from '../../lib/io/resolve-image';
import type { BaseToResolve, NormalizedBuild } from './normalize';

/**
 * Resolves every base of a build on its own: looks at each of its tags in
 * the registry and, when `localDocker` is given (a build that does not push,
 * on a builder that reads the engine's images), in the local engine; then
 * lets resolveBase decide.
 */
export async function resolveBases(build: NormalizedBuild, client: RegistryClient, localDocker: string | undefined): Promise<ResolvedBase[]> {
  return Promise.all(build.bases.map(({ question }: BaseToResolve) => resolveImage(question, `${build.repository}/${question.image}`, client, localDocker, build.project)));
}
