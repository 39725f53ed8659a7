import { createPublicKey, diffieHellman, type KeyObject } from 'node:crypto';
import { CofferError } from '../../errors/coffer-error.js';
import { checkDerivedLength } from '../kdf/derive-length.js';
import { hkdfAsync } from '../kdf/hkdf-async.js';
import { x963Kdf } from '../kdf/x963.js';
import { publicKeyFromPoint } from '../keys/ec-key-bytes.js';
import { hasNamedCurve } from '../keys/ec-named-curve.js';
import type { DeriveMechanism, HashName, MechanismParams } from '../types.js';
import { HKDF_MAX_PARAM_BYTES } from './hkdf-derive.js';
import { requireKey } from './key-requirements.js';
import { acceptOnly, bufferParam, hashParam, type ParamName } from './asymmetric-params.js';

const NAME = 'ECDH1_DERIVE';

/** An SPKI DER of P-521 is 158 bytes; anything far larger is not a public key. */
const MAX_PUBLIC_KEY_BYTES = 1024;

/** The parameters each KDF takes besides `publicKey` and `kdf`. */
const KDF_PARAMS = {
  null: [],
  x963: ['hash', 'sharedInfo'],
  hkdf: ['hash', 'salt', 'info'],
} as const satisfies Record<string, readonly ParamName[]>;

type Kdf = keyof typeof KDF_PARAMS;

function paramError(detail: string, cause?: unknown): CofferError {
  return new CofferError('MECHANISM_PARAM_INVALID', `${NAME} ${detail}`, { cause });
}

function kdfParam(params: MechanismParams): Kdf {
  const kdf: unknown = params.kdf ?? 'null';
  if (kdf !== 'null' && kdf !== 'x963' && kdf !== 'hkdf') throw paramError('kdf is null, x963 or hkdf');
  return kdf;
}

/** The peer's public key, SPKI DER (naming its curve) or an uncompressed point, on the base key's curve. */
function peerKey(params: MechanismParams, baseKey: KeyObject): KeyObject {
  const bytes = bufferParam(params, 'publicKey', MAX_PUBLIC_KEY_BYTES, NAME);
  if (bytes === undefined || bytes.length === 0) throw paramError('needs the peer publicKey');
  let peer: KeyObject;
  try {
    peer =
      bytes[0] === 0x04
        ? publicKeyFromPoint(bytes, baseKey)
        : createPublicKey({ key: bytes, format: 'der', type: 'spki' });
  } catch (error) {
    throw paramError('publicKey is not a valid EC public key', error);
  }
  const curve = baseKey.asymmetricKeyDetails?.namedCurve;
  if (peer.asymmetricKeyType !== 'ec' || peer.asymmetricKeyDetails?.namedCurve !== curve) {
    throw paramError('publicKey must be on the base key curve');
  }
  // OpenSSL names the curve of explicit parameters that match one; the encoding must name it.
  if (!hasNamedCurve(peer)) throw paramError('publicKey must name its curve (explicit curve parameters are refused)');
  return peer;
}

/** The shared secret Z (SEC 1 §3.3.1: the x-coordinate). Synchronous: node has no callback form. */
function sharedSecret(privateKey: KeyObject, publicKey: KeyObject): Buffer {
  try {
    return diffieHellman({ privateKey, publicKey });
  } catch (error) {
    throw paramError('key agreement failed', error);
  }
}

/**
 * CKM_ECDH1_DERIVE: ECDH with the base EC private key and the peer's `publicKey`, then `kdf`:
 * 'null' (PKCS#11 CKD_NULL: Z itself, its leading bytes when shorter), 'x963' (ANSI X9.63 with
 * `hash`, default sha256, and `sharedInfo`) or 'hkdf' (RFC 5869 with `hash`, `salt`, `info`).
 * Z is zeroed once used.
 */
class Ecdh1Derive implements DeriveMechanism {
  readonly name = NAME;
  readonly kind = 'derive' as const;
  readonly keyTypes = ['ec'] as const;
  readonly keyClasses = { derive: 'private' } as const;

  async derive(baseKey: KeyObject, params: MechanismParams, lengthBytes: number): Promise<Buffer> {
    requireKey(baseKey, 'ec', ['private'], NAME);
    const kdf = kdfParam(params);
    acceptOnly(params, ['publicKey', 'kdf', ...KDF_PARAMS[kdf]], NAME);
    const hash: HashName = hashParam(params, 'sha256', NAME);
    const sharedInfo = bufferParam(params, 'sharedInfo', HKDF_MAX_PARAM_BYTES, NAME) ?? Buffer.alloc(0);
    const salt = bufferParam(params, 'salt', HKDF_MAX_PARAM_BYTES, NAME) ?? Buffer.alloc(0);
    const info = bufferParam(params, 'info', HKDF_MAX_PARAM_BYTES, NAME) ?? Buffer.alloc(0);
    const peer = peerKey(params, baseKey);
    const z = sharedSecret(baseKey, peer);
    try {
      checkDerivedLength(lengthBytes, NAME, kdf === 'null' ? z.length : undefined);
      if (kdf === 'x963') return x963Kdf(hash, z, sharedInfo, lengthBytes);
      if (kdf === 'hkdf') return await hkdfAsync(hash, z, salt, info, lengthBytes);
      return Buffer.from(z.subarray(0, lengthBytes));
    } finally {
      z.fill(0);
    }
  }
}

export const ecdh1Derive: DeriveMechanism = new Ecdh1Derive();
