import { createPublicKey, verify } from 'node:crypto';
import { canonicalJson } from '../util/canonical-json.js';
import type { AuditKey } from './audit-key.js';

export const AUDIT_CHECKPOINT_PREFIX = 'audit/checkpoint/';

/** Signed with the cluster's audit key: the chain up to `seq` ends in `hash`. */
export interface Checkpoint {
  readonly seq: number;
  readonly hash: string;
  readonly time: string;
  readonly node: string;
  readonly clusterId: string;
  /** The audit public key (SubjectPublicKeyInfo DER, base64) the signature verifies with. */
  readonly publicKey: string;
  /** Ed25519 over checkpointMessage(…), base64. */
  readonly signature: string;
}

export type UnsignedCheckpoint = Omit<Checkpoint, 'signature' | 'publicKey'>;

/** Domain-separated, so a checkpoint signature can never be taken for any other signature. */
const DOMAIN = 'coffer-audit-checkpoint-v1\n';

export function checkpointPath(seq: number): string {
  return AUDIT_CHECKPOINT_PREFIX + String(seq).padStart(16, '0');
}

export function checkpointMessage(checkpoint: Omit<Checkpoint, 'signature'>): Buffer {
  const { seq, hash, time, node, clusterId, publicKey } = checkpoint;
  return Buffer.from(DOMAIN + canonicalJson({ seq, hash, time, node, clusterId, publicKey }), 'utf8');
}

export function signCheckpoint(fields: UnsignedCheckpoint, key: AuditKey): Checkpoint {
  const unsigned = { ...fields, publicKey: key.publicKey };
  return { ...unsigned, signature: key.sign(checkpointMessage(unsigned)) };
}

/** Whether the signature is by `publicKey` (base64 SPKI DER) over exactly these fields. */
export function checkpointSignatureValid(checkpoint: Checkpoint, publicKey: string): boolean {
  try {
    const key = createPublicKey({ key: Buffer.from(publicKey, 'base64'), format: 'der', type: 'spki' });
    if (key.asymmetricKeyType !== 'ed25519') return false;
    const signature = strictBase64(checkpoint.signature);
    return signature !== undefined && verify(null, checkpointMessage(checkpoint), key, signature);
  } catch {
    return false;
  }
}

/** Base64 that decodes to bytes and back to the very same text (Node's decoder skips junk). */
function strictBase64(text: string): Buffer | undefined {
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}
