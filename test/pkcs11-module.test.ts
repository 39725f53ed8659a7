import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  constants,
  createDecipheriv,
  createHmac,
  createPublicKey,
  generateKeyPairSync,
  hkdfSync,
  privateDecrypt,
  publicDecrypt,
  verify,
  X509Certificate,
} from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { devUp } from '../src/cluster/dev-up.js';
import type { RunningNode } from '../src/cluster/node.js';
import { writePkcs11Config } from '../src/cluster/pkcs11-config.js';
import { UNDER_VALGRIND_TIMEOUTS } from './support/pkcs11-timeouts.js';
import { createLogger } from '../src/util/logger.js';
import { p256 } from '@noble/curves/nist.js';
import {
  MODULE,
  PKCS11_BUILD,
  SANITIZED_BUILD,
  assertAllPassed,
  buildModule,
  has,
  noCompiler,
  run,
  stopAll,
  type Run,
} from './support/pkcs11-process.js';
import { startTestNode, type TestNode } from './support/test-node.js';
import { withOpenssl } from './support/testing-openssl.js';

/**
 * The PKCS#11 module (pkcs11/) against a real node: the real pkcs11-tool (opensc) loads
 * libcoffer-pkcs11.so, and the module's own C test programs check argument handling, session
 * and login states, threads and the fork rule, and the object and key-generation functions
 * (two crypto users, R/O sessions, session objects) — under valgrind when it is installed, and
 * built with ASan and UBSan. Every process started here is stopped in `after`, also when a
 * test fails.
 */
const C_TEST = join(PKCS11_BUILD, 'coffer-p11-test');
const C_CRYPTO_TEST = join(PKCS11_BUILD, 'coffer-p11-crypto-test');
const C_OBJECTS_TEST = join(PKCS11_BUILD, 'coffer-p11-objects-test');
const C_UNIT_TEST = join(PKCS11_BUILD, 'coffer-unit-test');
const SANITIZED = SANITIZED_BUILD;

const skipAll = noCompiler;
const skipTool = !has('pkcs11-tool') ? 'pkcs11-tool is missing: `make test` installs opensc' : false;

describe('the PKCS#11 module', { skip: skipAll }, () => {
  let t: TestNode;
  let env: NodeJS.ProcessEnv;
  let userPin: string;
  let userToken: string;
  let user2Pin: string;
  let certificateFile: string;

  const tool = (...args: string[]): Promise<Run> => run('pkcs11-tool', ['--module', MODULE, ...args], env);

  before(async () => {
    buildModule();
    t = await startTestNode();
    const user = await t.cryptoUser('p11user');
    userPin = `p11user:${user.password}`;
    userToken = user.token;
    const user2 = await t.cryptoUser('p11other');
    user2Pin = `p11other:${user2.password}`;
    // The cluster's CA certificate, as DER: a real X.509 certificate for C_CreateObject.
    certificateFile = join(t.root, 'certificate.der');
    await writeFile(certificateFile, new X509Certificate(await readFile(t.dir.caCert)).raw);
    const conf = join(t.root, 'pkcs11.json');
    await writePkcs11Config(conf, {
      endpoints: [t.node.url],
      caFile: t.dir.caCert,
      certFile: t.init.clientCert!,
      keyFile: t.init.clientKey!,
      ...UNDER_VALGRIND_TIMEOUTS,
    });
    env = { PATH: process.env.PATH, COFFER_PKCS11_CONF: conf };
  });

  after(async () => {
    stopAll();
    await t?.stop();
  });

  test('pkcs11-tool -I: the library', { skip: skipTool }, async () => {
    const answer = await tool('-I');
    assert.equal(answer.code, 0, answer.stderr);
    assert.match(answer.stdout, /Cryptoki version 2\.40/);
    assert.match(answer.stdout, /Manufacturer\s+Coffer/);
    assert.match(answer.stdout, /Library\s+Coffer PKCS#11 module \(ver 0\.1\)/);
  });

  test('pkcs11-tool -L: one slot, its token labelled and numbered by the cluster', { skip: skipTool }, async () => {
    const answer = await tool('-L');
    assert.equal(answer.code, 0, answer.stderr);
    const serial = t.init.clusterId.replaceAll('-', '').slice(0, 16).toUpperCase();
    assert.match(answer.stdout, new RegExp(`token label\\s+: Coffer ${serial.slice(0, 8)}`));
    assert.match(answer.stdout, new RegExp(`serial num\\s+: ${serial}`));
    assert.match(answer.stdout, /token flags\s+:.*login required/);
    assert.match(answer.stdout, /token flags\s+:.*rng/);
  });

  test('pkcs11-tool -M: the node’s mechanisms, without a login', { skip: skipTool }, async () => {
    const answer = await tool('-M');
    assert.equal(answer.code, 0, answer.stderr);
    for (const name of ['AES-GCM', 'SHA256-RSA-PKCS', 'ECDSA', 'SHA256-HMAC', 'AES-KEY-WRAP', 'SHA256'])
      assert.match(answer.stdout, new RegExp(`^\\s+${name}[,\\s]`, 'm'), name);
    assert.match(answer.stdout, /AES-GCM, keySize=\{16,32\}, encrypt, decrypt, wrap, unwrap/);
    assert.match(answer.stdout, /SHA256-RSA-PKCS, keySize=\{2048,4096\}, sign, verify/);
    assert.doesNotMatch(answer.stdout, /AES-ECB/, 'ECB is no data mechanism');
    assert.match(answer.stdout, /AES-KEY-GEN, keySize=\{16,32\}, generate/);
    assert.match(answer.stdout, /RSA-PKCS-KEY-PAIR-GEN, keySize=\{2048,4096\}, generate_key_pair/);
    assert.match(answer.stdout, /ECDSA-KEY-PAIR-GEN, keySize=\{256,521\}, generate_key_pair/);
  });

  test('pkcs11-tool --keypairgen, --keygen, -O: keys made on the node and listed', { skip: skipTool }, async () => {
    const login = ['--login', '--pin', userPin];
    const rsa = await tool(...login, '--keypairgen', '--key-type', 'rsa:2048', '--label', 'tool-rsa', '--id', '01');
    assert.equal(rsa.code, 0, rsa.stderr);
    assert.match(rsa.stdout, /Private Key Object; RSA/);
    assert.match(rsa.stdout, /Public Key Object; RSA 2048 bits/);
    // pkcs11-tool's default EC usage asks CKA_DERIVE on both halves too: kept, it grants nothing.
    const ec = await tool(...login, '--keypairgen', '--key-type', 'EC:prime256v1', '--label', 'tool-ec');
    assert.equal(ec.code, 0, ec.stderr);
    assert.match(ec.stdout, /Public Key Object; EC/);
    const aes = await tool(...login, '--keygen', '--key-type', 'AES:32', '--label', 'tool-aes', '--id', '03');
    assert.equal(aes.code, 0, aes.stderr);
    assert.match(aes.stdout, /Secret Key Object; AES length 32/);

    const listed = await tool(...login, '-O');
    assert.equal(listed.code, 0, listed.stderr);
    for (const label of ['tool-rsa', 'tool-ec', 'tool-aes'])
      assert.match(listed.stdout, new RegExp(`label:\\s+${label}$`, 'm'), label);
    assert.equal(listed.stdout.match(/label:\s+tool-rsa$/gm)?.length, 2, 'both halves of the RSA pair');
    // Without a login nothing shows: Coffer has no public objects.
    const anonymous = await tool('-O');
    assert.equal(anonymous.code, 0, anonymous.stderr);
    assert.doesNotMatch(anonymous.stdout, /tool-/);
    // The other user sees none of them.
    const other = await tool('--login', '--pin', user2Pin, '-O');
    assert.equal(other.code, 0, other.stderr);
    assert.doesNotMatch(other.stdout, /tool-/);
  });

  test('pkcs11-tool --write-object, --read-object, --delete-object: a certificate', { skip: skipTool }, async () => {
    const login = ['--login', '--pin', userPin];
    const cert = ['--type', 'cert', '--label', 'tool-cert'];
    const written = await tool(...login, '--write-object', certificateFile, ...cert, '--id', '04');
    assert.equal(written.code, 0, written.stderr);
    assert.match(written.stdout, /Certificate Object; type = X\.509 cert/);
    assert.match(written.stdout, /subject:\s+DN: CN=Coffer Cluster CA/, 'the subject, taken from the certificate');
    const back = join(t.root, 'certificate-back.der');
    const read = await tool(...login, '--read-object', ...cert, '--output-file', back);
    assert.equal(read.code, 0, read.stderr);
    assert.deepEqual(await readFile(back), await readFile(certificateFile));
    const deleted = await tool(...login, '--delete-object', ...cert);
    assert.equal(deleted.code, 0, deleted.stderr);
    const listed = await tool(...login, '-O', '--type', 'cert');
    assert.equal(listed.code, 0, listed.stderr);
    assert.doesNotMatch(listed.stdout, /tool-cert/);
  });

  test('pkcs11-tool --login --pin wrong: CKR_PIN_INCORRECT', { skip: skipTool }, async () => {
    const answer = await tool('--login', '--pin', 'p11user:not-the-password', '-O');
    assert.notEqual(answer.code, 0);
    assert.match(answer.stderr, /CKR_PIN_INCORRECT/);
  });

  test('pkcs11-tool --generate-random 32: 32 bytes from the node', { skip: skipTool }, async () => {
    const out = join(t.root, 'random.bin');
    const answer = await tool('--login', '--pin', userPin, '--generate-random', '32', '--output-file', out);
    assert.equal(answer.code, 0, answer.stderr);
    const bytes = await readFile(out);
    assert.equal(bytes.length, 32);
    assert.notDeepEqual(bytes, Buffer.alloc(32));
  });

  const cTestEnv = (): NodeJS.ProcessEnv => ({
    ...env,
    COFFER_P11_TEST_USER_PIN: userPin,
    COFFER_P11_TEST_SO_PIN: `admin:${t.adminPassword}`,
    COFFER_P11_TEST_USER2_PIN: user2Pin,
    COFFER_P11_TEST_CERT: certificateFile,
  });

  const sanitizerEnv = (): NodeJS.ProcessEnv => ({
    ...cTestEnv(),
    ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0',
    UBSAN_OPTIONS: 'print_stacktrace=1',
  });

  /** Runs a C test program under valgrind's memcheck when it is installed: any invalid access,
      or memory definitely or possibly lost, fails the run. */
  const underValgrind = (program: string, args: readonly string[]): Promise<Run> =>
    has('valgrind')
      ? run('valgrind', ['--error-exitcode=1', '--leak-check=full', '--quiet', program, ...args], cTestEnv(), 300_000)
      : run(program, args, cTestEnv());

  test('the C test programs under ASan and UBSan (make -C pkcs11 sanitize)', async () => {
    for (const program of ['coffer-p11-test', 'coffer-p11-objects-test']) {
      const answer = await run(
        join(SANITIZED, program),
        [join(SANITIZED, 'libcoffer-pkcs11.so')],
        sanitizerEnv(),
        120_000,
      );
      assertAllPassed(answer);
      assert.doesNotMatch(answer.stderr, /Sanitizer/, answer.stderr);
    }
    const unit = await run(join(SANITIZED, 'coffer-unit-test'), [], sanitizerEnv());
    assertAllPassed(unit);
    assert.doesNotMatch(unit.stderr, /Sanitizer/, unit.stderr);
  });

  test('the C test program: arguments, states, threads, fork (under valgrind when present)', async () => {
    assertAllPassed(await underValgrind(C_TEST, [MODULE]));
  });

  test('the C object test: generate, find, attributes, create/copy/destroy, R/O sessions, two users', async () => {
    assertAllPassed(await underValgrind(C_OBJECTS_TEST, [MODULE]));
  });

  test('the C unit checks: the template codec (under valgrind when present)', async () => {
    assertAllPassed(await underValgrind(C_UNIT_TEST, []));
  });

  const api = <T = Record<string, unknown>>(method: string, path: string, body?: unknown) =>
    t.api.call<T>(method, path, { token: userToken, body });
  const b64 = (bytes: Buffer): string => bytes.toString('base64');
  const hex = (text: string): Buffer => Buffer.from(text === '-' ? '' : text, 'hex');

  interface Key {
    readonly handle: string;
  }

  const outsideRsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const KDF_BASE_VALUE = Buffer.from('a KDF base key this test knows!!');

  /** Fresh keys for one run of the crypto test (its usage counts are that run's alone). */
  async function cryptoKeys(): Promise<Record<string, Key>> {
    const symmetric = async (keyType: string, attributes: Record<string, boolean>): Promise<Key> => {
      const answer = await api<{ key: Key }>('POST', '/v1/keys/symmetric', { keyType, keyLengthBytes: 32, attributes });
      assert.equal(answer.status, 201, answer.text);
      return answer.body.key;
    };
    const pair = async (shape: Record<string, unknown>, privateAttributes: object, publicAttributes: object) => {
      const answer = await api<{ privateKey: Key; publicKey: Key }>('POST', '/v1/keys/pairs', {
        ...shape,
        privateAttributes,
        publicAttributes,
      });
      assert.equal(answer.status, 201, answer.text);
      return answer.body;
    };
    const rsa = await pair(
      { keyType: 'rsa', modulusBits: 2048 },
      { sign: true, decrypt: true },
      { verify: true, encrypt: true },
    );
    const ec = await pair({ keyType: 'ec', curve: 'secp256r1' }, { sign: true }, { verify: true });
    const ed = await pair({ keyType: 'ec-edwards', curve: 'ed25519' }, { sign: true }, { verify: true });
    // A public key from outside, whose private half this test holds: what the module encrypts
    // with it is decrypted here, by OpenSSL.
    const imported = await api<{ key: Key }>('POST', '/v1/keys/import', {
      pem: outsideRsa.publicKey.export({ type: 'spki', format: 'pem' }),
      attributes: { encrypt: true },
    });
    assert.equal(imported.status, 201, imported.text);
    // Wrap and derive: a wrapping key, a key it may wrap, an RSA pair that wraps, two ECDH
    // parties, and a KDF base key of a value this test knows (imported while an admin allows it).
    const rsaKek = await pair({ keyType: 'rsa', modulusBits: 2048 }, { unwrap: true }, { wrap: true });
    const ecA = await pair({ keyType: 'ec', curve: 'secp256r1' }, { derive: true }, {});
    const ecB = await pair({ keyType: 'ec', curve: 'secp256r1' }, { derive: true }, {});
    const admin = await t.api.login('admin', t.adminPassword);
    const policy = (allowPlaintextImport: boolean) =>
      t.api.call('PUT', '/v1/cluster/policy', { token: admin, body: { allowPlaintextImport } });
    assert.equal((await policy(true)).status, 200);
    let kdfBase;
    try {
      kdfBase = await api<{ key: Key }>('POST', '/v1/keys/import', {
        keyType: 'generic-secret',
        value: b64(KDF_BASE_VALUE),
        attributes: { derive: true },
      });
    } finally {
      assert.equal((await policy(false)).status, 200);
    }
    assert.equal(kdfBase.status, 201, kdfBase.text);
    return {
      KEK: await symmetric('aes', { wrap: true, unwrap: true, encrypt: false, decrypt: false }),
      TARGET: await symmetric('aes', { encrypt: true, decrypt: true, extractable: true }),
      RSA_KEK_PUBLIC: rsaKek.publicKey,
      RSA_KEK_PRIVATE: rsaKek.privateKey,
      EC_A_PRIVATE: ecA.privateKey,
      EC_A_PUBLIC: ecA.publicKey,
      EC_B_PRIVATE: ecB.privateKey,
      EC_B_PUBLIC: ecB.publicKey,
      KDF_BASE: kdfBase.body.key,
      RSA_IMPORTED: imported.body.key,
      AES: await symmetric('aes', { encrypt: true, decrypt: true }),
      AES_ONCE: await symmetric('aes', { encrypt: true, decrypt: true }),
      AES_REVOKED: await symmetric('aes', { encrypt: true, decrypt: true }),
      CMAC: await symmetric('aes', { sign: true, verify: true, encrypt: false, decrypt: false }),
      HMAC: await symmetric('generic-secret', { sign: true, verify: true }),
      RSA_PRIVATE: rsa.privateKey,
      RSA_PUBLIC: rsa.publicKey,
      EC_PRIVATE: ec.privateKey,
      EC_PUBLIC: ec.publicKey,
      ED_PRIVATE: ed.privateKey,
      ED_PUBLIC: ed.publicKey,
    };
  }

  /** The keys' handles, and a ciphertext and a signature the node made, for the C program. */
  async function cryptoEnv(keys: Record<string, Key>, out: string): Promise<NodeJS.ProcessEnv> {
    const encrypted = await api<{ ciphertext: string; iv: string }>('POST', '/v1/crypto/encrypt', {
      keyHandle: keys.AES!.handle,
      mechanism: 'AES_GCM',
      plaintext: b64(Buffer.from("made by the node's")),
    });
    assert.equal(encrypted.status, 200, encrypted.text);
    const signed = await api<{ signature: string }>('POST', '/v1/crypto/sign', {
      keyHandle: keys.EC_PRIVATE!.handle,
      mechanism: 'ECDSA_SHA256',
      data: b64(Buffer.from('signed by the node')),
    });
    assert.equal(signed.status, 200, signed.text);
    const handles = Object.fromEntries(
      Object.entries(keys).map(([name, key]) => [`COFFER_P11_KEY_${name}`, key.handle]),
    );
    return {
      ...env,
      ...handles,
      COFFER_P11_TEST_USER_PIN: userPin,
      COFFER_P11_CRYPTO_OUT: out,
      COFFER_P11_NODE_GCM_IV: Buffer.from(encrypted.body.iv, 'base64').toString('hex'),
      COFFER_P11_NODE_GCM_CIPHERTEXT: Buffer.from(encrypted.body.ciphertext, 'base64').toString('hex'),
      COFFER_P11_NODE_ECDSA_SIGNATURE: Buffer.from(signed.body.signature, 'base64').toString('hex'),
    };
  }

  const publicPem = async (key: Key): Promise<string> => {
    const answer = await api<{ pem: string }>('GET', `/v1/keys/${key.handle}/public-key`);
    assert.equal(answer.status, 200, answer.text);
    return answer.body.pem;
  };

  /** What the module made, checked without it: OpenSSL (node:crypto), noble, and the node's /v1 API. */
  async function checkOutputs(keys: Record<string, Key>, out: string): Promise<void> {
    const lines = new Map(
      (await readFile(out, 'utf8'))
        .trim()
        .split('\n')
        .map((line) => {
          const [name, ...fields] = line.split(' ');
          return [name!, fields.map(hex)] as const;
        }),
    );
    const line = (name: string): Buffer[] => {
      const fields = lines.get(name);
      assert.ok(fields, `the C program wrote no ${name} line`);
      return fields;
    };
    // The buffer protocol asked the node once: the key was used once (C_EncryptInit's begin).
    const usage = await api<{ usage: { total: number; operations: Record<string, number> } }>(
      'GET',
      `/v1/keys/${keys.AES_ONCE!.handle}/usage`,
    );
    assert.equal(usage.status, 200, usage.text);
    assert.deepEqual([usage.body.usage.total, usage.body.usage.operations.encrypt], [1, 1]);

    const decrypt = async (key: Key, mechanism: string, ciphertext: Buffer, params: Record<string, unknown>) => {
      const answer = await api<{ plaintext: string }>('POST', '/v1/crypto/decrypt', {
        keyHandle: key.handle,
        mechanism,
        ciphertext: b64(ciphertext),
        ...params,
      });
      assert.equal(answer.status, 200, `${mechanism}: ${answer.text}`);
      return Buffer.from(answer.body.plaintext, 'base64');
    };
    const [gcmIv, aad, gcmCiphertext, gcmPlain] = line('gcm');
    assert.deepEqual(
      await decrypt(keys.AES!, 'AES_GCM', gcmCiphertext!, { iv: b64(gcmIv!), aad: b64(aad!) }),
      gcmPlain,
    );
    const [onceIv, onceCiphertext, oncePlain] = line('once');
    assert.deepEqual(await decrypt(keys.AES_ONCE!, 'AES_GCM', onceCiphertext!, { iv: b64(onceIv!) }), oncePlain);
    const [cbcIv, cbcCiphertext, cbcPlain] = line('cbc-pad');
    assert.deepEqual(await decrypt(keys.AES!, 'AES_CBC_PAD', cbcCiphertext!, { iv: b64(cbcIv!) }), cbcPlain);
    const [oaepCiphertext, oaepPlain] = line('oaep');
    const oaepParams = { hash: 'sha256', oaepLabel: b64(Buffer.from('label')) };
    assert.deepEqual(await decrypt(keys.RSA_PRIVATE!, 'RSA_PKCS_OAEP', oaepCiphertext!, oaepParams), oaepPlain);

    const rsaPem = await publicPem(keys.RSA_PUBLIC!);
    const rsaChecks: [string, string, object][] = [
      ['sha256-rsa-pkcs', 'sha256', { padding: constants.RSA_PKCS1_PADDING }],
      ['sha1-rsa-pkcs', 'sha1', { padding: constants.RSA_PKCS1_PADDING }],
      ['sha256-rsa-pss', 'sha256', { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }],
      ['sha384-rsa-pss', 'sha384', { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 20 }],
      // CKM_RSA_PKCS_PSS signed SHA-256(data), made by C_Digest: it verifies over the data.
      ['rsa-pkcs-pss', 'sha256', { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }],
    ];
    for (const [name, hash, options] of rsaChecks) {
      const [data, signature] = line(name);
      assert.ok(verify(hash, data!, { key: rsaPem, ...options }, signature!), name);
    }
    // SHA-384 with MGF1 over SHA-1 and no salt: OpenSSL's dgst takes the same three choices.
    const [mixedData, mixedSignature] = line('rsa-pkcs-pss-sha384-mgf1-sha1');
    const sigopts = ['rsa_padding_mode:pss', 'rsa_pss_saltlen:0', 'rsa_mgf1_md:sha1'].flatMap((o) => ['-sigopt', o]);
    const mixedFiles = { 'pub.pem': rsaPem, 'data.bin': mixedData!, 'sig.bin': mixedSignature! };
    const dgst = ['dgst', '-sha384', ...sigopts, '-verify', 'pub.pem', '-signature', 'sig.bin', 'data.bin'];
    assert.match(withOpenssl(mixedFiles, dgst).toString(), /Verified OK/);
    const [rsaRawData, rsaRawSignature] = line('rsa-pkcs');
    const recovered = publicDecrypt({ key: rsaPem, padding: constants.RSA_PKCS1_PADDING }, rsaRawSignature!);
    assert.deepEqual(recovered, rsaRawData, 'CKM_RSA_PKCS signs the bytes given');
    const ecPem = await publicPem(keys.EC_PUBLIC!);
    const [ecData, ecSignature] = line('ecdsa-sha256');
    assert.ok(
      verify('sha256', ecData!, { key: ecPem, dsaEncoding: 'ieee-p1363' }, ecSignature!),
      'ECDSA_SHA256 is r‖s',
    );
    const jwk = createPublicKey(ecPem).export({ format: 'jwk' });
    const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
    const [digest, rawSignature] = line('ecdsa');
    assert.ok(
      p256.verify(rawSignature!, digest!, point, { prehash: false, lowS: false }),
      'CKM_ECDSA signs the digest given',
    );
    const [edData, edSignature] = line('eddsa');
    assert.ok(verify(null, edData!, await publicPem(keys.ED_PUBLIC!), edSignature!), 'EdDSA');
    for (const [name, mechanism, key] of [
      ['sha256-hmac', 'SHA256_HMAC', keys.HMAC!],
      ['sha512-hmac', 'SHA512_HMAC', keys.HMAC!],
      ['aes-cmac', 'AES_CMAC', keys.CMAC!],
    ] as const) {
      const [data, mac] = line(name);
      const answer = await api('POST', '/v1/crypto/verify', {
        keyHandle: key.handle,
        mechanism,
        data: b64(data!),
        signature: b64(mac!),
      });
      assert.equal(answer.status, 200, `${name}: ${answer.text}`);
    }
    // The derived keys, computed here: HKDF (RFC 5869) and SP 800-108 counter mode with HMAC.
    const decryptBlock = (key: Buffer, block: Buffer): Buffer =>
      createDecipheriv('aes-256-cbc', key, Buffer.alloc(16)).setAutoPadding(false).update(block);
    const [hkdfBlock, hkdfPlain] = line('hkdf');
    const hkdfKey = Buffer.from(hkdfSync('sha256', KDF_BASE_VALUE, 'salt', 'info', 32));
    assert.deepEqual(decryptBlock(hkdfKey, hkdfBlock!), hkdfPlain);
    const [kdfBlock, kdfPlain] = line('kdf108');
    const fixed = Buffer.concat([Buffer.from('label\0context'), Buffer.from([0, 0, 1, 0])]);
    const kdfKey = createHmac('sha256', KDF_BASE_VALUE)
      .update(Buffer.from([0, 0, 0, 1]))
      .update(fixed)
      .digest();
    assert.deepEqual(decryptBlock(kdfKey, kdfBlock!), kdfPlain);

    const [importedOaep, importedOaepPlain] = line('oaep-imported');
    const oaepOptions = { key: outsideRsa.privateKey, oaepHash: 'sha256', oaepLabel: Buffer.from('label') };
    assert.deepEqual(
      privateDecrypt({ ...oaepOptions, padding: constants.RSA_PKCS1_OAEP_PADDING }, importedOaep!),
      importedOaepPlain,
    );
    // PKCS#1 v1.5 decryption, which node:crypto refuses (Marvin), through the openssl command.
    const [pkcsCiphertext, pkcsPlain] = line('rsa-pkcs-encrypt');
    const keyFile = join(t.root, 'outside-rsa.pem');
    const inFile = join(t.root, 'rsa-pkcs.bin');
    await writeFile(keyFile, outsideRsa.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    await writeFile(inFile, pkcsCiphertext!);
    const opened = spawnSync('openssl', [
      'pkeyutl',
      '-decrypt',
      '-inkey',
      keyFile,
      '-in',
      inFile,
      '-pkeyopt',
      'rsa_padding_mode:pkcs1',
    ]);
    assert.equal(opened.status, 0, opened.stderr?.toString());
    assert.deepEqual(opened.stdout, pkcsPlain);
  }

  test(
    'pkcs11-tool --sign/--verify SHA256-RSA-PKCS and ECDSA-SHA256, checked by OpenSSL',
    { skip: skipTool },
    async () => {
      const login = ['--login', '--pin', userPin];
      // pkcs11-tool picks the key for --verify and --decrypt by CKA_ID alone: each has its own.
      const made = async (shape: object, privateAttributes: object, publicAttributes: object, id: string) => {
        const answer = await api<{ privateKey: Key; publicKey: Key }>('POST', '/v1/keys/pairs', {
          ...shape,
          id,
          privateAttributes,
          publicAttributes,
        });
        assert.equal(answer.status, 201, answer.text);
        return answer.body;
      };
      const rsa = await made({ keyType: 'rsa', modulusBits: 2048 }, { sign: true }, { verify: true }, 'c0ff0e01');
      const ec = await made({ keyType: 'ec', curve: 'secp256r1' }, { sign: true }, { verify: true }, 'c0ff0e02');
      const data = join(t.root, 'tool-data.bin');
      await writeFile(data, Buffer.from('what pkcs11-tool signs'));
      const cases = [
        ['SHA256-RSA-PKCS', 'c0ff0e01', rsa.publicKey, { padding: constants.RSA_PKCS1_PADDING }],
        ['ECDSA-SHA256', 'c0ff0e02', ec.publicKey, { dsaEncoding: 'ieee-p1363' }],
      ] as const;
      for (const [mechanism, id, publicKey, options] of cases) {
        const signature = join(t.root, `tool-${id}.sig`);
        const signed = await tool(
          ...login,
          '--sign',
          '--mechanism',
          mechanism,
          '--id',
          id,
          '--input-file',
          data,
          '--output-file',
          signature,
        );
        assert.equal(signed.code, 0, signed.stderr);
        const bytes = await readFile(signature);
        assert.ok(
          verify('sha256', await readFile(data), { key: await publicPem(publicKey), ...options }, bytes),
          mechanism,
        );
        const verified = await tool(
          ...login,
          '--verify',
          '--mechanism',
          mechanism,
          '--id',
          id,
          '--input-file',
          data,
          '--signature-file',
          signature,
        );
        assert.equal(verified.code, 0, verified.stderr);
        assert.match(verified.stdout, /Signature is valid/);
        await writeFile(signature, Buffer.from(bytes.map((byte, i) => (i === 10 ? byte ^ 1 : byte))));
        const refused = await tool(
          ...login,
          '--verify',
          '--mechanism',
          mechanism,
          '--id',
          id,
          '--input-file',
          data,
          '--signature-file',
          signature,
        );
        assert.match(`${refused.stdout}${refused.stderr}`, /Invalid signature|CKR_SIGNATURE_INVALID/);
      }
    },
  );

  test(
    'pkcs11-tool --encrypt/--decrypt AES-CBC-PAD --iv, and the node decrypts what it encrypted',
    { skip: skipTool },
    async () => {
      const login = ['--login', '--pin', userPin];
      const key = await api<{ key: Key }>('POST', '/v1/keys/symmetric', {
        keyType: 'aes',
        keyLengthBytes: 32,
        id: 'c0ff0e03',
        attributes: { encrypt: true, decrypt: true },
      });
      assert.equal(key.status, 201, key.text);
      const iv = '000102030405060708090a0b0c0d0e0f';
      const plain = join(t.root, 'tool-plain.bin');
      const sealed = join(t.root, 'tool-sealed.bin');
      const opened = join(t.root, 'tool-opened.bin');
      const text = Buffer.from('pkcs11-tool encrypts 45 bytes with AES-CBC-PAD');
      await writeFile(plain, text);
      const common = ['--mechanism', 'AES-CBC-PAD', '--iv', iv, '--id', 'c0ff0e03'];
      const encrypted = await tool(...login, '--encrypt', ...common, '--input-file', plain, '--output-file', sealed);
      assert.equal(encrypted.code, 0, encrypted.stderr);
      const ciphertext = await readFile(sealed);
      assert.equal(ciphertext.length, 48);
      const byNode = await api<{ plaintext: string }>('POST', '/v1/crypto/decrypt', {
        keyHandle: key.body.key.handle,
        mechanism: 'AES_CBC_PAD',
        ciphertext: b64(ciphertext),
        iv: b64(Buffer.from(iv, 'hex')),
      });
      assert.equal(byNode.status, 200, byNode.text);
      assert.deepEqual(Buffer.from(byNode.body.plaintext, 'base64'), text);
      const decrypted = await tool(...login, '--decrypt', ...common, '--input-file', sealed, '--output-file', opened);
      assert.equal(decrypted.code, 0, decrypted.stderr);
      assert.deepEqual(await readFile(opened), text);
    },
  );

  /**
   * The handshake of the C program's disabled_after_init: once it has begun an encryption and
   * made <signal>.ready, the key's owner clears CKA_ENCRYPT through the node's API (the module
   * knows nothing of it), then <signal>.done lets the program go on.
   */
  async function disableWhenReady(key: Key, signal: string, finished: () => boolean): Promise<void> {
    while (!existsSync(`${signal}.ready`)) {
      if (finished()) return; // the program ended first: its own checks say why
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const changed = await api('PATCH', `/v1/keys/${key.handle}`, { attributes: { encrypt: false } });
    assert.equal(changed.status, 200, changed.text);
    await writeFile(`${signal}.done`, '');
  }

  async function runCryptoTest(program: string, module: string, extra: NodeJS.ProcessEnv, wrap?: string[]) {
    const keys = await cryptoKeys();
    const out = join(t.root, `crypto-${Date.now()}.out`);
    const signal = `${out}.signal`;
    const cryptoEnvironment = { ...(await cryptoEnv(keys, out)), COFFER_P11_SIGNAL: signal, ...extra };
    let finished = false;
    const running = (
      wrap
        ? run(wrap[0]!, [...wrap.slice(1), program, module], cryptoEnvironment, 600_000)
        : run(program, [module], cryptoEnvironment, 300_000)
    ).finally(() => {
      finished = true;
    });
    await disableWhenReady(keys.AES_REVOKED!, signal, () => finished);
    const answer = await running;
    assertAllPassed(answer);
    await checkOutputs(keys, out);
    return answer;
  }

  test('the crypto C test program under ASan and UBSan; its outputs checked without the module', async () => {
    const answer = await runCryptoTest(
      join(SANITIZED, 'coffer-p11-crypto-test'),
      join(SANITIZED, 'libcoffer-pkcs11.so'),
      { ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0', UBSAN_OPTIONS: 'print_stacktrace=1' },
    );
    assert.doesNotMatch(answer.stderr, /Sanitizer/, answer.stderr);
  });

  test('the crypto C test program (under valgrind when present); its outputs checked without the module', async () => {
    const memcheck = ['valgrind', '--error-exitcode=1', '--leak-check=full', '--quiet'];
    await runCryptoTest(C_CRYPTO_TEST, MODULE, {}, has('valgrind') ? memcheck : undefined);
  });
});

describe('coffer up and the PKCS#11 module', { skip: skipAll || skipTool }, () => {
  let root: string;
  let node: RunningNode | undefined;

  before(async () => {
    buildModule();
    root = await mkdtemp(join(tmpdir(), 'coffer-up-p11-'));
  });

  after(async () => {
    stopAll();
    await node?.close();
    await rm(root, { recursive: true, force: true });
  });

  test('writes pkcs11.json into the data dir; pkcs11-tool -L works with it as it is', async () => {
    const up = await devUp({ dataDir: join(root, 'data'), port: 0, logger: createLogger({ level: 'silent' }) });
    node = up.node;
    const conf = up.node.dir.pkcs11Config;
    assert.equal((await stat(conf)).mode & 0o777, 0o600);
    const written = JSON.parse(await readFile(conf, 'utf8')) as { endpoints: string[]; caFile: string };
    assert.deepEqual(written.endpoints, [up.node.url]);
    assert.equal(written.caFile, 'tls/ca.crt', 'relative to the data dir, where the file is');
    const answer = await run('pkcs11-tool', ['--module', MODULE, '-L'], {
      PATH: process.env.PATH,
      COFFER_PKCS11_CONF: conf,
    });
    assert.equal(answer.code, 0, answer.stderr);
    assert.match(answer.stdout, /token label\s+: Coffer [0-9A-F]{8}/);
  });
});
