import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { codeOf } from './support/api.js';
import { startTestNode, type TestNode } from './support/test-node.js';

describe('bad input gets its documented code and changes nothing', () => {
  let t: TestNode;
  let alice: string;
  let admin: string;
  let keyHandle: string;

  /** What any change would move: the audit head and the number of keys and users. */
  async function snapshot(): Promise<string> {
    const events = await t.api.call<{ events: { seq: number }[] }>('GET', '/v1/audit/events?limit=1000', {
      token: admin,
    });
    const keys = await t.api.call<{ keys: unknown[] }>('GET', '/v1/keys?limit=1000', { token: admin });
    const users = await t.api.call<{ users: unknown[] }>('GET', '/v1/users', { token: admin });
    return JSON.stringify([events.body.events.at(-1)?.seq, keys.body.keys.length, users.body.users.length]);
  }

  before(async () => {
    t = await startTestNode();
    alice = (await t.cryptoUser('alice')).token;
    admin = await t.api.login('admin', t.adminPassword);
    const key = await t.api.call<{ key: { handle: string } }>('POST', '/v1/keys/symmetric', {
      token: alice,
      body: { keyType: 'aes', keyLengthBytes: 32 },
    });
    keyHandle = key.body.key.handle;
  });
  after(() => t.stop());

  const cases: {
    name: string;
    method?: string;
    path: string;
    raw?: string;
    body?: () => unknown;
    headers?: Record<string, string>;
    code: string;
    status: number;
  }[] = [
    {
      name: 'malformed JSON',
      path: '/v1/keys/symmetric',
      raw: '{"keyType": "aes", ',
      code: 'MALFORMED_JSON',
      status: 400,
    },
    {
      name: 'empty JSON body',
      path: '/v1/keys/symmetric',
      raw: '',
      headers: { 'content-type': 'application/json' },
      code: 'MALFORMED_JSON',
      status: 400,
    },
    {
      name: 'prototype pollution',
      path: '/v1/keys/symmetric',
      raw: '{"keyType":"aes","keyLengthBytes":32,"__proto__":{"x":1}}',
      code: 'MALFORMED_JSON',
      status: 400,
    },
    {
      name: 'unknown field',
      path: '/v1/keys/symmetric',
      body: () => ({ keyType: 'aes', keyLengthBytes: 32, colour: 'blue' }),
      code: 'UNKNOWN_FIELD',
      status: 400,
    },
    {
      name: 'missing field',
      path: '/v1/keys/symmetric',
      body: () => ({ keyType: 'aes' }),
      code: 'MISSING_FIELD',
      status: 400,
    },
    {
      name: 'wrong type',
      path: '/v1/keys/symmetric',
      body: () => ({ keyType: 'aes', keyLengthBytes: '32' }),
      code: 'INVALID_FIELD',
      status: 400,
    },
    {
      name: 'wrong type in a nested map',
      path: '/v1/keys/symmetric',
      body: () => ({ keyType: 'aes', keyLengthBytes: 32, attributes: { encrypt: 'yes' } }),
      code: 'INVALID_FIELD',
      status: 400,
    },
    {
      name: 'not base64',
      path: '/v1/crypto/encrypt',
      body: () => ({ keyHandle, mechanism: 'AES_GCM', plaintext: 'not base64!' }),
      code: 'INVALID_FIELD',
      status: 400,
    },
    {
      name: 'non-canonical base64',
      path: '/v1/crypto/encrypt',
      body: () => ({ keyHandle, mechanism: 'AES_GCM', plaintext: 'AB' }),
      code: 'INVALID_FIELD',
      status: 400,
    },
    {
      name: 'oversize body',
      path: '/v1/crypto/encrypt',
      raw: JSON.stringify({ keyHandle: '0x1', mechanism: 'AES_GCM', plaintext: 'A'.repeat(1_100_000) }),
      code: 'BODY_TOO_LARGE',
      status: 413,
    },
    {
      name: 'input over the single-part limit',
      path: '/v1/crypto/encrypt',
      body: () => ({ keyHandle, mechanism: 'AES_GCM', plaintext: Buffer.alloc(600 * 1024).toString('base64') }),
      code: 'DATA_LEN_RANGE',
      status: 400,
    },
    {
      name: 'not JSON',
      path: '/v1/keys/symmetric',
      raw: 'keyType=aes',
      headers: { 'content-type': 'text/plain' },
      code: 'UNSUPPORTED_MEDIA_TYPE',
      status: 415,
    },
    { name: 'malformed key reference', method: 'GET', path: '/v1/keys/handle-7', code: 'INVALID_FIELD', status: 400 },
    { name: 'unknown route', method: 'GET', path: '/v1/nothing-here', code: 'ROUTE_NOT_FOUND', status: 404 },
    {
      name: 'no session',
      path: '/v1/keys/symmetric',
      body: () => ({ keyType: 'aes', keyLengthBytes: 32 }),
      headers: { authorization: '' },
      code: 'NOT_AUTHENTICATED',
      status: 401,
    },
    {
      name: 'forged session',
      path: '/v1/keys/symmetric',
      body: () => ({ keyType: 'aes', keyLengthBytes: 32 }),
      headers: { authorization: 'Bearer cfs_forged' },
      code: 'SESSION_INVALID',
      status: 401,
    },
  ];

  for (const testCase of cases) {
    test(`${testCase.name} → ${testCase.code}`, async () => {
      const before = await snapshot();
      const answer = await t.api.call(testCase.method ?? 'POST', testCase.path, {
        token: testCase.headers?.authorization === undefined ? alice : undefined,
        ...(testCase.raw !== undefined ? { raw: testCase.raw } : {}),
        ...(testCase.body ? { body: testCase.body() } : {}),
        headers: Object.fromEntries(Object.entries(testCase.headers ?? {}).filter(([, value]) => value !== '')),
      });
      assert.equal(codeOf(answer), testCase.code, answer.text);
      assert.equal(answer.status, testCase.status);
      assert.equal(typeof (answer.body as { error: { message: string } }).error.message, 'string');
      assert.equal(await snapshot(), before, 'nothing changed');
    });
  }
});
