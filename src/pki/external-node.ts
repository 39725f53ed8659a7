/**
 * The customer-CA path at cluster init: the node key's CSR was signed by the customer's own CA,
 * and the signed certificate comes back with the customer's trust anchor. Before Coffer serves
 * with it, the certificate must be one the node can actually use.
 */
import type { KeyObject } from 'node:crypto';
import { CofferError } from '../errors/coffer-error.js';
import { requirePrivateKey, spkiDer } from './keys.js';
import { parseCertificatePem } from './pem.js';
import { findIssuanceProblem } from './verify.js';
import { x509 } from './x509-runtime.js';

const ANY_EXTENDED_KEY_USAGE = '2.5.29.37.0';

/**
 * Accepts (returns) only when `certificatePem` is issued directly by `trustAnchorPem` (a CA
 * certificate) and both are valid now, it is not itself a CA certificate, its public key is that
 * of `privateKey`, and it allows TLS server authentication (EKU, if present, has serverAuth or
 * anyExtendedKeyUsage; KeyUsage, if present, has digitalSignature). Otherwise INVALID_FIELD,
 * naming what is wrong.
 */
export async function checkExternalNodeCertificate(input: {
  certificatePem: string;
  trustAnchorPem: string;
  privateKey: KeyObject;
}): Promise<void> {
  const certificate = parseCertificatePem(input?.certificatePem, 'certificatePem');
  const anchor = parseCertificatePem(input.trustAnchorPem, 'trustAnchorPem');
  const privateKey = requirePrivateKey(input.privateKey, 'privateKey');

  const problem = findIssuanceProblem(certificate, anchor, new Date());
  if (problem !== null) {
    throw new CofferError('INVALID_FIELD', problem);
  }
  if (certificate.getExtension(x509.BasicConstraintsExtension)?.ca === true) {
    throw new CofferError('INVALID_FIELD', 'certificate is a CA certificate, not a node certificate');
  }
  if (!spkiDer(privateKey).equals(Buffer.from(certificate.publicKey.rawData))) {
    throw new CofferError('INVALID_FIELD', "certificate is for another key than the node's private key");
  }
  const eku = certificate.getExtension(x509.ExtendedKeyUsageExtension);
  if (eku !== null) {
    const usages = eku.usages.map(String);
    if (!usages.includes(x509.ExtendedKeyUsage.serverAuth) && !usages.includes(ANY_EXTENDED_KEY_USAGE)) {
      throw new CofferError('INVALID_FIELD', 'certificate extended key usage does not allow serverAuth');
    }
  }
  const keyUsage = certificate.getExtension(x509.KeyUsagesExtension);
  if (keyUsage !== null && (keyUsage.usages & x509.KeyUsageFlags.digitalSignature) === 0) {
    throw new CofferError(
      'INVALID_FIELD',
      'certificate key usage does not allow digitalSignature, which TLS 1.3 needs',
    );
  }
}
