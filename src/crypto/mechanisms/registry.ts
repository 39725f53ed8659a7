import { CofferError } from '../../errors/coffer-error.js';
import type { CipherMechanism, Mechanism, MechanismName, SignatureMechanism } from '../types.js';
import { aesCbc, aesCbcPad } from './aes-cbc.js';
import { aesCmac } from './aes-cmac.js';
import { aesCtr } from './aes-ctr.js';
import { aesGcm } from './aes-gcm.js';
import { aesGcmWrap } from './aes-gcm-wrap.js';
import { aesKeyWrap, aesKeyWrapPad } from './aes-key-wrap.js';
import { ASYMMETRIC_MECHANISMS } from './asymmetric.js';
import { DIGEST_MECHANISMS } from './digest.js';
import { HMAC_MECHANISMS } from './hmac.js';

/**
 * Every mechanism the API offers. A new mechanism is one file and one line here. AES_ECB is
 * not one of them: ECB decrypt undoes an AES_KEY_WRAP blob block by block, so it is no data
 * mechanism; the node keeps the primitive for its own use only (check values, KATs).
 */
const MECHANISMS: readonly Mechanism[] = [
  aesGcm,
  // Asymmetric (RSA, ECDSA, EdDSA, RSA-OAEP/RSA-AES wrap) and derivations (ECDH, HKDF, SP 800-108).
  ...ASYMMETRIC_MECHANISMS,
  // Symmetric: AES modes and AES-CMAC, HMACs, digests, AES key wrapping (AES_GCM again, as 'wrap').
  ...[aesCbc, aesCbcPad, aesCtr, aesCmac, ...HMAC_MECHANISMS, ...DIGEST_MECHANISMS],
  ...[aesKeyWrap, aesKeyWrapPad, aesGcmWrap],
];

/** A name may serve several kinds (AES_GCM encrypts and wraps): look up by kind and name. */
const BY_KIND_AND_NAME: ReadonlyMap<string, Mechanism> = new Map(
  MECHANISMS.map((entry) => [`${entry.kind}:${entry.name}`, entry]),
);

export const MECHANISM_NAMES: readonly MechanismName[] = [...new Set(MECHANISMS.map((entry) => entry.name))];

/** Every registered mechanism, for listing (GET /v1/mechanisms). */
export function allMechanisms(): readonly Mechanism[] {
  return MECHANISMS;
}

export function isMechanismName(name: string): name is MechanismName {
  return MECHANISM_NAMES.includes(name);
}

/** The mechanism of a name, of any kind; MECHANISM_INVALID, listing the known ones, for any other. */
export function mechanism(name: string): Mechanism {
  const found = MECHANISMS.find((entry) => entry.name === name);
  if (!found) throw new CofferError('MECHANISM_INVALID', `known mechanisms are ${MECHANISM_NAMES.join(', ')}`);
  return found;
}

/** The mechanism of a name serving one kind of operation; MECHANISM_INVALID otherwise. */
export function mechanismOfKind<K extends Mechanism['kind']>(name: string, kind: K): Extract<Mechanism, { kind: K }> {
  const found = BY_KIND_AND_NAME.get(`${kind}:${name}`);
  if (found) return found as Extract<Mechanism, { kind: K }>;
  if (isMechanismName(name)) throw new CofferError('MECHANISM_INVALID', `${name} is not a ${kind} mechanism`);
  throw new CofferError('MECHANISM_INVALID', `known mechanisms are ${MECHANISM_NAMES.join(', ')}`);
}

/** A mechanism that must encrypt: MECHANISM_INVALID for a signature mechanism. */
export function cipherMechanism(name: string): CipherMechanism {
  return mechanismOfKind(name, 'cipher');
}

/** A mechanism that must sign: MECHANISM_INVALID for a cipher mechanism. */
export function signatureMechanism(name: string): SignatureMechanism {
  return mechanismOfKind(name, 'signature');
}
