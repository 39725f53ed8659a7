import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { isCofferError } from '../errors/coffer-error.js';
import { createClusterCa, createKeyAndCsr, issueCertificate, type ClusterCa } from './index.js';
import { checkNodeCertificate, nodeIdentityOf, NODE_IDENTITY_OID } from './node-identity.js';
import { x509 } from './x509-runtime.js';

const der = (pem: string): Buffer => Buffer.from(new X509Certificate(pem).raw);

describe('the node-certificate marker', () => {
  let ca: ClusterCa;
  let node: string;
  before(async () => {
    ca = await createClusterCa({ clusterId: 'c-one' });
    const { csrPem } = await createKeyAndCsr({ commonName: 'node-1' });
    node = await issueCertificate(ca, csrPem, {
      profile: 'node',
      node: { clusterId: 'c-one', nodeId: 'node-1' },
      ipAddresses: ['127.0.0.1'],
    });
  });

  it('names the cluster and node, and a node certificate of the cluster passes', () => {
    const certificate = new x509.X509Certificate(node);
    assert.equal(certificate.getExtension(NODE_IDENTITY_OID)?.critical, false);
    assert.ok(
      certificate.extensions.some((extension) => extension.type === NODE_IDENTITY_OID),
      'the OID survives',
    );
    assert.deepEqual(nodeIdentityOf(certificate), { clusterId: 'c-one', nodeId: 'node-1' });
    const checked = checkNodeCertificate(der(node), ca.certificatePem, 'c-one');
    assert.equal(typeof checked, 'object');
    assert.equal(typeof checked === 'object' && checked.nodeId, 'node-1');
  });

  it('refuses a client certificate, another cluster, another CA, the CA itself and expiry', async () => {
    const { csrPem } = await createKeyAndCsr({ commonName: 'node-1' });
    const client = await issueCertificate(ca, csrPem, { profile: 'client' });
    assert.equal(checkNodeCertificate(der(client), ca.certificatePem, 'c-one'), 'not a node certificate');
    // A node certificate without the marker (as issued before it existed) is no node certificate either.
    const unmarked = await issueCertificate(ca, csrPem, { profile: 'node', ipAddresses: ['127.0.0.1'] });
    assert.equal(checkNodeCertificate(der(unmarked), ca.certificatePem, 'c-one'), 'not a node certificate');
    assert.equal(checkNodeCertificate(der(node), ca.certificatePem, 'c-two'), 'a node certificate of another cluster');
    const other = await createClusterCa({ clusterId: 'c-one' });
    assert.equal(checkNodeCertificate(der(node), other.certificatePem, 'c-one'), 'not issued by the cluster CA');
    assert.equal(checkNodeCertificate(der(ca.certificatePem), ca.certificatePem, 'c-one'), 'a CA certificate');
    const later = new Date(Date.now() + 900 * 24 * 3600 * 1000);
    assert.equal(checkNodeCertificate(der(node), ca.certificatePem, 'c-one', later), 'not issued by the cluster CA');
    assert.equal(checkNodeCertificate(Buffer.from('junk'), ca.certificatePem, 'c-one'), 'not a certificate');
  });

  it('is written only into node certificates, whose CN is the node id', async () => {
    const { csrPem } = await createKeyAndCsr({ commonName: 'x' });
    const node = { clusterId: 'c-one', nodeId: 'node-2' };
    await assert.rejects(issueCertificate(ca, csrPem, { profile: 'client', node }), (e) =>
      isCofferError(e, 'INVALID_FIELD'),
    );
    await assert.rejects(
      issueCertificate(ca, csrPem, { profile: 'node', node, commonName: 'node-3', ipAddresses: ['::1'] }),
      (e) => isCofferError(e, 'INVALID_FIELD'),
    );
    const issued = new x509.X509Certificate(
      await issueCertificate(ca, csrPem, { profile: 'node', node, ipAddresses: ['::1'] }),
    );
    assert.equal(issued.subject, 'CN=node-2');
  });
});
