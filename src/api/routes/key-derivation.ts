import type { FastifyInstance } from 'fastify';
import { KeyDerivation } from '../../keys/key-derivation.js';
import { sessionOf } from '../auth.js';
import { decodeKeyRouteParams, KEY_ROUTE_PARAM_SCHEMA, type KeyRouteParamFields } from '../mechanism-params.js';
import { booleanMap, handle, object } from '../schemas.js';
import type { ApiServices } from '../services.js';

interface DeriveBody extends KeyRouteParamFields {
  baseKeyHandle: string;
  mechanism: string;
  keyType: string;
  keyLengthBytes: number;
  label?: string;
  id?: string;
  attributes?: Record<string, boolean>;
}

/** POST /v1/keys/derive (C_DeriveKey). */
export function keyDerivationRoutes(app: FastifyInstance, services: ApiServices): void {
  const derivation = new KeyDerivation({ keys: services.keys, writer: services.writer });

  app.post<{ Body: DeriveBody }>(
    '/v1/keys/derive',
    {
      config: { operation: 'key.derive' },
      schema: {
        body: object(
          {
            ...KEY_ROUTE_PARAM_SCHEMA,
            baseKeyHandle: handle,
            mechanism: { type: 'string', maxLength: 64 },
            keyType: { type: 'string', maxLength: 32 },
            keyLengthBytes: { type: 'integer', minimum: 1, maximum: 1024 },
            label: { type: 'string', maxLength: 512 },
            id: { type: 'string', maxLength: 256 },
            attributes: booleanMap,
          },
          ['baseKeyHandle', 'mechanism', 'keyType', 'keyLengthBytes'],
        ),
      },
    },
    async (request, reply) => {
      const { body } = request;
      const key = await derivation.derive(sessionOf(request), {
        baseKey: body.baseKeyHandle,
        mechanism: body.mechanism,
        keyType: body.keyType,
        lengthBytes: body.keyLengthBytes,
        template: {
          ...(body.label === undefined ? {} : { label: body.label }),
          ...(body.id === undefined ? {} : { id: body.id }),
          ...(body.attributes === undefined ? {} : { attributes: body.attributes }),
        },
        params: decodeKeyRouteParams(body),
      });
      return reply.code(201).send({ key });
    },
  );
}
