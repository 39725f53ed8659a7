import { createPrivateKey, type KeyObject } from 'node:crypto';
import type { RecordReader } from '../records/record-reader.js';
import type { Change } from '../records/record-writer.js';
import { CofferError } from '../errors/coffer-error.js';

/** The cluster CA (certificate and private key), sealed at `sys/ca` like any other secret. */
export const CA_RECORD_PATH = 'sys/ca';

export interface ClusterCaMaterial {
  readonly certificatePem: string;
  readonly privateKey: KeyObject;
}

export function caRecordChange(ca: ClusterCaMaterial): Change {
  const certificate = Buffer.from(ca.certificatePem, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(certificate.length);
  const key = ca.privateKey.export({ type: 'pkcs8', format: 'der' });
  const plaintext = Buffer.concat([length, certificate, key]);
  key.fill(0);
  return { type: 'put', path: CA_RECORD_PATH, kind: 'cluster-ca', plaintext };
}

export async function readClusterCa(reader: Pick<RecordReader, 'get'>): Promise<ClusterCaMaterial> {
  const record = await reader.get(CA_RECORD_PATH, 'cluster-ca');
  if (!record) throw new CofferError('CA_NOT_MANAGED');
  try {
    const length = record.plaintext.readUInt32BE(0);
    const certificatePem = record.plaintext.subarray(4, 4 + length).toString('utf8');
    const privateKey = createPrivateKey({ key: record.plaintext.subarray(4 + length), format: 'der', type: 'pkcs8' });
    return { certificatePem, privateKey };
  } finally {
    record.plaintext.fill(0);
  }
}
