import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ERRORS } from '../src/errors/registry.js';
import { PERMISSIONS, type PolicyOperation } from '../src/identity/policy.js';
import type { OpenApiDocument } from '../src/api/openapi.js';
import { codeOf } from './support/api.js';
import { startTestNode, type TestNode } from './support/test-node.js';

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

// Tests run from the repository root. api.md names a route as a code span: `POST /v1/keys/wrap`,
// with `:param` segments and, in listings, an optional query (`GET /v1/keys?label=&…`).
const apiMd = readFileSync(join(process.cwd(), 'docs', 'reference', 'api.md'), 'utf8');
const MENTION = /`(GET|PUT|POST|DELETE|PATCH) (\/v1\/[^`?\s]*)[^`]*`/g;

/** Method and path with parameter names erased: names are the docs' choice, the shape is not. */
function routeKey(method: string, path: string): string {
  return `${method.toUpperCase()} ${path.replace(/:[^/]+|\{[^}]+\}/g, '{}')}`;
}

describe('the OpenAPI document of /v1', () => {
  let t: TestNode;
  let document: OpenApiDocument;

  before(async () => {
    t = await startTestNode({ mode: 'production', raw: true });
  });
  after(() => t.stop());

  test('is not served while the node is sealed', async () => {
    assert.equal(codeOf(await t.api.call('GET', '/v1/openapi.json')), 'NODE_SEALED');
  });

  test('is served without a session once unsealed, as OpenAPI 3.1', async () => {
    await t.unsealAll();
    const answer = await t.api.call<OpenApiDocument>('GET', '/v1/openapi.json');
    assert.equal(answer.status, 200, answer.text);
    document = answer.body;
    assert.equal(document.openapi, '3.1.0');
    assert.ok(Object.keys(document.paths).length > 40);
    assert.ok(document.paths['/v1/openapi.json']?.get, 'the document lists itself');
  });

  test('every path has operations; every path parameter and body has a schema', () => {
    const ids = new Set<string>();
    for (const [path, item] of Object.entries(document.paths)) {
      const operations = Object.entries(item);
      assert.ok(operations.length > 0, path);
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      for (const [method, operation] of operations) {
        const where = `${method} ${path}`;
        assert.ok((METHODS as readonly string[]).includes(method), where);
        assert.ok(!ids.has(operation.operationId), `${where}: operationId ${operation.operationId} twice`);
        ids.add(operation.operationId);
        const inPath = (operation.parameters ?? []).filter((p) => p.in === 'path');
        assert.deepEqual(
          inPath.map((p) => p.name),
          templated,
          where,
        );
        for (const parameter of operation.parameters ?? []) assert.equal(typeof parameter.schema, 'object', where);
        if (operation.requestBody) {
          const content = operation.requestBody.content as Record<string, { schema?: { type?: string } }>;
          assert.equal(content['application/json']?.schema?.type, 'object', where);
        }
        assert.ok(operation.responses.default, `${where}: the error answer`);
      }
    }
  });

  test('policy operations, roles, sessions and the seal are stated as the routes declare them', () => {
    const login = document.paths['/v1/sessions']?.post;
    assert.equal(login?.security, undefined, 'logging in needs no session');
    const wrap = document.paths['/v1/keys/wrap']?.post;
    assert.equal(wrap?.['x-coffer-operation'], 'key.wrap');
    assert.deepEqual(wrap?.security, [{ clientCertificate: [], session: [] }]);
    assert.equal(document.paths['/v1/sessions/current']?.get?.security?.length, 1, 'whoami needs a session');
    const sealed = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([, operation]) => operation['x-coffer-served-while-sealed'])
        .map(([method]) => routeKey(method, path)),
    );
    assert.deepEqual(sealed.sort(), [
      'GET /v1/cluster/nodes',
      'GET /v1/cluster/status',
      'GET /v1/health',
      'POST /v1/cluster/unseal',
    ]);
    for (const item of Object.values(document.paths)) {
      for (const operation of Object.values(item)) {
        const name = operation['x-coffer-operation'] as PolicyOperation | undefined;
        if (name === undefined) continue;
        assert.deepEqual(operation['x-coffer-roles'], PERMISSIONS[name], name);
        assert.ok(operation.security, `${name} needs a session`);
      }
    }
  });

  test('the error answer lists every stable code', () => {
    const schemas = document.components.schemas as Record<string, { enum?: string[] }>;
    assert.deepEqual(schemas.ErrorCode?.enum, Object.keys(ERRORS));
  });

  test('docs/reference/api.md documents every route, and only routes that exist', () => {
    const served = new Set(
      Object.entries(document.paths).flatMap(([path, item]) => Object.keys(item).map((m) => routeKey(m, path))),
    );
    const documented = new Set([...apiMd.matchAll(MENTION)].map((m) => routeKey(m[1]!, m[2]!)));
    assert.deepEqual(
      [...served].filter((route) => !documented.has(route)),
      [],
      'served but not in api.md',
    );
    assert.deepEqual(
      [...documented].filter((route) => !served.has(route)),
      [],
      'in api.md but not served',
    );
  });
});
