import type { AuditEvent } from './audit-event.js';
import type { Checkpoint } from './checkpoint.js';

/**
 * The audit export: JSON lines. The first line is the header (which cluster, which audit key,
 * where the export starts); then every event in sequence order, each checkpoint right after
 * the event it covers. Events are carried exactly as stored, so their hashes can be recomputed.
 *
 *   {"type":"header","format":"coffer-audit-export-v1","clusterId":"…","publicKey":"<SPKI DER, base64>","keyId":"…","after":0}
 *   {"type":"event","event":{"seq":1,…,"prevHash":"00…","hash":"…"}}
 *   {"type":"checkpoint","checkpoint":{"seq":1,"hash":"…","time":"…","node":"…","clusterId":"…","publicKey":"…","signature":"…"}}
 */
export const EXPORT_FORMAT = 'coffer-audit-export-v1';

export interface ExportHeader {
  readonly type: 'header';
  readonly format: typeof EXPORT_FORMAT;
  readonly clusterId: string;
  /** The audit public key, SubjectPublicKeyInfo DER in base64; empty when the cluster has none yet. */
  readonly publicKey: string;
  readonly keyId: string;
  /** The export holds the events after this sequence number (0: from the start). */
  readonly after: number;
}

export type ExportLine =
  | ExportHeader
  | { readonly type: 'event'; readonly event: AuditEvent }
  | { readonly type: 'checkpoint'; readonly checkpoint: Checkpoint };

export function exportLine(line: ExportLine): string {
  return JSON.stringify(line);
}
