import { CofferError } from '../../errors/coffer-error.js';
import type { CipherMechanism, Mechanism, MechanismName, SignatureMechanism } from '../types.js';
import { aesGcm } from './aes-gcm.js';
import { ecdsaSha256 } from './ecdsa-sha256.js';
import { rsaPssSha256 } from './rsa-pss-sha256.js';

/** Every mechanism, by name. A new mechanism is one file and one line here. */
const MECHANISMS = {
  AES_GCM: aesGcm,
  ECDSA_SHA256: ecdsaSha256,
  RSA_PKCS_PSS_SHA256: rsaPssSha256,
} as const satisfies Record<MechanismName, Mechanism>;

export const MECHANISM_NAMES = Object.keys(MECHANISMS) as readonly MechanismName[];

export function isMechanismName(name: string): name is MechanismName {
  return Object.prototype.hasOwnProperty.call(MECHANISMS, name);
}

/** The mechanism of a name; MECHANISM_INVALID, listing the known ones, for any other. */
export function mechanism(name: string): Mechanism {
  if (!isMechanismName(name)) {
    throw new CofferError('MECHANISM_INVALID', `known mechanisms are ${MECHANISM_NAMES.join(', ')}`);
  }
  return MECHANISMS[name];
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
