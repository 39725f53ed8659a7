import { CofferError } from '../../errors/coffer-error.js';
import type { MechanismName } from '../types.js';

/** Derived keys are generic secrets: 1 to 800 bytes, as `POST /v1/keys/symmetric` allows. */
export const DERIVED_BYTES = { min: 1, max: 800 } as const;

/** KEY_SIZE_RANGE for a length a derivation cannot produce. */
export function checkDerivedLength(
  lengthBytes: number,
  mechanism: MechanismName,
  max: number = DERIVED_BYTES.max,
): void {
  if (!Number.isInteger(lengthBytes) || lengthBytes < DERIVED_BYTES.min || lengthBytes > max) {
    throw new CofferError('KEY_SIZE_RANGE', `${mechanism} derives ${DERIVED_BYTES.min} to ${max} bytes`);
  }
}
