export { branchToTag, isValidTag } from './lib/core/tags';
