import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import { coffer } from '../../test/support/errors.js';
import { mechanismOfKind } from '../crypto/mechanisms/registry.js';
import { CofferError } from '../errors/coffer-error.js';
import type { Session } from '../identity/sessions.js';
import type { KeyRecord } from '../objects/key-record.js';
import type { KeyUseGate } from './key-use-gate.js';
import { MULTIPART_LIMITS, MultipartOperations } from './multipart-operations.js';

const session = (username: string, id = username): Session => ({
  id,
  username,
  role: 'crypto-user',
  createdAt: 0,
  lastUsedAt: 0,
});

/** A gate that admits one EC signing key, and whose recheck can be told to refuse. */
function fakeGate() {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const record = { handle: '0x0000000000000001' } as KeyRecord;
  const state = { revoked: false, rechecks: 0 };
  const gate: Pick<KeyUseGate, 'admit' | 'recheck'> = {
    admit: (async (_session: Session, _reference: string, _role: string, options: { mechanism?: string }) => ({
      loaded: { record, key: privateKey, modRevision: 1 },
      record,
      mech: mechanismOfKind(options.mechanism ?? '', 'signature'),
      approval: async () => undefined,
    })) as unknown as KeyUseGate['admit'],
    recheck: async () => {
      state.rechecks++;
      if (state.revoked) throw new CofferError('KEY_NOT_FOUND');
      return { record, key: privateKey, modRevision: 1 };
    },
  };
  return { gate, state };
}

describe('multi-part operations', () => {
  test('the gate runs again at every update and final; a revoked key ends the operation', async () => {
    const { gate, state } = fakeGate();
    const operations = new MultipartOperations(gate);
    const alice = session('alice');
    const { operationId } = await operations.begin(alice, 'sign', 'ECDSA_SHA256', '0x1', {});
    await operations.update(alice, operationId, Buffer.from('part one'));
    assert.equal(state.rechecks, 1);
    state.revoked = true;
    await assert.rejects(operations.update(alice, operationId, Buffer.from('part two')), coffer('KEY_NOT_FOUND'));
    state.revoked = false;
    await assert.rejects(operations.final(alice, operationId, Buffer.alloc(0)), coffer('OPERATION_NOT_INITIALIZED'));
  });

  test('held bytes are bounded per user and per node, and given back when an operation ends', async () => {
    const { gate } = fakeGate();
    const limits = { ...MULTIPART_LIMITS, partBytes: 1024, totalBytes: 4096, heldPerUser: 3000, heldPerNode: 4500 };
    const operations = new MultipartOperations(gate, limits);
    const part = Buffer.alloc(1000, 1);
    const begin = (who: Session) => operations.begin(who, 'sign', 'ECDSA_SHA256', '0x1', {});
    const alice = session('alice');
    const aliceAgain = session('alice', 'alice-2');
    const bob = session('bob');
    const one = await begin(alice);
    const two = await begin(aliceAgain);
    await operations.update(alice, one.operationId, part);
    await operations.update(alice, one.operationId, part);
    await operations.update(aliceAgain, two.operationId, part);
    // Alice holds 3000 bytes over two sessions: a fourth part is refused, and ends that operation.
    await assert.rejects(operations.update(aliceAgain, two.operationId, part), coffer('MEMORY_BUDGET_EXCEEDED'));
    const three = await begin(bob);
    await operations.update(bob, three.operationId, part);
    await operations.update(bob, three.operationId, part);
    // The node holds 2000 (alice) + 2000 (bob): bob's next part fits his budget, not the node's.
    const four = await begin(bob);
    await assert.rejects(operations.update(bob, four.operationId, part), coffer('MEMORY_BUDGET_EXCEEDED', 'node'));
    // Ending alice's operation gives her bytes back.
    operations.abort(alice, one.operationId);
    const five = await begin(alice);
    for (let i = 0; i < 2; i++) await operations.update(alice, five.operationId, part);
    const result = await operations.final(alice, five.operationId, Buffer.alloc(0));
    assert.ok('signature' in result);
  });
});
