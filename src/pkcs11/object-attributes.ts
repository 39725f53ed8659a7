import { createHash } from 'node:crypto';
import { CofferError } from '../errors/coffer-error.js';
import { LABEL_MAX_CHARS, ID_MAX_BYTES } from '../objects/attributes.js';
import type { AttributeTypeName } from './attribute-types.js';
import { certificateFields } from './certificate.js';
import { CKC_X_509, CKM_SHA_1, CLASS_NUMBERS } from './constants.js';
import type { PlainObjectClass } from './object-record.js';
import { dateFromBytes, textFromBytes, type AttributeValue, type Template } from './value-codec.js';

/**
 * The attribute rules of certificates and data objects, as data (the companion of the key
 * table in src/objects/attributes.ts): per attribute, the classes that have it, how it comes to
 * be at creation — given or defaulted (`settable`), given always (`required`), or set by the
 * node (`node`: a template may only repeat its default) — how the owner may change it while
 * CKA_MODIFIABLE is true, and what a valid value is. CKA_CLASS and CKA_UNIQUE_ID are the
 * record's class and handle and are never in a template that reaches here.
 */
type Creation = 'settable' | 'required' | 'node';
type ObjectChange = 'never' | 'any' | 'only-to-false' | 'only-to-true';

interface ObjectRule {
  readonly classes: readonly PlainObjectClass[];
  readonly creation: Creation;
  readonly change: ObjectChange;
  /** The value when the template gives none; absent: the certificate gives it (or the node computes it). */
  readonly default?: AttributeValue;
  /** Whether a given value is valid (the kind was checked by the codec). */
  readonly valid?: (value: AttributeValue) => boolean;
  /** The copy of C_CopyObject may set it although it does not change otherwise. */
  readonly atCopy?: boolean;
}

const BOTH: readonly PlainObjectClass[] = ['certificate', 'data'];
const CERT: readonly PlainObjectClass[] = ['certificate'];
const DATA: readonly PlainObjectClass[] = ['data'];
const EMPTY = Buffer.alloc(0);

/** A bytes attribute's bound: what a client controls has one. */
const MAX_VALUE_BYTES = 65_536;
const MAX_FIELD_BYTES = 16_384;

const bytesUpTo =
  (max: number) =>
  (value: AttributeValue): boolean =>
    Buffer.isBuffer(value) && value.length <= max;
const field = bytesUpTo(MAX_FIELD_BYTES);
const isDate = (value: AttributeValue): boolean => {
  try {
    return Buffer.isBuffer(value) && dateFromBytes('CKA_START_DATE', value) !== undefined;
  } catch {
    return false;
  }
};
const isLabel = (value: AttributeValue): boolean => {
  try {
    return Buffer.isBuffer(value) && [...textFromBytes('CKA_LABEL', value)].length <= LABEL_MAX_CHARS;
  } catch {
    return false;
  }
};

export const OBJECT_ATTRIBUTES = {
  // PKCS#11's default: an object is a session object unless the template asks for a token one.
  CKA_TOKEN: { classes: BOTH, creation: 'settable', change: 'never', default: false, atCopy: true },
  // Only ever more private: an owner may withdraw an object from the public listing, never add it.
  CKA_PRIVATE: { classes: BOTH, creation: 'settable', change: 'only-to-true', default: false, atCopy: true },
  CKA_MODIFIABLE: { classes: BOTH, creation: 'settable', change: 'never', default: true, atCopy: true },
  CKA_COPYABLE: { classes: BOTH, creation: 'settable', change: 'only-to-false', default: true },
  CKA_DESTROYABLE: { classes: BOTH, creation: 'settable', change: 'only-to-false', default: true },
  CKA_LABEL: { classes: BOTH, creation: 'settable', change: 'any', default: EMPTY, valid: isLabel },
  CKA_CERTIFICATE_TYPE: { classes: CERT, creation: 'required', change: 'never', valid: (v) => v === CKC_X_509 },
  // PKCS#11: only the SO sets CKA_TRUSTED to true; Coffer's admins hold no objects, so it stays false.
  CKA_TRUSTED: { classes: CERT, creation: 'node', change: 'never', default: false },
  CKA_CERTIFICATE_CATEGORY: {
    classes: CERT,
    creation: 'settable',
    change: 'any',
    default: 0,
    valid: (v) => typeof v === 'number' && v <= 3,
  },
  CKA_CHECK_VALUE: { classes: CERT, creation: 'node', change: 'never' },
  CKA_START_DATE: { classes: CERT, creation: 'settable', change: 'any', default: EMPTY, valid: isDate },
  CKA_END_DATE: { classes: CERT, creation: 'settable', change: 'any', default: EMPTY, valid: isDate },
  CKA_PUBLIC_KEY_INFO: { classes: CERT, creation: 'node', change: 'never' },
  CKA_SUBJECT: { classes: CERT, creation: 'settable', change: 'any', valid: field },
  CKA_ID: { classes: CERT, creation: 'settable', change: 'any', default: EMPTY, valid: bytesUpTo(ID_MAX_BYTES) },
  CKA_ISSUER: { classes: CERT, creation: 'settable', change: 'any', valid: field },
  CKA_SERIAL_NUMBER: { classes: CERT, creation: 'settable', change: 'any', valid: field },
  CKA_VALUE: { classes: BOTH, creation: 'required', change: 'never', valid: bytesUpTo(MAX_VALUE_BYTES) },
  CKA_URL: { classes: CERT, creation: 'settable', change: 'never', default: EMPTY, valid: field },
  CKA_HASH_OF_SUBJECT_PUBLIC_KEY: {
    classes: CERT,
    creation: 'settable',
    change: 'never',
    default: EMPTY,
    valid: field,
  },
  CKA_HASH_OF_ISSUER_PUBLIC_KEY: { classes: CERT, creation: 'settable', change: 'never', default: EMPTY, valid: field },
  CKA_JAVA_MIDP_SECURITY_DOMAIN: {
    classes: CERT,
    creation: 'settable',
    change: 'never',
    default: 0,
    valid: (v) => typeof v === 'number' && v <= 3,
  },
  CKA_NAME_HASH_ALGORITHM: { classes: CERT, creation: 'settable', change: 'never', default: CKM_SHA_1 },
  CKA_APPLICATION: { classes: DATA, creation: 'settable', change: 'any', default: EMPTY, valid: field },
  CKA_OBJECT_ID: { classes: DATA, creation: 'settable', change: 'any', default: EMPTY, valid: field },
} as const satisfies Partial<Record<AttributeTypeName, ObjectRule>>;

/** Data objects' CKA_VALUE is theirs to change (a certificate's is the certificate). */
const DATA_VALUE_CHANGE: ObjectChange = 'any';

export type ObjectAttributeName = keyof typeof OBJECT_ATTRIBUTES;

function ruleOf(objectClass: PlainObjectClass, name: AttributeTypeName): ObjectRule | undefined {
  const rule: ObjectRule | undefined = Object.hasOwn(OBJECT_ATTRIBUTES, name)
    ? OBJECT_ATTRIBUTES[name as ObjectAttributeName]
    : undefined;
  if (!rule || !rule.classes.includes(objectClass)) return undefined;
  return name === 'CKA_VALUE' && objectClass === 'data' ? { ...rule, change: DATA_VALUE_CHANGE } : rule;
}

/** The attributes a class has, in table order (what its projection shows besides CLASS and UNIQUE_ID). */
export function objectAttributeNames(objectClass: PlainObjectClass): ObjectAttributeName[] {
  return (Object.keys(OBJECT_ATTRIBUTES) as ObjectAttributeName[]).filter((name) =>
    (OBJECT_ATTRIBUTES[name].classes as readonly PlainObjectClass[]).includes(objectClass),
  );
}

/** Every template attribute exists for the class and has a valid value; the rule of each. */
function checkedRules(objectClass: PlainObjectClass, template: Template): Map<AttributeTypeName, ObjectRule> {
  const rules = new Map<AttributeTypeName, ObjectRule>();
  for (const [name, value] of template) {
    const rule = ruleOf(objectClass, name);
    if (!rule) throw new CofferError('ATTRIBUTE_TYPE_INVALID', `${name} for a ${objectClass} object`);
    if (rule.valid && !rule.valid(value)) throw new CofferError('ATTRIBUTE_VALUE_INVALID', name);
    rules.set(name, rule);
  }
  return rules;
}

export type ObjectAttributes = Map<AttributeTypeName, AttributeValue>;

/**
 * A template for an object of `objectClass` without the attributes that are the record itself:
 * CKA_CLASS may only repeat the class, CKA_UNIQUE_ID is the node's (ATTRIBUTE_READ_ONLY).
 */
export function withoutIdentity(objectClass: PlainObjectClass, template: Template): Template {
  const rest = new Map(template);
  const classValue = rest.get('CKA_CLASS');
  if (classValue !== undefined && classValue !== CLASS_NUMBERS[objectClass])
    throw new CofferError('ATTRIBUTE_READ_ONLY', "CKA_CLASS is not the object's class");
  if (rest.has('CKA_UNIQUE_ID')) throw new CofferError('ATTRIBUTE_READ_ONLY', 'CKA_UNIQUE_ID is set by the node');
  rest.delete('CKA_CLASS');
  return rest;
}

/**
 * The attributes of a new object of `objectClass` from a template (CKA_CLASS taken out): each
 * given attribute exists and is valid, the required ones are there (TEMPLATE_INCOMPLETE), the
 * node's are not given otherwise than as their default (ATTRIBUTE_READ_ONLY); the rest take
 * their defaults, a certificate's from the certificate itself.
 */
export function newObjectAttributes(objectClass: PlainObjectClass, template: Template): ObjectAttributes {
  const rules = checkedRules(objectClass, template);
  for (const [name, rule] of rules) {
    const given = template.get(name)!;
    if (rule.creation === 'node' && (rule.default === undefined || given !== rule.default))
      throw new CofferError('ATTRIBUTE_READ_ONLY', `${name} is set by the node`);
  }
  const attributes: ObjectAttributes = new Map();
  for (const name of objectAttributeNames(objectClass)) {
    const rule = ruleOf(objectClass, name)!;
    const value = template.get(name) ?? rule.default;
    if (rule.creation === 'required' && !template.has(name))
      throw new CofferError('TEMPLATE_INCOMPLETE', `a ${objectClass} object needs ${name}`);
    if (value !== undefined) attributes.set(name, value);
  }
  if (objectClass === 'certificate') addCertificateFields(attributes);
  return attributes;
}

/** SUBJECT, ISSUER, SERIAL_NUMBER (unless given), PUBLIC_KEY_INFO and CHECK_VALUE from CKA_VALUE. */
function addCertificateFields(attributes: ObjectAttributes): void {
  const der = attributes.get('CKA_VALUE') as Buffer;
  const fields = certificateFields(der);
  if (!attributes.has('CKA_SUBJECT')) attributes.set('CKA_SUBJECT', fields.subject);
  if (!attributes.has('CKA_ISSUER')) attributes.set('CKA_ISSUER', fields.issuer);
  if (!attributes.has('CKA_SERIAL_NUMBER')) attributes.set('CKA_SERIAL_NUMBER', fields.serialNumber);
  attributes.set('CKA_PUBLIC_KEY_INFO', fields.publicKeyInfo);
  // PKCS#11: a certificate's check value is the first 3 bytes of the SHA-1 of CKA_VALUE.
  attributes.set('CKA_CHECK_VALUE', createHash('sha1').update(der).digest().subarray(0, 3));
}

/**
 * C_SetAttributeValue on an object, all or nothing: every attribute exists and is valid, the
 * object is modifiable, and each change goes a way its rule allows (ATTRIBUTE_READ_ONLY).
 * Returns the attributes after, and the names that actually changed.
 */
export function planObjectChange(
  objectClass: PlainObjectClass,
  current: ObjectAttributes,
  template: Template,
  at: 'set' | 'copy' = 'set',
): { attributes: ObjectAttributes; changed: AttributeTypeName[] } {
  const rules = checkedRules(objectClass, template);
  if (at === 'set' && template.size > 0 && current.get('CKA_MODIFIABLE') === false)
    throw new CofferError('ATTRIBUTE_READ_ONLY', 'the object is not modifiable (CKA_MODIFIABLE is false)');
  const attributes: ObjectAttributes = new Map(current);
  const changed: AttributeTypeName[] = [];
  for (const [name, rule] of rules) {
    const to = template.get(name)!;
    const from = current.get(name);
    if (from !== undefined && sameValue(from, to)) continue;
    const allowed =
      rule.change === 'any' ||
      (rule.change === 'only-to-false' && to === false) ||
      (rule.change === 'only-to-true' && to === true) ||
      (at === 'copy' && rule.atCopy === true);
    if (!allowed) throw new CofferError('ATTRIBUTE_READ_ONLY', `${name} may not change this way`);
    attributes.set(name, to);
    changed.push(name);
  }
  return { attributes, changed };
}

function sameValue(one: AttributeValue, other: AttributeValue): boolean {
  return Buffer.isBuffer(one) && Buffer.isBuffer(other) ? one.equals(other) : one === other;
}
