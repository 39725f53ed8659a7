import { CofferApiError } from './errors.js';
import type { Requester } from './transport.js';
import type { DecryptRequest, EncryptRequest, EncryptResult, SignRequest, VerifyRequest } from './types.js';

/** The digest mechanisms of `POST /v1/crypto/digest` and multi-part `digest`. */
export type DigestMechanism = 'SHA_1' | 'SHA224' | 'SHA256' | 'SHA384' | 'SHA512';

export interface DigestRequest {
  readonly mechanism: DigestMechanism;
  readonly data: Buffer;
}

/** `POST /v1/crypto/random` takes 1 to 65536 bytes. */
export const RANDOM_MAX_BYTES = 65_536;
/** `POST /v1/batch` takes 1 to 1000 operations. */
export const BATCH_MAX_OPERATIONS = 1000;

/** One operation of a batch: the single route's request, tagged with its operation. */
export type BatchOperation =
  | ({ readonly operation: 'encrypt' } & EncryptRequest)
  | ({ readonly operation: 'decrypt' } & DecryptRequest)
  | ({ readonly operation: 'sign' } & SignRequest)
  | ({ readonly operation: 'verify' } & VerifyRequest)
  | ({ readonly operation: 'digest' } & DigestRequest)
  | { readonly operation: 'random'; readonly length: number };

/** What each batch operation yields: the same value as the single call on the session. */
export interface BatchValues {
  readonly encrypt: EncryptResult;
  readonly decrypt: Buffer;
  readonly sign: Buffer;
  /** False when the node answered SIGNATURE_INVALID, as `session.verify` does. */
  readonly verify: boolean;
  readonly digest: Buffer;
  readonly random: Buffer;
}

export type BatchOperationName = BatchOperation['operation'];

/** One batch result: the operation's value, or the error it would have thrown alone. */
export type BatchResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: CofferApiError };

/** The results of `operations`, in order, each typed by its operation. */
export type BatchResults<T extends readonly BatchOperation[]> = {
  -readonly [K in keyof T]: BatchResult<BatchValues[T[K]['operation']]>;
};

/** The wire form of one result of `POST /v1/batch`. */
interface WireResult {
  readonly status: number;
  readonly body?: Record<string, unknown>;
  readonly error?: { readonly code: string; readonly message?: string };
}

/**
 * Base64 for every Buffer field; undefined fields dropped; everything else as given. Generic
 * so a parameter added to a request type (counterBits, oaepLabel …) reaches the node unchanged.
 */
export function wireBody(fields: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    out[name] = Buffer.isBuffer(value) ? value.toString('base64') : value;
  }
  return out;
}

/** The body of a batch item: the single route's body plus `operation`, with the SDK's defaults. */
function batchItem(operation: BatchOperation): Record<string, unknown> {
  if (operation.operation === 'encrypt' || operation.operation === 'decrypt')
    return wireBody({ ...operation, mechanism: operation.mechanism ?? 'AES_GCM' });
  return wireBody(operation);
}

const bytes = (value: unknown): Buffer => Buffer.from(typeof value === 'string' ? value : '', 'base64');

type Decoders = { readonly [N in BatchOperationName]: (body: Record<string, unknown>) => BatchValues[N] };

const DECODERS: Decoders = {
  encrypt: (body) => ({ ciphertext: bytes(body.ciphertext), iv: bytes(body.iv) }),
  decrypt: (body) => bytes(body.plaintext),
  sign: (body) => bytes(body.signature),
  verify: (body) => body.valid === true,
  digest: (body) => bytes(body.digest),
  random: (body) => bytes(body.random),
};

function decodeResult(operation: BatchOperationName, wire: WireResult): BatchResult<BatchValues[BatchOperationName]> {
  if (wire.status >= 200 && wire.status < 300) return { ok: true, value: DECODERS[operation](wire.body ?? {}) };
  const code = wire.error?.code ?? `HTTP_${wire.status}`;
  if (operation === 'verify' && code === 'SIGNATURE_INVALID') return { ok: true, value: false };
  return { ok: false, error: new CofferApiError(code, wire.status, wire.error?.message ?? code) };
}

async function sendBatch<const T extends readonly BatchOperation[]>(
  request: Requester,
  token: string,
  operations: T,
  payload: { body: unknown } | { jsonText: string },
): Promise<BatchResults<T>> {
  const answer = await request<{ results: WireResult[] }>('POST', '/v1/batch', { token, ...payload });
  if (!Array.isArray(answer.results) || answer.results.length !== operations.length) {
    throw new CofferApiError(
      'MALFORMED_RESPONSE',
      200,
      `the node answered ${Array.isArray(answer.results) ? answer.results.length : 'no'} results for ${operations.length} operations`,
    );
  }
  return operations.map((operation, index) =>
    decodeResult(operation.operation, answer.results[index] as WireResult),
  ) as BatchResults<T>;
}

/** The batch route and the key-less crypto routes (digest, random), for a session's token. */
export function batchCalls(request: Requester, token: string) {
  return {
    /**
     * Runs up to 1000 operations in one request (`POST /v1/batch`). Each is authorized and
     * audited as if sent alone; one failing does not stop the others. Results come in order.
     * A request-level failure (bad token, body too large) throws as any call does.
     */
    async batch<const T extends readonly BatchOperation[]>(operations: T): Promise<BatchResults<T>> {
      return sendBatch(request, token, operations, { body: { operations: operations.map(batchItem) } });
    },

    /**
     * A batch encoded once and sent as often as asked: for repeated workloads (benchmarks,
     * like openssl speed reusing its buffers) the base64 and JSON work is done a single time.
     */
    prepareBatch<const T extends readonly BatchOperation[]>(operations: T): { send(): Promise<BatchResults<T>> } {
      const jsonText = JSON.stringify({ operations: operations.map(batchItem) });
      return { send: () => sendBatch(request, token, operations, { jsonText }) };
    },

    async digest(input: DigestRequest): Promise<Buffer> {
      const answer = await request<{ digest: string }>('POST', '/v1/crypto/digest', { token, body: wireBody(input) });
      return bytes(answer.digest);
    },

    /** `length` random bytes from the node's generator (1 to 65536). */
    async random(length: number): Promise<Buffer> {
      const answer = await request<{ random: string }>('POST', '/v1/crypto/random', { token, body: { length } });
      return bytes(answer.random);
    },
  };
}
