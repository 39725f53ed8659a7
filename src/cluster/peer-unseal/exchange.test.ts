import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { isCofferError } from '../../errors/coffer-error.js';
import { answerExchange, finishExchange, startExchange, type ExchangeParties, type PeerAnswer } from './exchange.js';

const parties: ExchangeParties = {
  clusterId: 'cluster-1',
  requesterId: 'node-b',
  peerId: 'node-a',
  tlsExporter: randomBytes(32),
};
const refused = (error: unknown): boolean => isCofferError(error, 'PEER_UNSEAL_REFUSED');

function flip(buffer: Buffer, at = 0): Buffer {
  const copy = Buffer.from(buffer);
  copy[at]! ^= 0x01;
  return copy;
}

describe('the peer-unseal exchange', () => {
  it('hands the root key to the requester that started it', () => {
    const rootKey = randomBytes(32);
    const secret = startExchange();
    const answer = answerExchange(rootKey, secret.publicKey, parties);
    assert.equal(answer.sealedKey.subarray(0, 32).equals(rootKey), false, 'the key travels sealed');
    assert.deepEqual(finishExchange(secret, answer, parties), rootKey);
  });

  it('refuses an answer altered in any field', () => {
    const secret = startExchange();
    const answer = answerExchange(randomBytes(32), secret.publicKey, parties);
    const tampered: PeerAnswer[] = [
      { ...answer, sealedKey: flip(answer.sealedKey) },
      { ...answer, sealedKey: flip(answer.sealedKey, 40) },
      { ...answer, nonce: flip(answer.nonce) },
      { ...answer, salt: flip(answer.salt) },
      { ...answer, ephemeralPublicKey: flip(answer.ephemeralPublicKey, 5) },
      { ...answer, ephemeralPublicKey: startExchange().publicKey },
      { ...answer, sealedKey: answer.sealedKey.subarray(1) },
    ];
    for (const altered of tampered) assert.throws(() => finishExchange(secret, altered, parties), refused);
  });

  it('binds the answer to both node ids, the cluster and the TLS session', () => {
    const secret = startExchange();
    const answer = answerExchange(randomBytes(32), secret.publicKey, parties);
    for (const other of [
      { ...parties, requesterId: 'node-c' },
      { ...parties, peerId: 'node-c' },
      { ...parties, clusterId: 'cluster-2' },
      { ...parties, tlsExporter: randomBytes(32) },
    ])
      assert.throws(() => finishExchange(secret, answer, other), refused);
  });

  it('an answer replayed into another exchange does not open', () => {
    const first = startExchange();
    const answer = answerExchange(randomBytes(32), first.publicKey, parties);
    const second = startExchange();
    assert.throws(() => finishExchange(second, answer, parties), refused);
  });

  it('refuses malformed and degenerate requester keys', () => {
    assert.throws(() => answerExchange(randomBytes(32), Buffer.alloc(31), parties), refused);
    // The all-zero point is of low order: the agreement gives zero, which is refused.
    assert.throws(() => answerExchange(randomBytes(32), Buffer.alloc(32), parties), refused);
    assert.throws(
      () => answerExchange(randomBytes(32), startExchange().publicKey, { ...parties, tlsExporter: Buffer.alloc(0) }),
      refused,
    );
  });
});
