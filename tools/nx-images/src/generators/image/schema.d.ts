/** Options of the `image` generator, as Nx passes them (see schema.json). */
export interface ImageGeneratorSchema {
  name: string;
  from?: string;
  description?: string;
}
