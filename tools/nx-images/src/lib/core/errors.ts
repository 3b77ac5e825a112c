/** What a problem is about: the thing, and the image it is part of when the thing is not the image itself. */
export interface Subject {
  /** The thing: an image (`base_image`), an option (`nx.json: @fornax/nx-images option tags`), a command (`ci:images`), a flag (`--from="x"`). */
  readonly subject: string;
  /** The image (or image project) the subject belongs to, e.g. `base_image` for `docker-build option tags`; printed before it. */
  readonly image?: string;
}

/** A mistake the user can fix, in its parts: the thing, what is wrong with it, what to do. */
export interface Problem extends Subject {
  /** What is wrong, without the thing's name. */
  readonly problem: string;
  /** What to do about it; the full stop is added when it has none. */
  readonly fix: string;
}

/**
 * An error the user can fix. Its message is one line that names the thing
 * and the fix, rendered here and only here; executors print it as is, with
 * no stack trace.
 */
export class UserError extends Error implements Problem {
  override name = 'UserError';
  readonly subject: string;
  declare readonly image?: string;
  readonly problem: string;
  readonly fix: string;

  constructor(parts: Problem) {
    super(renderProblem(parts));
    this.subject = parts.subject;
    if (parts.image !== undefined) this.image = parts.image;
    this.problem = parts.problem;
    this.fix = parts.fix;
  }
}

/** The one line of a problem: `image: subject: problem: fix.` (the image only when it is not the subject). */
export function renderProblem({ image, subject, problem, fix }: Problem): string {
  const parts = [image, subject, problem, fix].map((part) => oneLine(part ?? '')).filter((part) => part !== '');
  const line = parts.join(': ');
  return /[.!?]$/.test(line) ? line : `${line}.`;
}

/** The message of any thrown value, on one line. */
export function errorMessage(error: unknown): string {
  return oneLine(error instanceof Error ? error.message : String(error));
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
