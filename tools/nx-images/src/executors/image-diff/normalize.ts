import { UserError } from '../../lib/core/errors';
import { variantTag } from '../../lib/core/naming/refs';
import { isValidTag } from '../../lib/core/naming/tags';

/** A manifest digest as a registry names it. */
const DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

/** One side of image-diff as the registry reads it: a digest as given, a tag with the variant's prefix; `target` names the running target in a mistake. */
export function diffReference(value: string, variant: string | undefined, option: '--from' | '--to', target: string): string {
  const text = value.trim();
  if (DIGEST.test(text)) return text;
  if (!isValidTag(text)) {
    throw new UserError({ subject: `${target} ${option}`, problem: `${JSON.stringify(value)} is neither a tag nor a digest`, fix: 'give a tag (e.g. main, v1.0.0) or sha256:<64 hex digits>' });
  }
  return variantTag(variant, text);
}
