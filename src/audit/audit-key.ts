import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import type { RecordReader } from '../records/record-reader.js';
import type { Change } from '../records/record-writer.js';

/** Where the cluster's audit key lives, sealed like every record. */
export const AUDIT_KEY_PATH = 'sys/audit-key';

/**
 * The cluster's audit key (Ed25519): it signs checkpoints of the audit chain. The private key is
 * sealed in the store and held in memory only while the node is unsealed; the public key is
 * published (in every checkpoint, in exports, at GET /v1/audit/public-key).
 */
export class AuditKey {
  /** SubjectPublicKeyInfo DER, base64. */
  readonly publicKey: string;
  /** SHA-256 of the SubjectPublicKeyInfo DER, hex: a short name for the key. */
  readonly keyId: string;

  constructor(private readonly privateKey: KeyObject) {
    const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
    this.publicKey = spki.toString('base64');
    this.keyId = publicKeyId(this.publicKey);
  }

  /** An Ed25519 signature, base64 (fast: about 50 µs, so it runs inline). */
  sign(message: Buffer): string {
    return sign(null, message, this.privateKey).toString('base64');
  }

  get publicKeyPem(): string {
    return createPublicKey(this.privateKey).export({ type: 'spki', format: 'pem' }).toString();
  }
}

export function publicKeyId(publicKeyBase64: string): string {
  return createHash('sha256').update(Buffer.from(publicKeyBase64, 'base64')).digest('hex');
}

/** A fresh audit key and the change that stores it (the caller compares: it must not exist yet). */
export function generateAuditKey(): { key: AuditKey; change: Change } {
  const { privateKey } = generateKeyPairSync('ed25519');
  const plaintext = privateKey.export({ type: 'pkcs8', format: 'der' });
  return { key: new AuditKey(privateKey), change: { type: 'put', path: AUDIT_KEY_PATH, kind: 'audit-key', plaintext } };
}

/** The stored audit key, or undefined for a cluster initialized before audit keys existed. */
export async function loadAuditKey(reader: Pick<RecordReader, 'get'>): Promise<AuditKey | undefined> {
  const record = await reader.get(AUDIT_KEY_PATH, 'audit-key');
  if (!record) return undefined;
  const der = record.plaintext;
  try {
    return new AuditKey(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }));
  } finally {
    der.fill(0);
  }
}
