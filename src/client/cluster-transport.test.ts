/**
 * The SDK's cluster transport against real local HTTPS servers, one per endpoint: zone
 * preference, balancing by requests outstanding, background health checks, discovery, and
 * which failures are retried on another endpoint (with the same Idempotency-Key).
 */
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, afterEach, before, describe, test } from 'node:test';
import {
  healthy,
  sendJson,
  startTestEndpoints,
  type TestEndpoint,
  type TestEndpoints,
} from '../../test/support/https-endpoints.js';
import { CofferConnectionError, isCofferApiError } from './errors.js';
import { Transport, type TransportOptions } from './transport.js';

let env: TestEndpoints;
let a: TestEndpoint;
let b: TestEndpoint;
let c: TestEndpoint;
const open: Transport[] = [];

before(async () => {
  env = await startTestEndpoints(3);
  [a, b, c] = env.endpoints as [TestEndpoint, TestEndpoint, TestEndpoint];
});
after(() => env.close());
afterEach(async () => {
  while (open.length > 0) await open.pop()!.close();
  for (const endpoint of env.endpoints) {
    await endpoint.start();
    endpoint.seen.length = 0;
    endpoint.handle = healthy();
  }
});

function transport(endpoints: TransportOptions['endpoints'], options: Partial<TransportOptions> = {}): Transport {
  const made = new Transport({
    endpoints,
    ca: env.ca,
    cert: env.client.cert,
    key: env.client.key,
    timeoutMs: 5000,
    healthCheckIntervalMs: 0,
    ...options,
  });
  open.push(made);
  return made;
}

const nonHealth = (endpoint: TestEndpoint) => endpoint.seen.filter((seen) => seen.url !== '/v1/health');

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let waited = 0; waited < 10_000; waited += 25) {
    if (condition()) return;
    await sleep(25);
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('cluster transport', () => {
  test("goes to the client's zone, falls back when it is down, and returns once a health check finds it", async () => {
    const sdk = transport([`${a.url}#z1`, `${b.url}#z2`], { zone: 'z2' });
    for (let i = 0; i < 4; i++) await sdk.request('GET', '/v1/keys');
    assert.equal(nonHealth(b).length, 4);
    assert.equal(nonHealth(a).length, 0);
    await b.stop();
    for (let i = 0; i < 3; i++) await sdk.request('GET', '/v1/keys');
    assert.equal(nonHealth(a).length, 3, 'the other zone serves while z2 is down');
    assert.equal(sdk.endpointStates().find((state) => state.url === b.url)?.healthy, false);
    await b.start();
    await until(() => sdk.endpointStates().find((state) => state.url === b.url)?.healthy === true, 'b back');
    assert.ok(
      b.seen.some((seen) => seen.url === '/v1/health'),
      'b came back through a health check',
    );
    await sdk.request('GET', '/v1/keys');
    assert.equal(nonHealth(b).length, 5);
  });

  test('learns zones from health checks, and takes a sealed node out', async () => {
    a.handle = healthy('z1');
    b.handle = (request, response) => {
      if (request.url === '/v1/health') return sendJson(response, 200, { status: 'ok', sealed: true, zone: 'z2' });
      sendJson(response, 503, { error: { code: 'NODE_SEALED', message: 'sealed' } });
    };
    const sdk = transport([a.url, b.url], { zone: 'z2', healthCheckIntervalMs: 50 });
    await until(() => sdk.endpointStates().every((state) => state.zone !== undefined), 'zones learned');
    assert.equal(sdk.endpointStates().find((state) => state.url === b.url)?.healthy, false);
    // A sealed node in the client's zone: the request goes to the healthy node elsewhere.
    await sdk.request('POST', '/v1/crypto/encrypt', { body: {} });
    assert.equal(nonHealth(a).length, 1);
  });

  test('balances concurrent requests by requests outstanding', async () => {
    const held: ServerResponse[] = [];
    const hold = (request: { url: string }, response: ServerResponse) => {
      if (request.url === '/v1/health') return sendJson(response, 200, { status: 'ok', sealed: false });
      held.push(response);
    };
    a.handle = hold;
    b.handle = hold;
    c.handle = hold;
    const sdk = transport([a.url, b.url, c.url]);
    const pending = Array.from({ length: 6 }, () => sdk.request('GET', '/v1/keys'));
    await until(() => held.length === 6, 'six requests held');
    assert.deepEqual(
      [a, b, c].map((endpoint) => nonHealth(endpoint).length),
      [2, 2, 2],
    );
    assert.deepEqual(
      sdk.endpointStates().map((state) => state.outstanding),
      [2, 2, 2],
    );
    for (const response of held) sendJson(response, 200, {});
    await Promise.all(pending);
    assert.deepEqual(
      sdk.endpointStates().map((state) => state.outstanding),
      [0, 0, 0],
    );
  });

  test('a write whose answer is lost is retried elsewhere with the same Idempotency-Key', async () => {
    a.handle = (request, response) => {
      if (request.url === '/v1/health') return sendJson(response, 200, { status: 'ok', sealed: false });
      response.socket?.destroy(); // the request arrived; its answer never leaves
    };
    b.handle = (_request, response) => sendJson(response, 201, { key: { handle: '0x01' } });
    const sdk = transport([a.url, b.url]);
    const answer = await sdk.request<{ key: { handle: string } }>('POST', '/v1/keys/symmetric', { body: {} });
    assert.equal(answer.key.handle, '0x01');
    const [sentToA] = nonHealth(a);
    const [sentToB] = nonHealth(b);
    assert.ok(sentToA && sentToB);
    const key = sentToA.headers['idempotency-key'];
    assert.match(String(key), /^[0-9a-f-]{36}$/);
    assert.equal(sentToB.headers['idempotency-key'], key);
    // Each write has its own key.
    await sdk.request('POST', '/v1/keys/symmetric', { body: {} });
    assert.notEqual(nonHealth(b).at(-1)?.headers['idempotency-key'], key);
  });

  test("a caller's own Idempotency-Key is kept", async () => {
    const sdk = transport([a.url]);
    await sdk.request('DELETE', '/v1/keys/0x01', { headers: { 'Idempotency-Key': 'my-own-key-0123456789' } });
    assert.equal(nonHealth(a)[0]?.headers['idempotency-key'], 'my-own-key-0123456789');
  });

  test('a request without a key whose answer is lost is never sent twice', async () => {
    a.handle = (request, response) => {
      if (request.url === '/v1/health') return sendJson(response, 200, { status: 'ok', sealed: false });
      response.socket?.destroy();
    };
    const sdk = transport([a.url, b.url]);
    await assert.rejects(sdk.request('POST', '/v1/crypto/sign', { body: {} }), CofferConnectionError);
    assert.equal(nonHealth(a).length, 1);
    assert.equal(nonHealth(b).length, 0, 'a sign may have run: not retried');
    assert.equal(nonHealth(a)[0]?.headers['idempotency-key'], undefined);
    // A read is retried: it changes nothing.
    await sdk.request('GET', '/v1/keys');
    assert.equal(nonHealth(b).length, 1);
  });

  test('connection refused and a sealed node fail over for any request; a bare 503 for a retriable one', async () => {
    await a.stop();
    c.handle = (request, response) => {
      if (request.url === '/v1/health') return sendJson(response, 200, { status: 'ok', sealed: false });
      sendJson(response, 503, { error: { code: 'NODE_SEALED', message: 'sealed' } });
    };
    const sdk = transport([a.url, c.url, b.url], { healthCheckIntervalMs: 0 });
    await sdk.request('POST', '/v1/crypto/sign', { body: {} });
    assert.equal(nonHealth(b).length, 1);
    assert.equal(sdk.currentEndpoint, b.url);
    // A 503 without a code (a closing node, or a proxy that may have forwarded the request).
    const closing = transport([c.url, b.url], { healthCheckIntervalMs: 0 });
    c.handle = (request, response) => {
      if (request.url === '/v1/health') return sendJson(response, 200, { status: 'ok', sealed: false });
      sendJson(response, 503, { error: 'Service Unavailable', message: 'closing', statusCode: 503 });
    };
    await closing.request('POST', '/v1/keys/symmetric', { body: {} });
    assert.equal(nonHealth(b).length, 2, 'a write with its Idempotency-Key goes on');
    const other = transport([c.url, b.url], { healthCheckIntervalMs: 0 });
    await assert.rejects(other.request('POST', '/v1/crypto/sign', { body: {} }), { code: 'HTTP_503' });
    assert.equal(nonHealth(b).length, 2, 'a sign is not sent twice');
    // Other error answers are answers: never retried elsewhere.
    b.handle = (_request, response) => sendJson(response, 404, { error: { code: 'KEY_NOT_FOUND', message: 'no' } });
    await a.start();
    const before = nonHealth(a).length;
    await assert.rejects(sdk.request('GET', '/v1/keys/0x01'), (error) => isCofferApiError(error, 'KEY_NOT_FOUND'));
    assert.equal(nonHealth(a).length, before);
  });

  test('discovers the nodes an endpoint lists, with their zones', async () => {
    a.handle = (request, response) => {
      if (request.url === '/v1/cluster/nodes')
        return sendJson(response, 200, {
          nodes: [
            { url: a.url, zone: 'z1' },
            { url: b.url, zone: 'z2' },
            { url: 'http://not-https.example', zone: 'z2' },
            { zone: 'no-url' },
          ],
        });
      healthy()(request, response);
    };
    const sdk = transport([a.url], { zone: 'z2', discover: true });
    await sdk.request('GET', '/v1/keys');
    assert.deepEqual(
      sdk.endpointStates().map(({ url, zone }) => [url, zone]),
      [
        [a.url, 'z1'],
        [b.url, 'z2'],
      ],
    );
    assert.equal(nonHealth(b).length, 1, 'the request went to the discovered node in the client zone');
  });

  test('when no endpoint answers, one CofferConnectionError names each failure', async () => {
    await a.stop();
    await b.stop();
    const sdk = transport([a.url, b.url]);
    await assert.rejects(sdk.request('POST', '/v1/keys/symmetric', { body: {} }), (error: unknown) => {
      assert.ok(error instanceof CofferConnectionError);
      assert.equal(error.causes.length, 2);
      return true;
    });
  });
});
