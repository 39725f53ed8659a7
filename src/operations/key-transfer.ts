import { decodeBase64 } from '../api/base64.js';
import { keyTemplate, KEY_TEMPLATE_SCHEMA, type KeyTemplateFields } from '../api/key-template.js';
import { decodeKeyRouteParams, KEY_ROUTE_PARAM_SCHEMA, type KeyRouteParamFields } from '../api/mechanism-params.js';
import { base64, keyReference, object } from '../api/schemas.js';
import type { KeyClass } from '../crypto/types.js';
import { operation } from './operation.js';
import { replayKey } from './replays.js';

const mechanism = { type: 'string', maxLength: 64 } as const;

interface WrapBody extends KeyRouteParamFields {
  wrappingKeyHandle: string;
  keyHandle: string;
  mechanism: string;
}

interface UnwrapBody extends KeyRouteParamFields, KeyTemplateFields {
  unwrappingKeyHandle: string;
  mechanism: string;
  wrappedKey: string;
  class: Exclude<KeyClass, 'public'>;
  keyType: string;
}

interface DeriveBody extends KeyRouteParamFields, KeyTemplateFields {
  baseKeyHandle: string;
  mechanism: string;
  keyType: string;
  keyLengthBytes: number;
}

const WRAP_KEYS = {
  wrapping: { role: 'wrap', field: 'wrappingKeyHandle', mechanismField: 'mechanism' },
  target: { role: 'export', field: 'keyHandle' },
} as const;
const UNWRAP_KEYS = {
  unwrapping: { role: 'unwrap', field: 'unwrappingKeyHandle', mechanismField: 'mechanism' },
} as const;
const DERIVE_KEYS = { base: { role: 'derive', field: 'baseKeyHandle', mechanismField: 'mechanism' } } as const;

/** Keys in and out of keys: C_WrapKey, C_UnwrapKey, C_DeriveKey. */
export const KEY_TRANSFER_OPERATIONS = [
  operation<WrapBody, typeof WRAP_KEYS>({
    name: 'key.wrap',
    summary: "A key, wrapped under a wrapping key (C_WrapKey): only the key's owner may export it",
    policy: 'key.wrap',
    http: { method: 'POST', url: '/v1/keys/wrap' },
    schema: {
      body: object({ ...KEY_ROUTE_PARAM_SCHEMA, wrappingKeyHandle: keyReference, keyHandle: keyReference, mechanism }, [
        'wrappingKeyHandle',
        'keyHandle',
        'mechanism',
      ]),
    },
    keys: WRAP_KEYS,
    async run({ services, session, keys }, body) {
      const wrapped = await services.keyWrapping.wrap(session, keys.wrapping, keys.target, decodeKeyRouteParams(body));
      return { wrappedKey: wrapped.toString('base64') };
    },
  }),
  operation<UnwrapBody, typeof UNWRAP_KEYS>({
    name: 'key.unwrap',
    summary: 'A new key from a wrapped one (C_UnwrapKey), owned by the caller and sensitive',
    policy: 'key.unwrap',
    http: { method: 'POST', url: '/v1/keys/unwrap', status: 201 },
    schema: {
      body: object(
        {
          ...KEY_ROUTE_PARAM_SCHEMA,
          unwrappingKeyHandle: keyReference,
          mechanism,
          wrappedKey: base64,
          class: { type: 'string', enum: ['secret', 'private'] },
          keyType: { type: 'string', maxLength: 32 },
          ...KEY_TEMPLATE_SCHEMA,
        },
        ['unwrappingKeyHandle', 'mechanism', 'wrappedKey', 'class', 'keyType'],
      ),
    },
    idempotent: replayKey,
    keys: UNWRAP_KEYS,
    async run({ services, session, keys }, body) {
      const key = await services.keyWrapping.unwrap(session, keys.unwrapping, {
        wrapped: decodeBase64(body.wrappedKey, 'wrappedKey'),
        keyClass: body.class,
        keyType: body.keyType,
        template: keyTemplate(body),
        params: decodeKeyRouteParams(body),
      });
      return { key };
    },
  }),
  operation<DeriveBody, typeof DERIVE_KEYS>({
    name: 'key.derive',
    summary: 'A new secret key derived from a base key (C_DeriveKey): ECDH, HKDF, SP 800-108',
    policy: 'key.derive',
    http: { method: 'POST', url: '/v1/keys/derive', status: 201 },
    schema: {
      body: object(
        {
          ...KEY_ROUTE_PARAM_SCHEMA,
          baseKeyHandle: keyReference,
          mechanism,
          keyType: { type: 'string', maxLength: 32 },
          keyLengthBytes: { type: 'integer', minimum: 1, maximum: 1024 },
          ...KEY_TEMPLATE_SCHEMA,
        },
        ['baseKeyHandle', 'mechanism', 'keyType', 'keyLengthBytes'],
      ),
    },
    idempotent: replayKey,
    keys: DERIVE_KEYS,
    async run({ services, session, keys }, body) {
      const key = await services.keyDerivation.derive(session, keys.base, {
        keyType: body.keyType,
        lengthBytes: body.keyLengthBytes,
        template: keyTemplate(body),
        params: decodeKeyRouteParams(body),
      });
      return { key };
    },
  }),
];
