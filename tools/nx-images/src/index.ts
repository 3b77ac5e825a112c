export { branchToTag, isValidTag } from './lib/tags';
