import type { AuditEventInput } from '../audit/audit-event.js';
import { CofferError, isCofferError } from '../errors/coffer-error.js';
import type { OpenedRecord, RecordReader } from '../records/record-reader.js';
import type { Change, RecordWriter } from '../records/record-writer.js';
import type { Compare } from '../store/state-store.js';
import { currentApprovals } from './quorum-approval-context.js';
import {
  DEFAULT_TOKEN_LIFETIME_MS,
  MAX_LIVE_TOKENS,
  QUORUM_TOKEN_PREFIX,
  decodeToken,
  encodeToken,
  isKeyService,
  newToken,
  tokenPath,
  type ApprovalInput,
  type QuorumService as ServiceName,
  type QuorumTokenRecord,
} from './quorum-token.js';
import { readClusterValues, readKeyValues, type KeyQuorumValues } from './quorum-values.js';
import { checkApproval } from './quorum-verify.js';
import type { Session } from './sessions.js';
import { decodeUser, userPath, type UserRecord } from './user-record.js';

/** What a protected change adds to its own commit to consume the token: exactly once. */
export interface ApprovalPlan {
  readonly compares: Compare[];
  readonly changes: Change[];
  readonly details: Readonly<Record<string, string>>;
}

/** The key a key-service approval is for: its users are its approvers. */
export interface KeyScope {
  readonly handle: string;
  readonly owner: string;
  readonly sharedWith: readonly string[];
}

export interface QuorumServiceDeps {
  readonly reader: Pick<RecordReader, 'get' | 'page'>;
  readonly writer: Pick<RecordWriter, 'commit'>;
  readonly clock?: () => Date;
  /** A key's quorum values, cached (they are read on every crypto call); else read each time. */
  readonly keyValues?: (handle: string) => Promise<KeyQuorumValues>;
}

export interface TokenSummary {
  readonly token: string;
  readonly service: ServiceName;
  readonly username: string;
  readonly keyHandle?: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly approvalsRequired: number;
}

/**
 * M-of-N quorum, CloudHSM's token-sign flow: a requester generates a token for a service;
 * approvers sign its approval data offline with their registered quorum keys; the protected
 * operation checks the approvals and deletes the token in its own commit (compare on the
 * token's revision), so a token serves exactly one operation, even across nodes.
 */
export class QuorumService {
  private readonly clock: () => Date;

  constructor(private readonly deps: QuorumServiceDeps) {
    this.clock = deps.clock ?? (() => new Date());
  }

  async generate(
    session: Session,
    service: ServiceName,
    options: { readonly lifetimeMs?: number; readonly keyHandle?: string } = {},
  ): Promise<QuorumTokenRecord> {
    if (isKeyService(service) && options.keyHandle === undefined)
      throw new CofferError('MISSING_FIELD', `keyHandle: a ${service} token names the key its approvers approve for`);
    const now = this.clock();
    const lifetime = Math.min(options.lifetimeMs ?? DEFAULT_TOKEN_LIFETIME_MS, DEFAULT_TOKEN_LIFETIME_MS);
    const token = newToken({
      service,
      requester: session.username,
      sessionId: session.id,
      ...(options.keyHandle !== undefined && isKeyService(service) ? { keyHandle: options.keyHandle } : {}),
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + lifetime).toISOString(),
    });
    const event = { actor: session.username, action: 'quorum.token.generate', target: tokenPath(token.id) };
    const { live, expired } = await this.scan(now);
    if (live.length >= MAX_LIVE_TOKENS) return this.refuse({ ...event, details: { service } }, 'TOO_MANY_TOKENS');
    // Expired tokens are purged as new ones are made (CloudHSM purges one when full).
    const purge = expired.slice(0, 32);
    await this.deps.writer.commit({
      compares: [{ key: tokenPath(token.id), modRevision: 0 }, ...purge.map((entry) => entry.compare)],
      changes: [
        { type: 'put', path: tokenPath(token.id), kind: 'quorum-token', plaintext: encodeToken(token) },
        ...purge.map((entry): Change => ({ type: 'delete', path: entry.compare.key })),
      ],
      event: { ...event, result: 'success', details: { service, purged: purge.length } },
    });
    return token;
  }

  /** Every live token (CloudHSM lists everyone's; only its requester's session can use one). */
  async list(): Promise<TokenSummary[]> {
    const { live } = await this.scan(this.clock());
    const summaries: TokenSummary[] = [];
    for (const { token } of live) summaries.push(await this.summary(token));
    return summaries;
  }

  /** Deletes a token: its requester, or an admin. */
  async delete(session: Session, id: string): Promise<void> {
    const event = { actor: session.username, action: 'quorum.token.delete', target: tokenPath(id) };
    const record = /^[0-9a-f]{32}$/.test(id) ? await this.deps.reader.get(tokenPath(id), 'quorum-token') : undefined;
    const token = record && decodeToken(record.plaintext);
    if (!record || !token) return this.refuse(event, 'QUORUM_TOKEN_INVALID');
    if (token.requester !== session.username && session.role !== 'admin')
      return this.refuse(event, 'PERMISSION_DENIED');
    await this.deps.writer.commit({
      compares: [{ key: tokenPath(id), modRevision: record.modRevision }],
      changes: [{ type: 'delete', path: tokenPath(id) }],
      event: { ...event, result: 'success', details: { service: token.service } },
    });
  }

  /**
   * The approval a protected operation needs, if its quorum value is above 1: the request's
   * token checked (QUORUM_REQUIRED, QUORUM_TOKEN_INVALID, QUORUM_APPROVALS_INSUFFICIENT, each
   * audited), and the plan that consumes it in the operation's own commit. `alsoCovering`
   * raises the approvals needed to the largest of those services' values too (a key exported
   * wrapped escapes its key-usage quorum as well as its key-management one).
   */
  async approve(
    session: Session,
    service: ServiceName,
    key?: KeyScope,
    alsoCovering: readonly ServiceName[] = [],
  ): Promise<ApprovalPlan | undefined> {
    let required = await this.required(service, key?.handle);
    for (const other of alsoCovering) required = Math.max(required, await this.required(other, key?.handle));
    if (required <= 1) return undefined;
    const found = await this.approvalFor(service, key?.handle);
    const approval = found?.approval;
    const event = {
      actor: session.username,
      action: 'quorum.token.consume',
      target: approval ? tokenPath(approval.token) : `quorum/service/${service}`,
    };
    const details: Record<string, string | number> = { service, required };
    if (key) details.key = key.handle;
    if (!approval) return this.refuse({ ...event, details }, 'QUORUM_REQUIRED');
    const record = found.record;
    const token = record && decodeToken(record.plaintext);
    const mayApprove = key
      ? (user: UserRecord) => user.username === key.owner || key.sharedWith.includes(user.username)
      : (user: UserRecord) => user.role === 'admin';
    const request = { username: session.username, sessionId: session.id, service, keyHandle: key?.handle, mayApprove };
    const loadUser = async (username: string) => {
      const opened = await this.deps.reader.get(userPath(username), 'user');
      return opened && decodeUser(opened.plaintext);
    };
    const check = await checkApproval(token, approval, request, required, this.clock(), loadUser);
    if (!check.ok) {
      if (check.refused?.length) details.refused = check.refused.join(',').slice(0, 1024);
      return this.refuse({ ...event, details }, check.code, check.detail);
    }
    return {
      compares: [{ key: tokenPath(approval.token), modRevision: record!.modRevision }],
      changes: [{ type: 'delete', path: tokenPath(approval.token) }],
      details: { quorumToken: approval.token, approvers: check.approvers.join(',') },
    };
  }

  /**
   * Of the request's approvals, the one whose token is for this service and key, read; with a
   * single approval, that one whatever it is for (its check then says what is wrong with it).
   */
  private async approvalFor(
    service: ServiceName,
    keyHandle: string | undefined,
  ): Promise<{ approval: ApprovalInput; record: OpenedRecord | undefined } | undefined> {
    const approvals = currentApprovals();
    const read = async (approval: ApprovalInput) => ({
      approval,
      record: await this.deps.reader.get(tokenPath(approval.token), 'quorum-token'),
    });
    if (approvals.length <= 1) return approvals[0] && read(approvals[0]);
    for (const approval of approvals) {
      const candidate = await read(approval);
      const token = candidate.record && decodeToken(candidate.record.plaintext);
      if (token && token.service === service && token.keyHandle === keyHandle) return candidate;
    }
    return read(approvals[0]!);
  }

  /**
   * For operations that write nothing themselves (key use): consumes the approval in a commit of
   * its own, before the operation runs.
   */
  async consumeForUse(session: Session, key: KeyScope, action: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const plan = await this.approve(session, 'key-usage', key);
      if (!plan) return;
      try {
        await this.deps.writer.commit({
          compares: plan.compares,
          changes: plan.changes,
          event: {
            actor: session.username,
            action: 'quorum.token.consume',
            target: `key/${key.handle}`,
            result: 'success',
            details: { ...plan.details, service: 'key-usage', for: action },
          },
        });
        return;
      } catch (error) {
        // The token changed since it was read: spent by a use racing this one (on any node).
        // Checked once more, it is refused for what it now is (QUORUM_TOKEN_INVALID, audited).
        if (!isCofferError(error, 'CONFLICT') || attempt > 0) throw error;
      }
    }
  }

  private async required(service: ServiceName, handle: string | undefined): Promise<number> {
    if (isKeyService(service))
      return handle === undefined
        ? 1
        : (this.deps.keyValues
            ? await this.deps.keyValues(handle)
            : (await readKeyValues(this.deps.reader, handle)).values)[service];
    return (await readClusterValues(this.deps.reader)).values[service];
  }

  private async summary(token: QuorumTokenRecord): Promise<TokenSummary> {
    return {
      token: token.id,
      service: token.service,
      username: token.requester,
      ...(token.keyHandle === undefined ? {} : { keyHandle: token.keyHandle }),
      createdAt: token.createdAt,
      expiresAt: token.expiresAt,
      approvalsRequired: await this.required(token.service, token.keyHandle),
    };
  }

  private async scan(now: Date): Promise<{
    live: { token: QuorumTokenRecord; compare: Compare }[];
    expired: { token: QuorumTokenRecord; compare: Compare }[];
  }> {
    const live: { token: QuorumTokenRecord; compare: Compare }[] = [];
    const expired: { token: QuorumTokenRecord; compare: Compare }[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await this.deps.reader.page(QUORUM_TOKEN_PREFIX, 'quorum-token', { after, limit: 500 });
      for (const record of page.records) {
        const token = decodeToken(record.plaintext);
        const entry = { token, compare: { key: record.path, modRevision: record.modRevision } };
        (Date.parse(token.expiresAt) <= now.getTime() ? expired : live).push(entry);
      }
      if (!page.more || page.records.length === 0) return { live, expired };
      after = page.records.at(-1)!.path;
    }
  }

  private async refuse(
    event: Omit<AuditEventInput, 'result'>,
    code: CofferError['code'],
    detail?: string,
  ): Promise<never> {
    await this.deps.writer.commit({ event: { ...event, result: 'failure', code } });
    throw new CofferError(code, detail);
  }
}
