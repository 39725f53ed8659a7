import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Ran } from '../support/client-processes.js';
import { firstMissing, missing } from '../support/client-programs.js';
import { CLIENT_MODULE, moduleMissing, startClientEnv, type Pkcs11ClientEnv } from '../support/pkcs11-client-env.js';

/**
 * Java 17's own PKCS#11 provider, SunPKCS11, on the module: CofferJce.java (compiled here with
 * javac) loads the PKCS11 key store with the PIN, generates RSA, EC and AES keys, signs, encrypts
 * with AES-GCM and AES-CBC, and stores a certificate beside its private key. It prints one line
 * per check; each check is one test here.
 */
const skip = firstMissing(moduleMissing, missing('java', 'javac'));
const SOURCE = fileURLToPath(new URL('../../../test/pkcs11-clients/java/CofferJce.java', import.meta.url));

/** CofferJce's checks, in its order. */
const CHECKS = [
  'provider',
  'keystore-load',
  'rsa-keygen',
  'rsa-sign',
  'ec-keygen',
  'ec-sign',
  'aes-keygen',
  'aes-gcm',
  'aes-cbc',
  'keystore-store-certificate',
  'keystore-reload',
] as const;

/**
 * The SunPKCS11 configuration docs/integrations/java.md shows. Keys are generated as token
 * objects: KeyStore.setKeyEntry would otherwise C_CopyObject a session key to the token, and
 * Coffer copies no key (CKR_ACTION_PROHIBITED).
 */
function sunPkcs11Config(module: string, slot: number): string {
  return [
    'name = Coffer',
    `library = ${module}`,
    `slot = ${slot}`,
    'attributes(generate, *, *) = {',
    '  CKA_TOKEN = true',
    '}',
    '',
  ].join('\n');
}

describe(`Java SunPKCS11 on the ${CLIENT_MODULE} module`, { skip }, () => {
  let p11: Pkcs11ClientEnv;
  let ran: Ran;
  let refusedGcm: Ran | undefined;
  let java: (...checks: string[]) => Promise<Ran>;
  const results = new Map<string, string>();

  before(async () => {
    p11 = await startClientEnv();
    const classes = join(p11.dir, 'classes');
    const compiled = await p11.run('javac', ['-d', classes, SOURCE]);
    assert.equal(compiled.code, 0, `javac:\n${compiled.stdout}\n${compiled.stderr}`);
    const config = join(p11.dir, 'sunpkcs11.cfg');
    await writeFile(config, sunPkcs11Config(p11.module, p11.slotId));
    java = (...checks) =>
      p11.run('java', ['-cp', classes, 'CofferJce', config, p11.pin, ...checks], { timeoutMs: 300_000 });
    if (p11.coffer) refusedGcm = await java('aes-gcm');
    // SunPKCS11 sends its own AES-GCM IV in CK_GCM_PARAMS.
    await p11.allowPolicy('allowCallerIv');
    ran = await java();
    for (const line of ran.stdout.split('\n')) {
      const match = /^(ok|not ok) ([\w-]+)(?::\s*(.*))?$/.exec(line);
      if (match) results.set(match[2]!, match[1] === 'ok' ? 'ok' : (match[3] ?? 'failed'));
    }
  });
  after(async () => {
    await p11?.stop();
  });

  for (const check of CHECKS) {
    test(check, () => {
      const result = results.get(check);
      assert.ok(result !== undefined, `CofferJce printed no line for ${check}:\n${ran.stdout}\n${ran.stderr}`);
      assert.equal(result, 'ok');
    });
  }

  test(
    'before an admin allows caller IVs, the node refuses SunPKCS11’s AES-GCM IV',
    { skip: CLIENT_MODULE !== 'coffer' && 'the caller-IV policy is Coffer’s' },
    () => {
      assert.ok(refusedGcm);
      // The module's C_EncryptInit asks the node nothing; the node refuses the caller IV at the
      // call that encrypts (C_Encrypt or C_EncryptUpdate, whichever SunPKCS11 makes first).
      assert.match(
        refusedGcm.stdout,
        /^not ok aes-gcm: .*CKR_MECHANISM_PARAM_INVALID/m,
        `${refusedGcm.stdout}\n${refusedGcm.stderr}`,
      );
      assert.doesNotMatch(refusedGcm.stdout, /^not ok (?!aes-gcm)/m, 'only GCM is refused');
    },
  );

  test('CofferJce exits 0 and checks nothing else', () => {
    assert.deepEqual([...results.keys()], [...CHECKS]);
    assert.equal(ran.code, 0, `${ran.stdout}\n${ran.stderr}`);
  });
});
