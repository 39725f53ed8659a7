import type { Requester } from './transport.js';
import type { Key, KeyAttributes } from './types.js';

/** Mechanism parameters of wrap, unwrap and derive; binary ones as Buffers (base64 on the wire). */
export interface KeyTransferParams {
  readonly iv?: Buffer;
  readonly aad?: Buffer;
  readonly tagLengthBits?: number;
  readonly hash?: 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';
  readonly oaepLabel?: Buffer;
  /** ECDH: the peer's public key, SPKI DER. */
  readonly publicKey?: Buffer;
  readonly kdf?: 'null' | 'x963' | 'hkdf';
  readonly sharedInfo?: Buffer;
  readonly salt?: Buffer;
  readonly info?: Buffer;
  /** SP 800-108: the KDF's Label (sent as `kdfLabel`; `label` is the new key's). */
  readonly kdfLabel?: Buffer;
  readonly context?: Buffer;
}

export interface NewKeyTemplate {
  readonly label?: string;
  readonly id?: string;
  readonly attributes?: KeyAttributes;
}

export type ImportKeyRequest = NewKeyTemplate &
  ({ readonly pem: string } | { readonly der: Buffer } | { readonly keyType: string; readonly value: Buffer });

export interface WrapKeyRequest extends KeyTransferParams {
  readonly wrappingKeyHandle: string;
  readonly keyHandle: string;
  readonly mechanism: string;
}

export interface UnwrapKeyRequest extends KeyTransferParams, NewKeyTemplate {
  readonly unwrappingKeyHandle: string;
  readonly mechanism: string;
  readonly wrappedKey: Buffer;
  readonly class: 'secret' | 'private';
  readonly keyType: string;
}

export interface DeriveKeyRequest extends KeyTransferParams, NewKeyTemplate {
  readonly baseKeyHandle: string;
  readonly mechanism: string;
  readonly keyType: string;
  readonly keyLengthBytes: number;
}

/** Buffers to base64, undefined fields dropped. */
function wire(fields: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(fields)
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => [name, Buffer.isBuffer(value) ? value.toString('base64') : value]),
  );
}

/** Import, wrap, unwrap and derive, for a session's token. */
export function keyTransferCalls(request: Requester, token: string) {
  return {
    async importKey(input: ImportKeyRequest): Promise<Key> {
      return (await request<{ key: Key }>('POST', '/v1/keys/import', { token, body: wire(input) })).key;
    },
    async wrapKey(input: WrapKeyRequest): Promise<Buffer> {
      const answer = await request<{ wrappedKey: string }>('POST', '/v1/keys/wrap', { token, body: wire(input) });
      return Buffer.from(answer.wrappedKey, 'base64');
    },
    async unwrapKey(input: UnwrapKeyRequest): Promise<Key> {
      return (await request<{ key: Key }>('POST', '/v1/keys/unwrap', { token, body: wire(input) })).key;
    },
    async deriveKey(input: DeriveKeyRequest): Promise<Key> {
      return (await request<{ key: Key }>('POST', '/v1/keys/derive', { token, body: wire(input) })).key;
    },
  };
}
