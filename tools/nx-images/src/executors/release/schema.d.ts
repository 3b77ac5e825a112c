/** Options of the `release` executor, which `release-check` shares (schema.json is both executors' schema). */
export type { ReleaseOptions as ReleaseExecutorSchema } from '../../lib/io/release-options';
