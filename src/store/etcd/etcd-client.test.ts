import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Metadata, status } from '@grpc/grpc-js';
import { isCofferError } from '../../errors/coffer-error.js';
import { createClusterCa, createKeyAndCsr, issueCertificate, privateKeyPem } from '../../pki/index.js';
import type { WatchEvent } from '../state-store.js';
import { type EtcdCluster, startEtcd } from '../../../test/support/etcd-process.js';
import { EtcdClient, type EtcdTls } from './etcd-client.js';
import { finalError, mayRetry, verdictOf } from './etcd-errors.js';
import { openEtcdStore, type EtcdStore } from './etcd-store.js';

function grpcError(code: status, details: string): Error {
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata: new Metadata() });
}

const put = (key: string) => ({ type: 'put' as const, key, value: Buffer.from(key) });

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('etcd endpoints', () => {
  it('allows plaintext only to loopback addresses', () => {
    for (const endpoint of ['127.0.0.1:2379', 'localhost:2379', '[::1]:2379', '127.9.9.9:1']) {
      new EtcdClient({ endpoints: [endpoint] }).close();
    }
    for (const endpoint of ['10.0.0.1:2379', 'etcd.example:2379', '[fe80::1]:2379', '128.0.0.1:2379']) {
      assert.throws(
        () => new EtcdClient({ endpoints: [endpoint] }),
        (error: unknown) => isCofferError(error, 'INVALID_FIELD') && /loopback/.test(error.message),
        endpoint,
      );
      new EtcdClient({ endpoints: [endpoint], tls: { ca: Buffer.from('') } }).close();
    }
  });

  it('refuses malformed endpoints, none, too many, and a certificate without its key', () => {
    for (const endpoint of [
      '127.0.0.1',
      '127.0.0.1:0',
      '127.0.0.1:65536',
      'http://127.0.0.1:2379',
      '[::1',
      '[zz]:1',
      '',
    ]) {
      assert.throws(
        () => new EtcdClient({ endpoints: [endpoint] }),
        (error: unknown) => isCofferError(error, 'INVALID_FIELD'),
      );
    }
    assert.throws(
      () => new EtcdClient({ endpoints: [] }),
      (error: unknown) => isCofferError(error, 'INVALID_FIELD'),
    );
    const many = Array.from({ length: 17 }, (_, index) => `127.0.0.1:${2000 + index}`);
    assert.throws(
      () => new EtcdClient({ endpoints: many }),
      (error: unknown) => isCofferError(error, 'INVALID_FIELD'),
    );
    assert.throws(
      () => new EtcdClient({ endpoints: ['127.0.0.1:1'], tls: { ca: Buffer.from(''), cert: Buffer.from('x') } }),
      (error: unknown) => isCofferError(error, 'INVALID_FIELD'),
    );
  });
});

describe('etcd failures', () => {
  it('retries a write only when it was provably not applied', () => {
    const cases = [
      {
        error: grpcError(status.UNAVAILABLE, 'No connection established. Last error: ECONNREFUSED'),
        write: true,
        read: true,
      },
      { error: grpcError(status.UNAVAILABLE, 'etcdserver: no leader'), write: true, read: true },
      { error: grpcError(status.RESOURCE_EXHAUSTED, 'etcdserver: too many requests'), write: true, read: true },
      { error: grpcError(status.UNAVAILABLE, 'Connection dropped'), write: false, read: true },
      { error: grpcError(status.UNAVAILABLE, 'etcdserver: request timed out'), write: false, read: true },
      { error: grpcError(status.UNAVAILABLE, 'etcdserver: leader changed'), write: false, read: true },
      { error: grpcError(status.DEADLINE_EXCEEDED, 'Deadline exceeded'), write: false, read: true },
      {
        error: grpcError(status.OUT_OF_RANGE, 'etcdserver: mvcc: required revision has been compacted'),
        write: false,
        read: false,
      },
      { error: grpcError(status.INVALID_ARGUMENT, 'etcdserver: request is too large'), write: false, read: false },
    ];
    for (const { error, write, read } of cases) {
      assert.equal(mayRetry(verdictOf(error), 'write'), write, error.message);
      assert.equal(mayRetry(verdictOf(error), 'read'), read, error.message);
    }
  });

  it('maps each failure to one stable code, with a detail that repeats nothing etcd said', () => {
    const cases: [Error, 'read' | 'write', string][] = [
      [grpcError(status.UNAVAILABLE, 'No connection established'), 'write', 'STORE_UNAVAILABLE'],
      [grpcError(status.UNAVAILABLE, 'Connection dropped'), 'write', 'STORE_TIMEOUT'],
      [grpcError(status.UNAVAILABLE, 'Connection dropped'), 'read', 'STORE_UNAVAILABLE'],
      [grpcError(status.DEADLINE_EXCEEDED, 'Deadline exceeded'), 'write', 'STORE_TIMEOUT'],
      [
        grpcError(status.OUT_OF_RANGE, 'etcdserver: mvcc: required revision has been compacted'),
        'read',
        'STORE_COMPACTED',
      ],
      [
        grpcError(status.OUT_OF_RANGE, 'etcdserver: mvcc: required revision is a future revision'),
        'read',
        'INVALID_FIELD',
      ],
      [grpcError(status.NOT_FOUND, 'etcdserver: requested lease not found'), 'write', 'LEASE_NOT_FOUND'],
      [grpcError(status.INVALID_ARGUMENT, 'etcdserver: duplicate key given in txn request'), 'write', 'INVALID_FIELD'],
      [grpcError(status.RESOURCE_EXHAUSTED, 'etcdserver: mvcc: database space exceeded'), 'write', 'STORE_UNAVAILABLE'],
      [grpcError(status.PERMISSION_DENIED, 'etcdserver: permission denied'), 'read', 'STORE_UNAVAILABLE'],
      [grpcError(status.INTERNAL, 'value 0xsecret in a message'), 'read', 'INTERNAL_ERROR'],
    ];
    for (const [error, kind, code] of cases) {
      const mapped = finalError(error, kind);
      assert.equal(mapped.code, code, error.message);
      assert.doesNotMatch(mapped.message, /secret|etcdserver|Connection|Deadline/, mapped.message);
    }
  });
});

describe('EtcdStore over TLS with client certificates', () => {
  let cluster: EtcdCluster;
  let dir: string;
  let client: EtcdTls;
  let stopEtcd = async (): Promise<void> => undefined;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffer-etcd-tls-'));
    const ca = await createClusterCa({ clusterId: 'etcd-test' });
    const server = await createKeyAndCsr({ commonName: 'etcd' });
    const serverCert = await issueCertificate(ca, server.csrPem, { profile: 'node', ipAddresses: ['127.0.0.1'] });
    const user = await createKeyAndCsr({ commonName: 'coffer-node' });
    client = {
      ca: Buffer.from(ca.certificatePem),
      cert: Buffer.from(await issueCertificate(ca, user.csrPem, { profile: 'client' })),
      key: Buffer.from(privateKeyPem(user.privateKey)),
    };
    const files = { certFile: join(dir, 'server.crt'), keyFile: join(dir, 'server.key'), caFile: join(dir, 'ca.crt') };
    await writeFile(files.certFile, serverCert);
    await writeFile(files.keyFile, privateKeyPem(server.privateKey), { mode: 0o600 });
    await writeFile(files.caFile, ca.certificatePem);
    cluster = await startEtcd({ inMemory: true, tls: { ...files, client } }, (stop) => {
      stopEtcd = stop;
    });
  });

  after(async () => {
    await stopEtcd();
    await rm(dir, { recursive: true, force: true });
  });

  it('works with the CA and a client certificate the CA issued', async () => {
    const store = await openEtcdStore({ endpoints: cluster.endpoints, tls: client });
    try {
      const events: WatchEvent[] = [];
      const stop = store.watch('t/', (event) => events.push(event));
      assert.equal((await store.txn([], [put('t/a')])).succeeded, true);
      await until(() => events.length === 1, 'the watch event over TLS');
      stop();
    } finally {
      await store.close();
    }
  });

  it('is refused without a client certificate, with another CA, or in plaintext', async () => {
    const otherCa = await createClusterCa({ clusterId: 'another' });
    const attempts = [{ ca: client.ca }, { ...client, ca: Buffer.from(otherCa.certificatePem) }, undefined];
    for (const tls of attempts) {
      await assert.rejects(
        openEtcdStore({ endpoints: cluster.endpoints, timeoutMs: 500, ...(tls ? { tls } : {}) }),
        (error: unknown) => isCofferError(error, 'STORE_UNAVAILABLE'),
      );
    }
  });
});

describe('EtcdStore when its only member restarts', () => {
  let cluster: EtcdCluster;
  let store: EtcdStore;
  let stopEtcd = async (): Promise<void> => undefined;

  before(async () => {
    cluster = await startEtcd({ inMemory: true }, (stop) => {
      stopEtcd = stop;
    });
    store = await openEtcdStore({ endpoints: cluster.endpoints, timeoutMs: 500 });
  });

  after(async () => {
    await store.close();
    await stopEtcd();
  });

  it('refuses txns while it is down, as not applied, and resumes the watch after it', async () => {
    const member = cluster.members[0]!;
    const events: WatchEvent[] = [];
    const stop = store.watch('r/', (event) => events.push(event));
    for (let index = 0; index < 5; index++) await store.txn([], [put(`r/before-${index}`)]);
    await until(() => events.length === 5, 'the events before the kill');
    await cluster.kill(member);
    // A read retries until its deadline; by then the client knows the connection is gone, and
    // a write that no connection carried is refused as not applied (one in flight at the kill
    // would be STORE_TIMEOUT: its fate unknown).
    await assert.rejects(store.get('r/before-0'), (error: unknown) => isCofferError(error, 'STORE_UNAVAILABLE'));
    await assert.rejects(store.txn([], [put('r/refused')]), (error: unknown) =>
      isCofferError(error, 'STORE_UNAVAILABLE'),
    );
    await cluster.restart(member);
    for (let index = 0; index < 5; index++) await store.txn([], [put(`r/after-${index}`)]);
    await until(() => events.length === 10, 'the events after the restart');
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(
      events.map((event) => event.key),
      [0, 1, 2, 3, 4].map((index) => `r/before-${index}`).concat([0, 1, 2, 3, 4].map((index) => `r/after-${index}`)),
    );
    assert.equal(await store.get('r/refused'), undefined);
    stop();
  });
});
