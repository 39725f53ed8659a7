import { KeyObject } from 'node:crypto';
import { CofferError } from '../../errors/coffer-error.js';
import { AES_KEY_LENGTHS } from '../keys/aes.js';
import type { KeyClass, MechanismName } from '../types.js';

/** AES_GCM and friends: a secret key of an AES length. */
export function requireAesKey(key: KeyObject, mechanism: MechanismName): void {
  const ok = key instanceof KeyObject && key.type === 'secret' && AES_KEY_LENGTHS.includes(key.symmetricKeySize ?? 0);
  if (!ok) throw new CofferError('KEY_TYPE_INCONSISTENT', `${mechanism} needs a secret AES key`);
}

/** Signature mechanisms: an asymmetric key of one OpenSSL type, of an allowed class. */
export function requireAsymmetricKey(
  key: KeyObject,
  asymmetricKeyType: 'ec' | 'rsa',
  classes: readonly KeyClass[],
  mechanism: MechanismName,
): void {
  const ok = key instanceof KeyObject && classes.includes(key.type) && key.asymmetricKeyType === asymmetricKeyType;
  if (!ok) {
    const what = classes.map((keyClass) => `${keyClass} ${asymmetricKeyType.toUpperCase()}`).join(' or ');
    throw new CofferError('KEY_TYPE_INCONSISTENT', `${mechanism} needs a ${what} key`);
  }
}

/** A parameter this mechanism does not take is refused, not silently ignored. */
export function refuseParam(present: boolean, param: string, mechanism: MechanismName): void {
  if (present) throw new CofferError('MECHANISM_PARAM_INVALID', `${mechanism} takes no ${param}`);
}
