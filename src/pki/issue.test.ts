import assert from 'node:assert/strict';
import { X509Certificate as NodeX509Certificate } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { isCofferError } from '../errors/coffer-error.js';
import {
  createClusterCa,
  createKeyAndCsr,
  describeCertificate,
  issueCertificate,
  verifyIssuedBy,
  type ClusterCa,
} from './index.js';
import { webcrypto, x509 } from './x509-runtime.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const invalidField = (error: unknown): boolean => isCofferError(error, 'INVALID_FIELD');

/** A CSR for a key of any kind, made with WebCrypto directly (createKeyAndCsr only makes P-256). */
async function csrFor(
  algorithm: webcrypto.EcKeyGenParams | webcrypto.RsaHashedKeyGenParams,
  signingAlgorithm: { name: string; hash: string },
): Promise<string> {
  const keys = (await webcrypto.subtle.generateKey(algorithm, false, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=other', keys, signingAlgorithm });
  return csr.toString('pem');
}

/** Re-encodes a CSR after `mutate` changed its DER bytes. */
function tamper(csrPem: string, mutate: (der: Buffer) => void): string {
  const der = Buffer.from(x509.PemConverter.decodeFirst(csrPem));
  mutate(der);
  return x509.PemConverter.encode(der, 'CERTIFICATE REQUEST');
}

describe('issueCertificate', () => {
  let ca: ClusterCa;
  before(async () => {
    ca = await createClusterCa({ clusterId: 'test' });
  });

  it('issues a node certificate with the node profile, names from the request only', async () => {
    // The CSR asks for names the CA must ignore.
    const { csrPem, privateKey } = await createKeyAndCsr({
      commonName: 'asked',
      dnsNames: ['evil.example'],
      ipAddresses: ['10.6.6.6'],
    });
    const start = Date.now();
    const pem = await issueCertificate(ca, csrPem, {
      profile: 'node',
      commonName: 'node-1',
      dnsNames: ['localhost', 'node-1.coffer.internal'],
      ipAddresses: ['127.0.0.1'],
    });
    const certificate = new x509.X509Certificate(pem);
    assert.equal(certificate.subject, 'CN=node-1');
    assert.equal(certificate.issuer, 'CN=Coffer Cluster CA test, O=Coffer');
    assert.equal(certificate.signatureAlgorithm.hash.name, 'SHA-384');

    const info = describeCertificate(pem);
    assert.deepEqual(info.dnsNames, ['localhost', 'node-1.coffer.internal']);
    assert.deepEqual(info.ipAddresses, ['127.0.0.1']);
    assert.equal(info.isCa, false);

    const basic = certificate.getExtension(x509.BasicConstraintsExtension);
    assert.equal(basic?.ca, false);
    assert.equal(basic?.critical, true);
    const keyUsage = certificate.getExtension(x509.KeyUsagesExtension);
    assert.equal(keyUsage?.usages, x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement);
    assert.deepEqual(
      [...(certificate.getExtension(x509.ExtendedKeyUsageExtension)?.usages ?? [])],
      [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
    );
    const caCertificate = new x509.X509Certificate(ca.certificatePem);
    assert.equal(
      certificate.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId,
      caCertificate.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId,
    );
    assert.ok(certificate.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId);

    // Validity: a minute in the past, 825 days by default.
    assert.ok(start - certificate.notBefore.getTime() >= 59_000);
    assert.ok(start - certificate.notBefore.getTime() < 65_000);
    const days = (certificate.notAfter.getTime() - start) / DAY_MS;
    assert.ok(days > 824.99 && days <= 825.01);

    // The certificate is for the CSR's key.
    const node = new NodeX509Certificate(pem);
    assert.equal(node.checkPrivateKey(privateKey), true);
    assert.equal(node.checkIssued(new NodeX509Certificate(ca.certificatePem)), true);
    assert.equal(await verifyIssuedBy(pem, ca.certificatePem), true);
  });

  it('issues a client certificate with clientAuth only, 365 days, CN from the CSR when not given', async () => {
    const { csrPem } = await createKeyAndCsr({ commonName: 'alice' });
    const pem = await issueCertificate(ca, csrPem, { profile: 'client' });
    const certificate = new x509.X509Certificate(pem);
    assert.equal(certificate.subject, 'CN=alice');
    assert.deepEqual(
      [...(certificate.getExtension(x509.ExtendedKeyUsageExtension)?.usages ?? [])],
      [x509.ExtendedKeyUsage.clientAuth],
    );
    assert.equal(certificate.getExtension(x509.KeyUsagesExtension)?.usages, x509.KeyUsageFlags.digitalSignature);
    assert.equal(certificate.getExtension(x509.SubjectAlternativeNameExtension), null);
    const days = (certificate.notAfter.getTime() - Date.now()) / DAY_MS;
    assert.ok(days > 364.99 && days <= 365.01);
    assert.equal(describeCertificate(pem).serialNumber.length >= 32, true);
  });

  it('gives every certificate a distinct random serial', async () => {
    const { csrPem } = await createKeyAndCsr({ commonName: 'alice' });
    const serials = new Set<string>();
    for (let i = 0; i < 5; i += 1) {
      serials.add(describeCertificate(await issueCertificate(ca, csrPem, { profile: 'client' })).serialNumber);
    }
    assert.equal(serials.size, 5);
  });

  it('honours validityDays but never outlives the CA', async () => {
    const { csrPem } = await createKeyAndCsr({ commonName: 'alice' });
    const short = describeCertificate(await issueCertificate(ca, csrPem, { profile: 'client', validityDays: 7 }));
    const days = (short.notAfter.getTime() - Date.now()) / DAY_MS;
    assert.ok(days > 6.99 && days <= 7.01);

    const shortCa = await createClusterCa({ clusterId: 'short', validityDays: 10 });
    const clamped = describeCertificate(
      await issueCertificate(shortCa, csrPem, { profile: 'client', validityDays: 365 }),
    );
    assert.equal(clamped.notAfter.getTime(), describeCertificate(shortCa.certificatePem).notAfter.getTime());
  });

  it('accepts RSA-2048 and P-384 CSR keys', async () => {
    const rsa = await csrFor(
      { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
      { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    );
    const rsaCert = new x509.X509Certificate(
      await issueCertificate(ca, rsa, { profile: 'node', dnsNames: ['rsa.example'] }),
    );
    assert.equal(
      rsaCert.getExtension(x509.KeyUsagesExtension)?.usages,
      x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
    );
    const p384 = await csrFor({ name: 'ECDSA', namedCurve: 'P-384' }, { name: 'ECDSA', hash: 'SHA-384' });
    assert.ok(await issueCertificate(ca, p384, { profile: 'client' }));
  });

  it('refuses CSR keys outside the policy: P-521, RSA-1024', async () => {
    const p521 = await csrFor({ name: 'ECDSA', namedCurve: 'P-521' }, { name: 'ECDSA', hash: 'SHA-512' });
    await assert.rejects(
      issueCertificate(ca, p521, { profile: 'client' }),
      (error) => invalidField(error) && /P-256 or P-384/.test(String(error)),
    );
    const rsa1024 = await csrFor(
      { name: 'RSASSA-PKCS1-v1_5', modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
      { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    );
    await assert.rejects(
      issueCertificate(ca, rsa1024, { profile: 'client' }),
      (error) => invalidField(error) && /1024 bits/.test(String(error)),
    );
  });

  it('refuses a CSR whose signature is broken', async () => {
    const { csrPem } = await createKeyAndCsr({ commonName: 'alice' });
    // Alter the signed content: the CN "alice" becomes "alicf".
    const alteredSubject = tamper(csrPem, (der) => {
      const at = der.indexOf(Buffer.from('alice'));
      assert.ok(at > 0);
      der[at + 4] = 'f'.charCodeAt(0);
    });
    await assert.rejects(
      issueCertificate(ca, alteredSubject, { profile: 'client' }),
      (error) => invalidField(error) && /signature does not verify/.test(String(error)),
    );
    // Alter the signature itself (its last byte).
    const alteredSignature = tamper(csrPem, (der) => {
      der[der.length - 1] = der[der.length - 1]! ^ 0x01;
    });
    await assert.rejects(issueCertificate(ca, alteredSignature, { profile: 'client' }), invalidField);
  });

  it('refuses malformed input', async () => {
    const { csrPem } = await createKeyAndCsr({ commonName: 'alice' });
    await assert.rejects(issueCertificate(ca, 'not a csr', { profile: 'client' }), invalidField);
    await assert.rejects(issueCertificate(ca, ca.certificatePem, { profile: 'client' }), invalidField);
    await assert.rejects(issueCertificate(ca, csrPem + csrPem, { profile: 'client' }), invalidField);
    await assert.rejects(
      issueCertificate(
        ca,
        x509.PemConverter.encode(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]), 'CERTIFICATE REQUEST'),
        { profile: 'client' },
      ),
      invalidField,
    );
    await assert.rejects(issueCertificate(ca, csrPem, { profile: 'admin' as 'client' }), invalidField);
    await assert.rejects(issueCertificate(ca, csrPem, { profile: 'client', dnsNames: ['bad name'] }), invalidField);
    await assert.rejects(issueCertificate(ca, csrPem, { profile: 'client', ipAddresses: ['999.1.1.1'] }), invalidField);
    await assert.rejects(issueCertificate(ca, csrPem, { profile: 'client', commonName: 'x'.repeat(65) }), invalidField);
    await assert.rejects(issueCertificate(ca, csrPem, { profile: 'client', validityDays: 0 }), invalidField);
    await assert.rejects(issueCertificate(ca, csrPem, { profile: 'node' }), (error) =>
      isCofferError(error, 'MISSING_FIELD'),
    );
  });

  it('refuses a CA whose key does not match, or a CA certificate that is not a CA', async () => {
    const { csrPem } = await createKeyAndCsr({ commonName: 'alice' });
    const other = await createClusterCa({ clusterId: 'other' });
    await assert.rejects(
      issueCertificate({ certificatePem: ca.certificatePem, privateKey: other.privateKey }, csrPem, {
        profile: 'client',
      }),
      (error) => invalidField(error) && /does not match/.test(String(error)),
    );
    const leaf = await createKeyAndCsr({ commonName: 'leaf' });
    const leafPem = await issueCertificate(ca, leaf.csrPem, { profile: 'client' });
    await assert.rejects(
      issueCertificate({ certificatePem: leafPem, privateKey: leaf.privateKey }, csrPem, { profile: 'client' }),
      (error) => invalidField(error) && /not a CA/.test(String(error)),
    );
  });
});

describe('verifyIssuedBy', () => {
  it('is true for the issuing CA within validity only', async () => {
    const ca = await createClusterCa({ clusterId: 'v' });
    const other = await createClusterCa({ clusterId: 'v' }); // same name, other key
    const { csrPem } = await createKeyAndCsr({ commonName: 'alice' });
    const pem = await issueCertificate(ca, csrPem, { profile: 'client', validityDays: 30 });
    assert.equal(await verifyIssuedBy(pem, ca.certificatePem), true);
    assert.equal(await verifyIssuedBy(pem, other.certificatePem), false);
    assert.equal(await verifyIssuedBy(pem, pem), false);
    assert.equal(await verifyIssuedBy(pem, ca.certificatePem, new Date(Date.now() + 31 * DAY_MS)), false);
    assert.equal(await verifyIssuedBy(pem, ca.certificatePem, new Date(Date.now() - 2 * 60_000)), false);
    await assert.rejects(verifyIssuedBy('garbage', ca.certificatePem), invalidField);
  });
});

describe('createKeyAndCsr', () => {
  it('makes a P-256 key and a self-signed CSR carrying the requested names', async () => {
    const { privateKey, csrPem } = await createKeyAndCsr({
      commonName: 'node-2',
      dnsNames: ['node-2.local'],
      ipAddresses: ['::1'],
    });
    assert.equal(privateKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    const csr = new x509.Pkcs10CertificateRequest(csrPem);
    assert.equal(csr.subject, 'CN=node-2');
    assert.equal(await csr.verify(), true);
    const san = csr.getExtension('2.5.29.17');
    assert.ok(san);
    await assert.rejects(createKeyAndCsr({ commonName: '' }), invalidField);
    await assert.rejects(createKeyAndCsr({ commonName: 'a', dnsNames: ['-bad-.example'] }), invalidField);
  });
});
