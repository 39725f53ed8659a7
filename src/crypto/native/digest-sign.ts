import type { KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HashName } from '../types.js';

/**
 * Signatures over a digest the caller made (PKCS#11 CKM_RSA_PKCS_PSS and CKM_ECDSA). node:crypto
 * hashes whatever it signs, so these go to Coffer's native addon (native/), which calls the same
 * OpenSSL inside Node: EVP_PKEY_sign and EVP_PKEY_verify on the libuv pool. No padding or
 * curve arithmetic is Coffer's own.
 */

/** A key the addon parsed: an opaque external owning an EVP_PKEY, freed when it is collected. */
declare const nativeKeyBrand: unique symbol;
interface NativeKey {
  readonly [nativeKeyBrand]: true;
}

interface DigestSignAddon {
  loadPrivateKey(pkcs8Der: Buffer): NativeKey;
  loadPublicKey(spkiDer: Buffer): NativeKey;
  signPss(key: NativeKey, digest: Buffer, hash: HashName, mgf1Hash: HashName, saltLength: number): Promise<Buffer>;
  verifyPss(
    key: NativeKey,
    digest: Buffer,
    signature: Buffer,
    hash: HashName,
    mgf1Hash: HashName,
    saltLength: number,
  ): Promise<boolean>;
  signEcdsa(key: NativeKey, digest: Buffer, raw: boolean): Promise<Buffer>;
  verifyEcdsa(key: NativeKey, digest: Buffer, signature: Buffer, raw: boolean): Promise<boolean>;
}

const ADDON_FILE = join('native', 'build', 'coffer_digest_sign.node');
/** The addon refuses signatures longer than this (an RSA-8192 signature is 1024 bytes). */
const SIGNATURE_MAX_BYTES = 1024;

/** The repository's native/build, found upwards from this file (src/… or dist/src/…). */
function addonPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let level = 0; level < 6; level++, dir = dirname(dir)) {
    const candidate = join(dir, ADDON_FILE);
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`the native addon ${ADDON_FILE} is not built: run make build`);
}

let loaded: DigestSignAddon | undefined;

/** Loaded on first use, so commands that never sign need no addon. */
function addon(): DigestSignAddon {
  loaded ??= createRequire(import.meta.url)(addonPath()) as DigestSignAddon;
  return loaded;
}

/**
 * Each KeyObject's parsed key, kept as long as the KeyObject lives: OpenSSL 3.0 takes about a
 * millisecond to parse a PKCS#8 key, several times the cost of a P-256 signature. The export's
 * bytes are zeroed once parsed; the addon reads them in place and copies nothing.
 */
const NATIVE_KEYS = new WeakMap<KeyObject, NativeKey>();

function nativeKey(key: KeyObject): NativeKey {
  const known = NATIVE_KEYS.get(key);
  if (known !== undefined) return known;
  let parsed: NativeKey;
  if (key.type === 'private') {
    const der = key.export({ type: 'pkcs8', format: 'der' });
    try {
      parsed = addon().loadPrivateKey(der);
    } finally {
      der.fill(0);
    }
  } else {
    parsed = addon().loadPublicKey(key.export({ type: 'spki', format: 'der' }));
  }
  NATIVE_KEYS.set(key, parsed);
  return parsed;
}

/** A signature the addon would refuse to read is one that does not verify. */
function readable(signature: Buffer): boolean {
  return Buffer.isBuffer(signature) && signature.length > 0 && signature.length <= SIGNATURE_MAX_BYTES;
}

/** RSA-PSS choices: the digest's hash, MGF1's hash and the salt length in bytes. */
export interface PssChoice {
  readonly hash: HashName;
  readonly mgf1Hash: HashName;
  readonly saltLength: number;
}

/** RSASSA-PSS over `digest`, which must be `hash`'s length. */
export function signPssDigest(key: KeyObject, digest: Buffer, choice: PssChoice): Promise<Buffer> {
  return addon().signPss(nativeKey(key), digest, choice.hash, choice.mgf1Hash, choice.saltLength);
}

/** False for a signature that does not verify with exactly these choices (the salt length too). */
export async function verifyPssDigest(
  key: KeyObject,
  digest: Buffer,
  signature: Buffer,
  choice: PssChoice,
): Promise<boolean> {
  if (!readable(signature)) return false;
  return addon().verifyPss(nativeKey(key), digest, signature, choice.hash, choice.mgf1Hash, choice.saltLength);
}

/** ECDSA signature encodings: PKCS#11's r‖s (each at the order's size) or DER. */
export type EcdsaEncoding = 'p1363' | 'der';

/** ECDSA over `digest` (1 to 64 bytes; its leftmost bits up to the order's size are used). */
export function signEcdsaDigest(key: KeyObject, digest: Buffer, encoding: EcdsaEncoding): Promise<Buffer> {
  return addon().signEcdsa(nativeKey(key), digest, encoding === 'p1363');
}

/** False for a signature that is malformed (not strict DER, or r‖s of the wrong size) or does not verify. */
export async function verifyEcdsaDigest(
  key: KeyObject,
  digest: Buffer,
  signature: Buffer,
  encoding: EcdsaEncoding,
): Promise<boolean> {
  if (!readable(signature)) return false;
  return addon().verifyEcdsa(nativeKey(key), digest, signature, encoding === 'p1363');
}
