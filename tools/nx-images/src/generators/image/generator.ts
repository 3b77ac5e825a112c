import { join } from 'node:path';
import { addProjectConfiguration, generateFiles, type ProjectConfiguration, type Tree } from '@nx/devkit';
import { normalizeOptions, type NormalizedImageOptions } from './normalize';
import type { ImageGeneratorSchema } from './schema';

/** `nx g @fornax/nx-images:image <name> [--from=base_image]`: scaffolds images/<name>. */
export default function imageGenerator(tree: Tree, schema: ImageGeneratorSchema): void {
  // Every check runs before the first write, so a refusal leaves the tree untouched.
  const options = normalizeOptions(tree, schema);
  generateFiles(tree, join(__dirname, 'files'), options.root, {
    ...options,
    labelDescription: dockerfileQuoted(options.description),
  });
  addProjectConfiguration(tree, options.name, imageProject(options));
}

/** The same targets as images/tractor: build after the `from` image, then check and release like every image. */
export function imageProject(options: Pick<NormalizedImageOptions, 'root' | 'from'>): ProjectConfiguration {
  return {
    root: options.root,
    projectType: 'application',
    tags: ['type:image'],
    targets: {
      'docker-build': {
        executor: '@fornax/nx-images:docker-build',
        dependsOn: [{ projects: [options.from], target: 'docker-build', params: 'forward' }],
      },
      'release-check': { executor: '@fornax/nx-images:release-check' },
      release: { executor: '@fornax/nx-images:release' },
    },
  };
}

/** Text safe inside a double-quoted Dockerfile LABEL value: no early quote, no variable expansion. */
export function dockerfileQuoted(text: string): string {
  return text.replace(/[\\"$]/g, (character) => `\\${character}`);
}
