/** Options of the `image` generator, as Nx passes them (see schema.json). */
export interface ImageGeneratorSchema {
  name: string;
  /** One image, several comma-separated, or a list: the first is the final stage's base. */
  from?: string | string[];
  description?: string;
  /** The default of the repository arg; empty: the first base's, else another image's. */
  repository?: string;
  /** conda: environment.yml installed with mamba; plain: a Dockerfile to fill in. Default: conda when an image of the repository uses conda. */
  body?: 'conda' | 'plain';
  vendor?: string;
  licenses?: string;
}
