import { createPrivateKey, createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { keyTypeProvider } from '../crypto/keys/registry.js';
import type { KeyClass, KeyType, KeyUsage, Mechanism } from '../crypto/types.js';
import { CofferError } from '../errors/coffer-error.js';
import type { ErrorCode } from '../errors/registry.js';
import type { KeyRecord } from '../objects/key-record.js';
import type { RecordWriter } from '../records/record-writer.js';
import type { KeyService } from './key-service.js';

/**
 * The shared vocabulary of import, wrap, unwrap and derive: rules as data (an ordered table of
 * checks, each with the code it refuses with), and the one table of which key types come in
 * which classes and how their bytes parse.
 */
export interface Rule<C> {
  /** What must hold, in words: shown in the refusal and in the rule-table tests. */
  readonly check: string;
  readonly code: ErrorCode;
  readonly holds: (subject: C) => boolean;
}

/** The first rule of `rules` that `subject` breaks, in table order. */
export function firstBroken<C>(rules: readonly Rule<C>[], subject: C): Rule<C> | undefined {
  return rules.find((rule) => !rule.holds(subject));
}

/** The classes each key type comes in. */
export const KEY_TYPE_CLASSES: Readonly<Record<KeyType, readonly KeyClass[]>> = {
  aes: ['secret'],
  'generic-secret': ['secret'],
  ec: ['private', 'public'],
  'ec-edwards': ['private', 'public'],
  rsa: ['private', 'public'],
};

/** OpenSSL's name of an asymmetric key type → Coffer's key type. */
const ASYMMETRIC_KEY_TYPES: Readonly<Record<string, KeyType>> = { rsa: 'rsa', ec: 'ec', ed25519: 'ec-edwards' };

export function isKnownKeyType(name: string): name is KeyType {
  return Object.hasOwn(KEY_TYPE_CLASSES, name);
}

/** Whether `keyType` is a type of key of class `keyClass` (aes is secret, rsa private or public …). */
export function classHasType(keyClass: KeyClass, keyType: string): keyType is KeyType {
  return isKnownKeyType(keyType) && KEY_TYPE_CLASSES[keyType].includes(keyClass);
}

/** How each class's bytes parse: secret raw, private PKCS#8 DER, public SPKI DER. */
const DER_PARSERS: Readonly<Record<KeyClass, (bytes: Buffer) => KeyObject>> = {
  secret: (bytes) => createSecretKey(bytes),
  private: (bytes) => createPrivateKey({ key: bytes, format: 'der', type: 'pkcs8' }),
  public: (bytes) => createPublicKey({ key: bytes, format: 'der', type: 'spki' }),
};

/**
 * Parses bytes as a key of a stated class and key type, and checks it is one Coffer supports
 * (the type's own checkKey: sizes and curves). Bytes that do not parse, or parse as another key
 * type, are refused with `invalid`. Node copies the bytes; the caller zeroes them.
 */
export function parseKeyAs(keyClass: KeyClass, keyType: KeyType, bytes: Buffer, invalid: ErrorCode): KeyObject {
  let key: KeyObject;
  try {
    key = DER_PARSERS[keyClass](bytes);
  } catch {
    throw new CofferError(invalid, `not a ${keyClass} key encoding`);
  }
  checkKeyType(key, keyType, invalid);
  return key;
}

/** Coffer's key type of an asymmetric key; MECHANISM_INVALID for one Coffer does not handle. */
export function asymmetricKeyTypeOf(key: KeyObject): KeyType {
  const keyType = ASYMMETRIC_KEY_TYPES[key.asymmetricKeyType ?? ''];
  if (keyType === undefined) {
    throw new CofferError('MECHANISM_INVALID', `unsupported key type ${key.asymmetricKeyType ?? 'unknown'}`);
  }
  return keyType;
}

/** The key is of `keyType` (else `mismatch`) and passes that type's checkKey. */
export function checkKeyType(key: KeyObject, keyType: KeyType, mismatch: ErrorCode): void {
  if (key.type !== 'secret' && ASYMMETRIC_KEY_TYPES[key.asymmetricKeyType ?? ''] !== keyType) {
    throw new CofferError(mismatch, `the key is not a ${keyType} key`);
  }
  keyTypeProvider(keyType).checkKey(key);
}

/** Whether a key record is of the class and a type that `mech` takes for `usage`. */
export function fitsMechanism(mech: Mechanism, usage: KeyUsage, record: KeyRecord): boolean {
  const keyClass = (mech.kind === 'digest' ? {} : (mech.keyClasses as Partial<Record<KeyUsage, KeyClass>>))[usage];
  return record.class === keyClass && mech.keyTypes.includes(record.keyType);
}

/** Finds a mechanism by name and kind: the registry's `mechanismOfKind`, or a test's own. */
export type MechanismLookup = <K extends Mechanism['kind']>(name: string, kind: K) => Extract<Mechanism, { kind: K }>;

/** What the wrap, unwrap and derive services need: the same for each. */
export interface KeyTransferDeps {
  readonly keys: Pick<KeyService, 'createKey'>;
  readonly writer: Pick<RecordWriter, 'commit'>;
}
