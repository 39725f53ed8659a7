import { booleanMap, keyReference, object, username } from '../api/schemas.js';
import { ALIAS_NAME_SCHEMA_PATTERN } from '../keys/key-aliases.js';
import type { AttributeChangeRequest } from '../objects/attributes.js';
import { operation } from './operation.js';
import { replayNothing, replayAlias, replayKey, replayKeyQuorum } from './replays.js';

const date = { type: ['string', 'null'], maxLength: 10 } as const;
const quorumValue = { type: 'integer', minimum: 1, maximum: 8 } as const;
const handleParams = object({ handle: keyReference }, ['handle']);
// A wildcard, since alias names may hold '/' (sent as-is or as %2F).
const aliasParams = object({ '*': { type: 'string', pattern: ALIAS_NAME_SCHEMA_PATTERN } }, ['*']);

const MANAGED = { key: { role: 'manage', field: 'handle' } } as const;
const STORED = { key: { role: 'manage-stored', field: 'handle' } } as const;

/** Managing keys: attributes, who may use them, their names and their quorum values. */
export const KEY_MANAGEMENT_OPERATIONS = [
  operation<{ handle: string } & AttributeChangeRequest, typeof MANAGED>({
    name: 'key.set-attribute',
    summary: "Change a key's attributes as the attribute table allows (C_SetAttributeValue)",
    policy: 'key.set-attribute',
    http: { method: 'PATCH', url: '/v1/keys/:handle' },
    schema: {
      params: handleParams,
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
    idempotent: replayKey,
    keys: MANAGED,
    async run({ services, session, keys }, input) {
      const { handle: _handle, ...request } = input;
      return { key: await services.keyAttributes.set(session, keys.key, request) };
    },
  }),
  operation<{ handle: string; username: string }, typeof STORED>({
    name: 'key.share',
    summary: 'Let another crypto user use a key (never manage or export it)',
    policy: 'key.share',
    http: { method: 'POST', url: '/v1/keys/:handle/shares' },
    schema: { params: handleParams, body: object({ username }, ['username']) },
    idempotent: replayKey,
    keys: STORED,
    async run({ services, session, keys }, input) {
      return { key: await services.keySharing.share(session, keys.key, input.username) };
    },
  }),
  operation<{ handle: string; username: string }, typeof STORED>({
    name: 'key.unshare',
    summary: 'Stop sharing a key with a user',
    policy: 'key.unshare',
    http: { method: 'DELETE', url: '/v1/keys/:handle/shares/:username' },
    schema: { params: object({ handle: keyReference, username }, ['handle', 'username']) },
    idempotent: replayKey,
    keys: STORED,
    async run({ services, session, keys }, input) {
      return { key: await services.keySharing.unshare(session, keys.key, input.username) };
    },
  }),
  operation<{ '*': string; keyHandle: string }, { key: { role: 'manage-stored'; field: 'keyHandle' } }>({
    name: 'alias.create',
    summary: 'Name a key (KMS-style alias), or move a name between the caller’s keys',
    policy: 'alias.create',
    http: { method: 'PUT', url: '/v1/aliases/*' },
    schema: { params: aliasParams, body: object({ keyHandle: keyReference }, ['keyHandle']) },
    idempotent: replayAlias,
    keys: { key: { role: 'manage-stored', field: 'keyHandle' } },
    async run({ services, session, keys }, input) {
      return { ...(await services.aliases.put(session, input['*'], keys.key)) };
    },
  }),
  operation<Record<string, never>, Record<string, never>>({
    name: 'alias.list',
    summary: 'The aliases of the keys the caller can see',
    policy: 'alias.list',
    http: { method: 'GET', url: '/v1/aliases' },
    schema: {},
    keys: {},
    async run({ services, session }) {
      return { aliases: await services.aliases.list(session) };
    },
  }),
  operation<{ '*': string }, Record<string, never>>({
    name: 'alias.delete',
    summary: "Delete an alias (its key's owner; the key is found through the alias, then gated)",
    policy: 'alias.delete',
    http: { method: 'DELETE', url: '/v1/aliases/*', status: 204 },
    schema: { params: aliasParams },
    idempotent: replayNothing,
    keys: {},
    async run({ services, session }, input) {
      await services.aliases.delete(session, input['*']);
      return undefined;
    },
  }),
  operation<{ handle: string }, { key: { role: 'read'; field: 'handle' } }>({
    name: 'key.read-quorum',
    summary: "A key's own key-management and key-usage quorum values",
    policy: 'key.read-attributes',
    http: { method: 'GET', url: '/v1/keys/:handle/quorum' },
    schema: { params: handleParams },
    keys: { key: { role: 'read', field: 'handle' } },
    async run({ services, keys }) {
      return { ...(await services.keyQuorum.get(keys.key)) };
    },
  }),
  operation<{ handle: string; 'key-management'?: number; 'key-usage'?: number }, typeof STORED>({
    name: 'key.set-quorum',
    summary: "Set a key's own quorum values (its owner; lowering them takes the current approval)",
    policy: 'key.set-quorum',
    http: { method: 'PUT', url: '/v1/keys/:handle/quorum' },
    schema: {
      params: handleParams,
      body: { ...object({ 'key-management': quorumValue, 'key-usage': quorumValue }, []), minProperties: 1 },
    },
    idempotent: replayKeyQuorum,
    keys: STORED,
    async run({ services, session, keys }, input) {
      const { handle: _handle, ...requested } = input;
      return { ...(await services.keyQuorum.set(session, keys.key, requested)) };
    },
  }),
];
