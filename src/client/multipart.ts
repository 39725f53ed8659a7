import { wireBody, type DigestMechanism } from './crypto-batch.js';
import { CofferApiError } from './errors.js';
import type { Requester } from './transport.js';
import type { EncryptMechanism, SignatureEncoding, SignMechanism } from './types.js';

export type MultipartKind = 'encrypt' | 'decrypt' | 'sign' | 'verify' | 'digest';

/** Mechanism parameters a multi-part operation may carry (binary ones as Buffers). */
interface MechanismParams {
  readonly iv?: Buffer;
  readonly aad?: Buffer;
  readonly tagLengthBits?: number;
  readonly counterBits?: number;
  readonly signatureEncoding?: SignatureEncoding;
  readonly saltLength?: number;
}

/** `POST /v1/crypto/operations`: what to begin. Digests take no key. */
export type BeginOperationRequest =
  | ({
      readonly operation: 'encrypt' | 'decrypt';
      readonly keyHandle: string;
      readonly mechanism: EncryptMechanism | (string & {});
    } & MechanismParams)
  | ({
      readonly operation: 'sign' | 'verify';
      readonly keyHandle: string;
      readonly mechanism: SignMechanism | (string & {});
    } & MechanismParams)
  | { readonly operation: 'digest'; readonly mechanism: DigestMechanism };

/** What `final` takes: verification needs the signature; the others at most a last part. */
export type FinalInput<K extends MultipartKind> = K extends 'verify'
  ? { readonly data?: Buffer; readonly signature: Buffer }
  : { readonly data?: Buffer };

/** What `final` yields: ciphertext/plaintext, the signature, the digest, or whether it verified. */
export type FinalValue<K extends MultipartKind> = K extends 'verify' ? boolean : Buffer;

const FINAL_FIELD: Record<Exclude<MultipartKind, 'verify'>, string> = {
  encrypt: 'output',
  decrypt: 'output',
  sign: 'signature',
  digest: 'digest',
};

const bytes = (value: unknown): Buffer => Buffer.from(typeof value === 'string' ? value : '', 'base64');

/**
 * A multi-part operation on the node (C_*Init / C_*Update / C_*Final). It belongs to the
 * session that began it. After `final` or `abort` it is over; using it again throws
 * OPERATION_FINISHED without asking the node. Call `abort` in a `finally` (or use
 * `session.withOperation`) so a failed stream does not hold one of the session's 16 slots.
 */
export class MultipartOperation<K extends MultipartKind> {
  /** The IV the node picked, when it picked one (encryption without an `iv`). */
  readonly iv: Buffer | undefined;
  #finished = false;

  constructor(
    private readonly request: Requester,
    private readonly token: string,
    readonly kind: K,
    readonly operationId: string,
    iv: Buffer | undefined,
  ) {
    this.iv = iv;
  }

  get finished(): boolean {
    return this.#finished;
  }

  private get path(): string {
    return `/v1/crypto/operations/${encodeURIComponent(this.operationId)}`;
  }

  private ensureLive(): void {
    if (this.#finished)
      throw new CofferApiError('OPERATION_FINISHED', 400, `operation ${this.operationId} already ended`);
  }

  /** Feeds one part (at most 512 KiB); ciphers return the output that became available, else an empty Buffer. */
  async update(data: Buffer): Promise<Buffer> {
    this.ensureLive();
    try {
      const answer = await this.request<{ output?: string }>('POST', `${this.path}/update`, {
        token: this.token,
        body: { data: data.toString('base64') },
      });
      return answer.output === undefined ? Buffer.alloc(0) : bytes(answer.output);
    } catch (error) {
      // The node ends an operation that failed; only a transport failure may leave it live.
      if (error instanceof CofferApiError) this.#finished = true;
      throw error;
    }
  }

  /** Ends the operation with an optional last part (and the signature, for verify). */
  async final(...args: K extends 'verify' ? [FinalInput<K>] : [FinalInput<K>?]): Promise<FinalValue<K>> {
    this.ensureLive();
    const input: { data?: Buffer; signature?: Buffer } = args[0] ?? {};
    this.#finished = true;
    try {
      const answer = await this.request<Record<string, unknown>>('POST', `${this.path}/final`, {
        token: this.token,
        body: wireBody(input),
      });
      if (this.kind === 'verify') return (answer.valid === true) as FinalValue<K>;
      return bytes(answer[FINAL_FIELD[this.kind as Exclude<MultipartKind, 'verify'>]]) as FinalValue<K>;
    } catch (error) {
      if (this.kind === 'verify' && error instanceof CofferApiError && error.code === 'SIGNATURE_INVALID')
        return false as FinalValue<K>;
      // A transport failure may have left the operation live on the node: let abort() reach it.
      if (!(error instanceof CofferApiError)) this.#finished = false;
      throw error;
    }
  }

  /** Ends the operation without a result (`DELETE`). A no-op once it has ended. */
  async abort(): Promise<void> {
    if (this.#finished) return;
    this.#finished = true;
    await this.request<void>('DELETE', this.path, { token: this.token });
  }
}

/** The multi-part routes, for a session's token. */
export function multipartCalls(request: Requester, token: string) {
  const begin = async <R extends BeginOperationRequest>(spec: R): Promise<MultipartOperation<R['operation']>> => {
    const answer = await request<{ operationId: string; iv?: string }>('POST', '/v1/crypto/operations', {
      token,
      body: wireBody(spec),
    });
    const iv = answer.iv === undefined ? undefined : bytes(answer.iv);
    return new MultipartOperation(request, token, spec.operation, answer.operationId, iv);
  };
  return {
    /** Begins a multi-part operation (`POST /v1/crypto/operations`). */
    beginOperation: begin,
    /** Begins an operation, runs `use` with it, and aborts it in `finally` unless `use` finished it. */
    async withOperation<R extends BeginOperationRequest, T>(
      spec: R,
      use: (operation: MultipartOperation<R['operation']>) => Promise<T>,
    ): Promise<T> {
      const operation = await begin(spec);
      try {
        return await use(operation);
      } finally {
        if (!operation.finished) await operation.abort().catch(() => undefined);
      }
    },
  };
}
