import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { builtFromChain } from '../../lib/core/image-tests';
import type { WorkspaceSettings } from '../../lib/core/plugin-options';
import { repositoryImages } from '../../lib/core/repository-images';
import { suitesOf, type Suite } from '../../lib/io/image-tests';

/**
 * The suites an image runs: its own tests folder, then, unless told not to,
 * those of the images it is built FROM (its final stage's base, that one's,
 * ...), so an image also keeps its ancestors' promises.
 */
export function imageSuites(input: {
  context: ExecutorContext;
  settings: WorkspaceSettings;
  image: string;
  command?: readonly string[];
  ancestors: boolean;
}): Promise<Suite[]> {
  const { context, settings } = input;
  const rootOf = (image: string) =>
    context.projectsConfigurations?.projects[image]?.root ?? posix.join(posix.dirname(posix.dirname(settings.dockerfiles)), image);
  const finalBaseOf = (image: string): string | undefined => {
    const file = join(context.root, rootOf(image), 'Dockerfile');
    if (!existsSync(file)) return undefined;
    return repositoryImages(readFileSync(file, 'utf8'), settings.buildArgs, undefined, file).finalBase?.image;
  };
  const chain = input.ancestors ? builtFromChain(input.image, finalBaseOf) : [input.image];
  return suitesOf(
    chain.map((name) => ({ name, root: join(context.root, rootOf(name)) })),
    input.command,
  );
}
