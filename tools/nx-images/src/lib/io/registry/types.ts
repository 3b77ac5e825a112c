/** The registry's shapes that more than one part of the client speaks of: one module, so no two parts import each other. */
export interface Descriptor {
  digest: string;
  mediaType: string;
}

export interface Manifest extends Descriptor {
  /** The manifest exactly as the registry stores it: its digest is over these bytes. */
  bytes: Buffer;
}
