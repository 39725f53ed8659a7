import { CofferError } from '../errors/coffer-error.js';

/**
 * Username and password rules, as CloudHSM has them: usernames up to 31 characters of letters,
 * digits and underscore, case-insensitive (stored lowercase); passwords 8 to 128 characters
 * without control characters. Passwords travel as Buffers so they can be zeroed after use.
 */
export const USERNAME_PATTERN = /^[a-z0-9_]{1,31}$/;
export const PASSWORD_LENGTH = { min: 8, max: 128 } as const;

export function normalizeUsername(input: string): string {
  const username = input.toLowerCase();
  // The input itself must be ASCII: U+212A (KELVIN SIGN) lower-cases to 'k' and would pass.
  if (!USERNAME_PATTERN.test(username) || /[^\x20-\x7e]/.test(input)) throw new CofferError('USERNAME_INVALID');
  return username;
}

export function checkPassword(password: Buffer): void {
  const text = password.toString('utf8');
  const length = [...text].length;
  // eslint-disable-next-line no-control-regex
  const hasControl = /[\u0000-\u001f\u007f]/.test(text);
  if (length < PASSWORD_LENGTH.min || length > PASSWORD_LENGTH.max || hasControl) {
    throw new CofferError('PASSWORD_INVALID');
  }
}
