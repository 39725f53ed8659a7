import type { PartStream } from '../../src/crypto/types.js';

/** For tests: chunk sizes that split AES blocks, GCM tags and hash blocks at odd places. */
export const ODD_CHUNKINGS: readonly (readonly number[])[] = [
  [1],
  [15],
  [17],
  [16],
  [1, 15, 17, 33],
  [7, 64, 3],
  [1000],
];

/**
 * For tests: feeds `data` through a stream in chunks of the given sizes (cycled), and returns
 * everything it output, updates and final joined.
 */
export function runChunked(stream: PartStream, data: Buffer, sizes: readonly number[]): Buffer {
  const out: Buffer[] = [];
  for (let at = 0, i = 0; at < data.length; i++) {
    const size = sizes[i % sizes.length]!;
    out.push(stream.update(data.subarray(at, at + size)));
    at += size;
  }
  out.push(stream.final());
  return Buffer.concat(out);
}
