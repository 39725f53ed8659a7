import type { FastifyInstance } from 'fastify';
import type { AttributeChangeRequest } from '../../objects/attributes.js';
import { sessionOf } from '../auth.js';
import { booleanMap, keyReference, object } from '../schemas.js';
import type { ApiServices } from '../services.js';

const date = { type: ['string', 'null'], maxLength: 10 } as const;

/** PATCH /v1/keys/:handle — `key set-attribute`: the attribute table decides (attributes.ts). */
export function keyAttributeRoutes(app: FastifyInstance, services: ApiServices): void {
  app.patch<{ Params: { handle: string }; Body: AttributeChangeRequest }>(
    '/v1/keys/:handle',
    {
      config: { operation: 'key.set-attribute' },
      schema: {
        params: object({ handle: keyReference }, ['handle']),
        body: object(
          {
            label: { type: 'string', maxLength: 512 },
            id: { type: 'string', maxLength: 256 },
            startDate: date,
            endDate: date,
            attributes: booleanMap,
          },
          [],
        ),
      },
    },
    async (request) => ({
      key: await services.keyAttributes.set(sessionOf(request), request.params.handle, request.body),
    }),
  );
}
