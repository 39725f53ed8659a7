import type { KeyObject } from 'node:crypto';
import { CofferError } from '../../errors/coffer-error.js';
import { signAsync, verifyAsync } from '../async-sign.js';
import { checkDataLength } from '../limits.js';
import type { SignatureMechanism, SignatureParams } from '../types.js';
import { refuseParam, requireAsymmetricKey } from './key-checks.js';

/** Signature encodings: PKCS#11's r‖s (the default) or OpenSSL's DER, by Node's names. */
const ENCODINGS = { p1363: 'ieee-p1363', der: 'der' } as const;
type DsaEncoding = (typeof ENCODINGS)[keyof typeof ENCODINGS];

function checkParams(params: SignatureParams): DsaEncoding {
  refuseParam(params.saltLength !== undefined, 'saltLength', 'ECDSA_SHA256');
  const encoding = params.signatureEncoding ?? 'p1363';
  if (!Object.prototype.hasOwnProperty.call(ENCODINGS, encoding)) {
    throw new CofferError(
      'MECHANISM_PARAM_INVALID',
      `ECDSA_SHA256 signatureEncoding is ${Object.keys(ENCODINGS).join(' or ')}`,
    );
  }
  return ENCODINGS[encoding];
}

/** ECDSA with SHA-256 over the data (PKCS#11 CKM_ECDSA_SHA256), on the libuv pool. */
class EcdsaSha256 implements SignatureMechanism {
  readonly name = 'ECDSA_SHA256' as const;
  readonly kind = 'signature' as const;
  readonly keyTypes = ['ec'] as const;
  readonly keyClasses = { sign: 'private', verify: 'public' } as const;
  readonly multiPart = 'accumulate' as const;

  async sign(privateKey: KeyObject, data: Buffer, params: SignatureParams): Promise<Buffer> {
    requireAsymmetricKey(privateKey, 'ec', ['private'], this.name);
    const dsaEncoding = checkParams(params);
    checkDataLength(data);
    return signAsync('sha256', data, { key: privateKey, dsaEncoding });
  }

  /** False, never an error, for a signature that is malformed or does not verify. */
  async verify(key: KeyObject, data: Buffer, signature: Buffer, params: SignatureParams): Promise<boolean> {
    requireAsymmetricKey(key, 'ec', ['public', 'private'], this.name);
    const dsaEncoding = checkParams(params);
    checkDataLength(data);
    if (!Buffer.isBuffer(signature)) return false;
    return verifyAsync('sha256', data, { key, dsaEncoding }, signature).catch(() => false);
  }
}

export const ecdsaSha256: SignatureMechanism = new EcdsaSha256();
