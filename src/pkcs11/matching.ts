import type { KeyFilter } from '../keys/key-service.js';
import type { AttributeTypeName } from './attribute-types.js';
import { isKeyClass, keyTypeOfNumber, objectClassOf, type ObjectClass } from './constants.js';
import type { Projected } from './projection.js';
import { valuesEqual, type Template } from './value-codec.js';

/**
 * C_FindObjects' rule: an object matches when every template attribute equals what the object
 * shows, byte for byte. An attribute the object does not have, or one that is sensitive, never
 * matches — so a template cannot test a key's value (find is not an oracle).
 */
export function matchesTemplate(project: (name: AttributeTypeName) => Projected, template: Template): boolean {
  for (const [name, wanted] of template) {
    const shown = project(name);
    if (typeof shown === 'string' || !valuesEqual(shown.value, wanted)) return false;
  }
  return true;
}

/**
 * Which sources a template can match at all, and a narrowing of the key listing (its indexes)
 * that loses no match: the class, key type, label and CKA_ID it names. The full template is
 * compared after, on each candidate.
 */
export interface SearchPlan {
  /** Undefined: no key can match. */
  readonly keys?: KeyFilter;
  /** Whether certificates or data objects can match. */
  readonly objects: boolean;
}

export function searchPlan(template: Template): SearchPlan {
  const classValue = template.get('CKA_CLASS');
  const objectClass: ObjectClass | undefined = typeof classValue === 'number' ? objectClassOf(classValue) : undefined;
  if (classValue !== undefined && objectClass === undefined) return { objects: false };
  const objects = objectClass === undefined || !isKeyClass(objectClass);
  const typeValue = template.get('CKA_KEY_TYPE');
  const keyType = typeof typeValue === 'number' ? keyTypeOfNumber(typeValue) : undefined;
  const noKeys = (objectClass !== undefined && !isKeyClass(objectClass)) || (typeValue !== undefined && !keyType);
  if (noKeys) return { objects };
  const filter: { -readonly [K in keyof KeyFilter]: KeyFilter[K] } = {};
  if (objectClass !== undefined && isKeyClass(objectClass)) filter.class = objectClass;
  if (keyType !== undefined) filter.keyType = keyType;
  const label = template.get('CKA_LABEL');
  if (Buffer.isBuffer(label)) {
    const text = utf8(label);
    if (text === undefined) return { objects };
    // An empty label or CKA_ID has no index entry: those are compared on each candidate instead.
    if (text !== '') filter.label = text;
  }
  const id = template.get('CKA_ID');
  if (Buffer.isBuffer(id) && id.length > 0) filter.id = id.toString('hex');
  return { keys: filter, objects };
}

/** Text of UTF-8 bytes, or undefined when they are not (no key label is such bytes). */
function utf8(bytes: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
