import type { SignatureMechanism } from '../types.js';
import { RSA_PSS_SIGNATURES } from './rsa-pss.js';

/** SHA256_RSA_PKCS_PSS, the first PSS mechanism; the family lives in rsa-pss.ts. */
export const rsaPssSha256: SignatureMechanism = RSA_PSS_SIGNATURES.sha256;
