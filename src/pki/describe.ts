/**
 * A plain summary of a certificate, for the CLI, the API and audit events.
 */
import { createHash } from 'node:crypto';
import { parseCertificatePem } from './pem.js';
import { x509 } from './x509-runtime.js';

export interface CertificateDescription {
  /** RFC 4514-style distinguished name, e.g. `CN=Coffer Cluster CA c1, O=Coffer`. */
  subject: string;
  issuer: string;
  /** Upper-case hex, without the sign byte DER may add (as `openssl x509 -serial` shows it). */
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  /** SHA-256 of the DER certificate, upper-case hex pairs joined by ':' (as OpenSSL and Node show it). */
  fingerprintSha256: string;
  dnsNames: string[];
  ipAddresses: string[];
  /** BasicConstraints cA. */
  isCa: boolean;
}

/** Describes one PEM certificate; INVALID_FIELD if `pem` is not one. */
export function describeCertificate(pem: string): CertificateDescription {
  const certificate = parseCertificatePem(pem, 'certificatePem');
  const dnsNames: string[] = [];
  const ipAddresses: string[] = [];
  for (const san of certificate.getExtensions(x509.SubjectAlternativeNameExtension)) {
    for (const name of san.names.items) {
      if (name.type === 'dns') dnsNames.push(name.value);
      else if (name.type === 'ip') ipAddresses.push(name.value);
    }
  }
  const fingerprint = createHash('sha256').update(Buffer.from(certificate.rawData)).digest('hex').toUpperCase();
  return {
    subject: certificate.subject,
    issuer: certificate.issuer,
    serialNumber: certificate.serialNumber.toUpperCase(),
    notBefore: certificate.notBefore,
    notAfter: certificate.notAfter,
    fingerprintSha256: fingerprint.match(/../g)?.join(':') ?? '',
    dnsNames,
    ipAddresses,
    isCa: certificate.getExtension(x509.BasicConstraintsExtension)?.ca === true,
  };
}
