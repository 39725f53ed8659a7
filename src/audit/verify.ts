import { createPublicKey } from 'node:crypto';
import { GENESIS_HASH, chainHash, type AuditEvent } from './audit-event.js';
import { checkpointSignatureValid, type Checkpoint } from './checkpoint.js';
import { EXPORT_FORMAT, type ExportHeader } from './export-format.js';

export interface VerifyOptions {
  /** Pin the audit key (PEM or base64 SPKI DER): an export re-signed with another key then fails. */
  readonly publicKey?: string;
  /**
   * A signed checkpoint kept off the node (`coffer audit checkpoint --json`): the export must
   * hold its seq with its hash, so a chain truncated or rolled back behind it fails.
   */
  readonly anchor?: Checkpoint;
}

export interface BrokenLink {
  /** The first sequence number that does not verify (the one expected there, when unreadable). */
  readonly seq: number | undefined;
  /** 1-based line of the export. */
  readonly line: number;
  readonly reason: string;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly clusterId?: string;
  readonly keyId?: string;
  readonly events: number;
  readonly checkpoints: number;
  readonly firstSeq?: number;
  readonly lastSeq?: number;
  readonly lastCheckpointSeq?: number;
  /** The anchored checkpoint's seq, found in the export with its hash. */
  readonly anchoredSeq?: number;
  /** Events after the last checkpoint: chained, but not covered by a signature. */
  readonly unsignedTail: number;
  readonly broken?: BrokenLink;
}

class Broken extends Error {
  constructor(
    readonly seq: number | undefined,
    reason: string,
  ) {
    super(reason);
  }
}

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Verifies an audit export offline, from its text alone: every hash link (SHA-256 of the
 * previous hash ‖ the canonical event), a gap-free sequence from the export's start, and every
 * checkpoint — signed by the header's audit key over exactly the chain position it names.
 * Stops at the first broken entry and names it.
 */
export function verifyExport(text: string, options: VerifyOptions = {}): VerifyReport {
  const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
  const state = { events: 0, checkpoints: 0, unsignedTail: 0 } as {
    events: number;
    checkpoints: number;
    unsignedTail: number;
    header?: ExportHeader;
    firstSeq?: number;
    lastSeq?: number;
    lastHash?: string;
    lastCheckpointSeq?: number;
  };
  const report = (broken?: BrokenLink): VerifyReport => ({
    ok: broken === undefined,
    clusterId: state.header?.clusterId,
    keyId: state.header?.keyId,
    events: state.events,
    checkpoints: state.checkpoints,
    firstSeq: state.firstSeq,
    lastSeq: state.lastSeq,
    lastCheckpointSeq: state.lastCheckpointSeq,
    ...(options.anchor && broken === undefined && { anchoredSeq: options.anchor.seq }),
    unsignedTail: state.unsignedTail,
    ...(broken && { broken }),
  });
  for (const [index, text] of lines.entries()) {
    const expected = state.lastSeq === undefined ? (state.header?.after ?? 0) + 1 : state.lastSeq + 1;
    try {
      const line = parseLine(text, expected);
      if (index === 0) {
        state.header = checkHeader(line, options);
        if (options.anchor) checkAnchor(options.anchor, state.header);
        continue;
      }
      if (line.type === 'event') {
        const event = checkEvent(line.event, expected, state.lastHash);
        if (event.seq === options.anchor?.seq && event.hash !== options.anchor.hash)
          throw new Broken(event.seq, 'the chain differs here from the anchored checkpoint');
        state.firstSeq ??= event.seq;
        state.lastSeq = event.seq;
        state.lastHash = event.hash;
        state.events++;
        state.unsignedTail++;
      } else if (line.type === 'checkpoint') {
        checkCheckpoint(line.checkpoint, state.header!, state.lastSeq, state.lastHash);
        state.checkpoints++;
        state.lastCheckpointSeq = state.lastSeq;
        state.unsignedTail = 0;
      } else {
        throw new Broken(expected, `unknown line type ${JSON.stringify(line.type)}`);
      }
    } catch (error) {
      const seq = error instanceof Broken ? error.seq : expected;
      return report({ seq, line: index + 1, reason: (error as Error).message });
    }
  }
  if (!state.header) return report({ seq: undefined, line: 1, reason: 'the export has no header' });
  const anchored = options.anchor?.seq;
  if (anchored !== undefined && (state.lastSeq ?? state.header.after) < anchored) {
    const end = state.lastSeq ?? state.header.after;
    const reason = `the export ends at seq ${end}, before the anchored checkpoint: events were removed`;
    return report({ seq: end + 1, line: lines.length, reason });
  }
  if (state.events > 0 && state.checkpoints === 0) {
    return report({ seq: state.firstSeq, line: 2, reason: 'no checkpoint: nothing in the export is signed' });
  }
  return report();
}

type Line = { type: unknown; event?: unknown; checkpoint?: unknown } & Record<string, unknown>;

function parseLine(text: string, expected: number): Line {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Broken(expected, 'the line is not valid JSON');
  }
  if (!isObject(value)) throw new Broken(expected, 'the line is not a JSON object');
  return value as Line;
}

function checkHeader(line: Line, options: VerifyOptions): ExportHeader {
  if (line.type !== 'header' || line.format !== EXPORT_FORMAT)
    throw new Broken(undefined, `the first line is not a ${EXPORT_FORMAT} header`);
  const { clusterId, publicKey, keyId, after } = line;
  if (typeof clusterId !== 'string' || typeof publicKey !== 'string' || typeof keyId !== 'string')
    throw new Broken(undefined, 'the header lacks the cluster id or the audit public key');
  if (typeof after !== 'number' || !Number.isSafeInteger(after) || after < 0)
    throw new Broken(undefined, 'the header has no valid start (after)');
  if (options.publicKey !== undefined && normalizeKey(options.publicKey) !== publicKey)
    throw new Broken(undefined, 'the header names another audit key than the one pinned');
  return line as unknown as ExportHeader;
}

function checkEvent(value: unknown, expected: number, prevHash: string | undefined): AuditEvent {
  if (!isObject(value)) throw new Broken(expected, 'the event is not an object');
  const event = value as unknown as AuditEvent;
  if (event.seq !== expected)
    throw new Broken(expected, `expected sequence number ${expected}, found ${String(event.seq)}`);
  if (typeof event.prevHash !== 'string' || !HEX64.test(event.prevHash))
    throw new Broken(expected, 'prevHash is not a SHA-256 hex value');
  if (prevHash === undefined && expected === 1 && event.prevHash !== GENESIS_HASH)
    throw new Broken(expected, 'the first event does not start from the genesis hash');
  if (prevHash !== undefined && event.prevHash !== prevHash)
    throw new Broken(expected, 'prevHash does not match the hash of the previous event');
  const { hash, ...unhashed } = event;
  if (typeof hash !== 'string' || hash !== chainHash(unhashed))
    throw new Broken(expected, 'the hash does not match the event (SHA-256 of prevHash ‖ canonical event)');
  return event;
}

function checkCheckpoint(
  value: unknown,
  header: ExportHeader,
  lastSeq: number | undefined,
  lastHash: string | undefined,
): void {
  if (!isObject(value)) throw new Broken(lastSeq, 'the checkpoint is not an object');
  const checkpoint = value as unknown as Checkpoint;
  const at = `checkpoint at seq ${String(checkpoint.seq)}`;
  if (checkpoint.seq !== lastSeq) throw new Broken(lastSeq, `${at} does not follow the event it covers`);
  if (checkpoint.hash !== lastHash) throw new Broken(lastSeq, `${at} names another hash than the chain's`);
  if (checkpoint.clusterId !== header.clusterId) throw new Broken(lastSeq, `${at} is of another cluster`);
  if (checkpoint.publicKey !== header.publicKey) throw new Broken(lastSeq, `${at} names another audit key`);
  if (typeof checkpoint.signature !== 'string' || !checkpointSignatureValid(checkpoint, header.publicKey))
    throw new Broken(lastSeq, `${at}: the signature does not verify with the audit public key`);
}

/** The anchor is a checkpoint of this cluster, by the export's key, inside the export's range. */
function checkAnchor(value: unknown, header: ExportHeader): void {
  if (!isObject(value)) throw new Broken(undefined, 'the anchor is not a checkpoint');
  const anchor = value as unknown as Checkpoint;
  if (
    !Number.isSafeInteger(anchor.seq) ||
    anchor.seq < 1 ||
    typeof anchor.hash !== 'string' ||
    !HEX64.test(anchor.hash)
  )
    throw new Broken(undefined, 'the anchor is not a checkpoint (seq and hash)');
  if (anchor.clusterId !== header.clusterId) throw new Broken(undefined, 'the anchor is of another cluster');
  if (anchor.publicKey !== header.publicKey)
    throw new Broken(undefined, 'the anchor is signed by another audit key than the export');
  if (typeof anchor.signature !== 'string' || !checkpointSignatureValid(anchor, header.publicKey))
    throw new Broken(undefined, 'the anchor: the signature does not verify with the audit public key');
  if (anchor.seq <= header.after)
    throw new Broken(anchor.seq, `the export starts after the anchored checkpoint (seq ${anchor.seq})`);
}

/** A PEM or base64 SPKI DER public key as base64 SPKI DER. */
export function normalizeKey(key: string): string {
  const trimmed = key.trim();
  if (!trimmed.startsWith('-----BEGIN')) return trimmed;
  return createPublicKey(trimmed).export({ type: 'spki', format: 'der' }).toString('base64');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
