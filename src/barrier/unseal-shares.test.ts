import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { isCofferError } from '../errors/coffer-error.js';
import {
  checkSealConfig,
  combineShares,
  decodeShare,
  encodeShare,
  splitRootKey,
  type SealConfig,
} from './unseal-shares.js';

const PREFIX = 'coffer-share-v1.';

function hasCode(code: 'INVALID_FIELD' | 'UNSEAL_FAILED' | 'UNSEAL_SHARE_INVALID') {
  return (error: unknown): boolean => isCofferError(error, code);
}

function subsets<T>(items: readonly T[], size: number): T[][] {
  if (size === 0) return [[]];
  return items.flatMap((item, index) => subsets(items.slice(index + 1), size - 1).map((rest) => [item, ...rest]));
}

describe('checkSealConfig', () => {
  const refused: [string, SealConfig][] = [
    ['0-of-0', { threshold: 0, shares: 0 }],
    ['3-of-2', { threshold: 3, shares: 2 }],
    ['1-of-3', { threshold: 1, shares: 3 }],
    ['2-of-17', { threshold: 2, shares: 17 }],
    ['0-of-3', { threshold: 0, shares: 3 }],
    ['-1-of-1', { threshold: -1, shares: 1 }],
    ['2.5-of-5', { threshold: 2.5, shares: 5 }],
    ['2-of-NaN', { threshold: 2, shares: Number.NaN }],
  ];
  for (const [name, config] of refused) {
    test(`refuses ${name}`, () => {
      assert.throws(() => checkSealConfig(config), hasCode('INVALID_FIELD'));
    });
  }

  const accepted: [string, SealConfig][] = [
    ['1-of-1', { threshold: 1, shares: 1 }],
    ['2-of-2', { threshold: 2, shares: 2 }],
    ['3-of-5', { threshold: 3, shares: 5 }],
    ['2-of-16', { threshold: 2, shares: 16 }],
    ['16-of-16', { threshold: 16, shares: 16 }],
  ];
  for (const [name, config] of accepted) {
    test(`accepts ${name}`, () => {
      assert.doesNotThrow(() => checkSealConfig(config));
    });
  }
});

describe('splitting and combining the root key', () => {
  test('3-of-5: every one of the 10 three-share subsets recombines to the root key', async () => {
    const rootKey = randomBytes(32);
    const shares = await splitRootKey(rootKey, { threshold: 3, shares: 5 });
    assert.equal(shares.length, 5);
    for (const share of shares) assert.equal(share.length, 33);
    assert.equal(new Set(shares.map((share) => share.toString('hex'))).size, 5);
    const all = subsets(shares, 3);
    assert.equal(all.length, 10);
    for (const subset of all) assert.deepEqual(await combineShares(subset), rootKey);
  });

  test('1-of-1: the single share is the root key, and a copy of it', async () => {
    const rootKey = randomBytes(32);
    const [share, ...rest] = await splitRootKey(rootKey, { threshold: 1, shares: 1 });
    assert.ok(share);
    assert.equal(rest.length, 0);
    assert.deepEqual(share, rootKey);
    share.fill(0);
    assert.notDeepEqual(rootKey, Buffer.alloc(32), 'zeroing the share leaves the root key alone');
    assert.deepEqual(await combineShares([rootKey]), rootKey);
  });

  test('splitRootKey refuses an invalid configuration', async () => {
    await assert.rejects(splitRootKey(randomBytes(32), { threshold: 1, shares: 3 }), hasCode('INVALID_FIELD'));
  });

  test('shares of mixed kinds (a 1-of-1 root key with a Shamir share) give UNSEAL_FAILED', async () => {
    const shares = await splitRootKey(randomBytes(32), { threshold: 2, shares: 3 });
    await assert.rejects(combineShares([randomBytes(32), shares[0]!]), hasCode('UNSEAL_FAILED'));
    await assert.rejects(combineShares([Buffer.alloc(10), Buffer.alloc(10)]), hasCode('UNSEAL_FAILED'));
  });
});

describe('share text encoding', () => {
  test('encode / decode round trip for a Shamir share and a 1-of-1 root key', async () => {
    const [shamir] = await splitRootKey(randomBytes(32), { threshold: 2, shares: 2 });
    assert.ok(shamir);
    for (const share of [shamir, randomBytes(32)]) {
      const text = encodeShare(share);
      assert.ok(text.startsWith(PREFIX));
      assert.deepEqual(decodeShare(text), share);
      assert.deepEqual(decodeShare(`  ${text}\n`), share, 'surrounding whitespace is ignored');
    }
  });

  test('decodeShare refuses a missing or wrong prefix', () => {
    const body = randomBytes(33).toString('base64url');
    for (const text of [body, `coffer-share-v2.${body}`, `COFFER-SHARE-V1.${body}`, `coffer-share-v1${body}`, '']) {
      assert.throws(() => decodeShare(text), hasCode('UNSEAL_SHARE_INVALID'), JSON.stringify(text));
    }
  });

  test('decodeShare refuses text that is not canonical base64url', () => {
    const body = randomBytes(33).toString('base64url');
    const cases = [
      body.slice(0, -1) + '!',
      body.replaceAll('-', '+').replaceAll('_', '/') + (body.includes('-') || body.includes('_') ? '' : '+'),
      `${body}=`,
      `${body.slice(0, 10)} ${body.slice(10)}`,
      `${body}A`,
    ];
    for (const text of cases) {
      assert.throws(() => decodeShare(PREFIX + text), hasCode('UNSEAL_SHARE_INVALID'), text);
    }
  });

  test('decodeShare refuses a share of the wrong length', () => {
    for (const length of [0, 1, 31, 34, 64]) {
      assert.throws(
        () => decodeShare(PREFIX + randomBytes(length).toString('base64url')),
        hasCode('UNSEAL_SHARE_INVALID'),
        `length ${length}`,
      );
    }
  });
});
