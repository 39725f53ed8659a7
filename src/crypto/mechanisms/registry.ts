import { CofferError } from '../../errors/coffer-error.js';
import type { CipherMechanism, Mechanism, MechanismName, SignatureMechanism } from '../types.js';
import { aesGcm } from './aes-gcm.js';
import { ecdsaSha256 } from './ecdsa-sha256.js';
import { rsaPssSha256 } from './rsa-pss-sha256.js';

/** Every mechanism. A new mechanism is one file and one line here. */
const MECHANISMS: readonly Mechanism[] = [aesGcm, ecdsaSha256, rsaPssSha256];

const BY_NAME: ReadonlyMap<MechanismName, Mechanism> = new Map(MECHANISMS.map((entry) => [entry.name, entry]));

export const MECHANISM_NAMES: readonly MechanismName[] = [...BY_NAME.keys()];

export function isMechanismName(name: string): name is MechanismName {
  return BY_NAME.has(name);
}

/** The mechanism of a name; MECHANISM_INVALID, listing the known ones, for any other. */
export function mechanism(name: string): Mechanism {
  const found = BY_NAME.get(name);
  if (!found) throw new CofferError('MECHANISM_INVALID', `known mechanisms are ${MECHANISM_NAMES.join(', ')}`);
  return found;
}

/** A mechanism that must encrypt: MECHANISM_INVALID for a signature mechanism. */
export function cipherMechanism(name: string): CipherMechanism {
  const found = mechanism(name);
  if (found.kind !== 'cipher') throw new CofferError('MECHANISM_INVALID', `${name} does not encrypt`);
  return found;
}

/** A mechanism that must sign: MECHANISM_INVALID for a cipher mechanism. */
export function signatureMechanism(name: string): SignatureMechanism {
  const found = mechanism(name);
  if (found.kind !== 'signature') throw new CofferError('MECHANISM_INVALID', `${name} does not sign`);
  return found;
}
