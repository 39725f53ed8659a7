/**
 * Coffer's PKI: the cluster CA, node and client certificates, CSRs, and the customer-CA path.
 * Pure functions over KeyObjects and PEM strings; no file I/O. Private keys are returned to the
 * caller, which seals them.
 */
export { createClusterCa, CLUSTER_CA_DEFAULT_VALIDITY_DAYS, type ClusterCa } from './cluster-ca.js';
export { createKeyAndCsr, type KeyAndCsr } from './csr.js';
export { issueCertificate, DEFAULT_VALIDITY_DAYS, type CertificateProfile, type IssueRequest } from './issue.js';
export { describeCertificate, type CertificateDescription } from './describe.js';
export { verifyIssuedBy } from './verify.js';
export { checkExternalNodeCertificate } from './external-node.js';
export { privateKeyPem } from './keys.js';
export {
  checkNodeCertificate,
  requireNodeCertificate,
  nodeIdentityOf,
  NODE_ID,
  type CheckedNodeCertificate,
  type NodeIdentity,
} from './node-identity.js';
