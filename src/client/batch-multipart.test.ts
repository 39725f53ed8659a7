/**
 * The SDK's batch, digest, random and multi-part calls against a tiny local HTTPS server
 * (TLS 1.3, certificates from src/pki): wire bodies, per-item results and errors in order,
 * and the life of a multi-part operation.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createClusterCa, createKeyAndCsr, issueCertificate, privateKeyPem } from '../pki/index.js';
import { CofferApiError, CofferClient, type CofferSession } from './index.js';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly body: Record<string, unknown> | undefined;
}

const seen: Seen[] = [];
let server: https.Server;
let sdk: CofferClient;
let session: CofferSession;

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const b64 = (value: string | Buffer): string => Buffer.from(value).toString('base64');
const fromB64 = (value: unknown): Buffer => Buffer.from(String(value), 'base64');
const lastBody = (url: string): Record<string, unknown> | undefined =>
  [...seen].reverse().find((entry) => entry.url === url)?.body;

/** One fake multi-part digest: the node's state of operation "op-1". */
let parts: Buffer[] = [];

function batchItem(item: Record<string, unknown>): unknown {
  switch (item.operation) {
    case 'sign':
      return item.keyHandle === '0x0000000000000bad'
        ? { status: 404, error: { code: 'KEY_NOT_FOUND', message: 'No such key' } }
        : { status: 200, body: { signature: b64(`sig:${fromB64(item.data).toString()}`), keyVersion: 1 } };
    case 'verify':
      return { status: 400, error: { code: 'SIGNATURE_INVALID', message: 'The signature does not verify' } };
    case 'encrypt':
      return { status: 200, body: { ciphertext: item.plaintext, iv: b64('iv-iv-iv-iv!'), keyVersion: 1 } };
    case 'random':
      return { status: 200, body: { random: b64(Buffer.alloc(Number(item.length), 9)) } };
    default:
      return { status: 400, error: { code: 'MECHANISM_INVALID', message: 'no' } };
  }
}

function route(entry: Seen, res: ServerResponse): void {
  const body = entry.body ?? {};
  switch (`${entry.method} ${entry.url}`) {
    case 'POST /v1/sessions':
      return json(res, 201, {
        token: 'cfs_t',
        username: 'alice',
        role: 'crypto-user',
        expiresAt: '2030-01-01T00:00:00Z',
      });
    case 'POST /v1/batch':
      return json(res, 200, { results: (body.operations as Record<string, unknown>[]).map(batchItem) });
    case 'POST /v1/crypto/digest':
      return json(res, 200, { digest: createHash('sha256').update(fromB64(body.data)).digest('base64') });
    case 'POST /v1/crypto/random':
      return json(res, 200, { random: b64(Buffer.alloc(Number(body.length), 1)) });
    case 'POST /v1/crypto/operations':
      parts = [];
      return json(
        res,
        201,
        body.operation === 'encrypt' ? { operationId: 'op-2', iv: b64('node-iv-1234') } : { operationId: 'op-1' },
      );
    case 'POST /v1/crypto/operations/op-1/update':
      parts.push(fromB64(body.data));
      return json(res, 200, {});
    case 'POST /v1/crypto/operations/op-1/final':
      if (body.data !== undefined) parts.push(fromB64(body.data));
      return json(res, 200, { digest: createHash('sha256').update(Buffer.concat(parts)).digest('base64') });
    case 'POST /v1/crypto/operations/op-2/update':
      return json(res, 200, { output: body.data });
    case 'POST /v1/crypto/operations/op-2/final':
      return json(res, 400, { error: { code: 'DATA_LEN_RANGE', message: 'too long' } });
    case 'DELETE /v1/crypto/operations/op-1':
    case 'DELETE /v1/crypto/operations/op-2':
      res.writeHead(204);
      return void res.end();
    default:
      return json(res, 404, { error: { code: 'ROUTE_NOT_FOUND', message: 'No such API operation' } });
  }
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>);
}

before(async () => {
  const ca = await createClusterCa({ clusterId: 'sdk-batch-test' });
  const nodeKey = await createKeyAndCsr({ commonName: 'node-1' });
  const cert = await issueCertificate(ca, nodeKey.csrPem, { profile: 'node', ipAddresses: ['127.0.0.1'] });
  server = https.createServer(
    { key: privateKeyPem(nodeKey.privateKey), cert, minVersion: 'TLSv1.3' },
    (req, res) =>
      void readBody(req).then((body) => {
        const entry = { method: req.method ?? '', url: req.url ?? '', body };
        seen.push(entry);
        route(entry, res);
      }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  sdk = new CofferClient({ endpoints: [`https://127.0.0.1:${port}`], ca: ca.certificatePem, timeoutMs: 5000 });
  session = await sdk.login('alice', 'pw');
});

after(async () => {
  await sdk.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('session.prepareBatch', () => {
  it('encodes once and sends the same body each time, decoding each answer', async () => {
    const prepared = session.prepareBatch([
      { operation: 'sign', keyHandle: '0x0000000000000001', mechanism: 'ECDSA_SHA256', data: Buffer.from('again') },
    ]);
    const before = seen.filter((entry) => entry.url === '/v1/batch').length;
    const first = await prepared.send();
    const firstBody = lastBody('/v1/batch');
    const second = await prepared.send();
    assert.equal(seen.filter((entry) => entry.url === '/v1/batch').length, before + 2);
    assert.deepEqual(lastBody('/v1/batch'), firstBody);
    for (const [result] of [first, second]) {
      assert.ok(result.ok);
      assert.equal(result.value.toString(), 'sig:again');
    }
  });
});

describe('session.batch', () => {
  it('sends one request with base64 bodies and returns typed results in order', async () => {
    const results = await session.batch([
      { operation: 'sign', keyHandle: '0x0000000000000001', mechanism: 'ECDSA_SHA256', data: Buffer.from('one') },
      { operation: 'sign', keyHandle: '0x0000000000000bad', mechanism: 'ECDSA_SHA256', data: Buffer.from('two') },
      { operation: 'encrypt', keyHandle: '0x0000000000000002', plaintext: Buffer.from([1, 2, 3]) },
      {
        operation: 'verify',
        keyHandle: '0x0000000000000003',
        mechanism: 'SHA256_RSA_PKCS_PSS',
        data: Buffer.from('x'),
        signature: Buffer.alloc(4),
        saltLength: 32,
      },
      { operation: 'random', length: 5 },
    ]);
    assert.equal(results.length, 5);
    const [signed, failed, encrypted, verified, random] = results;
    assert.ok(signed.ok);
    assert.equal(signed.value.toString(), 'sig:one');
    assert.equal(failed.ok, false);
    assert.ok(!failed.ok && failed.error instanceof CofferApiError);
    assert.equal(!failed.ok && failed.error.code, 'KEY_NOT_FOUND');
    assert.equal(!failed.ok && failed.error.status, 404);
    assert.ok(encrypted.ok);
    assert.deepEqual(encrypted.value.ciphertext, Buffer.from([1, 2, 3]));
    assert.equal(encrypted.value.iv.toString(), 'iv-iv-iv-iv!');
    assert.deepEqual(verified, { ok: true, value: false }, 'SIGNATURE_INVALID is a false verification');
    assert.ok(random.ok);
    assert.deepEqual(random.value, Buffer.alloc(5, 9));
    assert.deepEqual(lastBody('/v1/batch'), {
      operations: [
        { operation: 'sign', keyHandle: '0x0000000000000001', mechanism: 'ECDSA_SHA256', data: b64('one') },
        { operation: 'sign', keyHandle: '0x0000000000000bad', mechanism: 'ECDSA_SHA256', data: b64('two') },
        {
          operation: 'encrypt',
          keyHandle: '0x0000000000000002',
          plaintext: b64(Buffer.from([1, 2, 3])),
          mechanism: 'AES_GCM',
        },
        {
          operation: 'verify',
          keyHandle: '0x0000000000000003',
          mechanism: 'SHA256_RSA_PKCS_PSS',
          data: b64('x'),
          signature: b64(Buffer.alloc(4)),
          saltLength: 32,
        },
        { operation: 'random', length: 5 },
      ],
    });
  });
});

describe('digest and random', () => {
  it('digests data and returns the raw digest', async () => {
    const digest = await session.digest({ mechanism: 'SHA256', data: Buffer.from('abc') });
    assert.deepEqual(digest, createHash('sha256').update('abc').digest());
    assert.deepEqual(lastBody('/v1/crypto/digest'), { mechanism: 'SHA256', data: b64('abc') });
  });

  it('asks for random bytes by length', async () => {
    assert.deepEqual(await session.random(16), Buffer.alloc(16, 1));
    assert.deepEqual(lastBody('/v1/crypto/random'), { length: 16 });
  });
});

describe('multi-part operations', () => {
  it('begins, updates and finals a digest; then refuses more use without asking the node', async () => {
    const operation = await session.beginOperation({ operation: 'digest', mechanism: 'SHA256' });
    assert.equal(operation.operationId, 'op-1');
    assert.equal(operation.iv, undefined);
    assert.deepEqual(await operation.update(Buffer.from('hello ')), Buffer.alloc(0));
    const digest = await operation.final({ data: Buffer.from('world') });
    assert.deepEqual(digest, createHash('sha256').update('hello world').digest());
    assert.equal(operation.finished, true);
    const requests = seen.length;
    await assert.rejects(operation.update(Buffer.from('late')), { code: 'OPERATION_FINISHED' });
    await operation.abort();
    assert.equal(seen.length, requests, 'no request after the operation ended');
  });

  it('returns the node IV and streamed output, and maps a final error', async () => {
    const operation = await session.beginOperation({
      operation: 'encrypt',
      keyHandle: '0x0000000000000002',
      mechanism: 'AES_GCM',
      aad: Buffer.from('ctx'),
    });
    assert.equal(operation.iv?.toString(), 'node-iv-1234');
    assert.deepEqual(lastBody('/v1/crypto/operations'), {
      operation: 'encrypt',
      keyHandle: '0x0000000000000002',
      mechanism: 'AES_GCM',
      aad: b64('ctx'),
    });
    assert.deepEqual(await operation.update(Buffer.from('part')), Buffer.from('part'));
    await assert.rejects(operation.final(), { code: 'DATA_LEN_RANGE', status: 400 });
  });

  it('withOperation aborts an operation its body left unfinished', async () => {
    await assert.rejects(
      session.withOperation({ operation: 'digest', mechanism: 'SHA256' }, async (operation) => {
        await operation.update(Buffer.from('a'));
        throw new Error('the caller gave up');
      }),
      /the caller gave up/,
    );
    assert.equal(seen.at(-1)?.method, 'DELETE');
    assert.equal(seen.at(-1)?.url, '/v1/crypto/operations/op-1');
  });
});
