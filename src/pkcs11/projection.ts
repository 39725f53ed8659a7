import type { KeyObject } from 'node:crypto';
import type { KeyClass, KeyType } from '../crypto/types.js';
import { BOOLEAN_ATTRIBUTES, type BooleanAttribute } from '../objects/attributes.js';
import type { KeyRecord } from '../objects/key-record.js';
import { attributeTypeName, type AttributeTypeName } from './attribute-types.js';
import { CKK_NUMBERS, CLASS_NUMBERS, generationMechanismOf } from './constants.js';
import { ecParamsOf } from './ec-params.js';
import { objectAttributeNames } from './object-attributes.js';
import type { ObjectRecord } from './object-record.js';
import { publicPartsOf, type PublicParts } from './public-parts.js';
import { dateToBytes, decodeValue, encodeValue, type AttributeValue, type WireValue } from './value-codec.js';

/**
 * What an object shows as PKCS#11 attributes (C_GetAttributeValue, and what find compares):
 * per class, the attributes it has; each is its value, `sensitive` (key material: Coffer never
 * reveals it, whatever CKA_SENSITIVE says), or `invalid` (the class has no such attribute).
 */
export type FaceObject =
  /** `key` may be left out where no attribute of PUBLIC_PART_ATTRIBUTES is asked for. */
  | { readonly kind: 'key'; readonly record: KeyRecord; readonly key?: KeyObject }
  | { readonly kind: 'object'; readonly record: ObjectRecord };

export type Projected = { readonly value: AttributeValue } | 'sensitive' | 'invalid';

type Name = AttributeTypeName;

const COMMON: readonly Name[] = [
  'CKA_CLASS',
  'CKA_TOKEN',
  'CKA_PRIVATE',
  'CKA_MODIFIABLE',
  'CKA_COPYABLE',
  'CKA_DESTROYABLE',
  'CKA_LABEL',
  'CKA_UNIQUE_ID',
];
// CKA_ALLOWED_MECHANISMS is not shown (invalid): Coffer restricts a key by its type and usage
// attributes, not by a list of mechanisms.
const KEY: readonly Name[] = [
  'CKA_KEY_TYPE',
  'CKA_ID',
  'CKA_START_DATE',
  'CKA_END_DATE',
  'CKA_DERIVE',
  'CKA_LOCAL',
  'CKA_KEY_GEN_MECHANISM',
];
const RSA_PUBLIC: readonly Name[] = ['CKA_MODULUS', 'CKA_PUBLIC_EXPONENT'];
const RSA_MATERIAL: readonly Name[] = [
  'CKA_PRIVATE_EXPONENT',
  'CKA_PRIME_1',
  'CKA_PRIME_2',
  'CKA_EXPONENT_1',
  'CKA_EXPONENT_2',
  'CKA_COEFFICIENT',
];

/** Per key class and type: the attributes shown, and those that are key material (sensitive). */
function keyAttributes(keyClass: KeyClass, keyType: KeyType): { shown: Set<Name>; sensitive: Set<Name> } {
  const rsa = keyType === 'rsa';
  const shown: Name[] = [...COMMON, ...KEY];
  const sensitive: Name[] = [];
  if (keyClass === 'public') {
    shown.push('CKA_SUBJECT', 'CKA_ENCRYPT', 'CKA_VERIFY', 'CKA_VERIFY_RECOVER', 'CKA_WRAP', 'CKA_TRUSTED');
    shown.push(
      'CKA_PUBLIC_KEY_INFO',
      ...(rsa ? [...RSA_PUBLIC, 'CKA_MODULUS_BITS' as const] : ['CKA_EC_PARAMS' as const, 'CKA_EC_POINT' as const]),
    );
  } else if (keyClass === 'private') {
    shown.push('CKA_SUBJECT', 'CKA_SENSITIVE', 'CKA_DECRYPT', 'CKA_SIGN', 'CKA_SIGN_RECOVER', 'CKA_UNWRAP');
    shown.push('CKA_EXTRACTABLE', 'CKA_ALWAYS_SENSITIVE', 'CKA_NEVER_EXTRACTABLE', 'CKA_WRAP_WITH_TRUSTED');
    shown.push('CKA_ALWAYS_AUTHENTICATE', 'CKA_PUBLIC_KEY_INFO', ...(rsa ? RSA_PUBLIC : ['CKA_EC_PARAMS' as const]));
    sensitive.push(...(rsa ? RSA_MATERIAL : ['CKA_VALUE' as const]));
  } else {
    shown.push('CKA_SENSITIVE', 'CKA_ENCRYPT', 'CKA_DECRYPT', 'CKA_SIGN', 'CKA_VERIFY', 'CKA_WRAP', 'CKA_UNWRAP');
    shown.push('CKA_EXTRACTABLE', 'CKA_ALWAYS_SENSITIVE', 'CKA_NEVER_EXTRACTABLE', 'CKA_CHECK_VALUE');
    shown.push('CKA_WRAP_WITH_TRUSTED', 'CKA_TRUSTED', 'CKA_VALUE_LEN');
    sensitive.push('CKA_VALUE');
  }
  return { shown: new Set(shown), sensitive: new Set(sensitive) };
}

/** Whether a key of this class and type has the attribute at all (shown or sensitive). */
export function keyHasAttribute(keyClass: KeyClass, keyType: KeyType, name: Name): boolean {
  const { shown, sensitive } = tableOf(keyClass, keyType);
  return shown.has(name) || sensitive.has(name);
}

const TABLES = new Map<string, { shown: Set<Name>; sensitive: Set<Name> }>();
function tableOf(keyClass: KeyClass, keyType: KeyType): { shown: Set<Name>; sensitive: Set<Name> } {
  const id = `${keyClass}/${keyType}`;
  if (!TABLES.has(id)) TABLES.set(id, keyAttributes(keyClass, keyType));
  return TABLES.get(id)!;
}

/** The key table's flags by PKCS#11 name (CKA_ENCRYPT → encrypt …). */
export const KEY_FLAGS: ReadonlyMap<string, BooleanAttribute> = new Map<string, BooleanAttribute>(
  (Object.entries(BOOLEAN_ATTRIBUTES) as [BooleanAttribute, { pkcs11: string }][]).map(([name, rule]) => [
    rule.pkcs11,
    name,
  ]),
);

/** The flag a key has by the key table (its default when the record has none); false where it has no such flag. */
function flagOf(record: KeyRecord, name: Name): boolean {
  const flag = KEY_FLAGS.get(name);
  if (flag === undefined) return false;
  const rule: { defaults: Partial<Record<KeyClass, boolean>> } = BOOLEAN_ATTRIBUTES[flag];
  return record.attributes[flag] ?? rule.defaults[record.class] ?? false;
}

const hexBytes = (hex: string): Buffer => Buffer.from(hex, 'hex');

/** The key attributes worked out from the key itself (its public parts); the others come from its record. */
export const PUBLIC_PART_ATTRIBUTES: ReadonlySet<Name> = new Set<Name>([
  'CKA_PUBLIC_KEY_INFO',
  'CKA_MODULUS',
  'CKA_PUBLIC_EXPONENT',
  'CKA_EC_POINT',
]);

/** One attribute of a key object. */
function keyAttribute(record: KeyRecord, name: Name, parts: () => PublicParts): Projected {
  const { shown, sensitive } = tableOf(record.class, record.keyType);
  if (sensitive.has(name)) return 'sensitive';
  if (!shown.has(name)) return 'invalid';
  const value = (v: AttributeValue | undefined): Projected => (v === undefined ? 'invalid' : { value: v });
  switch (name) {
    case 'CKA_CLASS':
      return value(CLASS_NUMBERS[record.class]);
    case 'CKA_COPYABLE':
      // A copy would be a second handle to one key, outside its share list and quorum values.
      return value(false);
    case 'CKA_LABEL':
      return value(Buffer.from(record.label, 'utf8'));
    case 'CKA_UNIQUE_ID':
      return value(Buffer.from(record.handle, 'ascii'));
    case 'CKA_KEY_TYPE':
      return value(CKK_NUMBERS[record.keyType]);
    case 'CKA_ID':
      return value(hexBytes(record.id));
    case 'CKA_START_DATE':
      return value(dateToBytes(record.startDate));
    case 'CKA_END_DATE':
      return value(dateToBytes(record.endDate));
    case 'CKA_KEY_GEN_MECHANISM':
      // A key made elsewhere has no generation mechanism Coffer could name (PKCS#11's
      // CK_UNAVAILABLE_INFORMATION does not fit a JSON number exactly).
      return record.attributes.local === true ? value(generationMechanismOf(record.keyType)) : 'invalid';
    case 'CKA_SUBJECT':
      // Coffer keeps no subject on keys: it is empty (and accepted only empty in templates).
      return value(Buffer.alloc(0));
    case 'CKA_CHECK_VALUE':
      return value(hexBytes(record.checkValue));
    case 'CKA_VALUE_LEN':
      return value(record.shape.valueLen);
    case 'CKA_MODULUS_BITS':
      return value(record.shape.modulusBits);
    case 'CKA_EC_PARAMS':
      return value(record.shape.curve === undefined ? undefined : ecParamsOf(record.shape.curve));
    case 'CKA_PUBLIC_KEY_INFO':
      return value(parts().publicKeyInfo);
    case 'CKA_MODULUS':
      return value(parts().modulus);
    case 'CKA_PUBLIC_EXPONENT':
      return value(parts().publicExponent);
    case 'CKA_EC_POINT':
      return value(parts().ecPoint);
    default:
      return value(flagOf(record, name));
  }
}

function objectAttribute(record: ObjectRecord, name: Name): Projected {
  if (name === 'CKA_CLASS') return { value: CLASS_NUMBERS[record.class] };
  if (name === 'CKA_UNIQUE_ID') return { value: Buffer.from(record.handle, 'ascii') };
  if (!(objectAttributeNames(record.class) as Name[]).includes(name)) return 'invalid';
  const stored = record.attributes[name];
  return stored === undefined ? 'invalid' : { value: decodeValue(name, stored) };
}

/**
 * The projection of one object: a function from attribute to what it shows. The public parts
 * of a key are worked out once, and only when asked for.
 */
export function projection(object: FaceObject): (name: Name) => Projected {
  if (object.kind === 'object') return (name) => objectAttribute(object.record, name);
  let parts: PublicParts | undefined;
  const { key } = object;
  const lazyParts = (): PublicParts => {
    if (key === undefined) throw new Error('a public part was asked of a key projected without its key');
    return (parts ??= publicPartsOf(key));
  };
  return (name) => keyAttribute(object.record, name, lazyParts);
}

/** One answer of C_GetAttributeValue on the wire. */
export type AttributeAnswer =
  | { readonly type: number; readonly value: WireValue }
  | { readonly type: number; readonly error: 'sensitive' | 'invalid' };

/** The answers for `types`, in the order asked; a type the face does not speak is `invalid`. */
export function answerAttributes(project: (name: Name) => Projected, types: readonly number[]): AttributeAnswer[] {
  return types.map((type) => {
    const name = attributeTypeName(type);
    const shown = name === undefined ? 'invalid' : project(name);
    return typeof shown === 'string' ? { type, error: shown } : { type, value: encodeValue(name!, shown.value) };
  });
}
