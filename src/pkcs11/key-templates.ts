import type { KeyClass, KeyType } from '../crypto/types.js';
import { CofferError } from '../errors/coffer-error.js';
import { BOOLEAN_ATTRIBUTES } from '../objects/attributes.js';
import type { AttributeTypeName } from './attribute-types.js';
import { CKK_NUMBERS, CLASS_NUMBERS } from './constants.js';
import { curveOfParams } from './ec-params.js';
import { KEY_FLAGS, keyHasAttribute } from './projection.js';
import { textFromBytes, type AttributeValue, type Template } from './value-codec.js';

/**
 * A key template → the node's key-creation inputs (label, CKA_ID, the attribute flags, token,
 * and the size or material fields), one row per attribute saying what it becomes. The key
 * attribute table (src/objects/attributes.ts) still decides every flag: this only translates.
 * Refusals: a type the class does not have ATTRIBUTE_TYPE_INVALID; a value Coffer cannot honour
 * ATTRIBUTE_VALUE_INVALID; one the node sets, or that this way of making a key does not take,
 * ATTRIBUTE_READ_ONLY; CKA_CLASS or CKA_KEY_TYPE other than the key's TEMPLATE_INCONSISTENT.
 */
type Use =
  | 'class'
  | 'key-type'
  | 'token'
  | 'label'
  | 'id'
  | 'flag'
  /** Coffer has no such capability: false is accepted, true is ATTRIBUTE_VALUE_INVALID. */
  | 'false-only'
  /** Coffer keeps no such value on keys (CKA_SUBJECT; dates are set with C_SetAttributeValue): empty only. */
  | 'empty'
  | 'value-len'
  | 'modulus-bits'
  | 'public-exponent'
  | 'ec-params'
  /** Key material or public components: only where a key is made from them (C_CreateObject). */
  | 'material'
  /** Set by the node (ATTRIBUTE_READ_ONLY in every template). */
  | 'node';

const USES: Partial<Record<AttributeTypeName, Use>> = {
  CKA_CLASS: 'class',
  CKA_KEY_TYPE: 'key-type',
  CKA_TOKEN: 'token',
  CKA_LABEL: 'label',
  CKA_ID: 'id',
  CKA_SIGN_RECOVER: 'false-only',
  CKA_VERIFY_RECOVER: 'false-only',
  CKA_ALWAYS_AUTHENTICATE: 'false-only',
  CKA_COPYABLE: 'false-only',
  CKA_SUBJECT: 'empty',
  CKA_START_DATE: 'empty',
  CKA_END_DATE: 'empty',
  CKA_VALUE_LEN: 'value-len',
  CKA_MODULUS_BITS: 'modulus-bits',
  CKA_PUBLIC_EXPONENT: 'public-exponent',
  CKA_EC_PARAMS: 'ec-params',
  CKA_VALUE: 'material',
  CKA_MODULUS: 'material',
  CKA_EC_POINT: 'material',
  CKA_PRIVATE_EXPONENT: 'material',
  CKA_PRIME_1: 'material',
  CKA_PRIME_2: 'material',
  CKA_EXPONENT_1: 'material',
  CKA_EXPONENT_2: 'material',
  CKA_COEFFICIENT: 'material',
  CKA_UNIQUE_ID: 'node',
  CKA_CHECK_VALUE: 'node',
  CKA_PUBLIC_KEY_INFO: 'node',
  CKA_KEY_GEN_MECHANISM: 'node',
};

/** How a key comes to be: each takes its own size and material fields. */
export type Making = 'generate' | 'create' | 'unwrap' | 'derive';

/** Per way of making a key and class, the size and material fields a template may carry. */
const TAKES: Readonly<Record<Making, Partial<Record<KeyClass, readonly Use[]>>>> = {
  generate: { secret: ['value-len'], public: ['modulus-bits', 'public-exponent', 'ec-params'], private: ['ec-params'] },
  create: {
    secret: ['value-len', 'material'],
    public: ['public-exponent', 'ec-params', 'material'],
    private: ['public-exponent', 'ec-params', 'material'],
  },
  unwrap: { secret: ['value-len'], private: [] },
  derive: { secret: ['value-len'] },
};

/** What a template gives for a new key, for the route to pass on to the operation. */
export interface KeyTemplateInputs {
  readonly label?: string;
  /** CKA_ID as hex. */
  readonly id?: string;
  readonly attributes: Record<string, boolean>;
  readonly token?: boolean;
  readonly valueLen?: number;
  readonly modulusBits?: number;
  readonly publicExponent?: Buffer;
  /** Coffer's curve name, from CKA_EC_PARAMS. */
  readonly curve?: string;
  /** CKA_VALUE, CKA_MODULUS, CKA_EC_POINT …, where the key is made from them. */
  readonly material: Partial<Record<AttributeTypeName, Buffer>>;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The inputs a template of a key of `keyClass` and `keyType` gives, when made by `making`. */
export function keyTemplateInputs(
  keyClass: KeyClass,
  keyType: KeyType,
  template: Template,
  making: Making,
): KeyTemplateInputs {
  const inputs: Mutable<KeyTemplateInputs> = { attributes: {}, material: {} };
  for (const [name, value] of template) {
    const use = USES[name] ?? (KEY_FLAGS.has(name) ? 'flag' : undefined);
    if (use === undefined || !keyHasAttribute(keyClass, keyType, name))
      throw new CofferError('ATTRIBUTE_TYPE_INVALID', `${name} for a ${keyClass} ${keyType} key`);
    apply(inputs, { keyClass, keyType, making }, name, use, value);
  }
  return inputs;
}

function apply(
  inputs: Mutable<KeyTemplateInputs>,
  key: { keyClass: KeyClass; keyType: KeyType; making: Making },
  name: AttributeTypeName,
  use: Use,
  value: AttributeValue,
): void {
  const bytes = (): Buffer => value as Buffer;
  switch (use) {
    case 'class':
      if (value !== CLASS_NUMBERS[key.keyClass])
        throw new CofferError('TEMPLATE_INCONSISTENT', `CKA_CLASS is not that of a ${key.keyClass} key`);
      return;
    case 'key-type':
      if (value !== CKK_NUMBERS[key.keyType])
        throw new CofferError('TEMPLATE_INCONSISTENT', `CKA_KEY_TYPE is not that of a ${key.keyType} key`);
      return;
    case 'token':
      inputs.token = value as boolean;
      return;
    case 'label':
      inputs.label = textFromBytes(name, bytes());
      return;
    case 'id':
      inputs.id = bytes().toString('hex');
      return;
    case 'flag':
      return applyFlag(inputs, key.keyClass, name, value as boolean);
    case 'false-only':
      if (value === true) throw new CofferError('ATTRIBUTE_VALUE_INVALID', `${name}: Coffer keys do not have it`);
      return;
    case 'empty':
      if (bytes().length > 0) throw new CofferError('ATTRIBUTE_VALUE_INVALID', `${name} must be empty on a new key`);
      return;
    case 'node':
      throw new CofferError('ATTRIBUTE_READ_ONLY', `${name} is set by the node`);
    default:
      if (!(TAKES[key.making][key.keyClass] ?? []).includes(use))
        throw new CofferError('ATTRIBUTE_READ_ONLY', `${name} is not given when a key is made this way`);
      return applySize(inputs, key.keyType, name, use, value);
  }
}

function applyFlag(inputs: Mutable<KeyTemplateInputs>, keyClass: KeyClass, name: AttributeTypeName, value: boolean) {
  const flag = KEY_FLAGS.get(name)!;
  const rule: { classes: readonly KeyClass[]; settableAtCreation: boolean } = BOOLEAN_ATTRIBUTES[flag];
  // PKCS#11 gives every key CKA_DERIVE, every public key CKA_TRUSTED …: false is what Coffer's
  // key already is; true is a capability it does not have.
  const nodeValueFalse = !rule.classes.includes(keyClass) || (flag === 'trusted' && !rule.settableAtCreation);
  if (nodeValueFalse) {
    if (value)
      throw new CofferError(rule.classes.includes(keyClass) ? 'ATTRIBUTE_READ_ONLY' : 'ATTRIBUTE_VALUE_INVALID', name);
    return;
  }
  inputs.attributes[flag] = value;
}

function applySize(
  inputs: Mutable<KeyTemplateInputs>,
  keyType: KeyType,
  name: AttributeTypeName,
  use: Use,
  value: AttributeValue,
): void {
  switch (use) {
    case 'value-len':
      inputs.valueLen = value as number;
      return;
    case 'modulus-bits':
      inputs.modulusBits = value as number;
      return;
    case 'public-exponent':
      inputs.publicExponent = value as Buffer;
      return;
    case 'ec-params':
      inputs.curve = curveOfParams(value as Buffer, keyType);
      return;
    default:
      inputs.material[name] = value as Buffer;
  }
}

/** CKA_PUBLIC_EXPONENT's big-endian bytes as a number; ATTRIBUTE_VALUE_INVALID past 32 bits. */
export function exponentNumber(bytes: Buffer): number {
  let start = 0;
  while (start < bytes.length && bytes[start] === 0) start++;
  if (bytes.length - start > 4 || start === bytes.length)
    throw new CofferError('ATTRIBUTE_VALUE_INVALID', 'CKA_PUBLIC_EXPONENT is 1 to 32 bits');
  return bytes.subarray(start).readUIntBE(0, bytes.length - start);
}
