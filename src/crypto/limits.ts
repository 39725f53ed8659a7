import { CofferError } from '../errors/coffer-error.js';

/**
 * Single-part input limit: bounds the memory and thread time one request can take. Larger data
 * belongs in envelope encryption (encrypt a data key here, the data with it elsewhere).
 */
export const MAX_DATA_BYTES = 512 * 1024;

/** Largest AES-GCM additional authenticated data. */
export const MAX_AAD_BYTES = 64 * 1024;

/** DATA_LEN_RANGE for input larger than `limit`. */
export function checkDataLength(data: Buffer, limit: number = MAX_DATA_BYTES): void {
  if (data.length > limit) {
    throw new CofferError('DATA_LEN_RANGE', `single-part input is limited to ${limit} bytes`);
  }
}
