/**
 * The SDK against real nodes: discovery and zones, failover when a node's server goes away
 * under load, and a write whose answer is lost on the way (a real TCP relay cuts it) retried
 * under its Idempotency-Key on another endpoint of the same store: one key, the same handle.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import type { OpenApiDocument } from '../src/api/openapi.js';
import type { CliIo } from '../src/cli/io.js';
import { main } from '../src/cli/main.js';
import { CofferClient, IDEMPOTENT_ROUTES } from '../src/client/index.js';
import { answerDropper } from './support/answer-dropper.js';
import { auditEvents } from './support/audit-events.js';
import { freePort } from './support/free-port.js';
import { startTestNode, type TestNode } from './support/test-node.js';

/**
 * An SDK client of test nodes. Each test node is its own dev cluster with its own CA, so a
 * client of several trusts every CA and presents no client certificate (optional in dev mode).
 */
async function clientOf(
  nodes: readonly TestNode[],
  endpoints: string[],
  extra: Partial<ConstructorParameters<typeof CofferClient>[0]>,
): Promise<CofferClient> {
  const [only] = nodes;
  const tls =
    nodes.length === 1 && only
      ? {
          ca: await readFile(only.dir.caCert),
          cert: await readFile(only.init.clientCert!),
          key: await readFile(only.init.clientKey!),
        }
      : { ca: (await Promise.all(nodes.map((node) => readFile(node.dir.caCert, 'utf8')))).join('\n') };
  return new CofferClient({ endpoints, ...tls, timeoutMs: 10_000, ...extra });
}

describe('the SDK against a cluster of nodes', () => {
  let b: TestNode;
  let a: TestNode;

  before(async () => {
    b = await startTestNode({ node: { zone: 'zone-b' } });
    a = await startTestNode({ node: { zone: 'zone-a', peers: [{ url: b.node.url, zone: 'zone-b' }] } });
  });
  after(async () => {
    await a.stop();
    await b.stop();
  });

  test('the SDK sends an Idempotency-Key on exactly the routes the node accepts one on', async () => {
    const answer = await a.api.call<OpenApiDocument>('GET', '/v1/openapi.json');
    const accepting = Object.entries(answer.body.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([, operation]) => (operation.parameters ?? []).some((p) => p.name === 'Idempotency-Key'))
        .map(([method]) => `${method.toUpperCase()} ${path.replace(/\{path\}/, '*').replace(/\{([^}]+)\}/g, ':$1')}`),
    );
    assert.deepEqual([...accepting].sort(), [...IDEMPOTENT_ROUTES].sort());
  });

  test('a node lists the cluster with zones; the SDK discovers it and prefers its own zone', async () => {
    const nodes = await a.api.call<{ nodes: { url: string; zone?: string }[] }>('GET', '/v1/cluster/nodes');
    assert.deepEqual(nodes.body.nodes, [
      { url: a.node.url, zone: 'zone-a' },
      { url: b.node.url, zone: 'zone-b' },
    ]);
    assert.equal((await a.api.call('GET', '/v1/health')).body.zone, 'zone-a');
    const sdk = await clientOf([a, b], [a.node.url], { discover: true, zone: 'zone-b' });
    try {
      for (let i = 0; i < 3; i++) assert.equal((await sdk.status()).sealed, false);
      assert.equal(sdk.currentEndpoint, b.node.url);
      assert.deepEqual(
        sdk.endpoints().map(({ url, zone }) => [url, zone]),
        [
          [a.node.url, 'zone-a'],
          [b.node.url, 'zone-b'],
        ],
      );
    } finally {
      await sdk.close();
    }
  });

  test("a write whose answer is lost is retried under the same key: one key, the first request's handle", async () => {
    const relay = await answerDropper(a.node.port);
    const alice = await a.cryptoUser('alice');
    // The relay in the client's zone, so tried first; then the same node directly: one store behind both.
    const sdk = await clientOf([a], [`${relay.url}#via-relay`, a.node.url], {
      zone: 'via-relay',
      healthCheckIntervalMs: 0,
      // An RSA-4096 generation on a loaded machine can take long.
      timeoutMs: 90_000,
    });
    try {
      const session = await sdk.login('alice', alice.password);
      relay.arm();
      const pair = await session.generateKeyPair({ keyType: 'rsa', modulusBits: 4096, label: 'lost-answer' });
      assert.equal(relay.dropped(), 1, 'the first answer was cut on its way back');
      const listed = await session.listKeys({ label: 'lost-answer' });
      assert.deepEqual(
        listed.keys.map((key) => key.handle).sort(),
        [pair.publicKey.handle, pair.privateKey.handle].sort(),
      );
      const admin = await a.api.login('admin', a.adminPassword);
      const events = await auditEvents(a.api, admin);
      const made = events.filter((e) => e.action === 'key.generate' && e.actor === 'alice');
      assert.equal(made.length, 1, 'the node made the pair once');
      const replayed = events.filter((e) => e.action === 'idempotency.replay' && e.result === 'success');
      assert.equal(replayed.length, 1, 'the retry was answered from the record');
    } finally {
      await sdk.close();
      await relay.close();
    }
  });

  test('the CLI takes several endpoints, repeated or comma-separated, with zones, on the same transport', async () => {
    const closed = `https://127.0.0.1:${await freePort()}`;
    const user = await a.cryptoUser('cli_user');
    const out: string[] = [];
    const io: CliIo = {
      env: {},
      cwd: a.root,
      interactive: false,
      writeOut: (text) => void out.push(text),
      writeErr: (text) => void out.push(text),
      promptLine: () => Promise.reject(new Error('no prompt')),
      promptSecret: () => Promise.reject(new Error('no prompt')),
    };
    const tls = ['--ca-file', a.dir.caCert, '--cert-file', a.init.clientCert!, '--key-file', a.init.clientKey!];
    // The client's zone names the closed endpoint first: the CLI fails over to the node.
    const code = await main(
      [
        'key',
        'generate-symmetric',
        'aes',
        '--label',
        'from-cli',
        '--json',
        '--endpoint',
        `${closed}#near`,
        '--endpoint',
        `${a.node.url}#far,${closed}`,
        '--zone',
        'near',
        '--username',
        'cli_user',
        '--password',
        user.password,
        ...tls,
      ],
      io,
    );
    assert.equal(code, 0, out.join(''));
    assert.equal(JSON.parse(out.join('')).error_code, 0);
  });

  test("when one node's server goes away mid-load, the SDK carries on with the other", async () => {
    const c = await startTestNode({ node: { zone: 'zone-c' } });
    const d = await startTestNode({ node: { zone: 'zone-d' } });
    // Two nodes, each with its own store: the load is what every node answers alike.
    const sdk = await clientOf([c, d], [c.node.url, d.node.url], {});
    try {
      let stopped = false;
      const failures: unknown[] = [];
      let done = 0;
      const worker = async () => {
        while (!stopped) {
          try {
            await (done % 2 === 0 ? sdk.status() : sdk.health());
            done++;
          } catch (error) {
            failures.push(error);
          }
        }
      };
      const workers = Array.from({ length: 8 }, worker);
      const started = Date.now();
      while (done < 200 && failures.length === 0 && Date.now() - started < 20_000) await sleep(5);
      assert.deepEqual(failures, [], 'the load runs before the node goes away');
      const atKill = done;
      await c.node.close();
      const killedAt = Date.now();
      while (done < atKill + 400 && failures.length === 0 && Date.now() - killedAt < 20_000) await sleep(5);
      stopped = true;
      await Promise.all(workers);
      assert.deepEqual(failures, []);
      assert.ok(done >= atKill + 400, `only ${done - atKill} requests after the node went away`);
      assert.equal(sdk.currentEndpoint, d.node.url);
      assert.equal(sdk.endpoints().find((state) => state.url === c.node.url)?.healthy, false);
    } finally {
      await sdk.close();
      await d.stop();
      await c.stop().catch(() => undefined);
    }
  });
});
