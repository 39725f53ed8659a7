import type { KeyTemplate } from '../keys/key-service.js';
import { booleanMap } from './schemas.js';

/**
 * The fields that describe a new key on every route that makes one (generate, import, unwrap,
 * derive): its label, CKA_ID and attributes. The attribute rules table decides what is allowed;
 * these are only the bounds on what a client sends.
 */
export const KEY_TEMPLATE_SCHEMA = {
  label: { type: 'string', maxLength: 512 },
  id: { type: 'string', maxLength: 256 },
  attributes: booleanMap,
} as const;

export interface KeyTemplateFields {
  label?: string;
  id?: string;
  attributes?: Record<string, boolean>;
  /**
   * False makes a session key. Not in KEY_TEMPLATE_SCHEMA: the /v1 import, unwrap and derive
   * bodies do not take it; the PKCS#11 face passes it (CKA_TOKEN).
   */
  token?: boolean;
}

/** The template in a body: only the fields given (an absent one takes the table's default). */
export function keyTemplate(body: KeyTemplateFields): KeyTemplate {
  return {
    ...(body.label !== undefined && { label: body.label }),
    ...(body.id !== undefined && { id: body.id }),
    ...(body.attributes !== undefined && { attributes: body.attributes }),
    ...(body.token !== undefined && { token: body.token }),
  };
}
