import { timingSafeEqual } from 'node:crypto';
import { mechanismOfKind } from '../crypto/mechanisms/registry.js';
import type { Mechanism, MechanismParams, PartStream } from '../crypto/types.js';
import { CofferError } from '../errors/coffer-error.js';
import { notHere, SessionObjectIds, type SessionBound } from '../identity/session-bound.js';
import type { Session } from '../identity/sessions.js';
import type { KeyUseGate } from './key-use-gate.js';

export type MultipartKind = 'encrypt' | 'decrypt' | 'sign' | 'verify' | 'digest';

export interface MultipartLimits {
  /** Live operations per login session. */
  readonly perSession: number;
  /** Bytes all of one user's live operations may hold in node memory (gathered or unreleased parts). */
  readonly heldPerUser: number;
  /** Bytes every live operation on this node may hold together. */
  readonly heldPerNode: number;
  /** Bytes through one operation in all (hash-and-sign schemes hold them until final). */
  readonly totalBytes: number;
  /** Bytes in one part. */
  readonly partBytes: number;
}

export const MULTIPART_LIMITS: MultipartLimits = {
  perSession: 16,
  heldPerUser: 64 * 1024 * 1024,
  heldPerNode: 512 * 1024 * 1024,
  totalBytes: 16 * 1024 * 1024,
  partBytes: 512 * 1024,
};

export type MultipartResult =
  { readonly output: Buffer } | { readonly signature: Buffer } | { readonly digest: Buffer } | { readonly valid: true };

interface Live {
  readonly sessionId: string;
  readonly username: string;
  readonly kind: MultipartKind;
  total: number;
  /** Whether the operation keeps what it is given until final (so it counts against the budgets). */
  readonly holds: boolean;
  /** The key and mechanism, for the gate at each step; absent for digests. */
  readonly key?: { readonly handle: string; readonly role: Exclude<MultipartKind, 'digest'>; readonly mech: Mechanism };
  /** Streaming modes: ciphers, digests, MACs. */
  readonly stream?: PartStream;
  /** Hash-and-sign schemes gather the parts and sign once at final, on the libuv pool. */
  readonly parts?: Buffer[];
  readonly finish?: (data: Buffer, signature?: Buffer) => Promise<MultipartResult>;
}

/**
 * Multi-part operations (C_EncryptInit/Update/Final and friends): the key-use gate admits the
 * key at init, as for a single part, and checks it again at every update and final, so a key
 * unshared, disabled, deleted, expired or stripped of its usage ends the operation. State is held
 * in node memory, bound to the login session that began it, within per-user and per-node
 * budgets of held bytes, and ended by final, by an error (as PKCS#11 ends an operation on
 * error), by abort, or with the session.
 */
export class MultipartOperations implements SessionBound {
  private readonly live = new Map<string, Live>();
  private readonly heldByUser = new Map<string, number>();
  private heldOnNode = 0;

  constructor(
    private readonly gate: Pick<KeyUseGate, 'admit' | 'recheck'>,
    private readonly limits: MultipartLimits = MULTIPART_LIMITS,
    /** The node's session-bound ids (session-bound.ts). */
    private readonly ids: SessionObjectIds = new SessionObjectIds(),
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
    const operationId = this.ids.operationId(session.id);
    this.live.set(operationId, live);
    return { operationId, ...(live.stream?.iv && { iv: live.stream.iv }) };
  }

  async update(session: Session, operationId: string, data: Buffer): Promise<Buffer> {
    const live = this.find(session, operationId);
    try {
      await this.recheck(session, live);
      // The operation may have ended (final, abort) while the gate ran.
      if (this.live.get(operationId) !== live) throw new CofferError('OPERATION_NOT_INITIALIZED');
      this.count(live, data);
      if (live.stream) return live.stream.update(data);
      live.parts!.push(Buffer.from(data));
      return Buffer.alloc(0);
    } catch (error) {
      this.end(operationId);
      throw error;
    }
  }

  async final(session: Session, operationId: string, data: Buffer, signature?: Buffer): Promise<MultipartResult> {
    const live = this.find(session, operationId);
    try {
      await this.recheck(session, live);
      if (this.live.get(operationId) !== live) throw new CofferError('OPERATION_NOT_INITIALIZED');
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

  dropAll(): void {
    for (const id of [...this.live.keys()]) this.end(id);
  }

  private async start(
    session: Session,
    kind: MultipartKind,
    mechanismName: string,
    keyHandle: string | undefined,
    params: MechanismParams,
  ): Promise<Live> {
    const base = { sessionId: session.id, username: session.username, kind, total: 0 };
    if (kind === 'digest') return { ...base, holds: false, stream: mechanismOfKind(mechanismName, 'digest').begin() };
    if (keyHandle === undefined) throw new CofferError('MISSING_FIELD', 'body.keyHandle');
    const action = `crypto.${kind}`;
    if (kind === 'encrypt' || kind === 'decrypt') {
      const callerIv = params.iv !== undefined;
      const { loaded, mech } = await this.gate.admit(session, keyHandle, kind, {
        action,
        mechanism: mechanismName,
        callerIv,
      });
      if (!mech.begin) throw new CofferError('MECHANISM_INVALID', `${mech.name} has no multi-part form`);
      const key = { handle: loaded.record.handle, role: kind, mech };
      // An authenticated mode releases no plaintext before its tag is checked: it holds it.
      const holds = kind === 'decrypt' && mech.authenticated;
      return { ...base, holds, key, stream: mech.begin(loaded.key, kind, params) };
    }
    const { loaded, mech } = await this.gate.admit(session, keyHandle, kind, { action, mechanism: mechanismName });
    if (mech.multiPart === 'none') throw new CofferError('MECHANISM_INVALID', `${mech.name} has no multi-part form`);
    const key = { handle: loaded.record.handle, role: kind, mech };
    if (mech.multiPart === 'stream' && mech.begin)
      return { ...base, holds: false, key, stream: mech.begin(loaded.key, params) };
    const finish =
      kind === 'sign'
        ? async (data: Buffer): Promise<MultipartResult> => ({ signature: await mech.sign(loaded.key, data, params) })
        : async (data: Buffer, signature?: Buffer): Promise<MultipartResult> => {
            if (!signature) throw new CofferError('MISSING_FIELD', 'body.signature');
            if (!(await mech.verify(loaded.key, data, signature, params))) throw new CofferError('SIGNATURE_INVALID');
            return { valid: true };
          };
    return { ...base, holds: true, key, parts: [], finish };
  }

  /** The gate again, at each step: what was allowed at init may have been revoked since. */
  private async recheck(session: Session, live: Live): Promise<void> {
    if (live.key)
      await this.gate.recheck(session, live.key.handle, live.key.role, live.key.mech, `crypto.${live.kind}`);
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
    if (live.total + data.length > this.limits.totalBytes) {
      throw new CofferError('DATA_LEN_RANGE', `a multi-part operation takes at most ${this.limits.totalBytes} bytes`);
    }
    if (live.holds) {
      const user = this.heldByUser.get(live.username) ?? 0;
      if (user + data.length > this.limits.heldPerUser)
        throw new CofferError(
          'MEMORY_BUDGET_EXCEEDED',
          `a user's multi-part operations hold at most ${this.limits.heldPerUser} bytes`,
        );
      if (this.heldOnNode + data.length > this.limits.heldPerNode)
        throw new CofferError('MEMORY_BUDGET_EXCEEDED', 'the node holds all the multi-part data it will');
      this.heldByUser.set(live.username, user + data.length);
      this.heldOnNode += data.length;
    }
    live.total += data.length;
  }

  private find(session: Session, operationId: string): Live {
    const live = this.live.get(operationId);
    if (!live && this.ids.whereabouts(session.id, operationId) === 'made-elsewhere')
      throw notHere(`operation ${operationId}`);
    if (!live || live.sessionId !== session.id) throw new CofferError('OPERATION_NOT_INITIALIZED');
    return live;
  }

  private end(operationId: string): void {
    const live = this.live.get(operationId);
    if (!live) return;
    for (const part of live.parts ?? []) part.fill(0);
    if (live.holds) {
      const left = (this.heldByUser.get(live.username) ?? 0) - live.total;
      if (left > 0) this.heldByUser.set(live.username, left);
      else this.heldByUser.delete(live.username);
      this.heldOnNode -= live.total;
    }
    this.live.delete(operationId);
  }
}
