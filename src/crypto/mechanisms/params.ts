import { CofferError } from '../../errors/coffer-error.js';
import type { MechanismName, MechanismParams } from '../types.js';

export type ParamName = keyof MechanismParams;

/**
 * Refuses every parameter a mechanism does not take (MECHANISM_PARAM_INVALID), so a caller who
 * sends `aad` to AES_CBC or `iv` to AES_CMAC learns it was not used instead of trusting it was.
 */
export function onlyParams(params: MechanismParams, allowed: readonly ParamName[], mechanism: MechanismName): void {
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && !(allowed as readonly string[]).includes(name)) {
      throw new CofferError('MECHANISM_PARAM_INVALID', `${mechanism} takes no ${name}`);
    }
  }
}

/** A required IV of an exact length. */
export function requireIv(iv: Buffer | undefined, bytes: number, mechanism: MechanismName): Buffer {
  if (!Buffer.isBuffer(iv) || iv.length !== bytes) {
    throw new CofferError('MECHANISM_PARAM_INVALID', `${mechanism} iv must be ${bytes} bytes`);
  }
  return iv;
}
