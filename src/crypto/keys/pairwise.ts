import { randomBytes, type SigningOptions } from 'node:crypto';
import { CofferError } from '../../errors/coffer-error.js';
import { signAsync, verifyAsync } from '../async-sign.js';
import type { GeneratedKeyPair } from '../types.js';

/** How a key type signs for the test: the RSA padding options, or nothing for ECDSA. */
export type PairwiseSignOptions = SigningOptions;

/**
 * Pairwise consistency test (as FIPS 140-3 requires): a fresh pair signs a random message with
 * its private half and must verify with its public half, or the pair is never handed out.
 */
export async function pairwiseConsistencyTest(
  pair: GeneratedKeyPair,
  options: PairwiseSignOptions = {},
): Promise<void> {
  const message = randomBytes(32);
  let ok: boolean;
  try {
    const signature = await signAsync('sha256', message, { ...options, key: pair.privateKey });
    ok = await verifyAsync('sha256', message, { ...options, key: pair.publicKey }, signature);
  } catch {
    ok = false;
  }
  if (!ok) throw new CofferError('SELF_TEST_FAILED', 'pairwise consistency test');
}

/** Runs the test and returns the pair, for `generatePair` implementations. */
export async function checkedPair(pair: GeneratedKeyPair, options?: PairwiseSignOptions): Promise<GeneratedKeyPair> {
  await pairwiseConsistencyTest(pair, options);
  return pair;
}
