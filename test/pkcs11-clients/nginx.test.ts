import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Daemon, Ran } from '../support/client-processes.js';
import { firstMissing, missing, missingEngine } from '../support/client-programs.js';
import { freePort, listening, waitFor } from '../support/free-port.js';
import { writeEngineConf } from '../support/openssl-engine-conf.js';
import {
  CLIENT_MODULE,
  moduleMissing,
  startClientEnv,
  uriValue,
  type Pkcs11ClientEnv,
} from '../support/pkcs11-client-env.js';

/**
 * nginx serving TLS 1.3 with its private keys in the module, through OpenSSL's pkcs11 engine.
 * The master loads the keys; the workers it forks sign each handshake, so the module must start
 * again in every child. curl checks the certificate; Coffer's audit log shows the signatures.
 */
const skip = firstMissing(moduleMissing, missing('pkcs11-tool', 'openssl', 'nginx', 'curl'), missingEngine());

const ok = (ran: Ran, what: string): void => assert.equal(ran.code, 0, `${what}:\n${ran.stdout}\n${ran.stderr}`);

interface Site {
  readonly label: string;
  readonly id: string;
  readonly keyType: string;
  /** The mechanism the node's audit names for a TLS 1.3 handshake with this key. */
  readonly mechanism: RegExp;
}

/** TLS 1.3 signs with an RSA key by RSA-PSS: libp11 hashes and sends CKM_RSA_PKCS_PSS over the digest. */
const SITES: readonly Site[] = [
  { label: 'nginx-rsa', id: 'b1', keyType: 'rsa:2048', mechanism: /^RSA_PKCS_PSS$/ },
  { label: 'nginx-ec', id: 'b2', keyType: 'EC:prime256v1', mechanism: /^ECDSA$/ },
];

/** The nginx.conf docs/integrations/nginx.md explains: one TLS 1.3 server, its key in the module. */
function nginxConf(prefix: string, keep: readonly string[], port: number, site: Site, keyUri: string): string {
  return [
    // Workers run as the master's user, which can read the module's config and client key.
    ...(process.getuid?.() === 0 ? ['user root;'] : []),
    'worker_processes 2;',
    `pid ${join(prefix, 'nginx.pid')};`,
    `error_log ${join(prefix, 'error.log')} info;`,
    // nginx clears the workers' environment; the module reads its configuration from it.
    ...keep.map((name) => `env ${name};`),
    'ssl_engine pkcs11;',
    'events { worker_connections 64; }',
    'http {',
    `  access_log ${join(prefix, 'access.log')};`,
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(
      (kind) => `  ${kind}_temp_path ${join(prefix, `${kind}-temp`)};`,
    ),
    '  server {',
    `    listen 127.0.0.1:${port} ssl;`,
    '    ssl_protocols TLSv1.3;',
    `    ssl_certificate ${join(prefix, `${site.label}.pem`)};`,
    `    ssl_certificate_key "engine:pkcs11:${keyUri}";`,
    `    root ${join(prefix, 'html')};`,
    '  }',
    '}',
    '',
  ].join('\n');
}

describe(`nginx with its TLS keys in the ${CLIENT_MODULE} module`, { skip }, () => {
  let p11: Pkcs11ClientEnv;
  const page = 'served with a key in the HSM\n';
  const handshakes = 3;
  const dir = (): string => join(p11.dir, 'nginx');
  const ca = (name: string): string => join(dir(), name);
  /** The CA's own steps run without the engine config: libp11 breaks software EC signing in
   * `openssl x509` (default_check: command not supported). */
  const software = (...args: string[]): Promise<Ran> => p11.run('openssl', args);

  before(async () => {
    p11 = await startClientEnv();
    await mkdir(dir());
    ok(
      await software(
        ...['req', '-new', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
        ...['-keyout', ca('ca.key'), '-subj', '/CN=nginx test CA', '-days', '2', '-out', ca('ca.pem')],
      ),
      'CA',
    );
    await writeFile(ca('san.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  });
  after(async () => {
    await p11?.stop();
  });

  for (const site of SITES) {
    describe(site.label, () => {
      let nginx: Daemon | undefined;
      let port = 0;
      let signsBefore = 0;
      const prefix = (): string => join(dir(), site.label);
      const file = (name: string): string => join(prefix(), name);
      const keyUri = (): string => `pkcs11:object=${site.label};type=private;pin-value=${uriValue(p11.pin)}`;

      before(async () => {
        await mkdir(join(prefix(), 'html'), { recursive: true });
        await writeFile(file('html/index.html'), page);
        await writeEngineConf(file('openssl.cnf'), p11.module);
        port = await freePort();
      });
      after(async () => {
        // SIGQUIT: nginx's graceful stop; SIGKILL to its process group after 5 s.
        await nginx?.stop('SIGQUIT');
      });

      test(`pkcs11-tool makes the ${site.keyType} key; a CA certifies it from a CSR the key signs`, async () => {
        const made = ['--keypairgen', '--key-type', site.keyType, '--label', site.label, '--id', site.id];
        ok(await p11.userTool(...made, '--usage-sign'), 'keypairgen');
        const csr = file(`${site.label}.csr`);
        const signed = await p11.run(
          'openssl',
          ['req', '-new', '-engine', 'pkcs11', '-keyform', 'engine', '-key', keyUri(), '-subj', '/CN=localhost'],
          { env: { OPENSSL_CONF: file('openssl.cnf') } },
        );
        ok(signed, 'CSR through the engine');
        await writeFile(csr, signed.stdout);
        ok(
          await software(
            ...['x509', '-req', '-in', csr, '-CA', ca('ca.pem'), '-CAkey', ca('ca.key'), '-set_serial', '7'],
            ...['-days', '1', '-extfile', ca('san.cnf'), '-out', file(`${site.label}.pem`)],
          ),
          'certificate',
        );
      });

      test('nginx starts: its master loads the key through the engine', async () => {
        const keep = ['OPENSSL_CONF', ...Object.keys(p11.moduleEnv)];
        await writeFile(file('nginx.conf'), nginxConf(prefix(), keep, port, site, keyUri()));
        if (p11.coffer) signsBefore = (await p11.coffer.eventsByUser('crypto.sign')).length;
        const args = ['-e', file('error.log'), '-p', prefix(), '-c', file('nginx.conf')];
        const daemon = p11.start('nginx', [...args, '-g', 'daemon off; master_process on;'], {
          env: { OPENSSL_CONF: file('openssl.cnf') },
        });
        nginx = daemon;
        await waitFor(
          () => listening(port),
          () => daemon.exited(),
          () => `nginx did not start:\n${daemon.output()}`,
        );
        const log = await readFile(file('error.log'), 'utf8');
        assert.doesNotMatch(log, /\[(emerg|alert|crit)\]/, log);
      });

      test(`curl --tlsv1.3: ${handshakes} handshakes, each signed in one of nginx's workers`, async () => {
        assert.ok(nginx && !nginx.exited(), 'nginx runs');
        const host = `localhost:${port}`;
        for (let request = 0; request < handshakes; request++) {
          const got = await p11.run('curl', [
            ...['--silent', '--show-error', '--tlsv1.3', '--cacert', ca('ca.pem')],
            ...['--resolve', `${host}:127.0.0.1`, `https://${host}/`],
          ]);
          if (got.code !== 0) ok(got, `curl; nginx's error.log:\n${await readFile(file('error.log'), 'utf8')}`);
          assert.equal(got.stdout, page);
        }
        const log = await readFile(file('error.log'), 'utf8');
        assert.doesNotMatch(log, /\[(emerg|alert|crit|error)\]/, log);
      });

      test(
        'the audit log: each handshake is a crypto.sign by the crypto user',
        { skip: CLIENT_MODULE !== 'coffer' ? 'the audit log is Coffer’s' : false },
        async () => {
          assert.ok(nginx && !nginx.exited(), 'nginx runs');
          const events = (await p11.coffer!.eventsByUser('crypto.sign')).slice(signsBefore);
          assert.ok(events.length >= handshakes, `${events.length} sign events for ${handshakes} handshakes`);
          for (const event of events) {
            assert.equal(event.result, 'success');
            assert.equal(event.actor, p11.coffer!.username);
            assert.match(String(event.details?.mechanism), site.mechanism);
          }
        },
      );
    });
  }
});
