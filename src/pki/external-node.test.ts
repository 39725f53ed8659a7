/**
 * The customer-CA path: the node's CSR is signed by the customer's own CA (made here, as a
 * customer would, with different conventions from Coffer's), and the node checks the result.
 */
import assert from 'node:assert/strict';
import type { KeyObject } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { isCofferError } from '../errors/coffer-error.js';
import { checkExternalNodeCertificate, createKeyAndCsr, type KeyAndCsr } from './index.js';
import { webcrypto, x509, type CryptoKeyPair } from './x509-runtime.js';

interface CustomerCa {
  certificatePem: string;
  keys: CryptoKeyPair;
  certificate: x509.X509Certificate;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** A customer root CA: RSA-3072, SHA-256, its own name. */
async function customerCa(name: string): Promise<CustomerCa> {
  const keys = (await webcrypto.subtle.generateKey(
    { name: 'RSASSA-PKCS1-v1_5', modulusLength: 3072, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    false,
    ['sign', 'verify'],
  )) as CryptoKeyPair;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${name}, O=Example Corp, C=US`,
    keys,
    notBefore: new Date(Date.now() - DAY_MS),
    notAfter: new Date(Date.now() + 365 * DAY_MS),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certificatePem: certificate.toString('pem'), keys, certificate };
}

/** The customer's CA signs a CSR as it sees fit. */
async function customerSigns(
  ca: CustomerCa,
  csrPem: string,
  options: { eku?: string[]; keyUsage?: x509.KeyUsageFlags; notBefore?: Date; notAfter?: Date; ca?: boolean } = {},
): Promise<string> {
  const csr = new x509.Pkcs10CertificateRequest(csrPem);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(options.ca ?? false, undefined, true),
    new x509.KeyUsagesExtension(options.keyUsage ?? x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension(
      options.eku ?? [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
    ),
    await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey),
    new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'hsm.example.com' }]),
  ];
  const certificate = await x509.X509CertificateGenerator.create({
    subject: csr.subjectName,
    issuer: ca.certificate.subjectName,
    publicKey: csr.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    notBefore: options.notBefore ?? new Date(Date.now() - 60_000),
    notAfter: options.notAfter ?? new Date(Date.now() + 90 * DAY_MS),
    extensions,
  });
  return certificate.toString('pem');
}

function refusedFor(pattern: RegExp): (error: unknown) => boolean {
  return (error) => isCofferError(error, 'INVALID_FIELD') && pattern.test(error.detail ?? '');
}

describe('checkExternalNodeCertificate', () => {
  let customer: CustomerCa;
  let node: KeyAndCsr;

  before(async () => {
    customer = await customerCa('Example Corp Issuing CA');
    node = await createKeyAndCsr({ commonName: 'hsm.example.com', dnsNames: ['hsm.example.com'] });
  });

  it('accepts the node certificate signed by the customer CA', async () => {
    const certificatePem = await customerSigns(customer, node.csrPem);
    await checkExternalNodeCertificate({
      certificatePem,
      trustAnchorPem: customer.certificatePem,
      privateKey: node.privateKey,
    });
    const certificate = new x509.X509Certificate(certificatePem);
    assert.equal(certificate.subject, 'CN=hsm.example.com');
  });

  it('refuses a certificate for another key', async () => {
    const other = await createKeyAndCsr({ commonName: 'hsm.example.com' });
    const certificatePem = await customerSigns(customer, other.csrPem);
    await assert.rejects(
      checkExternalNodeCertificate({
        certificatePem,
        trustAnchorPem: customer.certificatePem,
        privateKey: node.privateKey,
      }),
      refusedFor(/another key/),
    );
  });

  it('refuses a certificate from another anchor, even one with the same name', async () => {
    const impostor = await customerCa('Example Corp Issuing CA');
    const certificatePem = await customerSigns(impostor, node.csrPem);
    await assert.rejects(
      checkExternalNodeCertificate({
        certificatePem,
        trustAnchorPem: customer.certificatePem,
        privateKey: node.privateKey,
      }),
      refusedFor(/not issued by the trust anchor/),
    );
    const otherName = await customerCa('Someone Else CA');
    await assert.rejects(
      checkExternalNodeCertificate({
        certificatePem: await customerSigns(customer, node.csrPem),
        trustAnchorPem: otherName.certificatePem,
        privateKey: node.privateKey,
      }),
      refusedFor(/not issued by the trust anchor/),
    );
  });

  it('refuses a certificate that does not allow serverAuth', async () => {
    const certificatePem = await customerSigns(customer, node.csrPem, { eku: [x509.ExtendedKeyUsage.clientAuth] });
    await assert.rejects(
      checkExternalNodeCertificate({
        certificatePem,
        trustAnchorPem: customer.certificatePem,
        privateKey: node.privateKey,
      }),
      refusedFor(/serverAuth/),
    );
    const noSignature = await customerSigns(customer, node.csrPem, { keyUsage: x509.KeyUsageFlags.keyEncipherment });
    await assert.rejects(
      checkExternalNodeCertificate({
        certificatePem: noSignature,
        trustAnchorPem: customer.certificatePem,
        privateKey: node.privateKey,
      }),
      refusedFor(/digitalSignature/),
    );
  });

  it('refuses an expired or not-yet-valid certificate', async () => {
    const expired = await customerSigns(customer, node.csrPem, {
      notBefore: new Date(Date.now() - 10 * DAY_MS),
      notAfter: new Date(Date.now() - DAY_MS),
    });
    await assert.rejects(
      checkExternalNodeCertificate({
        certificatePem: expired,
        trustAnchorPem: customer.certificatePem,
        privateKey: node.privateKey,
      }),
      refusedFor(/not valid at this time/),
    );
    const future = await customerSigns(customer, node.csrPem, { notBefore: new Date(Date.now() + DAY_MS) });
    await assert.rejects(
      checkExternalNodeCertificate({
        certificatePem: future,
        trustAnchorPem: customer.certificatePem,
        privateKey: node.privateKey,
      }),
      refusedFor(/not valid at this time/),
    );
  });

  it('refuses a CA certificate as node certificate, a non-CA anchor, and malformed input', async () => {
    const asCa = await customerSigns(customer, node.csrPem, { ca: true });
    await assert.rejects(
      checkExternalNodeCertificate({
        certificatePem: asCa,
        trustAnchorPem: customer.certificatePem,
        privateKey: node.privateKey,
      }),
      refusedFor(/CA certificate/),
    );
    const leaf = await customerSigns(customer, node.csrPem);
    await assert.rejects(
      checkExternalNodeCertificate({ certificatePem: leaf, trustAnchorPem: leaf, privateKey: node.privateKey }),
      refusedFor(/trust anchor is not a CA/),
    );
    await assert.rejects(
      checkExternalNodeCertificate({
        certificatePem: 'junk',
        trustAnchorPem: customer.certificatePem,
        privateKey: node.privateKey,
      }),
      refusedFor(/certificatePem/),
    );
    await assert.rejects(
      checkExternalNodeCertificate({
        certificatePem: leaf,
        trustAnchorPem: customer.certificatePem,
        privateKey: node.csrPem as unknown as KeyObject,
      }),
      refusedFor(/privateKey/),
    );
  });
});
