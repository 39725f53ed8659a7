import { randomBytes, timingSafeEqual } from 'node:crypto';
import { mechanismOfKind } from '../crypto/mechanisms/registry.js';
import type { MechanismParams, PartStream } from '../crypto/types.js';
import { CofferError } from '../errors/coffer-error.js';
import type { Session } from '../identity/sessions.js';
import type { CryptoService } from './crypto-service.js';

export type MultipartKind = 'encrypt' | 'decrypt' | 'sign' | 'verify' | 'digest';

export interface MultipartLimits {
  /** Live operations per login session. */
  readonly perSession: number;
  /** Bytes through one operation in all (hash-and-sign schemes hold them until final). */
  readonly totalBytes: number;
  /** Bytes in one part. */
  readonly partBytes: number;
}

export const MULTIPART_LIMITS: MultipartLimits = {
  perSession: 16,
  totalBytes: 16 * 1024 * 1024,
  partBytes: 512 * 1024,
};

export type MultipartResult =
  { readonly output: Buffer } | { readonly signature: Buffer } | { readonly digest: Buffer } | { readonly valid: true };

interface Live {
  readonly sessionId: string;
  readonly kind: MultipartKind;
  total: number;
  /** Streaming modes: ciphers, digests, MACs. */
  readonly stream?: PartStream;
  /** Hash-and-sign schemes gather the parts and sign once at final, on the libuv pool. */
  readonly parts?: Buffer[];
  readonly finish?: (data: Buffer, signature?: Buffer) => Promise<MultipartResult>;
}

/**
 * Multi-part operations (C_EncryptInit/Update/Final and friends): the same checks as single
 * part at init, state held in node memory and bound to the login session that began it, ended
 * by final, by an error (as PKCS#11 ends an operation on error), by abort, or with the session.
 */
export class MultipartOperations {
  private readonly live = new Map<string, Live>();

  constructor(
    private readonly crypto: Pick<CryptoService, 'prepare' | 'callerIv'>,
    private readonly limits: MultipartLimits = MULTIPART_LIMITS,
  ) {}

  async begin(
    session: Session,
    kind: MultipartKind,
    mechanismName: string,
    keyHandle: string | undefined,
    params: MechanismParams,
  ): Promise<{ operationId: string; iv?: Buffer }> {
    const open = [...this.live.values()].filter((live) => live.sessionId === session.id).length;
    if (open >= this.limits.perSession)
      throw new CofferError('TOO_MANY_OPERATIONS', `at most ${this.limits.perSession} per session`);
    const live = await this.start(session, kind, mechanismName, keyHandle, params);
    const operationId = randomBytes(16).toString('hex');
    this.live.set(operationId, live);
    return { operationId, ...(live.stream?.iv && { iv: live.stream.iv }) };
  }

  update(session: Session, operationId: string, data: Buffer): Buffer {
    const live = this.find(session, operationId);
    return this.guard(operationId, () => {
      this.count(live, data);
      if (live.stream) return live.stream.update(data);
      live.parts!.push(Buffer.from(data));
      return Buffer.alloc(0);
    });
  }

  async final(session: Session, operationId: string, data: Buffer, signature?: Buffer): Promise<MultipartResult> {
    const live = this.find(session, operationId);
    try {
      this.count(live, data);
      if (live.finish) return await live.finish(Buffer.concat([...(live.parts ?? []), data]), signature);
      const stream = live.stream!;
      const output = Buffer.concat([stream.update(data), stream.final()]);
      if (live.kind === 'digest') return { digest: output };
      if (live.kind === 'sign') return { signature: output };
      if (live.kind === 'verify') return this.compareMac(output, signature);
      return { output };
    } finally {
      this.end(operationId);
    }
  }

  abort(session: Session, operationId: string): void {
    this.find(session, operationId);
    this.end(operationId);
  }

  /** Ends every operation of a session (logout, expiry, seal). */
  dropSession(sessionId: string): void {
    for (const [id, live] of this.live) if (live.sessionId === sessionId) this.end(id);
  }

  private async start(
    session: Session,
    kind: MultipartKind,
    mechanismName: string,
    keyHandle: string | undefined,
    params: MechanismParams,
  ): Promise<Live> {
    const base = { sessionId: session.id, kind, total: 0 };
    if (kind === 'digest') return { ...base, stream: mechanismOfKind(mechanismName, 'digest').begin() };
    if (keyHandle === undefined) throw new CofferError('MISSING_FIELD', 'body.keyHandle');
    if (kind === 'encrypt' || kind === 'decrypt') {
      const { loaded, mech } = await this.crypto.prepare(session, keyHandle, mechanismName, kind);
      await this.crypto.callerIv.enforce(session, kind, mech, params, loaded.record);
      if (!mech.begin) throw new CofferError('MECHANISM_INVALID', `${mech.name} has no multi-part form`);
      return { ...base, stream: mech.begin(loaded.key, kind, params) };
    }
    const { loaded, mech } = await this.crypto.prepare(session, keyHandle, mechanismName, kind);
    if (mech.multiPart === 'none') throw new CofferError('MECHANISM_INVALID', `${mech.name} has no multi-part form`);
    if (mech.multiPart === 'stream' && mech.begin) return { ...base, stream: mech.begin(loaded.key, params) };
    const finish =
      kind === 'sign'
        ? async (data: Buffer): Promise<MultipartResult> => ({ signature: await mech.sign(loaded.key, data, params) })
        : async (data: Buffer, signature?: Buffer): Promise<MultipartResult> => {
            if (!signature) throw new CofferError('MISSING_FIELD', 'body.signature');
            if (!(await mech.verify(loaded.key, data, signature, params))) throw new CofferError('SIGNATURE_INVALID');
            return { valid: true };
          };
    return { ...base, parts: [], finish };
  }

  /** A streamed MAC is verified at final, compared in constant time. */
  private compareMac(computed: Buffer, signature: Buffer | undefined): MultipartResult {
    if (!signature) throw new CofferError('MISSING_FIELD', 'body.signature');
    if (computed.length !== signature.length || !timingSafeEqual(computed, signature))
      throw new CofferError('SIGNATURE_INVALID');
    return { valid: true };
  }

  private count(live: Live, data: Buffer): void {
    if (data.length > this.limits.partBytes)
      throw new CofferError('DATA_LEN_RANGE', `a part is at most ${this.limits.partBytes} bytes`);
    live.total += data.length;
    if (live.total > this.limits.totalBytes) {
      throw new CofferError('DATA_LEN_RANGE', `a multi-part operation takes at most ${this.limits.totalBytes} bytes`);
    }
  }

  private guard<T>(operationId: string, step: () => T): T {
    try {
      return step();
    } catch (error) {
      this.end(operationId);
      throw error;
    }
  }

  private find(session: Session, operationId: string): Live {
    const live = this.live.get(operationId);
    if (!live || live.sessionId !== session.id) throw new CofferError('OPERATION_NOT_INITIALIZED');
    return live;
  }

  private end(operationId: string): void {
    const live = this.live.get(operationId);
    for (const part of live?.parts ?? []) part.fill(0);
    this.live.delete(operationId);
  }
}
