/**
 * Whether a certificate was issued by a given trust anchor and is within its validity. The
 * signature and issuer checks are OpenSSL's (node:crypto X509Certificate); nothing is hand-rolled.
 */
import { X509Certificate as NodeX509Certificate } from 'node:crypto';
import { parseCertificatePem } from './pem.js';
import { x509 } from './x509-runtime.js';

/** Why `certificate` is not acceptable as issued by `anchor` at `at`, or null if it is. */
export type IssuanceProblem =
  | 'trust anchor is not a CA certificate'
  | 'trust anchor is not valid at this time'
  | 'certificate was not issued by the trust anchor'
  | 'certificate is not valid at this time';

export function findIssuanceProblem(
  certificate: x509.X509Certificate,
  anchor: x509.X509Certificate,
  at: Date,
): IssuanceProblem | null {
  const anchorBasic = anchor.getExtension(x509.BasicConstraintsExtension);
  if (anchorBasic?.ca !== true) return 'trust anchor is not a CA certificate';
  if (!withinValidity(anchor, at)) return 'trust anchor is not valid at this time';
  const nodeCertificate = new NodeX509Certificate(Buffer.from(certificate.rawData));
  const nodeAnchor = new NodeX509Certificate(Buffer.from(anchor.rawData));
  let issued: boolean;
  try {
    // checkIssued: issuer name = anchor subject, AKID/SKID agree, anchor KeyUsage allows
    // keyCertSign; verify: the signature is by the anchor's key.
    issued = nodeCertificate.checkIssued(nodeAnchor) && nodeCertificate.verify(nodeAnchor.publicKey);
  } catch {
    issued = false;
  }
  if (!issued) return 'certificate was not issued by the trust anchor';
  if (!withinValidity(certificate, at)) return 'certificate is not valid at this time';
  return null;
}

function withinValidity(certificate: x509.X509Certificate, at: Date): boolean {
  const time = at.getTime();
  return certificate.notBefore.getTime() <= time && time <= certificate.notAfter.getTime();
}

/**
 * True when `certificatePem` is signed by the key of `trustAnchorPem` (with matching issuer name
 * and key identifiers), the anchor is a CA certificate, and both are within their validity at `at`
 * (now by default). Inputs that are not single PEM certificates are refused with INVALID_FIELD.
 */
export async function verifyIssuedBy(certificatePem: string, trustAnchorPem: string, at?: Date): Promise<boolean> {
  const certificate = parseCertificatePem(certificatePem, 'certificatePem');
  const anchor = parseCertificatePem(trustAnchorPem, 'trustAnchorPem');
  const when = at ?? new Date();
  return findIssuanceProblem(certificate, anchor, when) === null;
}
