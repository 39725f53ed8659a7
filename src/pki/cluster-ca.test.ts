import assert from 'node:assert/strict';
import { X509Certificate as NodeX509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { isCofferError } from '../errors/coffer-error.js';
import { createClusterCa, describeCertificate } from './index.js';
import { x509 } from './x509-runtime.js';

const DAY_MS = 24 * 60 * 60 * 1000;

describe('createClusterCa', () => {
  it('makes a P-384 / SHA-384 CA with the required extensions', async () => {
    const before = Date.now();
    const ca = await createClusterCa({ clusterId: 'prod-eu-1' });
    assert.equal(ca.privateKey.type, 'private');
    assert.equal(ca.privateKey.asymmetricKeyType, 'ec');
    assert.equal(ca.privateKey.asymmetricKeyDetails?.namedCurve, 'secp384r1');

    const certificate = new x509.X509Certificate(ca.certificatePem);
    assert.equal(certificate.subject, 'CN=Coffer Cluster CA prod-eu-1, O=Coffer');
    assert.equal(certificate.issuer, certificate.subject);
    assert.equal((certificate.signatureAlgorithm as { name?: string }).name, 'ECDSA');
    assert.equal(certificate.signatureAlgorithm.hash.name, 'SHA-384');
    assert.equal(await certificate.isSelfSigned(), true);

    const basic = certificate.getExtension(x509.BasicConstraintsExtension);
    assert.ok(basic);
    assert.equal(basic.ca, true);
    assert.equal(basic.pathLength, 0);
    assert.equal(basic.critical, true);
    const keyUsage = certificate.getExtension(x509.KeyUsagesExtension);
    assert.ok(keyUsage);
    assert.equal(keyUsage.critical, true);
    assert.equal(keyUsage.usages, x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
    const ski = certificate.getExtension(x509.SubjectKeyIdentifierExtension);
    assert.ok(ski);
    assert.match(ski.keyId, /^[0-9a-f]{40}$/);

    // Serial: positive, 128 random bits (16 bytes after the optional DER sign byte).
    // In the DER, the serial INTEGER follows the version field [0] { INTEGER 2 }.
    const der = Buffer.from(certificate.rawData);
    const at = der.indexOf(Buffer.from([0xa0, 0x03, 0x02, 0x01, 0x02, 0x02]));
    assert.ok(at > 0);
    const serialDer = der.subarray(at + 7, at + 7 + der[at + 6]!);
    assert.ok(serialDer[0]! < 0x80, 'serial is positive');
    const magnitude = serialDer[0] === 0 ? serialDer.subarray(1) : serialDer;
    assert.equal(magnitude.length, 16);
    assert.notEqual(magnitude[0], 0);
    assert.equal(describeCertificate(ca.certificatePem).serialNumber, magnitude.toString('hex').toUpperCase());

    // Ten years by default, from a minute ago.
    const lifetime = certificate.notAfter.getTime() - Date.now();
    assert.ok(lifetime > 3650 * DAY_MS - 5 * 60_000 && lifetime <= 3650 * DAY_MS, 'ten years');
    assert.ok(certificate.notBefore.getTime() <= before - 55_000, 'notBefore in the past');

    const node = new NodeX509Certificate(ca.certificatePem);
    assert.equal(node.ca, true);
    assert.equal(node.verify(node.publicKey), true);
    assert.equal(describeCertificate(ca.certificatePem).isCa, true);
  });

  it('honours validityDays and makes a different serial and key each time', async () => {
    const a = await createClusterCa({ clusterId: 'c1', validityDays: 30 });
    const b = await createClusterCa({ clusterId: 'c1', validityDays: 30 });
    const da = describeCertificate(a.certificatePem);
    const db = describeCertificate(b.certificatePem);
    assert.notEqual(da.serialNumber, db.serialNumber);
    assert.notEqual(da.fingerprintSha256, db.fingerprintSha256);
    const days = (da.notAfter.getTime() - Date.now()) / DAY_MS;
    assert.ok(days > 29.9 && days <= 30);
  });

  it('refuses a bad cluster id or validity', async () => {
    for (const clusterId of ['', ' c1', 'a/b', 'x'.repeat(47), 'CN=evil, O=x']) {
      await assert.rejects(createClusterCa({ clusterId }), (error) => isCofferError(error, 'INVALID_FIELD'));
    }
    for (const validityDays of [0, -1, 1.5, 100_000]) {
      await assert.rejects(createClusterCa({ clusterId: 'c1', validityDays }), (error) =>
        isCofferError(error, 'INVALID_FIELD'),
      );
    }
  });
});
