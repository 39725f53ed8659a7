import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ListKeysCommand, type KMSClient } from '@aws-sdk/client-kms';
import { codeOf } from './support/api.js';
import { auditEvents, type SeenEvent } from './support/audit-events.js';
import { kmsClient, kmsCryptoUser } from './support/kms.js';
import { startTestNode, type TestNode } from './support/test-node.js';

/**
 * Requests with a bad SigV4 signature, through the real KMS face of a real node (and, on /v1,
 * logins of an unknown user or of a locked account, and logouts without a session): every one is
 * refused as before, but a source's refusals are audited in full only up to the budget of its
 * window (src/audit/refusal-budget.ts); the rest become one summary event. The node's clock is
 * moved instead of waiting for the window to end.
 */
describe('refusals of requests without a credential are audited under a per-source budget (real node)', () => {
  let t: TestNode;
  let offset = 0;
  let forger: KMSClient;

  before(async () => {
    t = await startTestNode({ clock: () => new Date(Date.now() + offset) });
    const alice = await kmsCryptoUser(t, 'alice');
    alice.client.destroy();
    forger = await kmsClient(t, { accessKeyId: alice.accessKeyId, secretAccessKey: 'x'.repeat(40) });
  });
  after(async () => {
    forger?.destroy();
    await t?.stop();
  });

  /** Sends `n` requests signed with the wrong secret; each answer's exception and HTTP status. */
  async function forge(n: number): Promise<string[]> {
    const answers: string[] = [];
    for (let i = 0; i < n; i++) {
      try {
        await forger.send(new ListKeysCommand({}));
        answers.push('no error');
      } catch (error) {
        const refused = error as { name?: string; $metadata?: { httpStatusCode?: number } };
        answers.push(`${refused.name} ${refused.$metadata?.httpStatusCode}`);
      }
    }
    return answers;
  }

  async function audit(): Promise<{ refusals: SeenEvent[]; summaries: SeenEvent[] }> {
    const token = await t.api.login('admin', t.adminPassword);
    return {
      refusals: await auditEvents(t.api, token, { action: 'kms.authenticate' }),
      summaries: await auditEvents(t.api, token, { action: 'audit.refusals-suppressed' }),
    };
  }

  test('30 forged requests: all refused alike, 10 audited, then one summary of 20; the stop flushes the next', async () => {
    assert.deepEqual(await forge(30), Array(30).fill('InvalidSignatureException 400'));
    let seen = await audit();
    assert.equal(seen.refusals.length, 10);
    assert.ok(seen.refusals.every((event) => event.result === 'failure' && event.details?.reason === 'signature'));
    assert.equal(seen.summaries.length, 0, 'the window is still open');

    // The window ends; the next refusal closes it (and opens a new one, audited in full).
    offset += 61_000;
    assert.deepEqual(await forge(1), ['InvalidSignatureException 400']);
    seen = await audit();
    assert.equal(seen.summaries.length, 1);
    const summary = seen.summaries[0]!;
    assert.equal(summary.actor, 'system');
    assert.equal(summary.result, 'failure');
    assert.equal(summary.target, 'refusals/kms:127.0.0.1');
    assert.equal(summary.details?.face, 'kms');
    assert.equal(summary.details?.source, 'kms:127.0.0.1');
    assert.equal(summary.details?.count, 20);
    assert.equal(summary.details?.audited, 10);
    assert.equal(summary.details?.reasons, JSON.stringify({ 'kms.authenticate/signature': 20 }));
    assert.ok(Date.parse(String(summary.details?.from)) <= Date.parse(String(summary.details?.to)));
    assert.ok(!JSON.stringify(summary).includes(t.adminPassword));
    assert.equal(seen.refusals.length, 11);
    assert.ok(seen.refusals.at(-1)!.seq > summary.seq, 'the summary of a window comes before the next window');

    // 14 more in the new window (10 in full with the one above, 5 counted); closing the node writes their summary.
    assert.deepEqual(await forge(14), Array(14).fill('InvalidSignatureException 400'));
    await t.restart();
    seen = await audit();
    assert.equal(seen.refusals.length, 20);
    assert.deepEqual(
      seen.summaries.map((event) => event.details?.count),
      [20, 5],
    );
  });

  test('/v1 too: logins of an unknown user and logouts without a session share the api budget of their source', async () => {
    const answers: string[] = [];
    for (let i = 0; i < 12; i++) {
      const login = await t.api.call('POST', '/v1/sessions', { body: { username: 'nobody', password: 'guess-guess' } });
      answers.push(`${login.status} ${codeOf(login)}`);
    }
    for (let i = 0; i < 12; i++) {
      const logout = await t.api.call('DELETE', '/v1/sessions/current', { token: `cfs_${'A'.repeat(43)}` });
      answers.push(`${logout.status} ${codeOf(logout)}`);
    }
    assert.deepEqual(answers, [...Array(12).fill('401 LOGIN_FAILED'), ...Array(12).fill('401 SESSION_INVALID')]);
    await t.restart();
    const token = await t.api.login('admin', t.adminPassword);
    const logins = await auditEvents(t.api, token, { action: 'session.login', result: 'failure' });
    const logouts = await auditEvents(t.api, token, { action: 'session.logout', result: 'failure' });
    assert.equal(logins.length, 10);
    assert.equal(logouts.length, 0);
    const summary = (await auditEvents(t.api, token, { action: 'audit.refusals-suppressed' })).at(-1)!;
    assert.equal(summary.details?.source, 'api:127.0.0.1');
    assert.equal(summary.details?.count, 14);
    assert.equal(
      summary.details?.reasons,
      JSON.stringify({ 'session.login/LOGIN_FAILED': 2, 'session.logout/SESSION_INVALID': 12 }),
    );
  });

  test('a locked account: its logins are refused as before, past the budget counted, not audited one by one', async () => {
    const { password } = await t.cryptoUser('lou');
    const wrong = [];
    for (let i = 0; i < 5; i++)
      wrong.push(
        codeOf(await t.api.call('POST', '/v1/sessions', { body: { username: 'lou', password: 'wrong-guess' } })),
      );
    assert.deepEqual(
      wrong,
      Array(5).fill('LOGIN_FAILED'),
      'evaluated guesses are bounded by the lockout, audited each',
    );
    const locked: string[] = [];
    for (let i = 0; i < 25; i++) {
      const login = await t.api.call('POST', '/v1/sessions', { body: { username: 'lou', password } });
      locked.push(`${login.status} ${codeOf(login)}`);
    }
    assert.deepEqual(locked, Array(25).fill('403 ACCOUNT_LOCKED'), 'the right password too: the account is locked');
    await t.restart();
    const token = await t.api.login('admin', t.adminPassword);
    const events = await auditEvents(t.api, token, { target: 'user/lou' });
    assert.equal(events.filter((event) => event.code === 'LOGIN_FAILED').length, 5);
    assert.equal(events.filter((event) => event.code === 'ACCOUNT_LOCKED').length, 10);
    assert.equal(events.filter((event) => event.action === 'session.login' && event.result === 'success').length, 1);
    const summary = (await auditEvents(t.api, token, { action: 'audit.refusals-suppressed' })).at(-1)!;
    assert.equal(summary.details?.source, 'api:127.0.0.1');
    assert.equal(summary.details?.count, 15);
    assert.equal(summary.details?.reasons, JSON.stringify({ 'session.login/ACCOUNT_LOCKED': 15 }));
  });
});
