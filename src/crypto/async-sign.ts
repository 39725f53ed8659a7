import { sign, verify, type KeyObject, type SignKeyObjectInput, type VerifyKeyObjectInput } from 'node:crypto';

/**
 * Promise forms of crypto.sign / crypto.verify. The callback forms run on the libuv thread
 * pool, so an RSA-4096 signature does not stall the event loop.
 */
export function signAsync(
  algorithm: string | null,
  data: Buffer,
  key: KeyObject | SignKeyObjectInput,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    sign(algorithm, data, key, (error, signature) => (error ? reject(error) : resolve(signature)));
  });
}

/** Rejects when OpenSSL cannot parse the signature; callers that must not throw catch it. */
export function verifyAsync(
  algorithm: string | null,
  data: Buffer,
  key: KeyObject | VerifyKeyObjectInput,
  signature: Buffer,
): Promise<boolean> {
  return new Promise((resolve, reject) => {
    verify(algorithm, data, key, signature, (error, ok) => (error ? reject(error) : resolve(ok)));
  });
}
