import { resolveBase, type BaseQuestion, type ResolvedBase, type TagObservation } from '../core/dockerfile/bases';
import { errorMessage } from '../core/errors';
import { localImage } from './docker';
import type { RegistryClient } from './registry/oci-client';

/**
 * One image of this repository, resolved by the base rule: each of its tags
 * looked at in the registry and, when the question allows and `localDocker`
 * is given, in the local engine; then resolveBase decides. docker-build's
 * bases and a prepare step's images go through here alike.
 */
export async function resolveImage(question: BaseQuestion, repoPath: string, client: RegistryClient, localDocker: string | undefined, project: string): Promise<ResolvedBase> {
  const local = question.local && localDocker !== undefined;
  const observations = await Promise.all(question.tags.map((tag) => observeTag(client, repoPath, `${question.name}:${tag}`, tag, local ? localDocker : undefined)));
  return resolveBase({ ...question, local }, observations, project);
}

async function observeTag(client: RegistryClient, repoPath: string, reference: string, tag: string, docker: string | undefined): Promise<TagObservation> {
  const [registry, local] = await Promise.all([
    client.resolve(repoPath, tag).then(
      (found): TagObservation['registry'] => (found ? { kind: 'present', digest: found.digest } : { kind: 'absent' }),
      (error: unknown): TagObservation['registry'] => ({ kind: 'unreadable', reason: errorMessage(error) }),
    ),
    docker === undefined ? Promise.resolve(undefined) : localImage(docker, reference).then((image) => image ?? null),
  ]);
  return { tag, registry, ...(local === undefined ? {} : { local }) };
}
