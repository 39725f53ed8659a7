/**
 * Chaos on a real local cluster (3 etcd members, 3 nodes as processes, src/cluster/local-cluster.ts)
 * under steady load from the SDK configured with all three endpoints — workers creating keys
 * (each create under an Idempotency-Key), signing and logging in. In order: kill -9 a node;
 * kill -9 the etcd leader; restart both; stop an etcd member and start it again. Then: every
 * acknowledged key is found, once, and usable through every node; no retried create made a
 * second key; errors fell only inside a bounded window after a fault (the windows measured are
 * printed as diagnostics); the restarted node unseals from its peers with no share given; a key
 * disabled through one node while another node (or an etcd member) was down is refused by the
 * others afterwards.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DisableKeyCommand, KMSClient, SignCommand, CreateKeyCommand } from '@aws-sdk/client-kms';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { CofferClient, type CofferSession } from '../src/client/index.js';
import { startLocalCluster, type LocalCluster, type LocalNode } from '../src/cluster/local-cluster.js';

/** An error is a failover error only this long after a fault began. */
const WINDOW_MS = 10_000;
const WORKERS = 3;
const SETTLE_MS = 3_000;

interface Fault {
  readonly name: string;
  readonly at: number;
}
interface LoadError {
  readonly at: number;
  readonly op: string;
  readonly message: string;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

describe('cluster chaos (3 etcd members, 3 node processes)', { timeout: 240_000 }, () => {
  let cluster: LocalCluster | undefined;
  let root: string | undefined;
  const clients: { close(): Promise<void> | void }[] = [];
  after(async () => {
    for (const client of clients) await client.close();
    await cluster?.stop();
    if (root !== undefined) await rm(root, { recursive: true, force: true });
  });

  it('keeps every acknowledged key, makes no duplicate, fails over within a window, and no cache serves a disabled key', async (t) => {
    root = await mkdtemp(join(tmpdir(), 'coffer-chaos-'));
    const c = await startLocalCluster({ stateDir: join(root, 'cluster'), logLevel: 'warn', etcdElectionMs: 1000 });
    cluster = c;
    const tls = {
      ca: await readFile(c.clientTls.caFile),
      cert: await readFile(c.clientTls.certFile),
      key: await readFile(c.clientTls.keyFile),
    };
    const sdk = (endpoints: readonly string[]) => {
      const client = new CofferClient({ endpoints: [...endpoints], ...tls });
      clients.push(client);
      return client;
    };
    const all = sdk(c.endpoints);
    const perNode = c.nodes.map((node) => sdk([node.url]));
    const admin = await all.login('admin', c.admin.password);
    const password = `chaos-${randomBytes(9).toString('base64url')}`;
    await admin.createUser('chaos', 'crypto-user', password);
    const user = await all.login('chaos', password);
    const access = await user.createAccessKey({ password });
    const kms = (node: LocalNode): KMSClient => {
      const httpsAgent = new Agent({ ...tls, minVersion: 'TLSv1.3' });
      const client = new KMSClient({
        endpoint: node.url,
        region: 'eu-west-1',
        credentials: { accessKeyId: access.accessKeyId, secretAccessKey: access.secretAccessKey },
        maxAttempts: 1,
        requestHandler: new NodeHttpHandler({ httpsAgent }),
      });
      clients.push({ close: () => client.destroy() });
      return client;
    };
    const kmsOf = c.nodes.map(kms);
    const pair = await user.generateKeyPair({ keyType: 'ec', curve: 'secp256r1', label: 'chaos-signer' });
    const signer = pair.privateKey.handle;

    // The load: each worker creates keys (one label each), signs, and logs in again now and then.
    const faults: Fault[] = [];
    const errors: LoadError[] = [];
    const acknowledged = new Map<string, string>();
    let done = false;
    let ops = 0;
    const worker = async (index: number): Promise<void> => {
      let session: CofferSession = await all.login('chaos', password);
      for (let n = 0; !done; n++) {
        const step = async (op: string, run: () => Promise<void>) => {
          try {
            await run();
            ops++;
          } catch (error) {
            errors.push({ at: Date.now(), op, message: error instanceof Error ? error.message : String(error) });
            await sleep(50);
          }
        };
        const label = `chaos-${index}-${n}`;
        await step('create', async () => {
          const key = await session.generateSymmetricKey({ keyType: 'aes', keyLengthBytes: 32, label });
          acknowledged.set(label, key.handle);
        });
        await step('sign', async () => {
          await session.sign({ keyHandle: signer, mechanism: 'ECDSA_SHA256', data: Buffer.from(label) });
        });
        if (n % 5 === 4)
          await step('login', async () => {
            // The old session ends: a user may hold only so many.
            const previous = session;
            session = await all.login('chaos', password);
            await previous.logout();
          });
      }
    };
    const load = Promise.all(Array.from({ length: WORKERS }, (_, i) => worker(i)));
    let peerUnsealMs: number | undefined;
    try {
      const fault = (name: string) => faults.push({ name, at: Date.now() });
      const nodeA = c.nodes[0] as LocalNode;
      const [kmsA, kmsB, kmsC] = kmsOf as [KMSClient, KMSClient, KMSClient];
      const refused = async (client: KMSClient, keyId: string): Promise<string> => {
        try {
          await client.send(
            new SignCommand({ KeyId: keyId, Message: Buffer.from('x'), SigningAlgorithm: 'ECDSA_SHA_256' }),
          );
          return 'signed';
        } catch (error) {
          return (error as { name?: string }).name ?? String(error);
        }
      };
      /** Never signed; refused as disabled within a window (a transient answer before is recorded). */
      const refusedEverywhere = async (nodes: readonly KMSClient[], keyId: string, what: string) => {
        for (const client of nodes) {
          const until = Date.now() + WINDOW_MS;
          for (
            let answer = await refused(client, keyId);
            answer !== 'DisabledException';
            answer = await refused(client, keyId)
          ) {
            assert.notEqual(answer, 'signed', `${what}: a disabled key was used`);
            errors.push({ at: Date.now(), op: 'kms-sign', message: answer });
            assert.ok(Date.now() < until, `${what}: still ${answer}`);
            await sleep(200);
          }
        }
      };
      const signingKey = async (): Promise<string> => {
        const made = await kmsB.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }));
        const keyId = made.KeyMetadata?.KeyId ?? '';
        // Used through every node first, so each has it cached.
        for (const client of kmsOf) assert.equal(await refused(client, keyId), 'signed');
        return keyId;
      };
      const whileNodeDown = await signingKey();
      const whileEtcdOut = await signingKey();

      await sleep(SETTLE_MS);
      fault('kill -9 node-1');
      await nodeA.kill('SIGKILL');
      await kmsB.send(new DisableKeyCommand({ KeyId: whileNodeDown }));
      await sleep(SETTLE_MS);

      const leader = await c.etcd.leader();
      fault(`kill -9 etcd leader ${leader.name}`);
      await c.etcd.kill(leader);
      await sleep(SETTLE_MS);

      fault('restart node-1 and the etcd leader');
      await Promise.all([nodeA.restart(), c.etcd.start(leader)]);
      const sealedAt = Date.now();
      // No share given: it unseals from a peer.
      await nodeA.unsealed(30_000);
      peerUnsealMs = Date.now() - sealedAt;
      await refusedEverywhere([kmsA], whileNodeDown, 'the restarted node');
      await sleep(SETTLE_MS);

      const out = c.etcd.members.find((member) => member.name !== leader.name) ?? leader;
      fault(`stop etcd member ${out.name}`);
      await c.etcd.stop(out);
      await kmsA.send(new DisableKeyCommand({ KeyId: whileEtcdOut }));
      await refusedEverywhere([kmsB, kmsC], whileEtcdOut, 'an etcd member out');
      await sleep(SETTLE_MS);
      fault(`start etcd member ${out.name}`);
      await c.etcd.start(out);
      await sleep(SETTLE_MS);
      await refusedEverywhere(kmsOf, whileEtcdOut, 'the etcd member back');
      const opsBeforeEnd = ops;
      await sleep(SETTLE_MS);
      assert.ok(ops > opsBeforeEnd, 'the load goes on after the last fault');
    } catch (error) {
      for (const node of c.nodes) {
        const lines = (await readFile(node.logFile, 'utf8'))
          .split('\n')
          .filter((line) => /"level":(40|50|60)/.test(line));
        for (const line of lines.slice(-8)) t.diagnostic(`${node.name}: ${line.slice(0, 400)}`);
      }
      throw error;
    } finally {
      done = true;
      await load;
    }

    // Errors only inside a window after a fault; the windows measured.
    const windows = faults.map((f, i) => {
      const next = faults[i + 1]?.at ?? Infinity;
      const inside = errors.filter((e) => e.at >= f.at && e.at < next);
      const last = inside.reduce((max, e) => Math.max(max, e.at - f.at), 0);
      return { fault: f.name, errors: inside.length, windowMs: last };
    });
    t.diagnostic(`load: ${ops} operations, ${acknowledged.size} keys acknowledged, ${errors.length} errors`);
    for (const w of windows)
      t.diagnostic(`failover window after "${w.fault}": ${w.errors} errors within ${w.windowMs} ms`);
    for (const message of new Set(errors.map((e) => `${e.op}: ${e.message}`)))
      t.diagnostic(`error seen: ${message.slice(0, 200)}`);
    t.diagnostic(`node-1 unsealed from a peer ${peerUnsealMs} ms after it served again`);
    const outside = errors.filter((e) => !faults.some((f) => e.at >= f.at && e.at <= f.at + WINDOW_MS));
    assert.deepEqual(outside, [], 'no error outside a failover window');
    assert.ok(
      errors.every((e) => e.at >= (faults[0]?.at ?? 0)),
      'no error before the first fault',
    );

    // Every acknowledged key, once, through every node, and usable.
    for (const [i, client] of perNode.entries()) {
      const session = await client.login('chaos', password);
      const labels = new Map<string, number>();
      for (let after: string | undefined; ;) {
        const page = await session.listKeys({ limit: 1000, ...(after && { after }) });
        for (const key of page.keys) labels.set(key.label, (labels.get(key.label) ?? 0) + 1);
        if (page.next === undefined) break;
        after = page.next;
      }
      const duplicated = [...labels].filter(([label, count]) => /^chaos-\d+-\d+$/.test(label) && count > 1);
      assert.deepEqual(duplicated, [], `no label twice through node-${i + 1}`);
      for (const label of acknowledged.keys()) assert.equal(labels.get(label), 1, `${label} through node-${i + 1}`);
      let used = 0;
      for (const handle of acknowledged.values())
        if (used++ % c.nodes.length === i) await session.encrypt({ keyHandle: handle, plaintext: Buffer.from('x') });
      await session.logout();
    }
  });
});
