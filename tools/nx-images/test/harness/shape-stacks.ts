import type { MainSpec } from './built-main';

// jupyter/docker-stacks as it is, with the plugin options docs/options.md gives for it: images/<name>,
// ARG BASE_IMAGE=$REGISTRY/$OWNER/<base> and FROM $BASE_IMAGE with no tag at all, no base tag arg, and
// a variant images/pytorch-notebook/cuda12 (test/repository-shape-stacks*.int.test.ts).
export const STACKS_SHAPE: MainSpec = {
  workspace: { tree: 'shape-stacks', pluginOptions: { variants: 'images/*/*/Dockerfile', buildArgs: { registry: 'REGISTRY', repository: 'OWNER', imageTag: '', baseTag: '' } } },
  repository: 'jupyter',
};

export const STACKS_IMAGES = ['base-notebook', 'docker-stacks-foundation', 'pytorch-notebook', 'scipy-notebook'];
