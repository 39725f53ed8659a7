/**
 * A fresh node or client key and a PKCS#10 request for it — for the customer-CA path at cluster
 * init (the customer's CA signs the request) and for clients asking an admin for a certificate.
 * The private key never leaves the caller.
 */
import type { KeyObject } from 'node:crypto';
import { generateEcKeyPair } from './keys.js';
import { checkCommonName, checkDnsNames, checkIpAddresses, subjectAltNames } from './names.js';
import { x509 } from './x509-runtime.js';

export interface KeyAndCsr {
  readonly privateKey: KeyObject;
  readonly csrPem: string;
}

/**
 * Generates an ECDSA P-256 key and a CSR signed by it (ECDSA with SHA-256), subject
 * `CN=<commonName>`, and — when names are given — an extension request for those SANs (a CA may
 * ignore it: Coffer's own CA takes names only from the issuing request).
 */
export async function createKeyAndCsr(opts: {
  commonName: string;
  dnsNames?: string[];
  ipAddresses?: string[];
}): Promise<KeyAndCsr> {
  const commonName = checkCommonName(opts?.commonName, 'commonName');
  const dnsNames = checkDnsNames(opts.dnsNames, 'dnsNames');
  const ipAddresses = checkIpAddresses(opts.ipAddresses, 'ipAddresses');
  const { privateKey, cryptoKeys } = await generateEcKeyPair('P-256');
  const extensions: x509.Extension[] = [];
  if (dnsNames.length + ipAddresses.length > 0) {
    extensions.push(new x509.SubjectAlternativeNameExtension(subjectAltNames(dnsNames, ipAddresses), false));
  }
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [commonName] }],
    keys: cryptoKeys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    extensions,
  });
  return { privateKey, csrPem: csr.toString('pem') };
}
