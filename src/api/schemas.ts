/** JSON-schema fragments shared by routes. Every object schema refuses unknown fields. */
// No pattern and no maxLength: decodeBase64 refuses anything that is not canonical base64
// (INVALID_FIELD) and the body limit bounds the size; either check here would repeat that work
// over every payload byte on the hot path (ajv counts length code point by code point).
export const base64 = { type: 'string' } as const;
export const handle = { type: 'string', pattern: '^0x[0-9a-fA-F]{1,16}$' } as const;
/** A key handle or `alias/<name>`, wherever a body names a key to use. */
export const keyReference = { type: 'string', pattern: '^(0x[0-9a-fA-F]{1,16}|alias/[A-Za-z0-9/_-]{1,64})$' } as const;
// Loose bounds here; the identity rules give the precise USERNAME_INVALID / PASSWORD_INVALID.
export const username = { type: 'string', maxLength: 256 } as const;
export const password = { type: 'string', maxLength: 1024 } as const;
export const booleanMap = {
  type: 'object',
  additionalProperties: { type: 'boolean' },
  maxProperties: 32,
} as const;

export function object<P extends Record<string, object>, R extends readonly (keyof P & string)[]>(
  properties: P,
  required: R,
): { type: 'object'; additionalProperties: false; properties: P; required: R } {
  return { type: 'object', additionalProperties: false, properties, required };
}

export const emptyObject = object({}, []);

/** A PKCS#11 template as the module sends it: [{"type": CKA_…, "value": …}] (value-codec.ts decodes). */
export const wireTemplate = {
  type: 'array',
  maxItems: 128,
  items: object({ type: { type: 'integer', minimum: 0 }, value: {} }, ['type', 'value']),
} as const;
