import { createPublicKey, type KeyObject } from 'node:crypto';
import { CofferError } from '../../errors/coffer-error.js';
import type { ErrorCode } from '../../errors/registry.js';

/** DER of the id-ecPublicKey OBJECT IDENTIFIER 1.2.840.10045.2.1 (RFC 5480 §2.1.1). */
const EC_PUBLIC_KEY_OID = Buffer.from('06072a8648ce3d0201', 'hex');
const OID_TAG = 0x06;

/** Where the contents of the DER element at `at` begin (short or long length form). */
function contentsAt(der: Buffer, at: number): number {
  const length = der[at + 1] ?? 0;
  return at + 2 + (length & 0x80 ? length & 0x7f : 0);
}

/**
 * Whether an EC key's domain parameters are a named curve, as RFC 5480 §2.1.1 requires
 * ("namedCurve … MUST be present", implicitCurve and specifiedCurve MUST NOT be used). Keys
 * with explicit (specified) parameters are how invalid-curve and cofactor attacks get in, and
 * OpenSSL reports a `namedCurve` for them whenever their numbers match one, so the test is on
 * the encoding OpenSSL holds: the SubjectPublicKeyInfo it writes for the key (of the public
 * half, for a private key) must carry ECParameters as an OBJECT IDENTIFIER.
 */
export function hasNamedCurve(key: KeyObject): boolean {
  if (key.type === 'secret' || key.asymmetricKeyType !== 'ec') return false;
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const algorithm = contentsAt(spki, contentsAt(spki, 0));
  const parameters = algorithm + EC_PUBLIC_KEY_OID.length;
  return spki.subarray(algorithm, parameters).equals(EC_PUBLIC_KEY_OID) && spki[parameters] === OID_TAG;
}

/** Refuses, with `code`, an EC key that does not name its curve. */
export function requireNamedCurve(key: KeyObject, code: ErrorCode): void {
  if (!hasNamedCurve(key)) {
    throw new CofferError(code, 'EC keys must name their curve; explicit curve parameters are refused');
  }
}
