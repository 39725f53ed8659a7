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
  readonly keyType: string;
  port: number;
}

/** The nginx.conf docs/integrations/nginx.md explains, for a prefix dir and the module's environment. */
function nginxConf(
  prefix: string,
  keep: readonly string[],
  sites: readonly Site[],
  keyUri: (s: Site) => string,
): string {
  const servers = sites.map((site) =>
    [
      '  server {',
      `    listen 127.0.0.1:${site.port} ssl;`,
      '    ssl_protocols TLSv1.3;',
      `    ssl_certificate ${join(prefix, `${site.label}.pem`)};`,
      `    ssl_certificate_key "engine:pkcs11:${keyUri(site)}";`,
      `    root ${join(prefix, 'html')};`,
      '  }',
    ].join('\n'),
  );
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
    ...servers,
    '}',
    '',
  ].join('\n');
}

describe(`nginx with its TLS keys in the ${CLIENT_MODULE} module`, { skip }, () => {
  let p11: Pkcs11ClientEnv;
  let nginx: Daemon | undefined;
  let openssl: (...args: string[]) => Promise<Ran>;
  let signsBefore = 0;
  const prefix = (): string => join(p11.dir, 'nginx');
  const file = (name: string): string => join(prefix(), name);
  const sites: Site[] = [
    { label: 'nginx-rsa', keyType: 'rsa:2048', port: 0 },
    { label: 'nginx-ec', keyType: 'EC:prime256v1', port: 0 },
  ];
  const keyUri = (site: Site, withPin = true): string =>
    `pkcs11:object=${site.label};type=private${withPin ? `;pin-value=${uriValue(p11.pin)}` : ''}`;
  const page = 'served with a key in the HSM\n';
  const handshakesPerSite = 3;

  before(async () => {
    p11 = await startClientEnv();
    await mkdir(join(p11.dir, 'nginx', 'html'), { recursive: true });
    await writeFile(file('html/index.html'), page);
    const conf = await writeEngineConf(file('openssl.cnf'), p11.module);
    openssl = (...args) => p11.run('openssl', args, { env: { OPENSSL_CONF: conf } });
    for (const site of sites) site.port = await freePort();
  });
  after(async () => {
    // SIGQUIT: nginx's graceful stop; SIGKILL to its process group after 5 s.
    await nginx?.stop('SIGQUIT');
    await p11?.stop();
  });

  test('pkcs11-tool makes the keys; a software CA certifies them from CSRs the keys sign', async () => {
    // The CA's own steps run without the engine config: libp11 breaks software EC signing in
    // `openssl x509` (default_check: command not supported).
    const software = (...args: string[]): Promise<Ran> => p11.run('openssl', args);
    ok(
      await software(
        ...['req', '-new', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
        ...['-keyout', file('ca.key'), '-subj', '/CN=nginx test CA', '-days', '2', '-out', file('ca.pem')],
      ),
      'CA',
    );
    await writeFile(file('san.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
    for (const [index, site] of sites.entries()) {
      const id = `b${index + 1}`;
      const made = ['--keypairgen', '--key-type', site.keyType, '--label', site.label, '--id', id, '--usage-sign'];
      ok(await p11.userTool(...made), `keypairgen ${site.label}`);
      const csr = file(`${site.label}.csr`);
      ok(
        await openssl(
          ...['req', '-new', '-engine', 'pkcs11', '-keyform', 'engine', '-key', keyUri(site)],
          ...['-subj', '/CN=localhost', '-out', csr],
        ),
        `CSR ${site.label}`,
      );
      ok(
        await software(
          ...[
            'x509',
            '-req',
            '-in',
            csr,
            '-CA',
            file('ca.pem'),
            '-CAkey',
            file('ca.key'),
            '-set_serial',
            `${index + 7}`,
          ],
          ...['-days', '1', '-extfile', file('san.cnf'), '-out', file(`${site.label}.pem`)],
        ),
        `certificate ${site.label}`,
      );
    }
  });

  test('nginx starts: its master loads both keys through the engine', async () => {
    const keep = ['OPENSSL_CONF', ...Object.keys(p11.moduleEnv)];
    await writeFile(
      file('nginx.conf'),
      nginxConf(prefix(), keep, sites, (site) => keyUri(site)),
    );
    if (p11.coffer) signsBefore = (await p11.coffer.eventsByUser('crypto.sign')).length;
    const args = ['-e', file('error.log'), '-p', prefix(), '-c', file('nginx.conf')];
    const daemon = p11.start('nginx', [...args, '-g', 'daemon off; master_process on;'], {
      env: { OPENSSL_CONF: file('openssl.cnf') },
    });
    nginx = daemon;
    const log = async (): Promise<string> => readFile(file('error.log'), 'utf8').catch(() => '');
    await waitFor(
      async () => (await Promise.all(sites.map((site) => listening(site.port)))).every(Boolean),
      () => daemon.exited(),
      () => `nginx did not start:\n${daemon.output()}`,
    );
    assert.doesNotMatch(await log(), /\[(emerg|alert|crit)\]/);
  });

  for (const [index, site] of sites.entries()) {
    test(`curl --tlsv1.3: ${handshakesPerSite} handshakes signed by ${site.label} in nginx's workers`, async () => {
      assert.ok(nginx && !nginx.exited(), 'nginx runs');
      for (let request = 0; request < handshakesPerSite; request++) {
        const host = `localhost:${sites[index]!.port}`;
        const got = await p11.run('curl', [
          ...['--silent', '--show-error', '--tlsv1.3', '--cacert', file('ca.pem')],
          ...['--resolve', `${host}:127.0.0.1`, `https://${host}/`],
        ]);
        ok(got, 'curl');
        assert.equal(got.stdout, page);
      }
      const log = await readFile(file('error.log'), 'utf8');
      assert.doesNotMatch(log, /\[(emerg|alert|crit|error)\]/, log);
    });
  }

  test(
    'the audit log: each handshake is a crypto.sign by the crypto user',
    { skip: CLIENT_MODULE !== 'coffer' && 'the audit log is Coffer’s' },
    async () => {
      const events = (await p11.coffer!.eventsByUser('crypto.sign')).slice(signsBefore);
      assert.ok(
        events.length >= sites.length * handshakesPerSite,
        `${events.length} sign events for ${sites.length * handshakesPerSite} handshakes`,
      );
      const mechanisms = new Set(events.map((event) => String(event.details?.mechanism)));
      assert.ok(
        [...mechanisms].some((name) => /PSS/.test(name)),
        `RSA-PSS among ${[...mechanisms].join(', ')}`,
      );
      assert.ok(
        [...mechanisms].some((name) => /ECDSA/.test(name)),
        `ECDSA among ${[...mechanisms].join(', ')}`,
      );
      assert.ok(events.every((event) => event.result === 'success' && event.actor === p11.coffer!.username));
    },
  );
});
