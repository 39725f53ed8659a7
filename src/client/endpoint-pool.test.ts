import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EndpointPool } from './endpoint-pool.js';
import { parseEndpoint } from './endpoints.js';
import { acceptsIdempotencyKey } from './idempotent-routes.js';

const A = 'https://a.example:2225';
const B = 'https://b.example:2225';
const C = 'https://c.example:2225';

function pool(zone?: string) {
  let now = 1000;
  const endpoints = new EndpointPool(
    [
      { url: A, zone: 'z1' },
      { url: B, zone: 'z2' },
      { url: C, zone: 'z2' },
    ],
    { ...(zone !== undefined && { zone }), clock: () => now, random: () => 1 },
  );
  return { endpoints, advance: (ms: number) => (now += ms) };
}

const none = new Set<string>();

describe('EndpointPool', () => {
  test('spreads equal load around, then prefers the endpoint with the fewest requests outstanding', () => {
    const { endpoints } = pool();
    assert.deepEqual([endpoints.pick(none), endpoints.pick(none), endpoints.pick(none)], [A, B, C]);
    endpoints.begin(A);
    endpoints.begin(A);
    endpoints.begin(B);
    assert.equal(endpoints.pick(none), C);
    endpoints.begin(C);
    assert.equal(endpoints.pick(none), B);
    endpoints.end(A);
    endpoints.end(A);
    assert.equal(endpoints.pick(none), A);
  });

  test("prefers the client's zone while one of its endpoints is healthy, balancing within it", () => {
    const { endpoints } = pool('z2');
    assert.deepEqual([endpoints.pick(none), endpoints.pick(none), endpoints.pick(none)], [B, C, B]);
    endpoints.begin(B);
    endpoints.begin(B);
    assert.equal(endpoints.pick(none), C, 'never A while z2 has a healthy endpoint, however busy');
    endpoints.failed(B);
    endpoints.failed(C);
    assert.equal(endpoints.pick(none), A, 'the other zone when its own is down');
  });

  test('a failed endpoint is out until it answers; when all are down every one is still tried', () => {
    const { endpoints } = pool();
    endpoints.failed(A);
    assert.deepEqual(
      Array.from({ length: 4 }, () => endpoints.pick(none)),
      [B, C, B, C],
    );
    assert.equal(endpoints.pick(new Set([B, C])), A, 'a request that tried the healthy ones tries the failed one');
    endpoints.answered(A);
    assert.ok([A, B, C].includes(endpoints.pick(none)!));
    endpoints.failed(A);
    endpoints.failed(B);
    endpoints.failed(C);
    assert.equal(endpoints.pick(none) !== undefined, true);
    assert.equal(endpoints.pick(new Set([A, B, C])), undefined, 'nothing left once all were tried');
  });

  test('health checks back off exponentially from each failure, up to a ceiling', () => {
    const { endpoints, advance } = pool();
    const waits: number[] = [];
    for (let i = 0; i < 10; i++) {
      endpoints.failed(A);
      const { nextAt } = endpoints.dueChecks();
      waits.push(nextAt! - 1000);
    }
    // random() = 1: the full backoff, 250 ms doubled per failure, at most 30 s.
    assert.deepEqual(waits, [250, 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    assert.deepEqual(endpoints.dueChecks().due, []);
    advance(30_000);
    assert.deepEqual(endpoints.dueChecks().due, [A]);
    endpoints.answered(A);
    assert.deepEqual(endpoints.dueChecks(), { due: [], nextAt: undefined });
  });

  test('discovered endpoints join; a zone learned fills in one not known, never replaces it', () => {
    const endpoints = new EndpointPool([{ url: A }, { url: B, zone: 'z2' }], { zone: 'z3' });
    endpoints.merge([
      { url: A, zone: 'z3' },
      { url: B, zone: 'other' },
      { url: C, zone: 'z1' },
    ]);
    assert.deepEqual(
      endpoints.states().map(({ url, zone }) => [url, zone]),
      [
        [A, 'z3'],
        [B, 'z2'],
        [C, 'z1'],
      ],
    );
    assert.equal(endpoints.pick(none), A);
  });
});

describe('endpoints and idempotent routes', () => {
  test('an endpoint is an https origin, its zone in the fragment', () => {
    assert.deepEqual(parseEndpoint('https://n1:2225/#eu-west-1a'), { url: 'https://n1:2225', zone: 'eu-west-1a' });
    assert.deepEqual(parseEndpoint('https://n1:2225'), { url: 'https://n1:2225' });
    assert.deepEqual(parseEndpoint({ url: 'https://n1:2225/', zone: 'z' }), { url: 'https://n1:2225', zone: 'z' });
    assert.throws(() => parseEndpoint('http://n1:2225'), /https/);
  });

  test('writes carry an Idempotency-Key; reads, crypto and logins do not', () => {
    const yes = [
      ['POST', '/v1/keys/symmetric'],
      ['DELETE', '/v1/keys/0x0000000000000001'],
      ['DELETE', '/v1/keys/0x01/shares/bob'],
      ['PUT', '/v1/aliases/app/one/two'],
      ['POST', '/v1/pkcs11/objects/0x01/copy'],
      ['POST', '/v1/users'],
    ];
    const no = [
      ['GET', '/v1/keys/0x01'],
      ['POST', '/v1/crypto/encrypt'],
      ['POST', '/v1/keys/wrap'],
      ['POST', '/v1/sessions'],
      ['DELETE', '/v1/sessions/current'],
      ['POST', '/v1/users/bob/unlock'],
      ['DELETE', '/v1/users/me/mfa'],
      ['PUT', '/v1/aliases'],
      ['DELETE', '/v1/keys/'],
    ];
    for (const [method, path] of yes) assert.equal(acceptsIdempotencyKey(method!, path!), true, `${method} ${path}`);
    for (const [method, path] of no) assert.equal(acceptsIdempotencyKey(method!, path!), false, `${method} ${path}`);
  });
});
