/**
 * The node-certificate marker: a non-critical X.509 extension the cluster CA writes into every
 * node certificate it issues, naming the cluster and the node. A client certificate from the
 * same CA has no marker, so it can never pass for a node in a node-to-node call (peer unseal),
 * and a node certificate of another cluster names another cluster id.
 *
 * OID: an arc under 2.25 (ITU-T X.667's UUID arc) drawn at random once for Coffer, below 2^32
 * because the X.509 library encodes no larger arc (a test checks the OID survives). Value: DER
 * SEQUENCE { UTF8String "coffer-node-v1", UTF8String clusterId, UTF8String nodeId }.
 */
import { X509Certificate as NodeX509Certificate } from 'node:crypto';
import { CofferError } from '../errors/coffer-error.js';
import { findIssuanceProblem } from './verify.js';
import { x509 } from './x509-runtime.js';

export const NODE_IDENTITY_OID = '2.25.2663121374';
const MARKER = 'coffer-node-v1';
const SEQUENCE = 0x30;
const UTF8_STRING = 0x0c;
/** A node id: what `cluster init` and `node prepare` make (node-<hex>), within a CN's length. */
export const NODE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface NodeIdentity {
  readonly clusterId: string;
  readonly nodeId: string;
}

export function nodeIdentityExtension(identity: NodeIdentity): x509.Extension {
  const body = Buffer.concat([MARKER, identity.clusterId, identity.nodeId].map((text) => utf8String(text)));
  return new x509.Extension(NODE_IDENTITY_OID, false, tlv(SEQUENCE, body));
}

/** The marker of a certificate, or undefined when it has none (or a malformed one). */
export function nodeIdentityOf(certificate: x509.X509Certificate): NodeIdentity | undefined {
  const extension = certificate.getExtension(NODE_IDENTITY_OID);
  if (!extension) return undefined;
  try {
    const sequence = readTlv(Buffer.from(extension.value), 0, SEQUENCE);
    if (sequence.end !== extension.value.byteLength) return undefined;
    const texts: string[] = [];
    let at = sequence.start;
    while (at < sequence.end) {
      const field = readTlv(Buffer.from(extension.value), at, UTF8_STRING);
      texts.push(Buffer.from(extension.value).subarray(field.start, field.end).toString('utf8'));
      at = field.end;
    }
    const [marker, clusterId, nodeId] = texts;
    if (texts.length !== 3 || marker !== MARKER || !clusterId || !nodeId) return undefined;
    return { clusterId, nodeId };
  } catch {
    return undefined;
  }
}

/** Why a certificate presented by a peer is not a node certificate of this cluster. */
export type NodeCertificateProblem =
  | 'not a certificate'
  | 'not issued by the cluster CA'
  | 'a CA certificate'
  | 'not a node certificate'
  | 'a node certificate of another cluster'
  | 'subject does not name the node';

export interface CheckedNodeCertificate extends NodeIdentity {
  /** Upper-case hex, as describeCertificate gives it (revocations name it). */
  readonly serialNumber: string;
}

/**
 * Checks a peer's certificate (DER, as TLS hands it over) is a node certificate of `clusterId`
 * issued by `caPem` and valid at `at`: the CA's signature (OpenSSL's check), not a CA, KeyUsage
 * digitalSignature, EKU serverAuth and clientAuth, the marker naming this cluster, and CN = the
 * marker's node id. Revocation is the caller's (the list lives in the store).
 */
export function checkNodeCertificate(
  der: Buffer,
  caPem: string,
  clusterId: string,
  at: Date = new Date(),
): CheckedNodeCertificate | NodeCertificateProblem {
  let certificate: x509.X509Certificate;
  try {
    // Parsed by OpenSSL first: a DER the peculiar parser would accept leniently is refused here.
    new NodeX509Certificate(der);
    certificate = new x509.X509Certificate(der);
  } catch {
    return 'not a certificate';
  }
  if (findIssuanceProblem(certificate, new x509.X509Certificate(caPem), at) !== null)
    return 'not issued by the cluster CA';
  if (certificate.getExtension(x509.BasicConstraintsExtension)?.ca === true) return 'a CA certificate';
  const usage = certificate.getExtension(x509.KeyUsagesExtension);
  const extended = [...(certificate.getExtension(x509.ExtendedKeyUsageExtension)?.usages ?? [])].map(String);
  const identity = nodeIdentityOf(certificate);
  if (
    !usage ||
    (usage.usages & x509.KeyUsageFlags.digitalSignature) === 0 ||
    !extended.includes(x509.ExtendedKeyUsage.serverAuth) ||
    !extended.includes(x509.ExtendedKeyUsage.clientAuth) ||
    identity === undefined
  )
    return 'not a node certificate';
  if (identity.clusterId !== clusterId) return 'a node certificate of another cluster';
  if (certificate.subjectName.getField('CN')[0] !== identity.nodeId) return 'subject does not name the node';
  return { ...identity, serialNumber: certificate.serialNumber.toUpperCase() };
}

/** Throws PEER_UNSEAL_REFUSED unless `der` is a node certificate of the cluster (see above). */
export function requireNodeCertificate(der: Buffer, caPem: string, clusterId: string): CheckedNodeCertificate {
  const checked = checkNodeCertificate(der, caPem, clusterId);
  if (typeof checked === 'string') throw new CofferError('PEER_UNSEAL_REFUSED', `the certificate is ${checked}`);
  return checked;
}

function utf8String(text: string): Buffer {
  return tlv(UTF8_STRING, Buffer.from(text, 'utf8'));
}

function tlv(tag: number, body: Buffer): Buffer {
  if (body.length > 0xffff) throw new CofferError('INVALID_FIELD', 'a node identity field is too long');
  const length =
    body.length < 0x80
      ? Buffer.from([body.length])
      : body.length < 0x100
        ? Buffer.from([0x81, body.length])
        : Buffer.from([0x82, body.length >> 8, body.length & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, body]);
}

function readTlv(der: Buffer, at: number, tag: number): { start: number; end: number } {
  if (der[at] !== tag) throw new Error('unexpected tag');
  const first = der[at + 1];
  if (first === undefined) throw new Error('truncated');
  let length = first;
  let start = at + 2;
  if (first === 0x81) {
    length = der[at + 2] ?? -1;
    start = at + 3;
    if (length < 0x80) throw new Error('not minimal');
  } else if (first === 0x82) {
    length = ((der[at + 2] ?? 0) << 8) | (der[at + 3] ?? 0);
    start = at + 4;
    if (length < 0x100) throw new Error('not minimal');
  } else if (first >= 0x80) throw new Error('unsupported length');
  const end = start + length;
  if (length < 0 || end > der.length) throw new Error('truncated');
  return { start, end };
}
