/**
 * Membership on real etcd with real nodes: live records under leases (re-registered when the
 * lease is lost, gone when the node stops), list-nodes with zones, health, seal state, version
 * and load; add-node only by an admin and only once per node; remove-node revokes the node's
 * certificate everywhere — its TLS client connections are refused, it seals itself, its record
 * goes, and restarted it never unseals again. The operator's flow runs once through the CLI.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createKeyAndCsr } from '../src/pki/index.js';
import { Api, codeOf } from './support/api.js';
import { auditEvents } from './support/audit-events.js';
import { approve, generateToken, registerKey, signerKeys, withApproval } from './support/quorum-kit.js';
import { eventually, startMembershipKit, type KitNode, type MembershipKit } from './support/membership-kit.js';

const CLI = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');

interface MemberView {
  nodeId: string;
  zone?: string;
  health: string;
  sealed?: boolean;
  version?: string;
  load?: { inFlight: number; ratePerSecond: number };
  url?: string;
}

describe('cluster membership (real nodes, real etcd)', { timeout: 180_000 }, () => {
  let kit: MembershipKit;
  let b: KitNode;
  let bId: string;
  let stopKit = async (): Promise<void> => undefined;
  after(() => stopKit());
  before(async () => {
    kit = await startMembershipKit((stop) => {
      stopKit = stop;
    });
    const added = await kit.addNode('zone-b');
    b = added.node;
    bId = added.bundle.nodeId;
    await (await kit.start(b)).peerUnsealed();
  });

  const members = async (): Promise<MemberView[]> => {
    const answer = await kit.api.call<{ nodes: MemberView[] }>('GET', '/v1/cluster/members', {
      token: await kit.admin(),
    });
    assert.equal(answer.status, 200, answer.text);
    return answer.body.nodes;
  };

  it('lists every node with its zone, health, seal state, version and load', async () => {
    // A renewal that fails on a loaded machine reports its node degraded for three renewals.
    const nodes = await eventually(
      'both nodes unsealed and healthy in the list',
      async () => {
        const listed = await members();
        return listed.length === 2 && listed.every((node) => node.sealed === false && node.health === 'ok')
          ? listed
          : undefined;
      },
      30_000,
    );
    const byId = new Map(nodes.map((node) => [node.nodeId, node]));
    assert.equal(byId.get(kit.init.nodeId)?.zone, 'zone-a');
    assert.equal(byId.get(bId)?.zone, 'zone-b');
    for (const node of nodes) {
      assert.match(node.version ?? '', /\d+\.\d+/);
      assert.equal(typeof node.load?.inFlight, 'number');
      assert.match(node.url ?? '', /^https:\/\/127\.0\.0\.1:\d+$/);
    }
    // Clients discover the same live nodes, sealed or not, without a session.
    const discovered = await kit.api.call<{ nodes: { url: string; zone?: string }[] }>('GET', '/v1/cluster/nodes');
    assert.deepEqual(
      discovered.body.nodes.map((node) => node.zone).sort(),
      ['zone-a', 'zone-b'],
      'both nodes, from their live records',
    );
    assert.deepEqual(discovered.body.nodes.map((node) => node.url).sort(), nodes.map((node) => node.url).sort());
    // The list comes from the store: B's own record is the same.
    const entry = await kit.store.get(`members/${bId}`);
    assert.ok(entry, 'B keeps a live record');
  });

  it('a lost lease re-registers under a new one (degraded for a while)', async () => {
    const before = JSON.parse((await kit.store.get(`members/${bId}`))!.value.toString()) as { lease: string };
    await kit.store.revokeLease(before.lease);
    const again = await eventually('a record under a new lease', async () => {
      const entry = await kit.store.get(`members/${bId}`);
      const record = entry && (JSON.parse(entry.value.toString()) as { lease: string; health: string });
      return record && record.lease !== before.lease ? record : undefined;
    });
    assert.equal(again.health, 'degraded');
    assert.ok(await kit.store.leaseTimeToLive(again.lease), 'and the lease is alive');
  });

  it('add-node: only an admin, only once per node, never with a client CSR that names no node', async () => {
    const admin = await kit.admin();
    const created = await kit.api.call('POST', '/v1/users', {
      token: admin,
      body: { username: 'carol', role: 'crypto-user', password: 'carol-password-1' },
    });
    assert.equal(created.status, 201, created.text);
    const carol = await kit.api.login('carol', 'carol-password-1');
    const { csrPem } = await createKeyAndCsr({ commonName: 'node-c0ffee01' });
    const denied = await kit.api.call('POST', '/v1/cluster/members', { token: carol, body: { csr: csrPem } });
    assert.equal(codeOf(denied), 'PERMISSION_DENIED');
    const remove = await kit.api.call('DELETE', `/v1/cluster/members/${bId}`, { token: carol });
    assert.equal(codeOf(remove), 'PERMISSION_DENIED');
    assert.equal((await kit.api.call('GET', '/v1/cluster/members', { token: carol })).status, 200, 'any user lists');
    const again = await kit.api.call('POST', '/v1/cluster/members', {
      token: admin,
      body: { csr: await readFile(b.dir.nodeCsr, 'utf8') },
    });
    assert.equal(codeOf(again), 'NODE_ALREADY_MEMBER');
    const spaced = await createKeyAndCsr({ commonName: 'not a node id' });
    const bad = await kit.api.call('POST', '/v1/cluster/members', { token: admin, body: { csr: spaced.csrPem } });
    assert.equal(codeOf(bad), 'INVALID_FIELD');
    const badZone = await kit.api.call('POST', '/v1/cluster/members', {
      token: admin,
      body: { csr: csrPem, zone: 'no spaces' },
    });
    assert.equal(codeOf(badZone), 'INVALID_FIELD');
  });

  it('add-node under the cluster quorum: refused without approvals, done with two', async () => {
    const admin = await kit.admin();
    const created = await kit.api.call('POST', '/v1/users', {
      token: admin,
      body: { username: 'admin2', role: 'admin', password: 'admin2-password-1' },
    });
    assert.equal(created.status, 201, created.text);
    const admin2 = await kit.api.login('admin2', 'admin2-password-1');
    const keys = { admin: signerKeys(), admin2: signerKeys() };
    assert.equal((await registerKey(kit.api, admin, 'quorum', keys.admin, kit.adminPassword)).status, 200);
    assert.equal((await registerKey(kit.api, admin2, 'quorum', keys.admin2, 'admin2-password-1')).status, 200);
    const set = await kit.api.call('PUT', '/v1/quorum/values/cluster', { token: admin, body: { value: 2 } });
    assert.equal(set.status, 200, set.text);
    const { csrPem } = await createKeyAndCsr({ commonName: 'node-0000beef' });
    const unapproved = await kit.api.call('POST', '/v1/cluster/members', { token: admin, body: { csr: csrPem } });
    assert.equal(codeOf(unapproved), 'QUORUM_REQUIRED');
    const file = approve(await generateToken(kit.api, admin, { service: 'cluster' }), [
      ['admin', keys.admin],
      ['admin2', keys.admin2],
    ]);
    const approved = await kit.api.call('POST', '/v1/cluster/members', {
      token: admin,
      body: { csr: csrPem },
      headers: withApproval(file),
    });
    assert.equal(approved.status, 201, approved.text);
    const reset = await kit.api.call('PUT', '/v1/quorum/values/cluster', { token: admin, body: { value: 1 } });
    assert.equal(reset.status, 200, reset.text);
  });

  it('remove-node revokes the certificate: refused everywhere, the node seals itself and stays sealed', async () => {
    const admin = await kit.admin();
    const bNode = b.node!;
    // B's certificate as a TLS client of A works until the removal…
    const asB = new Api(kit.first.node!.url, {
      ca: kit.clientTls.ca,
      cert: await readFile(b.dir.nodeCert),
      key: await readFile(b.dir.nodeKey),
    });
    try {
      assert.equal((await asB.call('GET', '/v1/health')).status, 200);
      const self = await kit.api.call('DELETE', `/v1/cluster/members/${kit.init.nodeId}`, { token: admin });
      assert.equal(codeOf(self), 'INVALID_FIELD', 'a node does not remove itself');
      const removed = await kit.api.call<{ removed: boolean; serialNumber: string }>(
        'DELETE',
        `/v1/cluster/members/${bId}`,
        { token: admin },
      );
      assert.equal(removed.status, 200, removed.text);
      // …and is refused after it, on the connection already open too.
      assert.equal(codeOf(await asB.call('GET', '/v1/health')), 'CERTIFICATE_REVOKED');
    } finally {
      await asB.close();
    }
    await eventually('B sealed itself', async () => bNode.cluster.sealed);
    await eventually('B out of the list', async () => !(await members()).some((node) => node.nodeId === bId));
    assert.equal(await kit.store.get(`members/${bId}`), undefined, 'its record is gone and stays gone');
    const twice = await kit.api.call('DELETE', `/v1/cluster/members/${bId}`, { token: admin });
    assert.equal(codeOf(twice), 'NODE_NOT_FOUND');
    const events = await auditEvents(kit.api, admin);
    const removal = events.find((event) => event.action === 'cluster.remove-node' && event.result === 'success');
    assert.equal(removal?.target, `node/${bId}`);
    assert.ok(events.some((event) => event.action === 'cluster.add-node' && event.target === `node/${bId}`));

    // Restarted, the removed node asks and is refused: it never unseals from a peer again.
    await kit.stopNode(b);
    const restarted = await kit.start(b);
    await eventually('a refused peer-unseal attempt', async () =>
      b.logs.some((line) => line.includes('peer unseal attempt failed') && line.includes('CERTIFICATE_REVOKED')),
    );
    assert.equal(restarted.cluster.sealed, true);
    await kit.stopNode(b);
  });

  it("the operator's flow through the CLI: node prepare, cluster add-node, node join, list-nodes", async () => {
    const dir = join(kit.root, 'cli-node');
    const env = {
      ...process.env,
      COFFER_LOG_LEVEL: 'silent',
      COFFER_ENDPOINT: kit.first.node!.url,
      COFFER_CA_FILE: join(kit.first.dir.root, 'tls', 'ca.crt'),
      COFFER_CLIENT_CERT: kit.init.clientCert!,
      COFFER_CLIENT_KEY: kit.init.clientKey!,
      COFFER_PIN: `admin:${kit.adminPassword}`,
    };
    // Asynchronously: the nodes serve from this very process.
    const coffer = async (...args: string[]) => {
      const result = await promisify(execFile)(process.execPath, [CLI, ...args, '--json'], { encoding: 'utf8', env });
      return (JSON.parse(result.stdout) as { data: Record<string, unknown> }).data;
    };
    const prepared = await coffer('node', 'prepare', '--data-dir', dir);
    const bundle = join(kit.root, 'bundle.json');
    const added = await coffer(
      'cluster',
      'add-node',
      '--csr',
      String(prepared['csr-path']),
      '--node-zone',
      'zone-c',
      '--out',
      bundle,
    );
    assert.equal(added['node-id'], prepared['node-id']);
    assert.equal((await coffer('node', 'join', '--data-dir', dir, '--bundle', bundle))['node-id'], prepared['node-id']);
    const listed = (await coffer('cluster', 'list-nodes')).nodes as MemberView[];
    const cli = listed.find((node) => node.nodeId === prepared['node-id']);
    assert.equal(cli?.zone, 'zone-c');
    assert.equal(cli?.health, 'down', 'admitted, not started yet');
    // Only node A is up now: status warns that one zone holds the whole cluster.
    const status = await coffer('cluster', 'status');
    assert.match(String((status.warnings as string[] | undefined)?.[0]), /the only node is in zone zone-a/);
  });
});
