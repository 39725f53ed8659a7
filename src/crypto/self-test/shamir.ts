import { randomBytes } from 'node:crypto';
import { combine, split } from 'shamir-secret-sharing';
import type { SelfTest } from '../types.js';
import { expectTrue } from './expect.js';

/** Every k-element subset of the indexes 0..n-1. */
function subsets(n: number, k: number, start = 0): number[][] {
  if (k === 0) return [[]];
  const out: number[][] = [];
  for (let i = start; i <= n - k; i++) {
    for (const rest of subsets(n, k - 1, i + 1)) out.push([i, ...rest]);
  }
  return out;
}

/**
 * Shamir M-of-N (unseal shares): a random secret split 3-of-5 comes back from every 3 shares and
 * not from 2. The library wants plain Uint8Arrays (it rejects Buffers).
 */
export function shamirTest(): SelfTest {
  return {
    name: 'Shamir 3-of-5 split-combine',
    async run() {
      const secret = new Uint8Array(randomBytes(32));
      const shares = await split(secret, 5, 3);
      try {
        for (const subset of subsets(5, 3)) {
          const combined = await combine(subset.map((i) => shares[i]!));
          expectTrue(Buffer.from(combined).equals(secret), 'recombination from 3 shares');
        }
        const fromTwo = await combine([shares[0]!, shares[3]!]).catch(() => undefined);
        expectTrue(fromTwo === undefined || !Buffer.from(fromTwo).equals(secret), 'refusal of 2 shares');
      } finally {
        secret.fill(0);
        for (const share of shares) share.fill(0);
      }
    },
  };
}
