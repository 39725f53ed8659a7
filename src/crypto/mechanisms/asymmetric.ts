import type { Mechanism } from '../types.js';
import { ECDSA_SIGNATURES } from './ecdsa-hash.js';
import { ecdsaRaw } from './ecdsa-raw.js';
import { ecdh1Derive } from './ecdh1-derive.js';
import { eddsa } from './eddsa.js';
import { hkdfDerive } from './hkdf-derive.js';
import { rsaAesKeyWrap } from './rsa-aes-key-wrap.js';
import { rsaOaep } from './rsa-oaep.js';
import { rsaOaepWrap } from './rsa-oaep-wrap.js';
import { rsaPkcs1 } from './rsa-pkcs1-encrypt.js';
import { rsaPkcsPss } from './rsa-pkcs-pss.js';
import { rsaPkcsRawSignature } from './rsa-pkcs-raw-sign.js';
import { RSA_PKCS1_SIGNATURES } from './rsa-pkcs1-sign.js';
import { RSA_PSS_SIGNATURES } from './rsa-pss.js';
import { sp800108CounterKdf } from './sp800-108-counter-kdf.js';

/**
 * The asymmetric mechanisms and the key derivations, for the registry: RSA and EC signatures,
 * Ed25519, RSA encryption and wrapping, ECDH and the KDFs over generic secrets.
 */
export const ASYMMETRIC_MECHANISMS: readonly Mechanism[] = [
  ...Object.values(RSA_PKCS1_SIGNATURES),
  ...Object.values(RSA_PSS_SIGNATURES),
  rsaPkcsRawSignature,
  rsaPkcsPss,
  ...Object.values(ECDSA_SIGNATURES),
  ecdsaRaw,
  eddsa,
  rsaOaep,
  rsaOaepWrap,
  rsaPkcs1,
  rsaAesKeyWrap,
  ecdh1Derive,
  hkdfDerive,
  sp800108CounterKdf,
];
