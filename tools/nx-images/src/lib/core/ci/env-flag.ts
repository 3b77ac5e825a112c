import { UserError } from '../errors';

/**
 * A yes/no variable of the environment: unset or empty means `fallback`;
 * true/1/yes and false/0/no (any case) mean what they say; anything else
 * is a one-line error naming the variable, never a silent "no".
 */
export function envFlag(name: string, value: string | undefined, fallback = false): boolean {
  const text = value?.trim() ?? '';
  if (text === '') return fallback;
  if (/^(true|1|yes)$/i.test(text)) return true;
  if (/^(false|0|no)$/i.test(text)) return false;
  throw new UserError({ subject: name, problem: `${JSON.stringify(value)} is neither true nor false`, fix: `set it to true or false, or leave it unset (${fallback})` });
}
