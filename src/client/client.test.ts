/**
 * The SDK against a tiny local HTTPS server (TLS 1.3, mutual TLS, certificates from src/pki):
 * base64 conversion, error mapping, bearer tokens, query strings, and failover.
 */
import assert from 'node:assert/strict';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createClusterCa, createKeyAndCsr, issueCertificate, privateKeyPem } from '../pki/index.js';
import { CofferApiError, CofferClient, CofferConnectionError } from './index.js';

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  body: unknown;
}

type Handler = (seen: Seen, res: ServerResponse) => void;

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const routes: Record<string, Handler> = {
  'GET /v1/health': (_seen, res) => json(res, 200, { status: 'ok', sealed: false, version: '0.1.0' }),
  'POST /v1/sessions': (seen, res) => {
    const body = seen.body as { username: string; password: string };
    if (body.password !== 'correct horse')
      return json(res, 401, { error: { code: 'LOGIN_FAILED', message: 'Wrong username or password' } });
    json(res, 201, {
      token: 'cfs_test',
      username: body.username,
      role: 'crypto-user',
      expiresAt: '2030-01-01T00:00:00Z',
    });
  },
  'DELETE /v1/sessions/current': (_seen, res) => {
    res.writeHead(204);
    res.end();
  },
  'POST /v1/crypto/encrypt': (seen, res) => {
    const body = seen.body as { plaintext: string };
    const reversed = Buffer.from(body.plaintext, 'base64').reverse();
    json(res, 200, { ciphertext: reversed.toString('base64'), iv: Buffer.alloc(12, 7).toString('base64') });
  },
  'POST /v1/crypto/verify': (_seen, res) =>
    json(res, 400, { error: { code: 'SIGNATURE_INVALID', message: 'The signature does not verify' } }),
  'GET /v1/keys/0x0000000000000001': (_seen, res) =>
    json(res, 404, { error: { code: 'KEY_NOT_FOUND', message: 'No such key' } }),
  'GET /v1/keys/0x0000000000000002': (_seen, res) =>
    json(res, 418, { error: { code: 'TEAPOT_FROM_THE_FUTURE', message: 'new code' } }),
  'GET /v1/keys/0x0000000000000003': (_seen, res) => {
    res.writeHead(502);
    res.end('bad gateway');
  },
};

let server: https.Server;
let port: number;
let closedPort: number;
const seen: Seen[] = [];
let ca: string;
let client: { key: string; cert: string };

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port: free } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return free;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? undefined : (JSON.parse(text) as unknown);
}

before(async () => {
  const clusterCa = await createClusterCa({ clusterId: 'sdk-test' });
  ca = clusterCa.certificatePem;
  const nodeKey = await createKeyAndCsr({ commonName: 'node-1' });
  const nodeCert = await issueCertificate(clusterCa, nodeKey.csrPem, { profile: 'node', ipAddresses: ['127.0.0.1'] });
  const clientKey = await createKeyAndCsr({ commonName: 'sdk' });
  client = {
    key: privateKeyPem(clientKey.privateKey),
    cert: await issueCertificate(clusterCa, clientKey.csrPem, { profile: 'client' }),
  };
  server = https.createServer(
    {
      key: privateKeyPem(nodeKey.privateKey),
      cert: nodeCert,
      ca: [ca],
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.3',
    },
    (req, res) => {
      void readBody(req).then((body) => {
        const entry: Seen = {
          method: req.method ?? '',
          url: req.url ?? '',
          authorization: req.headers.authorization,
          body,
        };
        seen.push(entry);
        const route = routes[`${entry.method} ${entry.url.split('?')[0]}`];
        if (route) route(entry, res);
        else json(res, 404, { error: { code: 'ROUTE_NOT_FOUND', message: 'No such API operation' } });
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  closedPort = await freePort();
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function makeClient(endpoints: string[]): CofferClient {
  return new CofferClient({ endpoints, ca, cert: client.cert, key: client.key, timeoutMs: 5000 });
}

describe('CofferClient', () => {
  it('answers health over mutual TLS 1.3', async () => {
    const sdk = makeClient([`https://127.0.0.1:${port}`]);
    try {
      assert.deepEqual(await sdk.health(), { status: 'ok', sealed: false, version: '0.1.0' });
    } finally {
      await sdk.close();
    }
  });

  it('fails over to the second endpoint when the first refuses connections, and remembers it', async () => {
    const sdk = makeClient([`https://127.0.0.1:${closedPort}`, `https://127.0.0.1:${port}`]);
    try {
      assert.equal((await sdk.health()).status, 'ok');
      assert.equal(sdk.currentEndpoint, `https://127.0.0.1:${port}`);
      assert.equal((await sdk.health()).status, 'ok');
    } finally {
      await sdk.close();
    }
  });

  it('throws CofferConnectionError when no endpoint answers', async () => {
    const sdk = makeClient([`https://127.0.0.1:${closedPort}`]);
    try {
      await assert.rejects(sdk.health(), (error: unknown) => {
        assert.ok(error instanceof CofferConnectionError);
        assert.equal(error.code, 'CONNECTION_FAILED');
        assert.equal(error.causes.length, 1);
        return true;
      });
    } finally {
      await sdk.close();
    }
  });

  it('maps an error answer to CofferApiError with the registry code', async () => {
    const sdk = makeClient([`https://127.0.0.1:${port}`]);
    try {
      await assert.rejects(sdk.login('alice', 'wrong password'), (error: unknown) => {
        assert.ok(error instanceof CofferApiError);
        assert.equal(error.code, 'LOGIN_FAILED');
        assert.equal(error.status, 401);
        assert.equal(error.known, true);
        return true;
      });
      const session = await sdk.login('alice', 'correct horse');
      await assert.rejects(session.getKey('0x0000000000000001'), {
        name: 'CofferApiError',
        code: 'KEY_NOT_FOUND',
        status: 404,
      });
      await assert.rejects(session.getKey('0x0000000000000002'), (error: unknown) => {
        assert.ok(error instanceof CofferApiError);
        assert.equal(error.code, 'TEAPOT_FROM_THE_FUTURE');
        assert.equal(error.known, false);
        return true;
      });
      await assert.rejects(session.getKey('0x0000000000000003'), { code: 'HTTP_502', status: 502 });
    } finally {
      await sdk.close();
    }
  });

  it('sends Buffers as base64, returns Buffers, and carries the bearer token', async () => {
    const sdk = makeClient([`https://127.0.0.1:${port}`]);
    try {
      const session = await sdk.login('alice', 'correct horse');
      assert.equal(JSON.stringify(session).includes('cfs_test'), false, 'the token stays out of JSON');
      const plaintext = Buffer.from([0, 1, 2, 250, 251, 255]);
      const result = await session.encrypt({ keyHandle: '0x00000000000000aa', plaintext, aad: Buffer.from('ctx') });
      assert.deepEqual(result.ciphertext, Buffer.from(plaintext).reverse());
      assert.deepEqual(result.iv, Buffer.alloc(12, 7));
      const request = [...seen].reverse().find((entry) => entry.url === '/v1/crypto/encrypt');
      assert.ok(request);
      assert.equal(request.authorization, 'Bearer cfs_test');
      assert.deepEqual(request.body, {
        keyHandle: '0x00000000000000aa',
        mechanism: 'AES_GCM',
        plaintext: plaintext.toString('base64'),
        aad: Buffer.from('ctx').toString('base64'),
      });
      const valid = await session.verify({
        keyHandle: '0x00000000000000bb',
        mechanism: 'ECDSA_SHA256',
        data: Buffer.from('hello'),
        signature: Buffer.alloc(64),
      });
      assert.equal(valid, false);
      await session.logout();
      assert.equal(seen.at(-1)?.method, 'DELETE');
    } finally {
      await sdk.close();
    }
  });

  it('puts list filters in the query string', async () => {
    const sdk = makeClient([`https://127.0.0.1:${port}`]);
    try {
      const session = await sdk.login('alice', 'correct horse');
      await assert.rejects(session.listKeys({ label: 'my key', class: 'private', limit: 5 }), {
        code: 'ROUTE_NOT_FOUND',
      });
      assert.equal(seen.at(-1)?.url, '/v1/keys?label=my+key&class=private&limit=5');
    } finally {
      await sdk.close();
    }
  });
});
