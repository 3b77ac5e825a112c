import { IMAGE_PROJECT_TAG, TARGET } from './conventions';
import { PLUGIN_NAME } from './plugin-options';

/** The parts of an Nx project configuration this module reads and writes. */
export interface ProjectLike {
  root?: string;
  name?: string;
  tags?: string[];
  targets?: Record<string, { dependsOn?: readonly unknown[]; [key: string]: unknown } | undefined>;
  metadata?: Record<string, unknown>;
}

/**
 * What makes a project an image, the one definition every part uses: the
 * plugin's inference tags each Dockerfile's project `type:image`.
 */
export function isImageProject(project: Pick<ProjectLike, 'tags'>): boolean {
  return (project.tags ?? []).includes(IMAGE_PROJECT_TAG);
}

/**
 * The project one Dockerfile makes: named after its folder, tagged
 * `type:image`, with the image targets. `takesFrom` (the images of this
 * repository its Dockerfile reads) become task dependencies of docker-build,
 * never project-graph edges, so a change to a base does not make the images
 * built from it affected.
 */
export function inferImageProject(name: string, dockerfile: string, takesFrom: readonly string[], hasTests = false) {
  const from = takesFrom.length > 0 ? `; builds after ${takesFrom.join(', ')}, which its Dockerfile reads` : '';
  return {
    name,
    projectType: 'application' as const,
    tags: [IMAGE_PROJECT_TAG],
    metadata: { description: `Container image built from ${dockerfile}`, technologies: ['docker'] },
    targets: {
      [TARGET.build]: {
        executor: `${PLUGIN_NAME}:${TARGET.build}`,
        cache: false,
        dependsOn: takesFrom.map((image) => ({ projects: [image], target: TARGET.build, params: 'forward' as const })),
        metadata: {
          description: `Build the image and push it or load it into the local engine${from}.`,
          technologies: ['docker'],
          // Kept apart from dependsOn, so a project.json that replaces dependsOn without "..." is caught.
          takesFrom: [...takesFrom],
        },
      },
      [TARGET.releaseCheck]: {
        executor: `${PLUGIN_NAME}:${TARGET.releaseCheck}`,
        cache: false,
        metadata: { description: 'Check, writing nothing, that the image can be released.', technologies: ['docker'] },
      },
      ...(hasTests
        ? {
            [TARGET.test]: {
              executor: `${PLUGIN_NAME}:${TARGET.test}`,
              cache: false,
              // The image is built first (and what it takes from), then tested by its ID.
              dependsOn: [{ target: TARGET.build, params: 'forward' as const }],
              metadata: { description: 'Run the image\'s tests (and those of the images it is built FROM) inside the image.', technologies: ['docker'] },
            },
          }
        : {}),
      [TARGET.release]: {
        executor: `${PLUGIN_NAME}:${TARGET.release}`,
        cache: false,
        // All or nothing: no image is released until every image passed its check.
        dependsOn: [{ projects: [`tag:${IMAGE_PROJECT_TAG}`], target: TARGET.releaseCheck, params: 'forward' as const }],
        metadata: { description: 'Give the image the release tags inside the registry.', technologies: ['docker'] },
      },
      [TARGET.publish]: {
        executor: `${PLUGIN_NAME}:${TARGET.publish}`,
        cache: false,
        metadata: { description: 'Copy a tag of the image to every mirror, registry to registry, and call the notification endpoints.', technologies: ['docker'] },
      },
    },
  };
}

/** The images of this repository the project's Dockerfile reads, as the inference recorded them. */
export function dockerfileDependencies(project: ProjectLike): string[] {
  const metadata = project.targets?.[TARGET.build]?.metadata as { takesFrom?: unknown } | undefined;
  return Array.isArray(metadata?.takesFrom) ? metadata.takesFrom.filter((name): name is string => typeof name === 'string') : [];
}

/**
 * The images a project's docker-build waits for: every project named in a
 * `dependsOn` entry for the docker-build target, whether the inference put
 * it there (from the Dockerfile) or a project.json added it.
 */
export function buildDependencies(project: ProjectLike): string[] {
  const entries = project.targets?.[TARGET.build]?.dependsOn ?? [];
  const images: string[] = [];
  for (const entry of entries) {
    if (typeof entry === 'string') {
      // "<project>:docker-build"; "docker-build" alone or "^docker-build" names no other image.
      const match = /^([^:^]+):(.+)$/.exec(entry);
      if (match?.[1] && match[2] === TARGET.build) images.push(match[1]);
      continue;
    }
    if (typeof entry !== 'object' || entry === null) continue;
    const { projects, target } = entry as { projects?: unknown; target?: unknown };
    if (target !== TARGET.build) continue;
    const names = typeof projects === 'string' ? [projects] : Array.isArray(projects) ? projects : [];
    for (const name of names) if (typeof name === 'string' && !images.includes(name)) images.push(name);
  }
  return images;
}
