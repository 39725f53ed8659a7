import { randomBytes } from 'node:crypto';
import type { SelfTest } from '../types.js';
import { expectTrue } from './expect.js';

/** Source of random bytes: replaceable so a test can show a stuck generator is caught. */
export type RandomSource = (size: number) => Buffer;

/**
 * DRBG health check (the idea of SP 800-90B continuous health tests, much simplified):
 * two consecutive outputs differ and neither is all zeros.
 */
export function drbgHealthTest(random: RandomSource = randomBytes): SelfTest {
  return {
    name: 'DRBG health',
    async run() {
      const first = random(32);
      const second = random(32);
      expectTrue(first.length === 32 && second.length === 32, 'random output length');
      expectTrue(!first.equals(second), 'consecutive random outputs differ');
      expectTrue(first.some((b) => b !== 0) && second.some((b) => b !== 0), 'random output is not all zero');
    },
  };
}
