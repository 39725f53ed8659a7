/**
 * Peer unseal between real nodes on real etcd over real mutual TLS: a node added by an admin
 * starts sealed and gets the root key from its unsealed peer, and again after a restart, with
 * no human; the peer refuses a client (non-node) certificate, a node certificate of another
 * cluster, a replayed exchange, a request naming another node, and a revoked node; an answer
 * altered or carried to another TLS session does not open; a sealed peer hands nothing over,
 * and M-of-N shares still unseal.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REFUSAL_RULES } from '../src/audit/refusal-budget.js';
import { initCluster } from '../src/cluster/init.js';
import { finishExchange, startExchange } from '../src/cluster/peer-unseal/exchange.js';
import { post, type PeerReply } from '../src/cluster/peer-unseal/peer-unseal-client.js';
import { isCofferError } from '../src/errors/coffer-error.js';
import { Api, codeOf } from './support/api.js';
import { auditEvents } from './support/audit-events.js';
import { eventually, startMembershipKit, type KitNode, type MembershipKit } from './support/membership-kit.js';

interface NodeFiles {
  readonly clusterId: string;
  readonly nodeId: string;
  readonly key: Buffer;
  readonly cert: Buffer;
  readonly caPem: string;
}

async function filesOf(node: KitNode, clusterId: string, nodeId: string): Promise<NodeFiles> {
  return {
    clusterId,
    nodeId,
    key: await readFile(node.dir.nodeKey),
    cert: await readFile(node.dir.nodeCert),
    caPem: await readFile(node.dir.caCert, 'utf8'),
  };
}

/** One raw peer-unseal request as `self`, with a fresh ephemeral key unless one is given. */
async function exchange(url: string, self: NodeFiles, body?: Record<string, string>) {
  const secret = startExchange();
  const sent = body ?? { nodeId: self.nodeId, ephemeralPublicKey: secret.publicKey.toString('base64') };
  const reply: PeerReply = await post(new URL('/v1/cluster/peer-unseal', url), JSON.stringify(sent), self, 10_000);
  return { secret, sent, reply, body: JSON.parse(reply.text) as Record<string, string & { code?: string }> };
}

function answerOf(body: Record<string, string>) {
  return {
    ephemeralPublicKey: Buffer.from(body.ephemeralPublicKey!, 'base64'),
    salt: Buffer.from(body.salt!, 'base64'),
    nonce: Buffer.from(body.nonce!, 'base64'),
    sealedKey: Buffer.from(body.sealedKey!, 'base64'),
  };
}

describe('peer unseal (real nodes, real etcd, mutual TLS)', { timeout: 180_000 }, () => {
  let kit: MembershipKit;
  let b: KitNode;
  let bId: string;
  let bFiles: NodeFiles;
  let clusterId: string;
  let aId: string;

  let stopKit = async (): Promise<void> => undefined;
  after(() => stopKit());
  before(async () => {
    kit = await startMembershipKit((stop) => {
      stopKit = stop;
    });
    clusterId = kit.init.clusterId;
    aId = kit.init.nodeId;
  });

  it('a node an admin added starts sealed and unseals from its peer; the hand-over is audited', async () => {
    const added = await kit.addNode('zone-b');
    b = added.node;
    bId = added.bundle.nodeId;
    assert.doesNotMatch(JSON.stringify(added.bundle), /PRIVATE KEY|coffer-share/, 'the bundle holds no secret');
    bFiles = await filesOf(b, clusterId, bId);
    const node = await kit.start(b);
    await node.peerUnsealed();
    assert.equal(node.cluster.sealed, false, 'unsealed by its peer');
    const events = await auditEvents(kit.api, await kit.admin());
    const handOver = events.filter((event) => event.action === 'cluster.peer-unseal' && event.result === 'success');
    assert.equal(handOver.length, 1);
    assert.deepEqual(handOver[0]!.details, {
      from: aId,
      to: bId,
      serialNumber: handOver[0]!.details!.serialNumber,
    });
    assert.equal(handOver[0]!.actor, `node/${bId}`);
    const unsealed = events.filter((event) => event.action === 'cluster.unseal' && event.details?.via === 'peer');
    assert.deepEqual(unsealed[0]?.details, { via: 'peer', from: aId });
    // B serves: a login through B works (the sessions are the cluster's).
    const onB = new Api(node.url, kit.clientTls);
    try {
      assert.ok(await onB.login('admin', kit.adminPassword));
    } finally {
      await onB.close();
    }
  });

  it('refuses a client certificate of the same CA (not a node certificate), and audits each in full', async () => {
    const self = { ...bFiles, cert: kit.clientTls.cert, key: kit.clientTls.key };
    const refusals = async () =>
      (await auditEvents(kit.api, await kit.admin())).filter(
        (event) =>
          event.action === 'cluster.peer-unseal' &&
          event.result === 'failure' &&
          /not a node certificate/.test(String(event.details?.reason)),
      ).length;
    const before = await refusals();
    // More than the budget for callers without a credential: a certificate the CA signed is one.
    const tries = REFUSAL_RULES.auditedPerWindow + 2;
    for (let i = 0; i < tries; i++) {
      const { reply, body } = await exchange(kit.first.node!.url, self);
      assert.equal(reply.status, 403, reply.text);
      assert.equal((body.error as unknown as { code: string }).code, 'PEER_UNSEAL_REFUSED');
    }
    assert.equal((await refusals()) - before, tries);
  });

  it('refuses a node certificate of another cluster (at the TLS handshake: another CA)', async () => {
    const other = await initCluster({
      dataDir: join(kit.root, 'other'),
      mode: 'production',
      seal: { shares: 1, threshold: 1 },
      outDir: join(kit.root, 'other-out'),
    });
    const self = {
      clusterId: other.clusterId,
      nodeId: other.nodeId,
      key: await readFile(join(kit.root, 'other', 'tls', 'node.key')),
      cert: await readFile(join(kit.root, 'other', 'tls', 'node.crt')),
      caPem: bFiles.caPem,
    };
    await assert.rejects(exchange(kit.first.node!.url, self), (error) => isCofferError(error, 'PEER_UNSEAL_REFUSED'));
  });

  it('refuses a replayed request and a request naming another node; an altered or moved answer does not open', async () => {
    const url = kit.first.node!.url;
    const first = await exchange(url, bFiles);
    assert.equal(first.reply.status, 200, first.reply.text);
    const parties = { clusterId, requesterId: bId, peerId: aId, tlsExporter: first.reply.exporter };
    const rootKey = finishExchange(first.secret, answerOf(first.body), parties);
    assert.equal(rootKey.length, 32);
    rootKey.fill(0);

    const replayed = await exchange(url, bFiles, first.sent);
    assert.equal(replayed.reply.status, 403, 'the same ephemeral key again: a replay');

    const altered = answerOf(first.body);
    altered.sealedKey[3]! ^= 0x80;
    assert.throws(
      () => finishExchange(first.secret, altered, parties),
      (e) => isCofferError(e, 'PEER_UNSEAL_REFUSED'),
    );
    // The answer of one TLS session, opened with another session's keying material.
    const second = await exchange(url, bFiles);
    assert.throws(
      () => finishExchange(first.secret, answerOf(first.body), { ...parties, tlsExporter: second.reply.exporter }),
      (e) => isCofferError(e, 'PEER_UNSEAL_REFUSED'),
    );

    const secret = startExchange();
    const named = await exchange(url, bFiles, { nodeId: aId, ephemeralPublicKey: secret.publicKey.toString('base64') });
    assert.equal(named.reply.status, 403, 'the body names another node than the certificate');
  });

  it('a restarted node unseals from its peer with no human, and its record says so', async () => {
    await kit.stopNode(b);
    const node = await kit.start(b);
    await node.peerUnsealed();
    assert.equal(node.cluster.sealed, false);
    const record = await eventually('an unsealed record of B', async () => {
      const entry = await kit.store.get(`members/${bId}`);
      const parsed = entry && (JSON.parse(entry.value.toString()) as { sealed: boolean; zone: string });
      return parsed && !parsed.sealed ? parsed : undefined;
    });
    assert.equal(record.zone, 'zone-b', 'the zone add-node gave it');
  });

  it('a sealed peer hands nothing over; M-of-N shares still unseal', async () => {
    const token = await kit.admin();
    assert.equal((await kit.api.call('POST', '/v1/cluster/seal', { token, body: {} })).status, 200);
    const sealedAnswer = await exchange(kit.first.node!.url, bFiles);
    assert.equal(codeOf({ status: sealedAnswer.reply.status, body: sealedAnswer.body, text: '' }), 'NODE_SEALED');
    await kit.stopNode(b);
    const node = await kit.start(b);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(node.cluster.sealed, true, 'no unsealed peer: the node stays sealed');
    await kit.unsealWithShares(node.url);
    assert.equal(node.cluster.sealed, false, 'the shares unseal it');
    await node.peerUnsealed();
    await kit.unsealWithShares(kit.first.node!.url);
  });
});
