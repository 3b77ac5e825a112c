/** Options of the `init` generator, as Nx passes them (see schema.json). Every one answers a value detection may leave undecided. */
export interface InitGeneratorSchema {
  registry?: string;
  repository?: string;
  defaultBranch?: string;
  dockerfiles?: string;
  variants?: string;
  registryArg?: string;
  repositoryArg?: string;
  imageTagArg?: string;
  baseTagArg?: string;
  selfNames?: string;
  platforms?: string;
  testsPath?: string;
  testsRun?: 'image' | 'host';
  force?: boolean;
}
