import type { FastifyInstance } from 'fastify';
import type { KeyClass } from '../../crypto/types.js';
import { sessionOf } from '../auth.js';
import { decodeBase64 } from '../base64.js';
import { decodeKeyRouteParams, KEY_ROUTE_PARAM_SCHEMA, type KeyRouteParamFields } from '../mechanism-params.js';
import { keyTemplate, KEY_TEMPLATE_SCHEMA, type KeyTemplateFields } from '../key-template.js';
import { base64, keyReference, object } from '../schemas.js';
import type { ApiServices } from '../services.js';

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

/** POST /v1/keys/wrap and /v1/keys/unwrap (C_WrapKey, C_UnwrapKey). */
export function keyWrappingRoutes(app: FastifyInstance, services: ApiServices): void {
  const wrapping = services.keyWrapping;

  app.post<{ Body: WrapBody }>(
    '/v1/keys/wrap',
    {
      config: { operation: 'key.wrap' },
      schema: {
        body: object(
          { ...KEY_ROUTE_PARAM_SCHEMA, wrappingKeyHandle: keyReference, keyHandle: keyReference, mechanism },
          ['wrappingKeyHandle', 'keyHandle', 'mechanism'],
        ),
      },
    },
    async (request) => {
      const { body } = request;
      const wrapped = await wrapping.wrap(sessionOf(request), {
        wrappingKey: body.wrappingKeyHandle,
        key: body.keyHandle,
        mechanism: body.mechanism,
        params: decodeKeyRouteParams(body),
      });
      return { wrappedKey: wrapped.toString('base64') };
    },
  );

  app.post<{ Body: UnwrapBody }>(
    '/v1/keys/unwrap',
    {
      config: { operation: 'key.unwrap' },
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
    },
    async (request, reply) => {
      const { body } = request;
      const key = await wrapping.unwrap(sessionOf(request), {
        unwrappingKey: body.unwrappingKeyHandle,
        mechanism: body.mechanism,
        wrapped: decodeBase64(body.wrappedKey, 'wrappedKey'),
        keyClass: body.class,
        keyType: body.keyType,
        template: keyTemplate(body),
        params: decodeKeyRouteParams(body),
      });
      return reply.code(201).send({ key });
    },
  );
}
