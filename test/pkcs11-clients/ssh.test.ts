import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Daemon, Ran } from '../support/client-processes.js';
import { firstMissing, missing } from '../support/client-programs.js';
import { waitFor } from '../support/free-port.js';
import {
  CLIENT_MODULE,
  moduleMissing,
  publicKeyPem,
  startClientEnv,
  type Pkcs11ClientEnv,
} from '../support/pkcs11-client-env.js';

/**
 * OpenSSH with keys in the module: `ssh-keygen -D` lists them in OpenSSH's format; an ssh-agent
 * of the test's own loads them with `ssh-add -s` (the PIN through SSH_ASKPASS) and signs with
 * them — `ssh-keygen -Y sign` through the agent, checked by `ssh-keygen -Y verify`.
 */
const skip = firstMissing(moduleMissing, missing('pkcs11-tool', 'openssl', 'ssh-keygen', 'ssh-agent', 'ssh-add'));

const ok = (ran: Ran, what: string): void => assert.equal(ran.code, 0, `${what}:\n${ran.stdout}\n${ran.stderr}`);

/** The key type and blob of an OpenSSH public key line, without its comment. */
const blob = (line: string): string => line.trim().split(/\s+/).slice(0, 2).join(' ');

describe(`ssh-agent and ssh-keygen on the ${CLIENT_MODULE} module`, { skip }, () => {
  let p11: Pkcs11ClientEnv;
  let agent: Daemon | undefined;
  const file = (name: string): string => join(p11.dir, name);
  const socket = (): string => file('agent.sock');
  const keys: { label: string; type: string; id: string; openssh: string }[] = [
    { label: 'ssh-rsa', type: 'rsa:2048', id: 'd1', openssh: '' },
    { label: 'ssh-ec', type: 'EC:prime256v1', id: 'd2', openssh: '' },
  ];
  const withAgent = (): NodeJS.ProcessEnv => ({ SSH_AUTH_SOCK: socket() });

  before(async () => {
    p11 = await startClientEnv();
  });
  after(async () => {
    await agent?.stop('SIGTERM');
    await p11?.stop();
  });

  test('pkcs11-tool makes the keys; their public halves in OpenSSH format', async () => {
    for (const key of keys) {
      ok(
        await p11.userTool(
          ...['--keypairgen', '--key-type', key.type, '--label', key.label, '--id', key.id, '--usage-sign'],
        ),
        `keypairgen ${key.label}`,
      );
      const pub = await publicKeyPem(p11, key.id, key.label);
      ok(pub, `export ${key.label}`);
      const converted = await p11.run('ssh-keygen', ['-i', '-m', 'PKCS8', '-f', pub.pem]);
      ok(converted, 'ssh-keygen -i');
      key.openssh = blob(converted.stdout);
    }
  });

  test('ssh-keygen -D: the module’s public keys, in OpenSSH format, without a login', async () => {
    // It searches without C_Login: Coffer lists public objects so only under its cluster policy.
    await p11.allowPolicy('listPublicObjects');
    const ran = await p11.run('ssh-keygen', ['-D', p11.module]);
    ok(ran, 'ssh-keygen -D');
    const listed = ran.stdout.split('\n').filter(Boolean).map(blob);
    for (const key of keys) assert.ok(listed.includes(key.openssh), `${key.label} in:\n${ran.stdout}\n${ran.stderr}`);
  });

  test('ssh-agent -P <module>; ssh-add -s loads the keys with the PIN from SSH_ASKPASS', async () => {
    // ssh-agent allows PKCS#11 providers by their canonical path only (-P).
    const daemon = p11.start('ssh-agent', ['-D', '-a', socket(), '-P', p11.module]);
    agent = daemon;
    await waitFor(
      async () => existsSync(socket()),
      () => daemon.exited(),
      () => `ssh-agent did not start:\n${daemon.output()}`,
    );
    const askpass = file('askpass.sh');
    await writeFile(askpass, '#!/bin/sh\nprintf "%s\\n" "$P11_PIN"\n', { mode: 0o700 });
    const added = await p11.run('ssh-add', ['-s', p11.module], {
      env: {
        ...withAgent(),
        SSH_ASKPASS: askpass,
        SSH_ASKPASS_REQUIRE: 'force',
        DISPLAY: ':0',
        P11_PIN: p11.pin,
      },
    });
    ok(added, 'ssh-add -s');
    const listed = await p11.run('ssh-add', ['-L'], { env: withAgent() });
    ok(listed, 'ssh-add -L');
    const inAgent = listed.stdout.split('\n').filter(Boolean).map(blob);
    for (const key of keys) assert.ok(inAgent.includes(key.openssh), `${key.label} in the agent:\n${listed.stdout}`);
  });

  for (const [index, key] of keys.entries()) {
    test(`ssh-keygen -Y sign through the agent with ${key.label}; -Y verify accepts it`, async () => {
      assert.ok(agent && !agent.exited(), 'the agent runs');
      const { label, openssh } = keys[index]!;
      const pub = file(`${label}.pub`);
      await writeFile(pub, `${openssh}\n`);
      const data = file(`data-${label}.txt`);
      await writeFile(data, `signed through the agent with ${label}\n`);
      const signed = await p11.run('ssh-keygen', ['-Y', 'sign', '-f', pub, '-n', 'file', data], { env: withAgent() });
      ok(signed, 'ssh-keygen -Y sign');
      await writeFile(file('allowed_signers'), `tester ${openssh}\n`);
      const verify = ['-Y', 'verify', '-f', file('allowed_signers'), '-I', 'tester', '-n', 'file', '-s', `${data}.sig`];
      const verified = await p11.run('ssh-keygen', verify, { input: `signed through the agent with ${label}\n` });
      ok(verified, 'ssh-keygen -Y verify');
      assert.match(verified.stdout + verified.stderr, /Good "file" signature for tester/);
      const refused = await p11.run('ssh-keygen', verify, { input: 'other data\n' });
      assert.notEqual(refused.code, 0, 'the signature does not verify other data');
    });
  }
});
