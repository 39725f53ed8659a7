import { createHash } from 'node:crypto';
import { CofferError } from '../errors/coffer-error.js';

/** The spec's ciphertextDataIntegrityValueAlgorithm values and the hash each names. */
const CDIV_HASHES: Readonly<Record<string, 'sha256'>> = { SHA_256: 'sha256' };

/** The parts the value covers, decoded, each empty when absent (spec, Appendix C). */
export interface IntegrityParts {
  readonly aad: Buffer;
  readonly ciphertextMetadata: Buffer;
  readonly iv: Buffer;
  readonly ciphertext: Buffer;
  readonly tag: Buffer;
}

/**
 * The Ciphertext Data Integrity Value: the base64 hash of additionalAuthenticatedData ‖
 * ciphertextMetadata ‖ initializationVector ‖ ciphertext ‖ authenticationTag. No lengths: it
 * guards against bit flips, not an adversary (the GCM tag does that).
 */
export function integrityValue(algorithm: string, parts: IntegrityParts): string {
  const digest = createHash(integrityHash(algorithm));
  for (const part of [parts.aad, parts.ciphertextMetadata, parts.iv, parts.ciphertext, parts.tag]) digest.update(part);
  return digest.digest('base64');
}

/** The hash an algorithm names; an unknown one is refused before anything is encrypted. */
export function integrityHash(algorithm: string): 'sha256' {
  const hash = CDIV_HASHES[algorithm];
  if (hash === undefined)
    throw new CofferError(
      'MECHANISM_INVALID',
      `ciphertextDataIntegrityValueAlgorithm is one of ${Object.keys(CDIV_HASHES).join(', ')}`,
    );
  return hash;
}
