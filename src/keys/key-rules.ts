import type { KeyObject } from 'node:crypto';
import {
  classesOf,
  encodingOf,
  isKeyType,
  KEY_TYPES,
  keyTypeForOpenssl,
  keyTypeProvider,
} from '../crypto/keys/registry.js';
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

/** A broken rule as a refusal's detail: the rule states what must hold, so say it is required. */
export function brokenDetail(rule: Pick<Rule<never>, 'check'>): string {
  return `required: ${rule.check}`;
}

/*
 * The key-type vocabulary below reads the one key type table (crypto/keys/registry.ts); these
 * names are kept for the services that call them.
 */

/** The classes each key type comes in, from the key type table. */
export const KEY_TYPE_CLASSES: Readonly<Record<KeyType, readonly KeyClass[]>> = Object.fromEntries(
  KEY_TYPES.map((keyType) => [keyType, classesOf(keyType)]),
) as Record<KeyType, readonly KeyClass[]>;

export function isKnownKeyType(name: string): name is KeyType {
  return isKeyType(name);
}

/** Whether `keyType` is a type of key of class `keyClass` (aes is secret, rsa private or public …). */
export function classHasType(keyClass: KeyClass, keyType: string): keyType is KeyType {
  return isKeyType(keyType) && encodingOf(keyClass, keyType) !== undefined;
}

/**
 * Parses bytes as a key of a stated class and key type, and checks it is one Coffer supports
 * (the type's own checkKey: sizes and curves). Bytes that do not parse, or parse as another key
 * type, are refused with `invalid`. Node copies the bytes; the caller zeroes them.
 */
export function parseKeyAs(keyClass: KeyClass, keyType: KeyType, bytes: Buffer, invalid: ErrorCode): KeyObject {
  const encoding = encodingOf(keyClass, keyType);
  if (!encoding) throw new CofferError(invalid, `${keyType} keys are not ${keyClass} keys`);
  let key: KeyObject;
  try {
    key = encoding.parse(bytes);
  } catch {
    throw new CofferError(invalid, `not a ${keyClass} key encoding`);
  }
  checkKeyType(key, keyType, invalid);
  return key;
}

/** Coffer's key type of an asymmetric key; MECHANISM_INVALID for one Coffer does not handle. */
export function asymmetricKeyTypeOf(key: KeyObject): KeyType {
  const keyType = keyTypeForOpenssl(key.asymmetricKeyType);
  if (keyType === undefined) {
    throw new CofferError('MECHANISM_INVALID', `unsupported key type ${key.asymmetricKeyType ?? 'unknown'}`);
  }
  return keyType;
}

/** The key is of `keyType` (else `mismatch`) and passes that type's checkKey. */
export function checkKeyType(key: KeyObject, keyType: KeyType, mismatch: ErrorCode): void {
  if (key.type !== 'secret' && keyTypeForOpenssl(key.asymmetricKeyType) !== keyType) {
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
