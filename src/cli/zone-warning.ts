/**
 * `cluster status`'s warning when the cluster's nodes are all in one zone (or have none): an
 * outage of that zone stops the whole cluster. CloudHSM's advice: at least two HSMs in
 * different availability zones.
 */
export function zoneWarning(nodes: readonly { readonly zone?: string | undefined }[]): string | undefined {
  if (nodes.length === 0) return undefined;
  const zones = new Set(nodes.map((node) => node.zone ?? ''));
  if (zones.size > 1) return undefined;
  const [zone] = [...zones];
  const where = zone ? `zone ${zone}` : 'no zone (give each node --zone)';
  const count = nodes.length === 1 ? 'the only node is' : `all ${nodes.length} nodes are`;
  return `${count} in ${where}: an outage there stops the cluster; run nodes in at least two zones`;
}
