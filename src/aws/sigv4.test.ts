import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { canonicalPath, canonicalQuery, verifySigV4, type SignedRequest, type SigV4Options } from './sigv4.js';

const ACCESS_KEY = 'AKIDEXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const NOW = new Date('2026-03-01T12:00:00Z');

interface Credential {
  readonly secret: Buffer;
  readonly user: string;
}

function options(overrides: Partial<SigV4Options<Credential>> = {}): SigV4Options<Credential> {
  return {
    service: 'kms',
    clock: () => NOW,
    credential: async (id) => (id === ACCESS_KEY ? { secret: Buffer.from(SECRET, 'utf8'), user: 'alice' } : undefined),
    ...overrides,
  };
}

/** Signs a request with the AWS SDK's own signer, as a KMS client does, and returns it as the wire shows it. */
async function signed(
  init: { body?: string; path?: string; query?: Record<string, string>; headers?: Record<string, string> } = {},
  signer: { service?: string; region?: string; secret?: string; date?: Date; accessKeyId?: string } = {},
): Promise<SignedRequest> {
  const body = init.body ?? '{"KeyId":"alias/test"}';
  const request = new HttpRequest({
    method: 'POST',
    protocol: 'https:',
    hostname: 'localhost',
    port: 2225,
    path: init.path ?? '/',
    query: init.query ?? {},
    headers: {
      host: 'localhost:2225',
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'TrentService.Encrypt',
      ...init.headers,
    },
    body,
  });
  const sigv4 = new SignatureV4({
    service: signer.service ?? 'kms',
    region: signer.region ?? 'eu-west-1',
    credentials: { accessKeyId: signer.accessKeyId ?? ACCESS_KEY, secretAccessKey: signer.secret ?? SECRET },
    sha256: Sha256,
  });
  const out = (await sigv4.sign(request, { signingDate: signer.date ?? NOW })) as HttpRequest;
  const query = new URLSearchParams(out.query as Record<string, string>).toString().replaceAll('+', '%20');
  return {
    method: out.method,
    url: query === '' ? out.path : `${out.path}?${query}`,
    rawHeaders: Object.entries(out.headers).flat(),
    body: Buffer.from(body, 'utf8'),
  };
}

function withHeader(request: SignedRequest, name: string, value: string): SignedRequest {
  const raw = [...request.rawHeaders];
  const at = raw.findIndex((header, index) => index % 2 === 0 && header.toLowerCase() === name);
  if (at >= 0) raw[at + 1] = value;
  else raw.push(name, value);
  return { ...request, rawHeaders: raw };
}

test('a request signed by the AWS SDK verifies, and names its key and region', async () => {
  const result = await verifySigV4(await signed(), options());
  assert.equal(result.ok, true);
  if (!result.ok) return;
  assert.equal(result.accessKeyId, ACCESS_KEY);
  assert.equal(result.region, 'eu-west-1');
  assert.equal(result.credential.user, 'alice');
});

test('AWS SigV4 test suite: get-vanilla computes the published signature', async () => {
  // From the AWS SigV4 test suite (service "service", us-east-1, 2015-08-30T12:36:00Z).
  const authorization =
    'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, ' +
    'Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31';
  const request: SignedRequest = {
    method: 'GET',
    url: '/',
    rawHeaders: ['Host', 'example.amazonaws.com', 'X-Amz-Date', '20150830T123600Z', 'Authorization', authorization],
    body: Buffer.alloc(0),
  };
  const result = await verifySigV4(
    request,
    options({ service: 'service', clock: () => new Date('2015-08-30T12:36:00Z') }),
  );
  assert.equal(result.ok, true);
});

test('the service is a parameter: a kms signature is refused by a kms-xks verifier and back', async () => {
  const kms = await signed();
  const xks = await signed({ path: '/kms/xks/v1/keys/k1/encrypt' }, { service: 'kms-xks' });
  assert.equal((await verifySigV4(xks, options({ service: 'kms-xks' }))).ok, true);
  for (const [request, service] of [
    [kms, 'kms-xks'],
    [xks, 'kms'],
  ] as const) {
    const result = await verifySigV4(request, options({ service }));
    assert.equal(result.ok, false);
    if (!result.ok) assert.equal(result.failure, 'scope');
  }
});

test('any altered part of a signed request fails the signature', async () => {
  const good = await signed();
  // The SDK sends x-amz-content-sha256: an altered body no longer matches it.
  const body = await verifySigV4({ ...good, body: Buffer.from('{"KeyId":"alias/other"}') }, options());
  assert.deepEqual(!body.ok && body.failure, 'payload');
  const cases: SignedRequest[] = [
    { ...good, method: 'PUT' },
    { ...good, url: '/other' },
    withHeader(good, 'x-amz-target', 'TrentService.Decrypt'),
    withHeader(good, 'host', 'evil.example:2225'),
    withHeader(good, 'content-type', 'application/json'),
  ];
  for (const request of cases) {
    const result = await verifySigV4(request, options());
    assert.equal(result.ok, false);
    if (!result.ok) assert.equal(result.failure, 'signature', JSON.stringify(request.rawHeaders));
  }
});

test('a wrong secret is a signature failure; an unknown key is unknown-key', async () => {
  const wrong = await verifySigV4(await signed({}, { secret: 'not-the-secret' }), options());
  assert.deepEqual(!wrong.ok && wrong.failure, 'signature');
  const unknown = await verifySigV4(await signed({}, { accessKeyId: 'AKIDUNKNOWN' }), options());
  assert.deepEqual(!unknown.ok && [unknown.failure, unknown.accessKeyId], ['unknown-key', 'AKIDUNKNOWN']);
});

test('a date outside five minutes either way is expired, inside is accepted', async () => {
  for (const [offsetMs, ok] of [
    [-6 * 60_000, false],
    [6 * 60_000, false],
    [-4 * 60_000, true],
    [4 * 60_000, true],
  ] as const) {
    const result = await verifySigV4(await signed({}, { date: new Date(NOW.getTime() + offsetMs) }), options());
    assert.equal(result.ok, ok, String(offsetMs));
    if (!result.ok) assert.equal(result.failure, 'expired');
  }
});

test('an unknown key with a date outside the window is refused before any key lookup', async () => {
  let looked = 0;
  const result = await verifySigV4(
    await signed({}, { date: new Date(NOW.getTime() - 3600_000) }),
    options({ credential: async () => (looked++, undefined) }),
  );
  assert.deepEqual(!result.ok && result.failure, 'expired');
  assert.equal(looked, 0);
});

test('missing or malformed authorization is incomplete', async () => {
  const good = await signed();
  const without = { ...good, rawHeaders: good.rawHeaders.filter((_, i, all) => all[i - (i % 2)] !== 'authorization') };
  const auth = good.rawHeaders[good.rawHeaders.indexOf('authorization') + 1]!;
  const cases: SignedRequest[] = [
    without,
    withHeader(good, 'authorization', 'Bearer abc'),
    withHeader(good, 'authorization', auth.replace('AWS4-HMAC-SHA256', 'AWS4-HMAC-SHA1')),
    withHeader(good, 'authorization', auth.replace(/Signature=[0-9a-f]+/, 'Signature=abc')),
    // host no longer among the signed headers
    withHeader(good, 'authorization', auth.replace('host;', '')),
    withHeader(good, 'x-amz-date', '2026-03-01T12:00:00Z'),
  ];
  for (const request of cases) {
    const result = await verifySigV4(request, options());
    assert.deepEqual(!result.ok && result.failure, 'incomplete');
  }
});

test('the API can require more signed headers (x-amz-target)', async () => {
  const good = await signed();
  assert.equal((await verifySigV4(good, options({ requiredHeaders: ['x-amz-target'] }))).ok, true);
  const auth = good.rawHeaders[good.rawHeaders.indexOf('authorization') + 1]!;
  const unsigned = withHeader(good, 'authorization', auth.replace(';x-amz-target', ''));
  const result = await verifySigV4(unsigned, options({ requiredHeaders: ['x-amz-target'] }));
  assert.deepEqual(!result.ok && result.failure, 'incomplete');
});

test('a region filter refuses other regions; the scope must be dated the day of x-amz-date', async () => {
  const result = await verifySigV4(await signed(), options({ region: (region) => region === 'us-east-1' }));
  assert.deepEqual(!result.ok && result.failure, 'scope');
  const good = await signed();
  const auth = good.rawHeaders[good.rawHeaders.indexOf('authorization') + 1]!;
  const otherDay = withHeader(good, 'authorization', auth.replace('/20260301/', '/20260302/'));
  const refused = await verifySigV4(otherDay, options());
  assert.deepEqual(!refused.ok && refused.failure, 'scope');
});

test('x-amz-content-sha256 must be the hash of the body; a session token is refused', async () => {
  const request = await signed({ headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
  const result = await verifySigV4(request, options());
  assert.deepEqual(!result.ok && result.failure, 'payload');
  const token = await signed({ headers: { 'x-amz-security-token': 'FQoGZXIvYXdzE' } });
  const refused = await verifySigV4(token, options());
  assert.deepEqual(!refused.ok && refused.failure, 'unknown-key');
});

test('paths and queries are canonicalized as the SDK signs them', async () => {
  const request = await signed({
    path: '/kms/xks/v1/keys/a%20b/encrypt',
    query: { b: '2', a: 'x y', 'c*': "it's" },
  });
  assert.equal((await verifySigV4(request, options())).ok, true);
  assert.equal(canonicalPath('/a/./b/../c//d/'), '/a/c/d/');
  assert.equal(canonicalPath('/a%20b'), '/a%2520b');
  assert.equal(canonicalQuery('b=2&a=x%20y&a=w'), 'a=w&a=x%20y&b=2');
});
