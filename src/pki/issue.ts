/**
 * Issuing node and client certificates from a CSR. The CSR proves possession of the key (its
 * self-signature is checked) and supplies the public key; everything else — names, usages,
 * lifetime — is decided by the CA from the issuing request, never taken from the CSR.
 */
import type { KeyObject } from 'node:crypto';
import { CofferError } from '../errors/coffer-error.js';
import { checkValidityDays, validityWindow } from './dates.js';
import { checkCertifiableKey, spkiDer, toSigningKey } from './keys.js';
import { nodeIdentityExtension, type NodeIdentity } from './node-identity.js';
import { checkCommonName, checkDnsNames, checkIpAddresses, subjectAltNames } from './names.js';
import { certificateToPem, parseCertificatePem, parseCsrPem } from './pem.js';
import { randomSerialNumberHex } from './serial.js';
import { x509 } from './x509-runtime.js';

export type CertificateProfile = 'node' | 'client';

export interface IssueRequest {
  profile: CertificateProfile;
  /** Subject CN; when absent, the CN of the CSR's subject (which must then have one). */
  commonName?: string;
  dnsNames?: string[];
  ipAddresses?: string[];
  validityDays?: number;
  /** Node profile: the marker naming the cluster and node (node-identity.ts); CN is the node id. */
  node?: NodeIdentity;
}

export const DEFAULT_VALIDITY_DAYS: Readonly<Record<CertificateProfile, number>> = { node: 825, client: 365 };

const ACCEPTED_CSR_HASHES = new Set(['SHA-256', 'SHA-384', 'SHA-512']);

/**
 * Issues a certificate for the key in `csrPem`, signed by `ca`.
 * - node: EKU serverAuth+clientAuth, KeyUsage digitalSignature+keyAgreement (digitalSignature+
 *   keyEncipherment for an RSA key), SANs from the request (at least one required); 825 days.
 * - client: EKU clientAuth, KeyUsage digitalSignature, SANs from the request if any; 365 days.
 * Both: subject `CN=<commonName>`, BasicConstraints CA:false (critical), KeyUsage critical,
 * AuthorityKeyIdentifier (the CA's SubjectKeyIdentifier), SubjectKeyIdentifier, a random positive
 * 128-bit serial, notBefore a minute in the past, notAfter never beyond the CA's own notAfter.
 * Refused (INVALID_FIELD): a CSR whose signature does not verify, or whose key is not EC
 * P-256/P-384 or RSA of at least 2048 bits; a CA certificate that is not a CA, is not valid now, or
 * does not match the CA private key.
 */
export async function issueCertificate(
  ca: { certificatePem: string; privateKey: KeyObject },
  csrPem: string,
  request: IssueRequest,
): Promise<string> {
  // The request, checked before any crypto.
  const profile: unknown = request?.profile;
  if (profile !== 'node' && profile !== 'client') {
    throw new CofferError('INVALID_FIELD', "request.profile must be 'node' or 'client'");
  }
  const dnsNames = checkDnsNames(request.dnsNames, 'request.dnsNames');
  const ipAddresses = checkIpAddresses(request.ipAddresses, 'request.ipAddresses');
  if (profile === 'node' && dnsNames.length + ipAddresses.length === 0) {
    throw new CofferError('MISSING_FIELD', 'a node certificate needs request.dnsNames or request.ipAddresses');
  }
  const days = checkValidityDays(request.validityDays, DEFAULT_VALIDITY_DAYS[profile], 'request.validityDays');
  if (request.node !== undefined && profile !== 'node')
    throw new CofferError('INVALID_FIELD', 'only a node certificate carries a node identity');
  const requestedCommonName =
    request.commonName === undefined
      ? request.node && checkCommonName(request.node.nodeId, 'request.node.nodeId')
      : checkCommonName(request.commonName, 'request.commonName');
  if (request.node !== undefined && requestedCommonName !== request.node.nodeId)
    throw new CofferError('INVALID_FIELD', "a node certificate's common name is its node id");

  // The CA: a CA certificate, valid now, whose key is the one we were given.
  const caCertificate = parseCertificatePem(ca?.certificatePem, 'ca.certificatePem');
  const basic = caCertificate.getExtension(x509.BasicConstraintsExtension);
  const caUsage = caCertificate.getExtension(x509.KeyUsagesExtension);
  if (!basic?.ca || (caUsage !== null && (caUsage.usages & x509.KeyUsageFlags.keyCertSign) === 0)) {
    throw new CofferError('INVALID_FIELD', 'ca.certificatePem is not a CA certificate allowed to sign certificates');
  }
  const now = new Date();
  if (now < caCertificate.notBefore || now > caCertificate.notAfter) {
    throw new CofferError('INVALID_FIELD', 'ca.certificatePem is not valid at this time');
  }
  const signing = await toSigningKey(ca.privateKey, 'ca.privateKey');
  if (!spkiDer(ca.privateKey).equals(Buffer.from(caCertificate.publicKey.rawData))) {
    throw new CofferError('INVALID_FIELD', 'ca.privateKey does not match ca.certificatePem');
  }

  // The CSR: an accepted key, and a self-signature that verifies with it.
  const csr = parseCsrPem(csrPem, 'csrPem');
  const subjectKey = checkCertifiableKey(csr.publicKey.rawData, 'csrPem');
  const csrHash = csr.signatureAlgorithm.hash?.name;
  if (csrHash === undefined || !ACCEPTED_CSR_HASHES.has(csrHash.toUpperCase())) {
    throw new CofferError(
      'INVALID_FIELD',
      'csrPem is signed with an unsupported algorithm (SHA-256, SHA-384 or SHA-512 required)',
    );
  }
  let signatureValid: boolean;
  try {
    signatureValid = await csr.verify();
  } catch {
    signatureValid = false;
  }
  if (!signatureValid) {
    throw new CofferError('INVALID_FIELD', 'csrPem signature does not verify');
  }

  const commonName =
    requestedCommonName ??
    checkCommonName(
      csr.subjectName.getField('CN')[0],
      'request.commonName (absent, and the CSR subject has no usable CN)',
    );

  const isRsa = subjectKey.asymmetricKeyType === 'rsa';
  const keyUsage =
    profile === 'node'
      ? x509.KeyUsageFlags.digitalSignature |
        (isRsa ? x509.KeyUsageFlags.keyEncipherment : x509.KeyUsageFlags.keyAgreement)
      : x509.KeyUsageFlags.digitalSignature;
  const extendedKeyUsage =
    profile === 'node'
      ? [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]
      : [x509.ExtendedKeyUsage.clientAuth];
  const caKeyId = caCertificate.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(keyUsage, true),
    new x509.ExtendedKeyUsageExtension(extendedKeyUsage, false),
    caKeyId !== undefined
      ? new x509.AuthorityKeyIdentifierExtension(caKeyId, false)
      : await x509.AuthorityKeyIdentifierExtension.create(caCertificate.publicKey, false),
    await x509.SubjectKeyIdentifierExtension.create(csr.publicKey, false),
    ...(request.node ? [nodeIdentityExtension(request.node)] : []),
  ];
  if (dnsNames.length + ipAddresses.length > 0) {
    extensions.push(new x509.SubjectAlternativeNameExtension(subjectAltNames(dnsNames, ipAddresses), false));
  }

  const window = validityWindow(days, now);
  const notAfter = window.notAfter > caCertificate.notAfter ? caCertificate.notAfter : window.notAfter;
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialNumberHex(),
    subject: [{ CN: [commonName] }],
    issuer: caCertificate.subjectName,
    notBefore: window.notBefore,
    notAfter,
    publicKey: csr.publicKey,
    signingKey: signing.key,
    signingAlgorithm: signing.algorithm,
    extensions,
  });
  return certificateToPem(certificate);
}
