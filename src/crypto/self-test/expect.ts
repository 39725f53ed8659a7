/**
 * Assertions for known-answer tests. Messages name what differed, never the bytes: run.ts turns
 * any failure into SELF_TEST_FAILED naming the test.
 */
export function expectHex(actual: Buffer | Uint8Array, expectedHex: string, what: string): void {
  if (Buffer.from(actual).toString('hex') !== expectedHex.toLowerCase()) {
    throw new Error(`${what} differs from the known answer`);
  }
}

export function expectTrue(condition: boolean, what: string): void {
  if (!condition) throw new Error(`${what} failed`);
}

export function hex(value: string): Buffer {
  return Buffer.from(value, 'hex');
}
