import type { FastifyInstance } from 'fastify';
import type { CipherParams, SignatureParams } from '../../crypto/types.js';
import { sessionOf } from '../auth.js';
import { decodeBase64, optionalBase64 } from '../base64.js';
import { base64, handle, object } from '../schemas.js';
import type { ApiServices } from '../services.js';

const mechanism = { type: 'string', maxLength: 64 } as const;
const cipherFields = {
  keyHandle: handle,
  mechanism,
  iv: base64,
  aad: base64,
  tagLengthBits: { type: 'integer' },
} as const;
const signatureFields = {
  keyHandle: handle,
  mechanism,
  data: base64,
  signatureEncoding: { type: 'string', enum: ['p1363', 'der'] },
  saltLength: { type: 'integer', minimum: 0 },
} as const;

interface CipherBody {
  keyHandle: string;
  mechanism: string;
  iv?: string;
  aad?: string;
  tagLengthBits?: number;
}
interface SignatureBody {
  keyHandle: string;
  mechanism: string;
  data: string;
  signatureEncoding?: 'p1363' | 'der';
  saltLength?: number;
}

function cipherParams(body: CipherBody): CipherParams {
  const iv = optionalBase64(body.iv, 'iv');
  const aad = optionalBase64(body.aad, 'aad');
  return {
    ...(iv && { iv }),
    ...(aad && { aad }),
    ...(body.tagLengthBits !== undefined && { tagLengthBits: body.tagLengthBits }),
  };
}

function signatureParams(body: SignatureBody): SignatureParams {
  return {
    ...(body.signatureEncoding && { signatureEncoding: body.signatureEncoding }),
    ...(body.saltLength !== undefined && { saltLength: body.saltLength }),
  };
}

export function cryptoRoutes(app: FastifyInstance, services: ApiServices): void {
  const { crypto } = services;

  app.post<{ Body: CipherBody & { plaintext: string } }>(
    '/v1/crypto/encrypt',
    {
      config: { operation: 'crypto.encrypt' },
      schema: { body: object({ ...cipherFields, plaintext: base64 }, ['keyHandle', 'mechanism', 'plaintext']) },
    },
    async (request) => {
      const { body } = request;
      const result = await crypto.encrypt(
        sessionOf(request),
        body.keyHandle,
        body.mechanism,
        decodeBase64(body.plaintext, 'plaintext'),
        cipherParams(body),
      );
      return { ciphertext: result.output.toString('base64'), ...(result.iv && { iv: result.iv.toString('base64') }) };
    },
  );

  app.post<{ Body: CipherBody & { ciphertext: string } }>(
    '/v1/crypto/decrypt',
    {
      config: { operation: 'crypto.decrypt' },
      schema: { body: object({ ...cipherFields, ciphertext: base64 }, ['keyHandle', 'mechanism', 'ciphertext', 'iv']) },
    },
    async (request) => {
      const { body } = request;
      const plaintext = await crypto.decrypt(
        sessionOf(request),
        body.keyHandle,
        body.mechanism,
        decodeBase64(body.ciphertext, 'ciphertext'),
        cipherParams(body),
      );
      return { plaintext: plaintext.toString('base64') };
    },
  );

  app.post<{ Body: SignatureBody }>(
    '/v1/crypto/sign',
    {
      config: { operation: 'crypto.sign' },
      schema: { body: object(signatureFields, ['keyHandle', 'mechanism', 'data']) },
    },
    async (request) => {
      const { body } = request;
      const signature = await crypto.sign(
        sessionOf(request),
        body.keyHandle,
        body.mechanism,
        decodeBase64(body.data, 'data'),
        signatureParams(body),
      );
      return { signature: signature.toString('base64') };
    },
  );

  app.post<{ Body: SignatureBody & { signature: string } }>(
    '/v1/crypto/verify',
    {
      config: { operation: 'crypto.verify' },
      schema: {
        body: object({ ...signatureFields, signature: base64 }, ['keyHandle', 'mechanism', 'data', 'signature']),
      },
    },
    async (request) => {
      const { body } = request;
      await crypto.verify(
        sessionOf(request),
        body.keyHandle,
        body.mechanism,
        decodeBase64(body.data, 'data'),
        decodeBase64(body.signature, 'signature'),
        signatureParams(body),
      );
      return { valid: true };
    },
  );
}
