/**
 * The CLI end to end against a fake HTTPS node (mutual TLS, certificates from src/pki): JSON
 * shapes, exit codes, filter resolution with the operation's class, login/logout, and usage errors.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createClusterCa, createKeyAndCsr, issueCertificate, privateKeyPem } from '../pki/index.js';
import type { CliIo } from './io.js';
import { main } from './main.js';

const PASSWORD = 'alice-secret-pass';

function key(handle: string, keyClass: 'secret' | 'private' | 'public', label: string) {
  return {
    handle,
    class: keyClass,
    keyType: keyClass === 'secret' ? 'aes' : 'ec',
    label,
    id: '',
    attributes: { sign: keyClass === 'private' },
    shape: keyClass === 'secret' ? { valueLen: 32 } : { curve: 'secp256r1' },
    owner: 'alice',
    sharedWith: [],
    state: 'enabled',
    version: 1,
    createdAt: '2025-01-01T00:00:00Z',
    updatedAt: '2025-01-01T00:00:00Z',
  };
}

const KEYS = [
  key('0x0000000000000010', 'public', 'tour'),
  key('0x0000000000000011', 'private', 'tour'),
  key('0x0000000000000020', 'secret', 'dup'),
  key('0x0000000000000021', 'secret', 'dup'),
];

const requests: { method: string; url: string; body: unknown }[] = [];

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function handle(method: string, url: URL, body: unknown, res: ServerResponse): void {
  const route = `${method} ${url.pathname}`;
  if (route === 'GET /v1/cluster/status') {
    return json(res, 200, {
      clusterId: 'c1',
      nodeId: 'n1',
      mode: 'dev',
      sealed: false,
      activated: true,
      unseal: { threshold: 1, shares: 1, progress: 0 },
      version: '0.1.0',
    });
  }
  if (route === 'POST /v1/sessions') {
    const { password } = body as { password: string };
    if (password !== PASSWORD)
      return json(res, 401, { error: { code: 'LOGIN_FAILED', message: 'Wrong username or password' } });
    return json(res, 201, {
      token: 'cfs_secret_token',
      username: 'alice',
      role: 'crypto-user',
      expiresAt: '2030-01-01T00:00:00Z',
    });
  }
  if (route === 'DELETE /v1/sessions/current') {
    res.writeHead(204);
    return void res.end();
  }
  if (route === 'GET /v1/keys') {
    const q = url.searchParams;
    const keys = KEYS.filter(
      (k) => (!q.has('label') || k.label === q.get('label')) && (!q.has('class') || k.class === q.get('class')),
    );
    return json(res, 200, { keys });
  }
  if (route === 'POST /v1/crypto/sign') return json(res, 200, { signature: Buffer.from('sig').toString('base64') });
  json(res, 404, { error: { code: 'ROUTE_NOT_FOUND', message: 'No such API operation' } });
}

let server: https.Server;
let dir: string;
let connection: string[];

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'coffer-cli-main-'));
  const ca = await createClusterCa({ clusterId: 'cli-test' });
  const node = await createKeyAndCsr({ commonName: 'node-1' });
  const nodeCert = await issueCertificate(ca, node.csrPem, { profile: 'node', ipAddresses: ['127.0.0.1'] });
  const client = await createKeyAndCsr({ commonName: 'cli' });
  writeFileSync(path.join(dir, 'ca.crt'), ca.certificatePem);
  writeFileSync(path.join(dir, 'client.crt'), await issueCertificate(ca, client.csrPem, { profile: 'client' }));
  writeFileSync(path.join(dir, 'client.key'), privateKeyPem(client.privateKey));
  server = https.createServer(
    {
      key: privateKeyPem(node.privateKey),
      cert: nodeCert,
      ca: [ca.certificatePem],
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.3',
    },
    (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const body: unknown = text === '' ? undefined : JSON.parse(text);
        requests.push({ method: req.method ?? '', url: req.url ?? '', body });
        handle(req.method ?? '', new URL(req.url ?? '/', 'https://x'), body, res);
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  connection = [
    '--endpoint',
    `https://127.0.0.1:${port}`,
    '--ca-file',
    'ca.crt',
    '--cert-file',
    'client.crt',
    '--key-file',
    'client.key',
  ];
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

async function run(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = {
    env,
    cwd: dir,
    interactive: false,
    writeOut: (text) => void (out += text),
    writeErr: (text) => void (err += text),
    promptLine: () => Promise.reject(new Error('no prompt in tests')),
    promptSecret: () => Promise.reject(new Error('no prompt in tests')),
  };
  const code = await main(args, io);
  return { code, out, err };
}

const pin = { COFFER_PIN: `alice:${PASSWORD}` };

describe('coffer CLI', () => {
  it('cluster status --json: the CloudHSM success shape, exit 0', async () => {
    const result = await run(['cluster', 'status', '--json', ...connection]);
    assert.equal(result.code, 0, result.err);
    const parsed = JSON.parse(result.out) as { error_code: number; data: { clusterId: string } };
    assert.equal(parsed.error_code, 0);
    assert.equal(parsed.data.clusterId, 'c1');
  });

  it('cluster status: human output', async () => {
    const result = await run(['cluster', 'status', ...connection]);
    assert.equal(result.code, 0);
    assert.match(result.out, /^cluster-id: +c1$/m);
  });

  it('crypto sign picks the private half of a pair sharing a label, and logs out', async () => {
    requests.length = 0;
    const result = await run(
      [
        'crypto',
        'sign',
        'ecdsa',
        '--key-filter',
        'attr.label=tour',
        '--hash-function',
        'sha256',
        '--data',
        'aGVsbG8=',
        '--json',
        ...connection,
      ],
      pin,
    );
    assert.equal(result.code, 0, result.out + result.err);
    assert.deepEqual(JSON.parse(result.out), {
      error_code: 0,
      data: { 'key-reference': '0x0000000000000011', signature: Buffer.from('sig').toString('base64') },
    });
    const list = requests.find((r) => r.url.startsWith('/v1/keys?'));
    assert.match(list?.url ?? '', /class=private/);
    assert.deepEqual(requests.find((r) => r.url === '/v1/crypto/sign')?.body, {
      keyHandle: '0x0000000000000011',
      mechanism: 'ECDSA_SHA256',
      data: 'aGVsbG8=',
    });
    assert.equal(requests.at(-1)?.method, 'DELETE', 'logout comes last');
    assert.ok(
      !result.out.includes(PASSWORD) && !result.err.includes(PASSWORD) && !result.out.includes('cfs_secret_token'),
    );
  });

  it('key list --json: matched_keys and counts', async () => {
    const result = await run(['key', 'list', '--filter', 'attr.label=tour', '--json', ...connection], pin);
    assert.equal(result.code, 0, result.err);
    const parsed = JSON.parse(result.out) as {
      data: { matched_keys: { 'key-reference': string }[]; returned_key_count: number };
    };
    assert.equal(parsed.data.returned_key_count, 2);
    assert.deepEqual(
      parsed.data.matched_keys.map((k) => k['key-reference']),
      ['0x0000000000000010', '0x0000000000000011'],
    );
  });

  it('key delete refuses a filter matching two keys: exit 1, error on stderr, nothing deleted', async () => {
    requests.length = 0;
    const result = await run(['key', 'delete', '--filter', 'attr.label=dup', ...connection], pin);
    assert.equal(result.code, 1);
    assert.equal(result.out, '');
    assert.match(result.err, /^error: KEY_FILTER_AMBIGUOUS: .*0x0000000000000020, 0x0000000000000021/);
    assert.ok(!requests.some((r) => r.method === 'DELETE' && r.url.startsWith('/v1/keys/')));
  });

  it('an error answer of the node: --json failure shape, exit 1', async () => {
    const result = await run(['key', 'list', '--json', ...connection], { COFFER_PIN: 'alice:wrong-password' });
    assert.equal(result.code, 1);
    assert.deepEqual(JSON.parse(result.out), { error_code: 1, data: 'LOGIN_FAILED: Wrong username or password' });
  });

  it('no credentials and no terminal: MISSING_CREDENTIALS', async () => {
    const result = await run(['key', 'list', '--json', ...connection]);
    assert.equal(result.code, 1);
    assert.match((JSON.parse(result.out) as { data: string }).data, /^MISSING_CREDENTIALS: /);
  });

  it('usage errors: exit 1, the JSON failure shape with --json', async () => {
    const result = await run(['user', 'create', '--json', '--username', 'bob']);
    assert.equal(result.code, 1);
    assert.match((JSON.parse(result.out) as { data: string }).data, /^INVALID_ARGUMENT: .*--role/);
    const human = await run(['key', 'frobnicate']);
    assert.equal(human.code, 1);
    assert.match(human.err, /unknown command/);
  });

  it('--help exits 0', async () => {
    const result = await run(['key', 'list', '--help']);
    assert.equal(result.code, 0);
    assert.match(result.out, /--max-items/);
  });
});
