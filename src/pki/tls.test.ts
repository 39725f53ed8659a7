/**
 * Real TLS 1.3 handshakes on 127.0.0.1 with certificates from this module: mutual TLS with the
 * cluster CA, refusals of foreign and missing client certificates, and server-name checking.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { createClusterCa, createKeyAndCsr, issueCertificate, privateKeyPem, type ClusterCa } from './index.js';

interface Identity {
  key: string;
  cert: string;
}

async function identity(ca: ClusterCa, profile: 'node' | 'client', commonName: string): Promise<Identity> {
  const { privateKey, csrPem } = await createKeyAndCsr({ commonName });
  const cert = await issueCertificate(
    ca,
    csrPem,
    profile === 'node' ? { profile, dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] } : { profile },
  );
  return { key: privateKeyPem(privateKey), cert };
}

interface Server {
  port: number;
  /** What the server saw of each accepted connection. */
  accepted: {
    remotePort: number | undefined;
    authorized: boolean;
    peerCommonName: string | undefined;
    protocol: string | null;
  }[];
  /** Client ports of the TCP connections the server saw. */
  connections: Set<number | undefined>;
  /** Handshakes the server refused. */
  refused: Error[];
  close(): Promise<void>;
}

async function startServer(ca: ClusterCa, node: Identity): Promise<Server> {
  const accepted: Server['accepted'] = [];
  const refused: Error[] = [];
  const connections = new Set<number | undefined>();
  const server = tls.createServer({
    key: node.key,
    cert: node.cert,
    ca: [ca.certificatePem],
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.3',
  });
  server.on('secureConnection', (socket) => {
    const peer = socket.getPeerCertificate();
    const cn = peer.subject?.CN;
    accepted.push({
      remotePort: socket.remotePort,
      authorized: socket.authorized,
      peerCommonName: Array.isArray(cn) ? cn[0] : cn,
      protocol: socket.getProtocol(),
    });
    socket.end('hello');
  });
  server.on('connection', (socket) => connections.add(socket.remotePort));
  server.on('tlsClientError', (error) => refused.push(error));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    accepted,
    connections,
    refused,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface Outcome {
  localPort: number | undefined;
  data: string;
  protocol: string | null;
  error: (Error & { code?: string }) | undefined;
}

/** Connects, reads until the server closes, and reports what happened. Never rejects. */
function attempt(options: tls.ConnectionOptions): Promise<Outcome> {
  return new Promise((resolve) => {
    let data = '';
    let protocol: string | null = null;
    let error: Outcome['error'];
    let localPort: number | undefined;
    const socket = tls.connect({ host: '127.0.0.1', minVersion: 'TLSv1.3', ...options });
    socket.on('connect', () => {
      localPort = socket.localPort;
    });
    socket.setEncoding('utf8');
    socket.on('secureConnect', () => {
      protocol = socket.getProtocol();
    });
    socket.on('data', (chunk: string) => {
      data += chunk;
    });
    socket.on('error', (e: Error & { code?: string }) => {
      error ??= e;
    });
    socket.on('close', () => resolve({ localPort, data, protocol, error }));
  });
}

/**
 * Asserts the server refused the handshake of `outcome`'s connection: the TCP connection reached
 * it, but it never completed a TLS session for it and served nothing.
 */
async function assertRefusedByServer(server: Server, outcome: Outcome): Promise<void> {
  assert.equal(outcome.data, '');
  assert.ok(outcome.localPort !== undefined, 'the TCP connection was made');
  assert.ok(server.connections.has(outcome.localPort), 'the server saw the connection');
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(server.accepted.filter((a) => a.remotePort === outcome.localPort).length, 0);
}

describe('TLS 1.3 with cluster-CA certificates', () => {
  let ca: ClusterCa;
  let foreignCa: ClusterCa;
  let node: Identity;
  let client: Identity;
  let foreignClient: Identity;
  let server: Server;

  before(async () => {
    ca = await createClusterCa({ clusterId: 'tls' });
    foreignCa = await createClusterCa({ clusterId: 'tls' }); // same name, different key
    node = await identity(ca, 'node', 'node-1');
    client = await identity(ca, 'client', 'alice');
    foreignClient = await identity(foreignCa, 'client', 'mallory');
    server = await startServer(ca, node);
  });
  after(async () => {
    await server.close();
  });

  it('accepts a client certificate from the cluster CA (mutual TLS, TLS 1.3)', async () => {
    const outcome = await attempt({ port: server.port, servername: 'localhost', ca: [ca.certificatePem], ...client });
    assert.equal(outcome.error, undefined);
    assert.equal(outcome.data, 'hello');
    assert.equal(outcome.protocol, 'TLSv1.3');
    assert.deepEqual(
      server.accepted.filter((a) => a.remotePort === outcome.localPort),
      [{ remotePort: outcome.localPort, authorized: true, peerCommonName: 'alice', protocol: 'TLSv1.3' }],
    );
  });

  it('verifies the server name against the SAN: DNS name and IP address', async () => {
    const byIp = await attempt({ port: server.port, ca: [ca.certificatePem], ...client });
    assert.equal(byIp.error, undefined);
    assert.equal(byIp.data, 'hello');
    const wrongName = await attempt({
      port: server.port,
      servername: 'wrong.example',
      ca: [ca.certificatePem],
      ...client,
    });
    assert.equal(wrongName.data, '');
    assert.equal(wrongName.error?.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('refuses a client certificate from another CA', async () => {
    // In TLS 1.3 the client finishes its side before the server judges its certificate, so the
    // client may see only a closed connection; what matters is that the server refused it.
    const outcome = await attempt({
      port: server.port,
      servername: 'localhost',
      ca: [ca.certificatePem],
      ...foreignClient,
    });
    await assertRefusedByServer(server, outcome);
    assert.ok(server.refused.length > 0, 'the server reported refused handshakes');
  });

  it('refuses a client without a certificate', async () => {
    const outcome = await attempt({ port: server.port, servername: 'localhost', ca: [ca.certificatePem] });
    await assertRefusedByServer(server, outcome);
    // Here the server's "certificate required" alert reaches the client.
    assert.match(String(outcome.error?.message), /certificate required/i);
  });

  it('a client refuses a server whose certificate is from another CA', async () => {
    const outcome = await attempt({
      port: server.port,
      servername: 'localhost',
      ca: [foreignCa.certificatePem],
      ...client,
    });
    assert.equal(outcome.data, '');
    assert.ok(outcome.error);
  });

  it('a client certificate cannot serve as a server certificate (no serverAuth)', async () => {
    const misused = await startServer(ca, client);
    try {
      const outcome = await attempt({
        port: misused.port,
        ca: [ca.certificatePem],
        ...client,
        checkServerIdentity: () => undefined,
      });
      assert.equal(outcome.data, '');
      assert.match(String(outcome.error?.message), /unsuitable certificate purpose|unsupported certificate purpose/i);
    } finally {
      await misused.close();
    }
  });

  it('refuses TLS 1.2', async () => {
    const outcome = await attempt({
      port: server.port,
      servername: 'localhost',
      ca: [ca.certificatePem],
      ...client,
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.2',
    });
    assert.equal(outcome.data, '');
    assert.ok(outcome.error);
  });
});
