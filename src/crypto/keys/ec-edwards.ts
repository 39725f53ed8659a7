import { generateKeyPair, randomBytes, type KeyObject } from 'node:crypto';
import { CofferError } from '../../errors/coffer-error.js';
import { signAsync, verifyAsync } from '../async-sign.js';
import type { GeneratedKeyPair, KeyShape, KeySpec } from '../types.js';
import { sha1OfPublicKeyInfo } from './check-value-sources.js';
import { PAIR_ENCODINGS } from './key-encodings.js';
import { requiredField, type KeyTypeEntry } from './key-type.js';
import { specFor } from './spec.js';

/** Edwards curves Coffer supports (CKK_EC_EDWARDS): Ed25519 only. */
export const EDWARDS_CURVES = ['ed25519'] as const;

function checkSpec(spec: KeySpec): void {
  const { curve } = specFor(spec, 'ec-edwards');
  if (curve !== 'ed25519') {
    throw new CofferError('MECHANISM_INVALID', `supported Edwards curves are ${EDWARDS_CURVES.join(', ')}`);
  }
}

function checkKey(key: KeyObject): void {
  if (key.type === 'secret' || key.asymmetricKeyType !== 'ed25519') {
    throw new CofferError('KEY_TYPE_INCONSISTENT', 'not an Ed25519 key');
  }
}

/** The callback form of generateKeyPair runs on the libuv pool. */
function generateOnPool(): Promise<GeneratedKeyPair> {
  return new Promise((resolve, reject) => {
    generateKeyPair('ed25519', {}, (error, publicKey, privateKey) =>
      error ? reject(error) : resolve({ publicKey, privateKey }),
    );
  });
}

/** Where raw pairs come from: the pool, or in a test a faulty source. */
export type EdwardsPairSource = () => Promise<GeneratedKeyPair>;

/**
 * Pairwise consistency test (FIPS 140-3) for Ed25519, which signs the message itself: the shared
 * test in pairwise.ts names a digest, which Ed25519 refuses.
 */
async function pairwiseTest(pair: GeneratedKeyPair): Promise<void> {
  const message = randomBytes(32);
  const ok = await signAsync(null, message, pair.privateKey)
    .then((signature) => verifyAsync(null, message, pair.publicKey, signature))
    .catch(() => false);
  if (!ok) throw new CofferError('SELF_TEST_FAILED', 'pairwise consistency test');
}

/** A fresh Ed25519 pair, after its pairwise consistency test. */
export async function generateEdwardsKeyPair(source: EdwardsPairSource = generateOnPool): Promise<GeneratedKeyPair> {
  const pair = await source();
  await pairwiseTest(pair);
  return pair;
}

export const ecEdwardsKeys: KeyTypeEntry<'ec-edwards'> = {
  keyType: 'ec-edwards',
  checkSpec,
  checkKey,
  generatePair: async (spec) => {
    checkSpec(spec);
    return generateEdwardsKeyPair();
  },
  shape: (key): KeyShape => {
    checkKey(key);
    return { curve: 'ed25519' };
  },
  encodings: PAIR_ENCODINGS,
  generationMechanism: 'EC_EDWARDS_KEY_PAIR_GEN',
  opensslTypes: ['ed25519'],
  specFromRequest: (fields) => ({ keyType: 'ec-edwards', curve: requiredField(fields, 'curve') }),
  specFromShape: (stored) => ({ keyType: 'ec-edwards', curve: stored.curve ?? '' }),
  checkValueSource: sha1OfPublicKeyInfo,
};
