import type { SelfTest } from '../types.js';
import { ecdhP256Kat } from './ecdh.js';
import { ecdsaP384VerifyKat } from './ecdsa-p384.js';
import { rsaOaepDecryptKat } from './rsa-oaep.js';
import { rsaPkcs1VerifyKat } from './rsa-pkcs1.js';
import { sp800108Kat } from './sp800-108.js';
import { x963KdfKat } from './x963-kdf.js';

/** Known-answer tests of the asymmetric mechanisms and KDFs (no key generation: they stay fast). */
export const ASYMMETRIC_SELF_TESTS: readonly SelfTest[] = [
  rsaPkcs1VerifyKat(),
  rsaOaepDecryptKat(),
  ecdsaP384VerifyKat(),
  ecdhP256Kat(),
  x963KdfKat(),
  sp800108Kat(),
];
