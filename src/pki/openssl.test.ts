/**
 * Interoperability with a real tool: the openssl CLI verifies what this module issues, and CSRs
 * made by openssl are accepted. Files live in a temporary directory, removed afterwards.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createClusterCa, createKeyAndCsr, issueCertificate, type ClusterCa } from './index.js';

const run = promisify(execFile);

async function openssl(args: string[]): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout, stderr } = await run('openssl', args);
    return { ok: true, output: stdout + stderr };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

describe('openssl interoperability', () => {
  let dir: string;
  let ca: ClusterCa;
  let caFile: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffer-pki-'));
    ca = await createClusterCa({ clusterId: 'interop' });
    caFile = join(dir, 'ca.pem');
    await writeFile(caFile, ca.certificatePem, { mode: 0o600 });
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('openssl verify accepts the node and client certificates, for their purposes', async () => {
    const node = await createKeyAndCsr({ commonName: 'node-1' });
    const nodeFile = join(dir, 'node.pem');
    await writeFile(
      nodeFile,
      await issueCertificate(ca, node.csrPem, { profile: 'node', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] }),
    );
    const client = await createKeyAndCsr({ commonName: 'alice' });
    const clientFile = join(dir, 'client.pem');
    await writeFile(clientFile, await issueCertificate(ca, client.csrPem, { profile: 'client' }));

    for (const [file, purpose] of [
      [nodeFile, 'sslserver'],
      [nodeFile, 'sslclient'],
      [clientFile, 'sslclient'],
    ] as const) {
      const result = await openssl(['verify', '-x509_strict', '-purpose', purpose, '-CAfile', caFile, file]);
      assert.ok(result.ok, `${purpose}: ${result.output}`);
      assert.match(result.output, /: OK/);
    }
    // A client certificate is not a server certificate.
    const misuse = await openssl(['verify', '-purpose', 'sslserver', '-CAfile', caFile, clientFile]);
    assert.equal(misuse.ok, false);
    // The node certificate's names, as openssl reads them.
    const names = await openssl(['x509', '-in', nodeFile, '-noout', '-ext', 'subjectAltName']);
    assert.match(names.output, /DNS:localhost, IP Address:127\.0\.0\.1/);
    // With the IP and host checks of openssl verify too.
    const host = await openssl([
      'verify',
      '-CAfile',
      caFile,
      '-verify_hostname',
      'localhost',
      '-verify_ip',
      '127.0.0.1',
      nodeFile,
    ]);
    assert.ok(host.ok, host.output);
  });

  it('openssl verify refuses a certificate against another CA', async () => {
    const other = await createClusterCa({ clusterId: 'interop' });
    const otherFile = join(dir, 'other-ca.pem');
    await writeFile(otherFile, other.certificatePem);
    const client = await createKeyAndCsr({ commonName: 'bob' });
    const clientFile = join(dir, 'bob.pem');
    await writeFile(clientFile, await issueCertificate(ca, client.csrPem, { profile: 'client' }));
    const result = await openssl(['verify', '-CAfile', otherFile, clientFile]);
    assert.equal(result.ok, false);
  });

  it('issues from CSRs made by openssl (RSA-2048 and P-384) and openssl verifies the result', async () => {
    for (const [name, keyArgs] of [
      ['rsa', ['-newkey', 'rsa:2048']],
      ['p384', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384']],
    ] as const) {
      const keyFile = join(dir, `${name}.key`);
      const csrFile = join(dir, `${name}.csr`);
      const made = await openssl([
        'req',
        '-new',
        ...keyArgs,
        '-nodes',
        '-keyout',
        keyFile,
        '-subj',
        `/CN=${name}-client`,
        '-out',
        csrFile,
      ]);
      assert.ok(made.ok, made.output);
      const certificatePem = await issueCertificate(ca, await readFile(csrFile, 'utf8'), { profile: 'client' });
      const certFile = join(dir, `${name}.pem`);
      await writeFile(certFile, certificatePem);
      const result = await openssl(['verify', '-x509_strict', '-purpose', 'sslclient', '-CAfile', caFile, certFile]);
      assert.ok(result.ok, result.output);
      const subject = await openssl(['x509', '-in', certFile, '-noout', '-subject']);
      assert.match(subject.output, new RegExp(`CN ?= ?${name}-client`));
    }
  });
});
