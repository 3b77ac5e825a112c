/** Options of the `image` generator, as Nx passes them (see schema.json). */
export interface ImageGeneratorSchema {
  name: string;
  /** One image, several comma-separated, or a list: the first is the final stage's base. */
  from?: string | string[];
  description?: string;
}
