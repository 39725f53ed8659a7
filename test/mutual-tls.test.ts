import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { connect } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { createClusterCa, createKeyAndCsr, issueCertificate, privateKeyPem } from '../src/pki/index.js';
import { Api } from './support/api.js';
import { startTestNode, type TestNode } from './support/test-node.js';

/** Opens a TLS connection and reports whether an HTTP request over it is served. */
async function served(
  port: number,
  tls: { ca: Buffer; cert?: string | Buffer; key?: string | Buffer; maxVersion?: 'TLSv1.2' | 'TLSv1.3' },
): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ...tls }, () => {
      socket.write('GET /v1/health HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n');
    });
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.on('error', () => resolve(false));
    socket.on('close', () => resolve(answer.startsWith('HTTP/1.1 200')));
  });
}

describe('mutual TLS outside dev mode', () => {
  let t: TestNode;
  let ca: Buffer;
  before(async () => {
    t = await startTestNode({ mode: 'production' });
    ca = await readFile(t.dir.caCert);
  });
  after(() => t.stop());

  test('a client certificate from the cluster CA is served', async () => {
    assert.equal(
      await served(t.node.port, {
        ca,
        cert: await readFile(t.init.clientCert!),
        key: await readFile(t.init.clientKey!),
      }),
      true,
    );
  });

  test('no client certificate: the handshake is refused', async () => {
    assert.equal(await served(t.node.port, { ca }), false);
  });

  test('a client certificate from another CA is refused', async () => {
    const rogue = await createClusterCa({ clusterId: 'rogue' });
    const client = await createKeyAndCsr({ commonName: 'mallory' });
    const cert = await issueCertificate(rogue, client.csrPem, { profile: 'client' });
    assert.equal(await served(t.node.port, { ca, cert, key: privateKeyPem(client.privateKey) }), false);
  });

  test('TLS 1.2 is refused even with a valid certificate', async () => {
    const tls = { ca, cert: await readFile(t.init.clientCert!), key: await readFile(t.init.clientKey!) };
    assert.equal(await served(t.node.port, { ...tls, maxVersion: 'TLSv1.2' }), false);
  });

  test('an admin issues a client certificate from a CSR; the private key never leaves the client', async () => {
    const admin = await t.api.login('admin', t.adminPassword);
    const client = await createKeyAndCsr({ commonName: 'ci-runner' });
    const issued = await t.api.call<{ certificate: string; caCertificate: string }>(
      'POST',
      '/v1/cluster/client-certificates',
      {
        token: admin,
        body: { csr: client.csrPem, commonName: 'ci-runner' },
      },
    );
    assert.equal(issued.status, 200, issued.text);
    assert.equal(issued.body.caCertificate, ca.toString());
    const api = new Api(t.node.url, {
      ca,
      cert: Buffer.from(issued.body.certificate),
      key: Buffer.from(privateKeyPem(client.privateKey)),
    });
    try {
      assert.equal((await api.call('GET', '/v1/health')).status, 200);
    } finally {
      await api.close();
    }
    const alice = await t.cryptoUser('alice');
    const refused = await t.api.call('POST', '/v1/cluster/client-certificates', {
      token: alice.token,
      body: { csr: client.csrPem },
    });
    assert.equal((refused.body as { error: { code: string } }).error.code, 'PERMISSION_DENIED');
  });
});

describe('dev mode', () => {
  let t: TestNode;
  before(async () => {
    t = await startTestNode({ mode: 'dev' });
  });
  after(() => t.stop());

  test('client certificates are optional, but one from another CA is still refused', async () => {
    const ca = await readFile(t.dir.caCert);
    assert.equal(await served(t.node.port, { ca }), true);
    const rogue = await createClusterCa({ clusterId: 'rogue' });
    const client = await createKeyAndCsr({ commonName: 'mallory' });
    const cert = await issueCertificate(rogue, client.csrPem, { profile: 'client' });
    assert.equal(await served(t.node.port, { ca, cert, key: privateKeyPem(client.privateKey) }), false);
  });
});
