/**
 * Strict parsing of the PEM inputs this module accepts. A field must hold exactly one PEM block of
 * the expected type; anything else is refused with INVALID_FIELD naming the field. Parse errors of
 * the underlying library are never passed on (they could echo input bytes).
 */
import { CofferError } from '../errors/coffer-error.js';
import { x509 } from './x509-runtime.js';

/** Upper bound on a PEM input, far above any certificate or CSR this module deals with. */
const MAX_PEM_LENGTH = 64 * 1024;

function decodeSingleBlock(pem: unknown, label: string, field: string): ArrayBuffer {
  if (typeof pem !== 'string' || pem.length === 0) {
    throw new CofferError('INVALID_FIELD', `${field} must be a PEM string`);
  }
  if (pem.length > MAX_PEM_LENGTH) {
    throw new CofferError('INVALID_FIELD', `${field} is longer than ${MAX_PEM_LENGTH} characters`);
  }
  let blocks: x509.PemStruct[];
  try {
    blocks = x509.PemConverter.decodeWithHeaders(pem);
  } catch {
    throw new CofferError('INVALID_FIELD', `${field} is not valid PEM`);
  }
  if (blocks.length !== 1) {
    throw new CofferError('INVALID_FIELD', `${field} must hold exactly one PEM block (found ${blocks.length})`);
  }
  const block = blocks[0]!;
  if (block.type !== label) {
    throw new CofferError('INVALID_FIELD', `${field} must be a "${label}" PEM block`);
  }
  return block.rawData;
}

/** Parses one PEM certificate; INVALID_FIELD naming `field` if it is not one. */
export function parseCertificatePem(pem: unknown, field: string): x509.X509Certificate {
  const der = decodeSingleBlock(pem, 'CERTIFICATE', field);
  try {
    const certificate = new x509.X509Certificate(der);
    // Touch the fields every caller relies on, so a structurally odd certificate fails here.
    void certificate.subject;
    void certificate.issuer;
    void certificate.notBefore;
    void certificate.notAfter;
    void certificate.publicKey;
    void certificate.extensions;
    return certificate;
  } catch {
    throw new CofferError('INVALID_FIELD', `${field} is not a well-formed X.509 certificate`);
  }
}

/** Parses one PEM PKCS#10 certificate request; INVALID_FIELD naming `field` if it is not one. */
export function parseCsrPem(pem: unknown, field: string): x509.Pkcs10CertificateRequest {
  const der = decodeSingleBlock(pem, 'CERTIFICATE REQUEST', field);
  try {
    const csr = new x509.Pkcs10CertificateRequest(der);
    void csr.subject;
    void csr.publicKey;
    void csr.signatureAlgorithm;
    return csr;
  } catch {
    throw new CofferError('INVALID_FIELD', `${field} is not a well-formed PKCS#10 certificate request`);
  }
}

/** PEM text of a DER certificate, with the label OpenSSL and Node expect. */
export function certificateToPem(certificate: x509.X509Certificate): string {
  return certificate.toString('pem');
}
