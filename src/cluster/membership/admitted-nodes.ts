/**
 * The register of admitted nodes: `sys/nodes/<nodeId>`, sealed like any record, one per node an
 * admin added (and the first node, written at `cluster init`). It says which certificate each
 * node holds, so a peer asking for the root key must present exactly that certificate, and it
 * lists nodes that are down (no live record) as well as those that are up.
 */
import type { Change } from '../../records/record-writer.js';
import type { RecordReader } from '../../records/record-reader.js';

export const ADMITTED_PREFIX = 'sys/nodes/';

export interface AdmittedNode {
  readonly nodeId: string;
  /** The serial of the node certificate the CA issued it (upper-case hex). */
  readonly serialNumber: string;
  readonly zone?: string;
  readonly addedAt: string;
  /** The admin who added it, or 'system' for the node `cluster init` made. */
  readonly addedBy: string;
}

export function admittedPath(nodeId: string): string {
  return ADMITTED_PREFIX + nodeId;
}

export function admittedChange(node: AdmittedNode): Change {
  return {
    type: 'put',
    path: admittedPath(node.nodeId),
    kind: 'cluster-node',
    plaintext: Buffer.from(JSON.stringify(node), 'utf8'),
  };
}

export async function readAdmitted(
  reader: Pick<RecordReader, 'get'>,
  nodeId: string,
): Promise<{ node: AdmittedNode; modRevision: number } | undefined> {
  const record = await reader.get(admittedPath(nodeId), 'cluster-node');
  if (!record) return undefined;
  return { node: JSON.parse(record.plaintext.toString('utf8')) as AdmittedNode, modRevision: record.modRevision };
}

export async function listAdmitted(reader: Pick<RecordReader, 'page'>): Promise<AdmittedNode[]> {
  const nodes: AdmittedNode[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await reader.page(ADMITTED_PREFIX, 'cluster-node', after === undefined ? {} : { after });
    for (const record of page.records) nodes.push(JSON.parse(record.plaintext.toString('utf8')) as AdmittedNode);
    if (!page.more || page.records.length === 0) return nodes;
    after = page.records[page.records.length - 1]!.path;
  }
}
