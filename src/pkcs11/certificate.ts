import { X509Certificate } from 'node:crypto';
import { CofferError } from '../errors/coffer-error.js';
import { children, readWhole, TAG } from './der.js';

/**
 * What a CKO_CERTIFICATE of type CKC_X_509 takes from its CKA_VALUE: CKA_SUBJECT and CKA_ISSUER
 * (the DER of the Names, byte for byte as in the certificate), CKA_SERIAL_NUMBER (the DER of the
 * serial INTEGER, as PKCS#11 defines it) and CKA_PUBLIC_KEY_INFO (the SPKI DER).
 */
export interface CertificateFields {
  readonly subject: Buffer;
  readonly issuer: Buffer;
  readonly serialNumber: Buffer;
  readonly publicKeyInfo: Buffer;
}

const invalid = (): never => {
  throw new CofferError('ATTRIBUTE_VALUE_INVALID', 'CKA_VALUE is not a DER X.509 certificate');
};

/** The fields of a DER certificate; ATTRIBUTE_VALUE_INVALID for anything Node's X.509 parser refuses. */
export function certificateFields(der: Buffer): CertificateFields {
  try {
    // Node (OpenSSL) parses the whole certificate: what it refuses is no certificate.
    new X509Certificate(der);
  } catch {
    invalid();
  }
  const certificate = readWhole(der);
  const parts = certificate?.tag === TAG.SEQUENCE ? children(certificate.content) : undefined;
  const tbs = parts?.[0]?.tag === TAG.SEQUENCE ? children(parts[0].content) : undefined;
  if (!tbs) return invalid();
  // version is [0] EXPLICIT and optional (absent means v1).
  const fields = tbs[0]?.tag === 0xa0 ? tbs.slice(1) : tbs;
  const [serial, _signature, issuer, _validity, subject, spki] = fields;
  if (serial?.tag !== TAG.INTEGER || issuer?.tag !== TAG.SEQUENCE || subject?.tag !== TAG.SEQUENCE) return invalid();
  if (spki?.tag !== TAG.SEQUENCE) return invalid();
  return {
    subject: Buffer.from(subject.element),
    issuer: Buffer.from(issuer.element),
    serialNumber: Buffer.from(serial.element),
    publicKeyInfo: Buffer.from(spki.element),
  };
}
