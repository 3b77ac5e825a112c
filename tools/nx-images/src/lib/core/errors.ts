/**
 * An error the user can fix. Its message is one line that names the thing
 * and the fix; executors print it as is, with no stack trace.
 */
export class UserError extends Error {
  override name = 'UserError';
}

/** The message of any thrown value, on one line. */
export function errorMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
