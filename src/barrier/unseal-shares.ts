import { combine, split } from 'shamir-secret-sharing';
import { CofferError } from '../errors/coffer-error.js';

/**
 * Unseal shares: the root key split M-of-N with Shamir's scheme (one share per admin), or for
 * a 1-of-1 configuration (dev mode) the root key itself. A share travels as text:
 * `coffer-share-v1.<base64url>` so a typo or a truncated copy is caught before combining.
 */
const SHARE_PREFIX = 'coffer-share-v1.';
const ROOT_KEY_BYTES = 32;
/** A Shamir share is the secret's length plus one byte, its x coordinate. */
const SHAMIR_SHARE_BYTES = ROOT_KEY_BYTES + 1;

export interface SealConfig {
  readonly shares: number;
  readonly threshold: number;
}

export const SEAL_LIMITS = { minShares: 1, maxShares: 16 } as const;

export function checkSealConfig(config: SealConfig): void {
  const { shares, threshold } = config;
  const valid =
    Number.isInteger(shares) &&
    Number.isInteger(threshold) &&
    shares >= SEAL_LIMITS.minShares &&
    shares <= SEAL_LIMITS.maxShares &&
    threshold >= 1 &&
    threshold <= shares &&
    (threshold > 1 || shares === 1);
  if (!valid) {
    throw new CofferError(
      'INVALID_FIELD',
      `unseal shares must be 1 of 1, or M of N with 2 ≤ M ≤ N ≤ ${SEAL_LIMITS.maxShares}`,
    );
  }
}

export async function splitRootKey(rootKey: Buffer, config: SealConfig): Promise<Buffer[]> {
  checkSealConfig(config);
  if (config.shares === 1) return [Buffer.from(rootKey)];
  const shares = await split(new Uint8Array(rootKey), config.shares, config.threshold);
  return shares.map((share) => Buffer.from(share));
}

export async function combineShares(shares: readonly Buffer[]): Promise<Buffer> {
  if (shares.length === 1 && shares[0]?.length === ROOT_KEY_BYTES) return Buffer.from(shares[0]);
  if (shares.some((share) => share.length !== SHAMIR_SHARE_BYTES)) {
    throw new CofferError('UNSEAL_FAILED', 'the shares are of different kinds');
  }
  try {
    return Buffer.from(await combine(shares.map((share) => new Uint8Array(share))));
  } catch (cause) {
    throw new CofferError('UNSEAL_FAILED', undefined, { cause });
  }
}

export function encodeShare(share: Buffer): string {
  return SHARE_PREFIX + share.toString('base64url');
}

export function decodeShare(text: string): Buffer {
  const trimmed = text.trim();
  if (!trimmed.startsWith(SHARE_PREFIX)) throw new CofferError('UNSEAL_SHARE_INVALID', 'missing prefix');
  const body = trimmed.slice(SHARE_PREFIX.length);
  const share = Buffer.from(body, 'base64url');
  if (share.toString('base64url') !== body) throw new CofferError('UNSEAL_SHARE_INVALID', 'not base64url');
  if (share.length !== ROOT_KEY_BYTES && share.length !== SHAMIR_SHARE_BYTES) {
    throw new CofferError('UNSEAL_SHARE_INVALID', 'wrong length');
  }
  return share;
}
