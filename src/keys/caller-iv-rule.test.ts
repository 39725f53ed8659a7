import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cipherMechanism } from '../crypto/mechanisms/registry.js';
import type { AuditEvent, AuditEventInput } from '../audit/audit-event.js';
import { coffer } from '../../test/support/errors.js';
import { CallerIvCheck, callerIvRefusal, defaultCallerIvCheck } from './caller-iv-rule.js';

const GCM = cipherMechanism('AES_GCM');
const CTR = cipherMechanism('AES_CTR');
const CBC = cipherMechanism('AES_CBC');
const IV = { iv: Buffer.alloc(12, 1) };
const both = { attributes: { encrypt: true, decrypt: true } };
const encryptOnly = { attributes: { encrypt: true, decrypt: false } };
const on = { allowCallerIv: true };
const off = { allowCallerIv: false };
/** A writer that records the events it is given. */
const recording = (events: AuditEventInput[]) => ({
  commit: async (batch: { event: AuditEventInput }): Promise<AuditEvent> => {
    events.push(batch.event);
    return { ...batch.event, seq: events.length } as unknown as AuditEvent;
  },
});

describe('the caller-IV rule', () => {
  test('table: refused unless the policy allows it and the key also decrypts', () => {
    const cases = [
      // mechanism, params, key, policy, refused (reason fragment) or undefined
      [GCM, {}, encryptOnly, off, undefined],
      [CTR, {}, encryptOnly, off, undefined],
      [GCM, IV, both, off, 'allowCallerIv'],
      [CTR, IV, both, off, 'allowCallerIv'],
      [GCM, IV, encryptOnly, off, 'allowCallerIv'],
      [GCM, IV, encryptOnly, on, 'decrypt'],
      [CTR, IV, encryptOnly, on, 'decrypt'],
      [GCM, IV, both, on, undefined],
      [CTR, IV, both, on, undefined],
      // Not a mode where the node makes the IV: the mechanism checks its own IV.
      [CBC, IV, encryptOnly, off, undefined],
    ] as const;
    for (const [mechanism, params, key, policy, refused] of cases) {
      const answer = callerIvRefusal(mechanism, 'iv' in params, key, policy);
      const label = `${mechanism.name} iv=${'iv' in params} decrypt=${key.attributes.decrypt} policy=${policy.allowCallerIv}`;
      if (refused === undefined) assert.equal(answer, undefined, label);
      else {
        assert.equal(answer?.code, 'IV_NOT_ALLOWED', label);
        assert.match(answer.reason, new RegExp(refused), label);
      }
    }
  });

  test('enforce: refuses audited, reads no policy when there is nothing to decide, ignores decrypt', async () => {
    const events: AuditEventInput[] = [];
    let reads = 0;
    const check = new CallerIvCheck({
      policy: async () => {
        reads += 1;
        return off;
      },
      writer: recording(events),
    });
    const key = { ...both, handle: '0x1' };
    const alice = { username: 'alice' };
    await check.enforce(alice, 'encrypt', GCM, false, key);
    await check.enforce(alice, 'decrypt', GCM, true, key);
    assert.equal(reads, 0);
    await assert.rejects(check.enforce(alice, 'encrypt', CTR, true, key), coffer('IV_NOT_ALLOWED', 'AES_CTR'));
    assert.equal(reads, 1);
    assert.deepEqual(events, [
      { actor: 'alice', action: 'crypto.encrypt', target: 'key/0x1', result: 'failure', code: 'IV_NOT_ALLOWED' },
    ]);
    const fallback = defaultCallerIvCheck(recording([]));
    await assert.rejects(fallback.enforce(alice, 'encrypt', GCM, true, key), coffer('IV_NOT_ALLOWED'));
  });
});
