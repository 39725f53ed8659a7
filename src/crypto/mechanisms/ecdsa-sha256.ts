import type { SignatureMechanism } from '../types.js';
import { ECDSA_SIGNATURES } from './ecdsa-hash.js';

/** ECDSA_SHA256, the first ECDSA mechanism; the family lives in ecdsa-hash.ts. */
export const ecdsaSha256: SignatureMechanism = ECDSA_SIGNATURES.sha256;
