import type { FastifyInstance } from 'fastify';
import { sessionOf } from '../auth.js';
import { decodeKeyRouteParams, KEY_ROUTE_PARAM_SCHEMA, type KeyRouteParamFields } from '../mechanism-params.js';
import { keyTemplate, KEY_TEMPLATE_SCHEMA, type KeyTemplateFields } from '../key-template.js';
import { keyReference, object } from '../schemas.js';
import type { ApiServices } from '../services.js';

interface DeriveBody extends KeyRouteParamFields, KeyTemplateFields {
  baseKeyHandle: string;
  mechanism: string;
  keyType: string;
  keyLengthBytes: number;
}

/** POST /v1/keys/derive (C_DeriveKey). */
export function keyDerivationRoutes(app: FastifyInstance, services: ApiServices): void {
  app.post<{ Body: DeriveBody }>(
    '/v1/keys/derive',
    {
      config: { operation: 'key.derive' },
      schema: {
        body: object(
          {
            ...KEY_ROUTE_PARAM_SCHEMA,
            baseKeyHandle: keyReference,
            mechanism: { type: 'string', maxLength: 64 },
            keyType: { type: 'string', maxLength: 32 },
            keyLengthBytes: { type: 'integer', minimum: 1, maximum: 1024 },
            ...KEY_TEMPLATE_SCHEMA,
          },
          ['baseKeyHandle', 'mechanism', 'keyType', 'keyLengthBytes'],
        ),
      },
    },
    async (request, reply) => {
      const { body } = request;
      const key = await services.keyDerivation.derive(sessionOf(request), {
        baseKey: body.baseKeyHandle,
        mechanism: body.mechanism,
        keyType: body.keyType,
        lengthBytes: body.keyLengthBytes,
        template: keyTemplate(body),
        params: decodeKeyRouteParams(body),
      });
      return reply.code(201).send({ key });
    },
  );
}
