import { CofferError } from '../errors/coffer-error.js';
import { BOOLEAN_ATTRIBUTES, type AttributeChangeRequest } from '../objects/attributes.js';
import type { KeyRecord } from '../objects/key-record.js';
import type { AttributeTypeName } from './attribute-types.js';
import { KEY_FLAGS, type Projected } from './projection.js';
import { dateFromBytes, textFromBytes, valuesEqual, type Template } from './value-codec.js';

/**
 * C_SetAttributeValue on a key → the change request of PATCH /v1/keys/:handle, which the key
 * attribute table then decides as a whole. An attribute with no counterpart there (CKA_CLASS,
 * CKA_MODULUS, CKA_DERIVE of a public key …) may only repeat what the key shows; otherwise it
 * is ATTRIBUTE_READ_ONLY (key material too), or ATTRIBUTE_TYPE_INVALID when the key has none.
 */
export function keyChangeRequest(
  record: KeyRecord,
  project: (name: AttributeTypeName) => Projected,
  template: Template,
): AttributeChangeRequest {
  const request: { -readonly [K in keyof AttributeChangeRequest]: AttributeChangeRequest[K] } = {};
  const attributes: Record<string, boolean> = {};
  for (const [name, value] of template) {
    const flag = KEY_FLAGS.get(name);
    if (name === 'CKA_LABEL') request.label = textFromBytes(name, value as Buffer);
    else if (name === 'CKA_ID') request.id = (value as Buffer).toString('hex');
    else if (name === 'CKA_START_DATE' || name === 'CKA_END_DATE') {
      const date = dateFromBytes(name, value as Buffer);
      request[name === 'CKA_START_DATE' ? 'startDate' : 'endDate'] = date === '' ? null : date;
    } else if (flag !== undefined && (BOOLEAN_ATTRIBUTES[flag].classes as readonly string[]).includes(record.class))
      attributes[flag] = value as boolean;
    else unchanged(name, project(name), value);
  }
  if (Object.keys(attributes).length > 0) request.attributes = attributes;
  return request;
}

function unchanged(name: AttributeTypeName, shown: Projected, value: Parameters<typeof valuesEqual>[1]): void {
  if (shown === 'invalid') throw new CofferError('ATTRIBUTE_TYPE_INVALID', `${name} for this key`);
  if (shown === 'sensitive' || !valuesEqual(shown.value, value))
    throw new CofferError('ATTRIBUTE_READ_ONLY', `${name} cannot be changed`);
}
