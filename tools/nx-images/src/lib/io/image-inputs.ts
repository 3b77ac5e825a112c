import { buildInputs, type BuildInputs } from '../core/inputs/build-inputs';
import { imageBuildSpec } from '../core/inputs/image-spec';
import type { ProjectLike } from '../core/graph/image-project';
import { treeAtCommit } from './input-trees';

/**
 * What an image's build reads at a commit of the workspace, as the CI plan
 * computes it for every image (ci/plan-inputs.ts): docker-build labels the
 * image with its digest, which the next plan compares; undefined when the
 * commit has no such Dockerfile or git cannot be read.
 */
export async function inputsAtHead(workspaceRoot: string, commit: string, project: ProjectLike, otherRoots: readonly string[]): Promise<BuildInputs | undefined> {
  try {
    return buildInputs(imageBuildSpec(project, otherRoots), await treeAtCommit(workspaceRoot, commit));
  } catch {
    return undefined;
  }
}
