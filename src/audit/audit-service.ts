import { CofferError } from '../errors/coffer-error.js';
import type { Session } from '../identity/sessions.js';
import type { RecordReader } from '../records/record-reader.js';
import { AUDIT_HEAD_PATH, type RecordWriter } from '../records/record-writer.js';
import type { AuditEvent } from './audit-event.js';
import { loadAuditKey, type AuditKey } from './audit-key.js';
import { AuditReader } from './audit-reader.js';
import type { AuditKeyCheckpoints } from './checkpoint-signer.js';
import { isEmptyFilter, matcher, type AuditFilter } from './audit-search.js';
import { AUDIT_CHECKPOINT_PREFIX, checkpointPath, type Checkpoint } from './checkpoint.js';
import { EXPORT_FORMAT, exportLine, type ExportHeader } from './export-format.js';

/** A search reads at most this many events per request, then answers with a cursor. */
const MAX_SCAN = 10_000;
const SCAN_PAGE = 1000;

export interface AuditPage {
  readonly events: AuditEvent[];
  readonly more: boolean;
  /** Pass back as `after` for the next page. */
  readonly next: number;
}

export interface ExportPage {
  readonly header: ExportHeader;
  /** JSON lines: the header, then events and checkpoints in chain order. */
  readonly lines: string[];
  readonly more: boolean;
  readonly next: number;
}

export interface AuditServiceDeps {
  readonly clusterId: string;
  readonly reader: Pick<RecordReader, 'page' | 'get'>;
  readonly writer: Pick<RecordWriter, 'commit'>;
  /** The audit key the writer signs checkpoints with, while loaded. */
  readonly signer: Pick<AuditKeyCheckpoints, 'currentKey'>;
}

/** Reading the audit log — pages, searches, exports — and signing checkpoints on request. */
export class AuditService {
  private readonly events: AuditReader;

  constructor(private readonly deps: AuditServiceDeps) {
    this.events = new AuditReader(deps.reader);
  }

  async list(after: number, limit: number, filter: AuditFilter = {}): Promise<AuditPage> {
    if (isEmptyFilter(filter)) {
      const page = await this.events.list(after, limit);
      return { ...page, next: page.events.at(-1)?.seq ?? after };
    }
    const matches = matcher(filter);
    const events: AuditEvent[] = [];
    let cursor = after;
    for (let scanned = 0; scanned < MAX_SCAN;) {
      const page = await this.events.list(cursor, SCAN_PAGE);
      for (const event of page.events) {
        cursor = event.seq;
        scanned++;
        if (matches(event)) events.push(event);
        if (events.length === limit) return { events, more: true, next: cursor };
      }
      if (!page.more) return { events, more: false, next: cursor };
    }
    return { events, more: true, next: cursor };
  }

  async head(): Promise<{ seq: number; hash: string }> {
    const record = await this.deps.reader.get(AUDIT_HEAD_PATH, 'audit-head');
    if (!record) return { seq: 0, hash: '0'.repeat(64) };
    return JSON.parse(record.plaintext.toString('utf8')) as { seq: number; hash: string };
  }

  async publicKey(): Promise<{ publicKey: string; pem: string; keyId: string; algorithm: 'ed25519' }> {
    const key = await this.auditKey();
    if (!key) throw new CofferError('AUDIT_UNAVAILABLE', 'the cluster has no audit key yet');
    return { publicKey: key.publicKey, pem: key.publicKeyPem, keyId: key.keyId, algorithm: 'ed25519' };
  }

  /** Signs a checkpoint of the chain now, in the transaction of its own audit event. */
  async checkpoint(actor: Session): Promise<Checkpoint> {
    const event = await this.deps.writer.commit({
      event: { actor: actor.username, action: 'audit.checkpoint', target: 'audit', result: 'success' },
      checkpoint: true,
    });
    const record = await this.deps.reader.get(checkpointPath(event.seq), 'audit-checkpoint');
    if (!record) throw new CofferError('AUDIT_UNAVAILABLE', 'no audit key is loaded to sign the checkpoint');
    return JSON.parse(record.plaintext.toString('utf8')) as Checkpoint;
  }

  async export(after: number, limit: number): Promise<ExportPage> {
    const key = await this.auditKey();
    const header: ExportHeader = {
      type: 'header',
      format: EXPORT_FORMAT,
      clusterId: this.deps.clusterId,
      publicKey: key?.publicKey ?? '',
      keyId: key?.keyId ?? '',
      after,
    };
    const page = await this.events.list(after, limit);
    const last = page.events.at(-1)?.seq ?? after;
    const checkpoints = await this.checkpointsIn(after, last);
    const lines = [exportLine(header)];
    for (const event of page.events) {
      lines.push(exportLine({ type: 'event', event }));
      const checkpoint = checkpoints.get(event.seq);
      if (checkpoint) lines.push(exportLine({ type: 'checkpoint', checkpoint }));
    }
    return { header, lines, more: page.more, next: last };
  }

  private async checkpointsIn(after: number, last: number): Promise<Map<number, Checkpoint>> {
    const found = new Map<number, Checkpoint>();
    let cursor = after > 0 ? checkpointPath(after) : undefined;
    for (;;) {
      const page = await this.deps.reader.page(AUDIT_CHECKPOINT_PREFIX, 'audit-checkpoint', {
        after: cursor,
        limit: SCAN_PAGE,
      });
      for (const record of page.records) {
        const checkpoint = JSON.parse(record.plaintext.toString('utf8')) as Checkpoint;
        if (checkpoint.seq > last) return found;
        found.set(checkpoint.seq, checkpoint);
        cursor = record.path;
      }
      if (!page.more) return found;
    }
  }

  private async auditKey(): Promise<AuditKey | undefined> {
    return this.deps.signer.currentKey ?? (await loadAuditKey(this.deps.reader));
  }
}
