import { decodeBase64 } from '../api/base64.js';
import { keyTemplate, KEY_TEMPLATE_SCHEMA, type KeyTemplateFields } from '../api/key-template.js';
import { pageLimit } from '../api/paging.js';
import { base64, booleanMap, emptyObject, handle, keyReference, object, username } from '../api/schemas.js';
import { specFromRequest } from '../crypto/keys/registry.js';
import type { KeyClass } from '../crypto/types.js';
import { CofferError } from '../errors/coffer-error.js';
import type { ImportInput } from '../keys/key-import.js';
import type { KeyFilter } from '../keys/key-service.js';
import { FILTER_FLAGS, type FilterFlag } from '../objects/attributes.js';
import { parseHandle } from '../objects/key-handle.js';
import type { Session } from '../identity/sessions.js';
import type { KeyRecord } from '../objects/key-record.js';
import { operation } from './operation.js';
import type { Services } from './services.js';
import { replayNothing, replayKey, replayPair } from './replays.js';

const { label, id } = KEY_TEMPLATE_SCHEMA;
const handleParams = object({ handle: keyReference }, ['handle']);
const theKey = <R extends 'read' | 'manage' | 'manage-stored' | 'read-usage'>(role: R) =>
  ({ key: { role, field: 'handle' } }) as const;

export interface SymmetricBody {
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

interface ImportBody extends KeyTemplateFields {
  pem?: string;
  der?: string;
  keyType?: string;
  value?: string;
}

/** Usage-flag filters arrive as strings; only 'true' and 'false' pass the schema. */
const flagQuery = Object.fromEntries(FILTER_FLAGS.map((flag) => [flag, { type: 'string', enum: ['true', 'false'] }]));

/** key.generate-symmetric's work, which the PKCS#11 face's C_GenerateKey shares. */
export async function generateSymmetric(services: Services, session: Session, body: SymmetricBody): Promise<KeyRecord> {
  const { keyType, keyLengthBytes, ...template } = body;
  const spec = specFromRequest('secret', keyType, { keyLengthBytes });
  return services.keys.generateSymmetric(session, spec, template);
}

/** A key's life: generate, import, list, read, export its public half, rotate, read usage, destroy. */
export const KEY_OPERATIONS = [
  operation<SymmetricBody, Record<string, never>>({
    name: 'key.generate-symmetric',
    summary: 'Generate a secret key inside the node (C_GenerateKey)',
    policy: 'key.generate',
    http: { method: 'POST', url: '/v1/keys/symmetric', status: 201 },
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
    idempotent: replayKey,
    keys: {},
    async run({ services, session }, body) {
      return { key: await generateSymmetric(services, session, body) };
    },
  }),
  operation<PairBody, Record<string, never>>({
    name: 'key.generate-pair',
    summary: 'Generate a key pair inside the node (C_GenerateKeyPair), with a pairwise consistency test',
    policy: 'key.generate',
    http: { method: 'POST', url: '/v1/keys/pairs', status: 201 },
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
    idempotent: replayPair,
    keys: {},
    async run({ services, session }, body) {
      const { keyType, curve, modulusBits, publicExponent, ...template } = body;
      const spec = specFromRequest('pair', keyType, { curve, modulusBits, publicExponent });
      return services.keys.generatePair(session, spec, template);
    },
  }),
  operation<ImportBody, Record<string, never>>({
    name: 'key.import',
    summary: 'Import a public key, or a secret or private key where the cluster policy allows it',
    policy: 'key.import',
    http: { method: 'POST', url: '/v1/keys/import', status: 201 },
    schema: {
      body: object(
        {
          pem: { type: 'string', maxLength: 65_536 },
          der: base64,
          keyType: { type: 'string', maxLength: 32 },
          value: base64,
          ...KEY_TEMPLATE_SCHEMA,
        },
        [],
      ),
    },
    idempotent: replayKey,
    keys: {},
    async run({ services, session }, body) {
      return { key: await services.keyImport.import(session, importInput(body), keyTemplate(body)) };
    },
  }),
  operation<ListQuery, Record<string, never>>({
    name: 'key.list',
    summary: 'List the keys the caller can see, filtered, a page at a time',
    policy: 'key.list',
    http: { method: 'GET', url: '/v1/keys' },
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
    keys: {},
    async run({ services, session }, query) {
      const { after, limit, ...filter } = query;
      const page = { ...(after ? { after: parseHandle(after) } : {}), limit: pageLimit(limit) };
      return { ...(await services.keys.list(session, listFilter(filter), page)) };
    },
  }),
  operation<{ handle: string }, ReturnType<typeof theKey<'read'>>>({
    name: 'key.read-attributes',
    summary: "Read a key's attributes (C_GetAttributeValue); never its value",
    policy: 'key.read-attributes',
    http: { method: 'GET', url: '/v1/keys/:handle' },
    schema: { params: handleParams },
    keys: theKey('read'),
    async run({ keys }) {
      return { key: keys.key.record };
    },
  }),
  operation<{ handle: string }, ReturnType<typeof theKey<'read'>>>({
    name: 'key.export-public',
    summary: 'The public key of a key pair, as a PEM (SPKI)',
    policy: 'key.export-public',
    http: { method: 'GET', url: '/v1/keys/:handle/public-key' },
    schema: { params: handleParams },
    keys: theKey('read'),
    async run({ services, keys }) {
      return { pem: services.keys.exportPublicKey(keys.key) };
    },
  }),
  operation<{ handle: string }, ReturnType<typeof theKey<'manage-stored'>>>({
    name: 'key.rotate',
    summary: "New material as the key's newest version; older versions kept for decrypt and verify",
    policy: 'key.rotate',
    http: { method: 'POST', url: '/v1/keys/:handle/rotate' },
    schema: { params: handleParams, body: emptyObject },
    idempotent: replayKey,
    keys: theKey('manage-stored'),
    async run({ services, session, keys }) {
      return { key: await services.versions.rotate(session, keys.key) };
    },
  }),
  operation<{ handle: string }, ReturnType<typeof theKey<'read-usage'>>>({
    name: 'key.read-usage',
    summary: "A key's use count, summed over the nodes (its owner or an admin)",
    policy: 'key.read-usage',
    http: { method: 'GET', url: '/v1/keys/:handle/usage' },
    schema: { params: handleParams },
    keys: theKey('read-usage'),
    async run({ services, keys }) {
      return { usage: await services.keyUsage.usage(keys.key) };
    },
  }),
  operation<{ handle: string }, ReturnType<typeof theKey<'manage'>>>({
    name: 'key.delete',
    summary: 'Destroy a key (C_DestroyObject), with its versions and aliases',
    policy: 'key.delete',
    http: { method: 'DELETE', url: '/v1/keys/:handle', status: 204 },
    schema: { params: handleParams },
    idempotent: replayNothing,
    keys: theKey('manage'),
    async run({ services, session, keys }) {
      await services.keys.delete(session, keys.key);
      return undefined;
    },
  }),
];

function listFilter(query: Omit<ListQuery, 'after' | 'limit'>): KeyFilter {
  const filter: Record<string, string | boolean | undefined> = {};
  for (const [name, value] of Object.entries(query) as [string, string | undefined][]) {
    filter[name] = (FILTER_FLAGS as readonly string[]).includes(name) ? value === 'true' : value;
  }
  return filter as KeyFilter;
}

/** Exactly one of `pem`, `der`, or `keyType` with `value`. */
function importInput(body: ImportBody): ImportInput {
  const given = [body.pem, body.der, body.value].filter((field) => field !== undefined).length;
  if (given !== 1) throw new CofferError('INVALID_FIELD', 'body: exactly one of pem, der, or keyType with value');
  if (body.keyType !== undefined && body.value === undefined) {
    throw new CofferError('INVALID_FIELD', 'body.keyType goes with value (a PEM or DER names its own key type)');
  }
  if (body.pem !== undefined) return { pem: body.pem };
  if (body.der !== undefined) return { der: decodeBase64(body.der, 'der') };
  if (body.keyType === undefined) throw new CofferError('MISSING_FIELD', 'body.keyType');
  return { keyType: body.keyType, value: decodeBase64(body.value as string, 'value') };
}
