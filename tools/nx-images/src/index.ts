export { createNodes } from './plugin/create-nodes';
export { branchToTag, isValidTag } from './lib/core/naming/tags';
