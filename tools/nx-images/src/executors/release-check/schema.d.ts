/** The check takes the release's options, forwarded by Nx (`params: forward`). */
export type { ReleaseExecutorSchema as ReleaseCheckExecutorSchema } from '../release/schema';
