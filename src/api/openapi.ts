import type { FastifyContextConfig, FastifyInstance, FastifySchema } from 'fastify';
import { ERRORS, type ErrorCode } from '../errors/registry.js';
import { PERMISSIONS } from '../identity/policy.js';
import { COFFER_VERSION } from '../version.js';

/** One route as Fastify registered it: everything the OpenAPI document says about it. */
export interface RegisteredRoute {
  readonly method: string;
  readonly url: string;
  readonly schema: FastifySchema;
  readonly config: FastifyContextConfig;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route, in registration order (collectRoutes). */
    readonly apiRoutes: readonly RegisteredRoute[];
  }
  interface FastifyContextConfig {
    /** Served beside /v1 on the same listener (the XKS proxy API): not part of /v1's document. */
    outsideV1?: boolean;
  }
}

type Json = Readonly<Record<string, unknown>>;

export interface OpenApiDocument {
  readonly openapi: string;
  readonly info: Json;
  readonly security: readonly Json[];
  readonly paths: Readonly<Record<string, Readonly<Record<string, OpenApiOperation>>>>;
  readonly components: Json;
}

export interface OpenApiOperation {
  readonly operationId: string;
  readonly tags: readonly string[];
  readonly parameters?: readonly Json[];
  readonly requestBody?: Json;
  readonly responses: Json;
  readonly security?: readonly Json[];
  readonly 'x-coffer-operation'?: string;
  readonly 'x-coffer-roles'?: readonly string[];
  readonly 'x-coffer-served-while-sealed': boolean;
}

/** Fastify names the wildcard param '*'; OpenAPI needs a name, and the rest of the path is one. */
const WILDCARD = 'path';
const ERROR_REF = { $ref: '#/components/responses/Error' } as const;
/** On the writes that accept it: a retry with the same key answers the first result, never writes twice. */
const IDEMPOTENCY_KEY_PARAMETER = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  schema: { type: 'string', minLength: 16, maxLength: 64, pattern: '^[\\x21-\\x7e]+$' },
} as const;

/**
 * Records every route as Fastify registers it, so the document is made from the routes
 * themselves and cannot drift from them. Call before any route is added.
 */
export function collectRoutes(app: FastifyInstance): void {
  const routes: RegisteredRoute[] = [];
  app.decorate('apiRoutes', routes);
  app.addHook('onRoute', (route) => {
    if (route.config?.outsideV1) return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    // HEAD twins of GET routes are Fastify's own; the document lists the GET.
    for (const method of methods.filter((m) => m !== 'HEAD')) {
      routes.push({ method, url: route.url, schema: route.schema ?? {}, config: route.config ?? {} });
    }
  });
}

/** The OpenAPI 3.1 document of the given routes. */
export function openApiDocument(routes: readonly RegisteredRoute[]): OpenApiDocument {
  const paths: Record<string, Record<string, OpenApiOperation>> = {};
  // The /v1 API only: the KMS-compatible API (POST /) is AWS's, documented as KMS's.
  for (const route of routes.filter((registered) => registered.url.startsWith('/v1/'))) {
    const path = openApiPath(route.url);
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: operationOf(route, path) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Coffer /v1',
      version: COFFER_VERSION,
      description: 'The JSON API of a Coffer node. Generated from the routes the node serves.',
    },
    // Outside dev mode TLS itself refuses a client without a certificate from the cluster CA.
    security: [{ clientCertificate: [] }],
    paths,
    components: COMPONENTS,
  };
}

/** `/v1/keys/:handle` → `/v1/keys/{handle}`; a trailing `*` → `{path}`. */
export function openApiPath(url: string): string {
  return url
    .split('/')
    .map((segment) => {
      if (segment === '*') return `{${WILDCARD}}`;
      if (segment.startsWith(':')) return `{${segment.slice(1).replace(/\(.*\)$/, '')}}`;
      return segment;
    })
    .join('/');
}

function operationOf(route: RegisteredRoute, path: string): OpenApiOperation {
  const { operation, authenticated, allowWhenSealed, idempotent } = route.config;
  const parameters = [
    ...pathParameters(path, asSchema(route.schema.params)),
    ...queryParameters(route.schema),
    ...(idempotent === true ? [IDEMPOTENCY_KEY_PARAMETER] : []),
  ];
  const body = asSchema(route.schema.body);
  return {
    operationId: operationId(route.method, path),
    tags: [path.split('/')[2] ?? 'v1'],
    ...(parameters.length > 0 && { parameters }),
    ...(body && { requestBody: { required: true, content: { 'application/json': { schema: body } } } }),
    responses: { '2XX': { description: 'Success' }, default: ERROR_REF },
    ...((operation || authenticated) && { security: [{ clientCertificate: [], session: [] }] }),
    ...(operation && { 'x-coffer-operation': operation, 'x-coffer-roles': PERMISSIONS[operation] }),
    'x-coffer-served-while-sealed': allowWhenSealed === true,
  };
}

function pathParameters(path: string, schema: Json | undefined): Json[] {
  const properties = propertiesOf(schema);
  return [...path.matchAll(/\{([^}]+)\}/g)].map(([, name]) => {
    const own = name === WILDCARD ? properties['*'] : properties[name!];
    return {
      name,
      in: 'path',
      required: true,
      schema: own ?? { type: 'string' },
      ...(name === WILDCARD && { description: 'The rest of the path: it may hold "/", as-is or as %2F' }),
    };
  });
}

function queryParameters(schema: FastifySchema): Json[] {
  const query = asSchema(schema.querystring);
  const required = new Set(Array.isArray(query?.required) ? (query.required as string[]) : []);
  return Object.entries(propertiesOf(query)).map(([name, own]) => ({
    name,
    in: 'query',
    required: required.has(name),
    schema: own,
  }));
}

/** `POST /v1/keys/{handle}/shares` → `postKeysHandleShares`: unique, as method + path is. */
function operationId(method: string, path: string): string {
  const words = path
    .split('/')
    .slice(2)
    .flatMap((segment) => segment.replace(/[{}]/g, '').split(/[^A-Za-z0-9]+/))
    .filter(Boolean);
  return method.toLowerCase() + words.map((word) => word[0]!.toUpperCase() + word.slice(1)).join('');
}

function asSchema(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null ? (value as Json) : undefined;
}

function propertiesOf(schema: Json | undefined): Readonly<Record<string, Json>> {
  return (asSchema(schema?.properties) ?? {}) as Readonly<Record<string, Json>>;
}

const CODES = Object.keys(ERRORS) as ErrorCode[];

const COMPONENTS = {
  securitySchemes: {
    session: {
      type: 'http',
      scheme: 'bearer',
      description: 'A session token from POST /v1/sessions, as `authorization: Bearer <token>`.',
    },
    clientCertificate: {
      type: 'mutualTLS',
      description: 'A client certificate from the cluster CA: required outside dev mode, checked when presented.',
    },
  },
  schemas: {
    ErrorCode: {
      type: 'string',
      enum: CODES,
      description: 'The stable error codes (docs/reference/errors.md); x-coffer-http-status gives each its status.',
      'x-coffer-http-status': Object.fromEntries(CODES.map((code) => [code, ERRORS[code].status])),
    },
    ErrorAnswer: {
      type: 'object',
      required: ['error'],
      properties: {
        error: {
          type: 'object',
          required: ['code', 'message'],
          properties: {
            code: { $ref: '#/components/schemas/ErrorCode' },
            message: { type: 'string', description: 'For people; the code is the contract.' },
            challenge: { type: 'object', description: 'MFA_REQUIRED only: the challenge to sign.' },
          },
        },
      },
    },
  },
  responses: {
    Error: {
      description: 'A refusal: the HTTP status of its code, and the code.',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorAnswer' } } },
    },
  },
} as const;
