import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { writePkcs11Config } from '../src/cluster/pkcs11-config.js';
import {
  MODULE,
  PKCS11_BUILD,
  SANITIZED_BUILD,
  assertAllPassed,
  buildModule,
  noCompiler,
  start,
  stopAll,
  underValgrind,
} from './support/pkcs11-process.js';
import { startTestNode, type TestNode } from './support/test-node.js';

/**
 * Calls on many threads of one application, which the module combines into POST /v1/batch:
 * each call gets its own answer or its own error — a changed ciphertext, a refused caller IV,
 * a key turned off and a key unshared between C_EncryptInit and C_Encrypt, beside calls that
 * succeed in the same batch — and a login the node ended fails every combined call with
 * CKR_SESSION_HANDLE_INVALID. The C program (pkcs11/test/p11-combine-test.c) runs plain, under
 * valgrind and under ASan; the node's request log shows the batches were made.
 */
const COMBINE_TEST = join(PKCS11_BUILD, 'coffer-p11-combine-test');
const SANITIZED_COMBINE_TEST = join(SANITIZED_BUILD, 'coffer-p11-combine-test');

interface Key {
  handle: string;
}

describe('the PKCS#11 module combines concurrent calls', { skip: noCompiler }, () => {
  let t: TestNode;

  before(async () => {
    buildModule();
    t = await startTestNode();
  });

  after(async () => {
    stopAll();
    await t?.stop();
  });

  /** A login for the program, its keys, and the changes the test makes while the program waits. */
  const prepare = async (name: string) => {
    const user = await t.cryptoUser(name);
    const owner = await t.cryptoUser(`${name}_owner`);
    const key = async (token: string): Promise<Key> => {
      const made = await t.api.call<{ key: Key }>('POST', '/v1/keys/symmetric', {
        token,
        body: { keyType: 'aes', keyLengthBytes: 32 },
      });
      assert.equal(made.status, 201, made.text);
      return made.body.key;
    };
    const usable = await key(user.token);
    const turnedOff = await key(user.token);
    const unshared = await key(owner.token);
    const shared = await t.api.call('POST', `/v1/keys/${unshared.handle}/shares`, {
      token: owner.token,
      body: { username: name },
    });
    assert.equal(shared.status, 200, shared.text);
    const conf = join(t.root, `${name}.json`);
    await writePkcs11Config(conf, {
      endpoints: [t.node.url],
      caFile: t.dir.caCert,
      certFile: t.init.clientCert!,
      keyFile: t.init.clientKey!,
      // Generous: under valgrind on a busy machine a TLS handshake alone can take seconds.
      connectTimeoutMs: 60_000,
      requestTimeoutMs: 120_000,
    });
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      COFFER_PKCS11_CONF: conf,
      // One request on its way at a time: the other threads' calls queue and go together.
      COFFER_PKCS11_COMBINE_IN_FLIGHT: '1',
      COFFER_P11_TEST_USER_PIN: `${name}:${user.password}`,
      COFFER_P11_KEY_USABLE: usable.handle,
      COFFER_P11_KEY_TURNED_OFF: turnedOff.handle,
      COFFER_P11_KEY_UNSHARED: unshared.handle,
    };
    const changeKeys = async (): Promise<void> => {
      const off = await t.api.call('PATCH', `/v1/keys/${turnedOff.handle}`, {
        token: user.token,
        body: { attributes: { encrypt: false } },
      });
      assert.equal(off.status, 200, off.text);
      const gone = await t.api.call('DELETE', `/v1/keys/${unshared.handle}/shares/${name}`, { token: owner.token });
      assert.equal(gone.status, 200, gone.text);
    };
    // The user's own password change ends its other sessions: the program's login among them.
    const endLogin = async (): Promise<void> => {
      const changed = await t.api.call('PUT', '/v1/users/me/password', {
        token: user.token,
        body: { currentPassword: user.password, newPassword: `${user.password}-next` },
      });
      assert.equal(changed.status, 204, changed.text);
    };
    return { env, changeKeys, endLogin };
  };

  /** The batches the node served since `from` (its request log), by status. */
  const batches = (from: number): { ok: number; refused: number } => {
    const lines = t.logs.slice(from).map((line) => JSON.parse(line) as { url?: string; statusCode?: number });
    const batch = lines.filter((line) => line.url === '/v1/batch' && line.statusCode !== undefined);
    return {
      ok: batch.filter((line) => line.statusCode === 200).length,
      refused: batch.filter((line) => line.statusCode === 401).length,
    };
  };

  const runProgram = async (name: string, file: string, args: string[]): Promise<void> => {
    const { env, changeKeys, endLogin } = await prepare(name);
    const from = t.logs.length;
    const program = start(file, args, env, 600_000);
    await program.waitFor(/^READY 1$/m, 300_000);
    await changeKeys();
    program.child.stdin!.write('go\n');
    await program.waitFor(/^READY 2$/m, 300_000);
    await endLogin();
    program.child.stdin!.write('go\n');
    assertAllPassed(await program.done);
    const served = batches(from);
    assert.ok(served.ok > 0, `no batch of combined calls was served: ${JSON.stringify(served)}`);
  };

  test('eight threads: each call its own answer or error, a batch at a time', async () => {
    await runProgram('combine', COMBINE_TEST, [MODULE]);
  });

  test('the same under valgrind', async () => {
    const [file, args] = underValgrind(COMBINE_TEST, [MODULE]);
    await runProgram('combinevg', file, args);
  });

  test('the same under ASan and UBSan', async () => {
    await runProgram('combineasan', SANITIZED_COMBINE_TEST, [join(SANITIZED_BUILD, 'libcoffer-pkcs11.so')]);
  });
});
