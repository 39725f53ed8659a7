import { CofferApiError } from './errors.js';
import type { Requester } from './transport.js';
import type { DecryptRequest, EncryptRequest, EncryptResult, SignRequest, VerifyRequest } from './types.js';

const b64 = (value: Buffer | undefined): string | undefined =>
  value === undefined ? undefined : value.toString('base64');
const bytes = (value: string): Buffer => Buffer.from(value, 'base64');

/** Drops undefined fields: the node refuses nothing extra, but keeps bodies minimal. */
function body(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

/** The crypto routes, for a session's token. Buffers in and out; base64 on the wire. */
export function cryptoCalls(request: Requester, token: string) {
  return {
    async encrypt(input: EncryptRequest): Promise<EncryptResult> {
      const answer = await request<{ ciphertext: string; iv: string }>('POST', '/v1/crypto/encrypt', {
        token,
        body: body({
          keyHandle: input.keyHandle,
          mechanism: input.mechanism ?? 'AES_GCM',
          plaintext: b64(input.plaintext),
          iv: b64(input.iv),
          aad: b64(input.aad),
          tagLengthBits: input.tagLengthBits,
        }),
      });
      return { ciphertext: bytes(answer.ciphertext), iv: bytes(answer.iv) };
    },
    async decrypt(input: DecryptRequest): Promise<Buffer> {
      const answer = await request<{ plaintext: string }>('POST', '/v1/crypto/decrypt', {
        token,
        body: body({
          keyHandle: input.keyHandle,
          mechanism: input.mechanism ?? 'AES_GCM',
          ciphertext: b64(input.ciphertext),
          iv: b64(input.iv),
          aad: b64(input.aad),
          tagLengthBits: input.tagLengthBits,
        }),
      });
      return bytes(answer.plaintext);
    },
    async sign(input: SignRequest): Promise<Buffer> {
      const answer = await request<{ signature: string }>('POST', '/v1/crypto/sign', {
        token,
        body: body({
          keyHandle: input.keyHandle,
          mechanism: input.mechanism,
          data: b64(input.data),
          signatureEncoding: input.signatureEncoding,
          saltLength: input.saltLength,
        }),
      });
      return bytes(answer.signature);
    },
    /** True when the signature verifies; false on SIGNATURE_INVALID. Other errors throw. */
    async verify(input: VerifyRequest): Promise<boolean> {
      try {
        const answer = await request<{ valid: boolean }>('POST', '/v1/crypto/verify', {
          token,
          body: body({
            keyHandle: input.keyHandle,
            mechanism: input.mechanism,
            data: b64(input.data),
            signature: b64(input.signature),
            signatureEncoding: input.signatureEncoding,
            saltLength: input.saltLength,
          }),
        });
        return answer.valid === true;
      } catch (error) {
        if (error instanceof CofferApiError && error.code === 'SIGNATURE_INVALID') return false;
        throw error;
      }
    },
  };
}
