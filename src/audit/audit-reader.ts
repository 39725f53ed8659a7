import type { RecordReader } from '../records/record-reader.js';
import { AUDIT_EVENT_PREFIX, auditEventPath } from '../records/record-writer.js';
import type { AuditEvent } from './audit-event.js';

/** Reads the audit log in sequence order, a page at a time. */
export class AuditReader {
  constructor(private readonly reader: Pick<RecordReader, 'page'>) {}

  async list(afterSeq: number, limit: number): Promise<{ events: AuditEvent[]; more: boolean }> {
    const after = afterSeq > 0 ? auditEventPath(afterSeq) : undefined;
    const page = await this.reader.page(AUDIT_EVENT_PREFIX, 'audit-event', { after, limit });
    const events = page.records.map((record) => JSON.parse(record.plaintext.toString('utf8')) as AuditEvent);
    return { events, more: page.more };
  }
}
