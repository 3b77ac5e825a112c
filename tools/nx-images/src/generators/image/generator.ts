import { join, posix } from 'node:path';
import { generateFiles, type Tree } from '@nx/devkit';
import { normalizeOptions, type NormalizedImageOptions } from './normalize';
import type { ImageGeneratorSchema } from './schema';

/**
 * `nx g @fornax/nx-images:image <name> [--from=base_image[,other,...]]`:
 * scaffolds images/<name>. No project.json: the plugin infers the project
 * from the Dockerfile, and its task dependencies from the FROM lines.
 */
export default function imageGenerator(tree: Tree, schema: ImageGeneratorSchema): void {
  // Every check runs before the first write, so a refusal leaves the tree untouched.
  const options = normalizeOptions(tree, schema);
  const values = {
    ...options,
    ...dockerfileParts(options),
    fromRoots: options.from.map((image) => posix.join(posix.dirname(options.root), image)),
    labelDescription: dockerfileQuoted(options.description),
    labelVendor: dockerfileQuoted(options.vendor),
    labelLicenses: dockerfileQuoted(options.licenses),
    testFileName: posix.basename(options.testFile),
  };
  generateFiles(tree, join(__dirname, 'files', 'image'), options.root, values);
  if (options.body === 'conda') generateFiles(tree, join(__dirname, 'files', 'conda'), options.root, values);
  // Where the workspace's tests rule looks, which need not be inside the image's folder.
  generateFiles(tree, join(__dirname, 'files', options.testRun === 'host' ? 'tests-host' : 'tests-image'), posix.dirname(options.testFile), values);
}

/** The head of the new Dockerfile in the workspace's arg convention: the ARGs, one named stage per extra image, the final FROM. */
export function dockerfileParts(options: Pick<NormalizedImageOptions, 'from' | 'repository' | 'registry' | 'buildArgs' | 'defaultBranch'>) {
  const { registry, repository, baseTag } = options.buildArgs;
  const ref = (image: string) => `${registry ? `\${${registry}}/` : ''}\${${repository}}/${image}${baseTag ? `:\${${baseTag}}` : ''}`;
  const [first = '', ...others] = options.from;
  const args = [...(registry ? [`ARG ${registry}=${options.registry}`] : []), `ARG ${repository}=${options.repository}`, ...(baseTag ? [`ARG ${baseTag}=${options.defaultBranch}`] : [])];
  const head = [...args, ...others.map((image) => `FROM ${ref(image)} AS ${stageName(image)}`), `FROM ${ref(first)}`];
  const names = [registry, repository, baseTag].filter((name) => name !== '');
  return {
    head: head.join('\n'),
    argsAgain: names.map((name) => `ARG ${name}`).join('\n'),
    argNames: names.join(', '),
    baseRef: ref(first),
    fromSentence: others.length > 0 ? `the ${first} image with files from ${others.join(', ')}` : `the ${first} image of this repository`,
    copyExamples: others.map((image) => `COPY --from=${stageName(image)} /path/in/${image} /path/in/this/image`),
  };
}

/** A stage name for an image, as the real tree writes them: env-heasoft -> env_heasoft. */
function stageName(image: string): string {
  return image.replace(/[.-]/g, '_');
}

/** Text safe inside a double-quoted Dockerfile LABEL value: no early quote, no variable expansion. */
export function dockerfileQuoted(text: string): string {
  return text.replace(/[\\"$]/g, (character) => `\\${character}`);
}
