import type { FastifyInstance } from 'fastify';
import { specFromRequest } from '../../crypto/keys/registry.js';
import type { KeyClass } from '../../crypto/types.js';
import { parseHandle } from '../../objects/key-handle.js';
import { FILTER_FLAGS, type FilterFlag } from '../../objects/attributes.js';
import type { KeyFilter } from '../../keys/key-service.js';
import { sessionOf } from '../auth.js';
import { KEY_TEMPLATE_SCHEMA } from '../key-template.js';
import { pageLimit } from '../paging.js';
import { booleanMap, handle, object, username } from '../schemas.js';
import type { ApiServices } from '../services.js';

const { label, id } = KEY_TEMPLATE_SCHEMA;
const handleParams = object({ handle }, ['handle']);

interface SymmetricBody {
  keyType: string;
  keyLengthBytes: number;
  label?: string;
  id?: string;
  attributes?: Record<string, boolean>;
  token?: boolean;
}

interface PairBody {
  keyType: string;
  curve?: string;
  modulusBits?: number;
  publicExponent?: number;
  label?: string;
  id?: string;
  publicLabel?: string;
  privateLabel?: string;
  publicAttributes?: Record<string, boolean>;
  privateAttributes?: Record<string, boolean>;
  token?: boolean;
}

interface ListQuery extends Partial<Record<FilterFlag, 'true' | 'false'>> {
  label?: string;
  id?: string;
  class?: KeyClass;
  keyType?: string;
  owner?: string;
  alias?: string;
  after?: string;
  limit?: string;
}

/** Usage-flag filters arrive as strings; only 'true' and 'false' pass the schema. */
const flagQuery = Object.fromEntries(FILTER_FLAGS.map((flag) => [flag, { type: 'string', enum: ['true', 'false'] }]));

function listFilter(query: Omit<ListQuery, 'after' | 'limit'>): KeyFilter {
  const filter: Record<string, string | boolean | undefined> = {};
  for (const [name, value] of Object.entries(query) as [string, string | undefined][]) {
    filter[name] = (FILTER_FLAGS as readonly string[]).includes(name) ? value === 'true' : value;
  }
  return filter as KeyFilter;
}

export function keyRoutes(app: FastifyInstance, services: ApiServices): void {
  const { keys } = services;

  app.post<{ Body: SymmetricBody }>(
    '/v1/keys/symmetric',
    {
      config: { operation: 'key.generate' },
      schema: {
        body: object(
          {
            keyType: { type: 'string', maxLength: 32 },
            keyLengthBytes: { type: 'integer' },
            label,
            id,
            attributes: booleanMap,
            token: { type: 'boolean' },
          },
          ['keyType', 'keyLengthBytes'],
        ),
      },
    },
    async (request, reply) => {
      const { keyType, keyLengthBytes, ...template } = request.body;
      const spec = specFromRequest('secret', keyType, { keyLengthBytes });
      const key = await keys.generateSymmetric(sessionOf(request), spec, template);
      return reply.code(201).send({ key });
    },
  );

  app.post<{ Body: PairBody }>(
    '/v1/keys/pairs',
    {
      config: { operation: 'key.generate' },
      schema: {
        body: object(
          {
            keyType: { type: 'string', maxLength: 32 },
            curve: { type: 'string', maxLength: 64 },
            modulusBits: { type: 'integer' },
            publicExponent: { type: 'integer' },
            label,
            id,
            publicLabel: label,
            privateLabel: label,
            publicAttributes: booleanMap,
            privateAttributes: booleanMap,
            token: { type: 'boolean' },
          },
          ['keyType'],
        ),
      },
    },
    async (request, reply) => {
      const { keyType, curve, modulusBits, publicExponent, ...template } = request.body;
      const pair = await keys.generatePair(
        sessionOf(request),
        specFromRequest('pair', keyType, { curve, modulusBits, publicExponent }),
        template,
      );
      return reply.code(201).send(pair);
    },
  );

  app.get<{ Querystring: ListQuery }>(
    '/v1/keys',
    {
      config: { operation: 'key.list' },
      schema: {
        querystring: object(
          {
            label,
            id,
            class: { type: 'string', enum: ['secret', 'private', 'public'] },
            keyType: { type: 'string', maxLength: 32 },
            owner: username,
            alias: { type: 'string', maxLength: 64 },
            ...flagQuery,
            after: handle,
            limit: { type: 'string', pattern: '^[0-9]{1,4}$' },
          },
          [],
        ),
      },
    },
    async (request) => {
      const { after, limit, ...filter } = request.query;
      const page = { ...(after ? { after: parseHandle(after) } : {}), limit: pageLimit(limit) };
      return keys.list(sessionOf(request), listFilter(filter), page);
    },
  );

  app.get<{ Params: { handle: string } }>(
    '/v1/keys/:handle',
    { config: { operation: 'key.read-attributes' }, schema: { params: handleParams } },
    async (request) => ({ key: await keys.get(sessionOf(request), request.params.handle) }),
  );

  app.get<{ Params: { handle: string } }>(
    '/v1/keys/:handle/public-key',
    { config: { operation: 'key.export-public' }, schema: { params: handleParams } },
    async (request) => ({ pem: await keys.exportPublicKey(sessionOf(request), request.params.handle) }),
  );

  app.delete<{ Params: { handle: string } }>(
    '/v1/keys/:handle',
    { config: { operation: 'key.delete' }, schema: { params: handleParams } },
    async (request, reply) => {
      await keys.delete(sessionOf(request), request.params.handle);
      return reply.code(204).send();
    },
  );
}
