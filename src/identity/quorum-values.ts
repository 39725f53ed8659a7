import type { RecordReader } from '../records/record-reader.js';
import type { ClusterQuorumService } from './quorum-token.js';

/** The cluster-wide quorum values, stored (sealed) at `quorum/values`; 1 (no quorum) by default. */
export type ClusterQuorumValues = Readonly<Record<ClusterQuorumService, number>>;

/** Per-key values, stored at `key-quorum/<handle>`; 1 by default. */
export interface KeyQuorumValues {
  readonly 'key-management': number;
  readonly 'key-usage': number;
}

export const QUORUM_VALUES_PATH = 'quorum/values';
export const DEFAULT_CLUSTER_VALUES: ClusterQuorumValues = { user: 1, quorum: 1, cluster: 1 };
export const DEFAULT_KEY_VALUES: KeyQuorumValues = { 'key-management': 1, 'key-usage': 1 };

export const KEY_QUORUM_PREFIX = 'key-quorum/';

export function keyQuorumPath(handle: string): string {
  return KEY_QUORUM_PREFIX + handle;
}

export async function readClusterValues(
  reader: Pick<RecordReader, 'get'>,
): Promise<{ values: ClusterQuorumValues; modRevision: number }> {
  const record = await reader.get(QUORUM_VALUES_PATH, 'quorum-values');
  if (!record) return { values: DEFAULT_CLUSTER_VALUES, modRevision: 0 };
  const stored = JSON.parse(record.plaintext.toString('utf8')) as Partial<ClusterQuorumValues>;
  return { values: { ...DEFAULT_CLUSTER_VALUES, ...stored }, modRevision: record.modRevision };
}

export async function readKeyValues(
  reader: Pick<RecordReader, 'get'>,
  handle: string,
): Promise<{ values: KeyQuorumValues; modRevision: number }> {
  const record = await reader.get(keyQuorumPath(handle), 'key-quorum');
  if (!record) return { values: DEFAULT_KEY_VALUES, modRevision: 0 };
  const stored = JSON.parse(record.plaintext.toString('utf8')) as Partial<KeyQuorumValues>;
  return { values: { ...DEFAULT_KEY_VALUES, ...stored }, modRevision: record.modRevision };
}

/** The CloudHSM rule as the issue has it: while the user value is above 1, it stays below the quorum value. */
export function clusterValuesConsistent(values: ClusterQuorumValues): boolean {
  return values.user <= 1 || values.user < values.quorum;
}
