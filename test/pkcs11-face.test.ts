import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { attributeTypeNumber, type AttributeTypeName } from '../src/pkcs11/attribute-types.js';
import { codeOf, type ApiAnswer } from './support/api.js';
import { auditEvents } from './support/audit-events.js';
import { startTestNode, type TestNode } from './support/test-node.js';
import { withOpenssl } from './support/testing-openssl.js';

/**
 * The node's PKCS#11 face (/v1/pkcs11/…) over real TLS to a real node: every route, and the
 * refusals that hold the boundary — another user sees nothing of yours, key material is always
 * sensitive, find is no oracle, templates cannot make a key both a wrapping and a data key, and
 * nothing is half-made after an error.
 */
type Value = boolean | number | number[] | string;
type Attr = { type: number; value: Value };

const b64 = (bytes: Buffer | string): string => Buffer.from(bytes).toString('base64');
const A = (name: AttributeTypeName, value: Value | Buffer): Attr => ({
  type: attributeTypeNumber(name),
  value: Buffer.isBuffer(value) ? b64(value) : value,
});
const text = (value: string): Buffer => Buffer.from(value, 'utf8');
const CKO = { DATA: 0, CERTIFICATE: 1, PUBLIC_KEY: 2, PRIVATE_KEY: 3, SECRET_KEY: 4 };
const CKK = { RSA: 0, EC: 3, GENERIC_SECRET: 0x10, AES: 0x1f, EC_EDWARDS: 0x40 };
const P256 = Buffer.from('06082a8648ce3d030107', 'hex');

interface Answers {
  attributes: ({ type: number; value: Value } | { type: number; error: string })[];
}

describe('the PKCS#11 face of the node', () => {
  let t: TestNode;
  let alice: string;
  let bob: string;
  let admin: string;
  let alicePassword: string;

  before(async () => {
    t = await startTestNode();
    admin = await t.api.login('admin', t.adminPassword);
    const made = await t.cryptoUser('alice');
    alice = made.token;
    alicePassword = made.password;
    bob = (await t.cryptoUser('bob')).token;
  });
  after(() => t.stop());

  const call = <T = Record<string, unknown>>(method: string, path: string, token: string, body?: unknown) =>
    t.api.call<T>(method, path, { token, ...(body !== undefined && { body }) });

  async function generate(token: string, mechanism: string, template: Attr[]): Promise<string> {
    const answer = await call<{ handle: string }>('POST', '/v1/pkcs11/keys/generate', token, { mechanism, template });
    assert.equal(answer.status, 201, answer.text);
    return answer.body.handle;
  }

  async function pair(token: string, mechanism: string, publicTemplate: Attr[], privateTemplate: Attr[]) {
    const body = { mechanism, publicTemplate, privateTemplate };
    const answer = await call<{ publicHandle: string; privateHandle: string }>(
      'POST',
      '/v1/pkcs11/keys/generate-pair',
      token,
      body,
    );
    assert.equal(answer.status, 201, answer.text);
    return answer.body;
  }

  async function read(token: string, handle: string, names: AttributeTypeName[]): Promise<Map<string, unknown>> {
    const types = names.map(attributeTypeNumber);
    const answer = await call<Answers>('POST', '/v1/pkcs11/objects/attributes', token, { handle, types });
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(
      answer.body.attributes.map((a) => a.type),
      types,
      'in the order asked',
    );
    return new Map(answer.body.attributes.map((a, i) => [names[i]!, 'value' in a ? a.value : a.error]));
  }

  async function find(token: string, template: Attr[], page: { after?: string; limit?: number } = {}) {
    const answer = await call<{ handles: string[]; next?: string }>('POST', '/v1/pkcs11/objects/find', token, {
      template,
      ...page,
    });
    assert.equal(answer.status, 200, answer.text);
    return answer.body;
  }

  const keyCount = async (token: string) =>
    (await call<{ keys: unknown[] }>('GET', '/v1/keys?limit=1000', token)).body.keys.length;
  const objectCount = async (token: string) => (await find(token, [])).handles.length;

  function refused(answer: ApiAnswer<unknown>, code: string): void {
    assert.equal(codeOf(answer), code, answer.text);
  }

  /** A self-signed P-256 certificate, DER. */
  const selfSigned = (cn: string): Buffer =>
    withOpenssl({}, [
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'k.pem'],
      ...['-subj', `/CN=${cn}/O=Coffer`, '-days', '1', '-outform', 'DER'],
    ]);

  const aesTemplate = (label: string, extra: Attr[] = []): Attr[] => [
    A('CKA_CLASS', CKO.SECRET_KEY),
    A('CKA_KEY_TYPE', CKK.AES),
    A('CKA_TOKEN', true),
    A('CKA_PRIVATE', true),
    A('CKA_LABEL', text(label)),
    A('CKA_ID', Buffer.from('a1b2', 'hex')),
    A('CKA_SENSITIVE', true),
    A('CKA_EXTRACTABLE', false),
    A('CKA_ENCRYPT', true),
    A('CKA_DECRYPT', true),
    A('CKA_DERIVE', false),
    A('CKA_VALUE_LEN', 32),
    ...extra,
  ];

  test('C_GenerateKey makes an AES key whose attributes read back, its value always sensitive', async () => {
    const handle = await generate(alice, 'AES_KEY_GEN', aesTemplate('face-aes'));
    const got = await read(alice, handle, [
      'CKA_CLASS',
      'CKA_KEY_TYPE',
      'CKA_VALUE_LEN',
      'CKA_LABEL',
      'CKA_ID',
      'CKA_TOKEN',
      'CKA_LOCAL',
      'CKA_KEY_GEN_MECHANISM',
      'CKA_UNIQUE_ID',
      'CKA_COPYABLE',
      'CKA_VALUE',
      'CKA_MODULUS',
      'CKA_CHECK_VALUE',
      'CKA_ALWAYS_SENSITIVE',
      'CKA_NEVER_EXTRACTABLE',
      'CKA_ALLOWED_MECHANISMS',
    ]);
    assert.equal(got.get('CKA_CLASS'), CKO.SECRET_KEY);
    assert.equal(got.get('CKA_KEY_TYPE'), CKK.AES);
    assert.equal(got.get('CKA_VALUE_LEN'), 32);
    assert.equal(got.get('CKA_LABEL'), b64('face-aes'));
    assert.equal(got.get('CKA_ID'), b64(Buffer.from('a1b2', 'hex')));
    assert.equal(got.get('CKA_TOKEN'), true);
    assert.equal(got.get('CKA_LOCAL'), true);
    assert.equal(got.get('CKA_KEY_GEN_MECHANISM'), 0x1080);
    assert.equal(got.get('CKA_UNIQUE_ID'), b64(handle));
    assert.equal(got.get('CKA_COPYABLE'), false);
    assert.equal(got.get('CKA_VALUE'), 'sensitive');
    assert.equal(got.get('CKA_MODULUS'), 'invalid');
    assert.equal(got.get('CKA_ALLOWED_MECHANISMS'), 'invalid');
    assert.equal(got.get('CKA_ALWAYS_SENSITIVE'), true);
    assert.equal(got.get('CKA_NEVER_EXTRACTABLE'), true);
    const record = await call<{ key: { checkValue: string } }>('GET', `/v1/keys/${handle}`, alice);
    assert.equal(got.get('CKA_CHECK_VALUE'), b64(Buffer.from(record.body.key.checkValue, 'hex')));
  });

  test('key material is sensitive also for a non-sensitive, extractable secret key', async () => {
    const handle = await generate(alice, 'GENERIC_SECRET_KEY_GEN', [
      A('CKA_CLASS', CKO.SECRET_KEY),
      A('CKA_KEY_TYPE', CKK.GENERIC_SECRET),
      A('CKA_TOKEN', true),
      A('CKA_SENSITIVE', false),
      A('CKA_EXTRACTABLE', true),
      A('CKA_SIGN', true),
      A('CKA_VALUE_LEN', 32),
    ]);
    const got = await read(alice, handle, ['CKA_SENSITIVE', 'CKA_EXTRACTABLE', 'CKA_VALUE']);
    assert.deepEqual([...got.values()], [false, true, 'sensitive']);
  });

  test('template refusals, each with its code, and nothing is half-made', async () => {
    const keysBefore = await keyCount(alice);
    const objectsBefore = await objectCount(alice);
    const post = (mechanism: string, template: Attr[]) =>
      call('POST', '/v1/pkcs11/keys/generate', alice, { mechanism, template });
    const noLength = aesTemplate('x').filter((a) => a.type !== attributeTypeNumber('CKA_VALUE_LEN'));
    refused(await post('AES_KEY_GEN', noLength), 'TEMPLATE_INCOMPLETE');
    refused(await post('AES_KEY_GEN', [...aesTemplate('x'), { type: 0x9999, value: true }]), 'ATTRIBUTE_TYPE_INVALID');
    // A wrapping key is never extractable, and never also a data key (the attribute table).
    const wrapping = [A('CKA_WRAP', true), A('CKA_UNWRAP', true)];
    const extractableWrap = aesTemplate('x').filter(
      (a) => ![attributeTypeNumber('CKA_EXTRACTABLE'), attributeTypeNumber('CKA_ENCRYPT')].includes(a.type),
    );
    refused(
      await post('AES_KEY_GEN', [
        ...extractableWrap.filter((a) => a.type !== attributeTypeNumber('CKA_DECRYPT')),
        ...wrapping,
        A('CKA_EXTRACTABLE', true),
      ]),
      'TEMPLATE_INCONSISTENT',
    );
    refused(await post('AES_KEY_GEN', [...extractableWrap, ...wrapping]), 'TEMPLATE_INCONSISTENT');
    refused(
      await post('AES_KEY_GEN', [A('CKA_CLASS', CKO.PRIVATE_KEY), A('CKA_VALUE_LEN', 32)]),
      'TEMPLATE_INCONSISTENT',
    );
    refused(await post('AES_KEY_GEN', [A('CKA_VALUE_LEN', 32), A('CKA_LOCAL', true)]), 'ATTRIBUTE_READ_ONLY');
    refused(await post('AES_KEY_GEN', [A('CKA_VALUE_LEN', 32), A('CKA_MODULUS_BITS', 2048)]), 'ATTRIBUTE_TYPE_INVALID');
    refused(await post('AES_KEY_GEN', [A('CKA_VALUE_LEN', 32), A('CKA_TOKEN', 1 as never)]), 'ATTRIBUTE_VALUE_INVALID');
    refused(await post('AES_KEY_GEN', [A('CKA_VALUE_LEN', 20)]), 'KEY_SIZE_RANGE');
    refused(await post('DES_KEY_GEN', [A('CKA_VALUE_LEN', 32)]), 'MECHANISM_INVALID');
    const pairConflict = await call('POST', '/v1/pkcs11/keys/generate-pair', alice, {
      mechanism: 'RSA_PKCS_KEY_PAIR_GEN',
      publicTemplate: [A('CKA_MODULUS_BITS', 2048), A('CKA_WRAP', true), A('CKA_TOKEN', true)],
      privateTemplate: [A('CKA_DECRYPT', true), A('CKA_TOKEN', true)],
    });
    refused(pairConflict, 'TEMPLATE_INCONSISTENT');
    refused(
      await call('POST', '/v1/pkcs11/objects', alice, {
        template: [A('CKA_CLASS', CKO.CERTIFICATE), A('CKA_TOKEN', true)],
      }),
      'TEMPLATE_INCOMPLETE',
    );
    assert.equal(await keyCount(alice), keysBefore);
    assert.equal(await objectCount(alice), objectsBefore);
  });

  test('another user can neither find nor read nor change your keys and objects', async () => {
    const handle = await generate(alice, 'AES_KEY_GEN', aesTemplate('alice-only'));
    const data = await call<{ handle: string }>('POST', '/v1/pkcs11/objects', alice, {
      template: [A('CKA_CLASS', CKO.DATA), A('CKA_TOKEN', true), A('CKA_VALUE', text('alice data'))],
    });
    assert.equal(data.status, 201, data.text);
    for (const target of [handle, data.body.handle]) {
      assert.ok((await find(alice, [])).handles.includes(target));
      assert.ok(!(await find(bob, [])).handles.includes(target));
      assert.deepEqual((await find(bob, [A('CKA_LABEL', text('alice-only'))])).handles, []);
      const types = [attributeTypeNumber('CKA_LABEL')];
      refused(await call('POST', '/v1/pkcs11/objects/attributes', bob, { handle: target, types }), 'KEY_NOT_FOUND');
      const patch = { template: [A('CKA_LABEL', text('mine now'))] };
      refused(await call('PATCH', `/v1/pkcs11/objects/${target}`, bob, patch), 'KEY_NOT_FOUND');
      refused(await call('POST', `/v1/pkcs11/objects/${target}/copy`, bob, { template: [] }), 'KEY_NOT_FOUND');
      refused(await call('DELETE', `/v1/pkcs11/objects/${target}`, bob), 'KEY_NOT_FOUND');
    }
  });

  test('an admin finds and reads keys as GET /v1/keys shows them, and makes or changes nothing', async () => {
    const handle = await generate(alice, 'AES_KEY_GEN', aesTemplate('seen by admin'));
    assert.ok((await find(admin, [A('CKA_LABEL', text('seen by admin'))])).handles.includes(handle));
    assert.equal((await read(admin, handle, ['CKA_VALUE'])).get('CKA_VALUE'), 'sensitive');
    const data = [A('CKA_CLASS', CKO.DATA), A('CKA_VALUE', text('x'))];
    refused(await call('POST', '/v1/pkcs11/objects', admin, { template: data }), 'PERMISSION_DENIED');
    const generated = { mechanism: 'AES_KEY_GEN', template: [A('CKA_VALUE_LEN', 16)] };
    refused(await call('POST', '/v1/pkcs11/keys/generate', admin, generated), 'PERMISSION_DENIED');
    refused(await call('DELETE', `/v1/pkcs11/objects/${handle}`, admin), 'PERMISSION_DENIED');
    const patch = { template: [A('CKA_LABEL', text('admin was here'))] };
    // As PATCH /v1/keys: the attribute table gives an admin CKA_TRUSTED only.
    refused(await call('PATCH', `/v1/pkcs11/objects/${handle}`, admin, patch), 'ATTRIBUTE_READ_ONLY');
  });

  test('find by a public part (CKA_EC_POINT, CKA_PUBLIC_KEY_INFO) finds that key only', async () => {
    const made = () =>
      pair(alice, 'EC_KEY_PAIR_GEN', [A('CKA_TOKEN', true), A('CKA_EC_PARAMS', P256)], [A('CKA_TOKEN', true)]);
    const [one, other] = [await made(), await made()];
    const parts = await read(alice, one.publicHandle, ['CKA_EC_POINT', 'CKA_PUBLIC_KEY_INFO']);
    const point = Buffer.from(parts.get('CKA_EC_POINT') as string, 'base64');
    const info = Buffer.from(parts.get('CKA_PUBLIC_KEY_INFO') as string, 'base64');
    assert.deepEqual((await find(alice, [A('CKA_EC_POINT', point)])).handles, [one.publicHandle]);
    const byInfo = (await find(alice, [A('CKA_PUBLIC_KEY_INFO', info)])).handles;
    assert.deepEqual(byInfo, [one.publicHandle, one.privateHandle].sort());
    assert.ok(!byInfo.includes(other.publicHandle));
    assert.deepEqual((await find(bob, [A('CKA_EC_POINT', point)])).handles, [], 'not for another user');
  });

  test('find matches attributes exactly, never on key material, in handle order and paged', async () => {
    const label = 'findable';
    const one = await generate(alice, 'AES_KEY_GEN', aesTemplate(label));
    const two = await generate(alice, 'AES_KEY_GEN', aesTemplate(label));
    const found = await find(alice, [A('CKA_LABEL', text(label)), A('CKA_CLASS', CKO.SECRET_KEY)]);
    assert.deepEqual(found.handles, [one, two].sort());
    assert.deepEqual((await find(alice, [A('CKA_LABEL', text(label)), A('CKA_KEY_TYPE', CKK.RSA)])).handles, []);
    // CKA_VALUE of a secret key is sensitive: no template can test it.
    assert.deepEqual((await find(alice, [A('CKA_LABEL', text(label)), A('CKA_VALUE', Buffer.alloc(32))])).handles, []);
    assert.deepEqual((await find(alice, [A('CKA_VALUE', Buffer.alloc(32))])).handles, []);
    // An attribute the class does not have never matches.
    assert.deepEqual((await find(alice, [A('CKA_LABEL', text(label)), A('CKA_MODULUS_BITS', 2048)])).handles, []);
    const first = await find(alice, [A('CKA_LABEL', text(label))], { limit: 1 });
    assert.equal(first.handles.length, 1);
    assert.ok(first.next);
    const second = await find(alice, [A('CKA_LABEL', text(label))], { after: first.next, limit: 1 });
    assert.deepEqual([...first.handles, ...second.handles], [one, two].sort());
    const all = (await find(alice, [])).handles;
    assert.deepEqual(all, [...all].sort(), 'handle order');
    refused(
      await call('POST', '/v1/pkcs11/objects/find', alice, { template: [{ type: 0x7777, value: 1 }] }),
      'ATTRIBUTE_TYPE_INVALID',
    );
  });

  test('C_GenerateKey and C_FindObjects as items of POST /v1/batch: each as its own route, refused alone', async () => {
    type Result = { status: number; body?: { handle?: string; handles?: string[] }; error?: { code: string } };
    const batch = async (token: string, operations: Record<string, unknown>[]) =>
      call<{ results: Result[] }>('POST', '/v1/batch', token, { operations });
    const label = 'batched';
    const valueLen = attributeTypeNumber('CKA_VALUE_LEN');
    const made = await batch(alice, [
      { operation: 'pkcs11.generate-key', mechanism: 'AES_KEY_GEN', template: aesTemplate(label) },
      {
        operation: 'pkcs11.generate-key',
        mechanism: 'AES_KEY_GEN',
        template: [...aesTemplate('short').filter((a) => a.type !== valueLen), A('CKA_VALUE_LEN', 7)],
      },
      { operation: 'pkcs11.generate-key', mechanism: 'AES_KEY_GEN', template: [{ type: 0x7777, value: 1 }] },
      { operation: 'pkcs11.generate-key', mechanism: 'AES_KEY_GEN', template: aesTemplate(label), extra: true },
    ]);
    assert.equal(made.status, 200, made.text);
    const [key, short, unknown, extra] = made.body.results;
    assert.equal(key!.status, 200, JSON.stringify(key));
    const handle = key!.body!.handle!;
    assert.equal((await read(alice, handle, ['CKA_LABEL'])).get('CKA_LABEL'), b64(label));
    assert.equal(short!.error!.code, 'KEY_SIZE_RANGE');
    assert.equal(unknown!.error!.code, 'ATTRIBUTE_TYPE_INVALID');
    assert.equal(extra!.error!.code, 'UNKNOWN_FIELD', 'the item is validated by the route’s own schema');
    const byLabel = { operation: 'pkcs11.find-objects', template: [A('CKA_LABEL', text(label))] };
    const found = await batch(alice, [byLabel, { ...byLabel, limit: 0 }]);
    assert.deepEqual(found.body.results[0], { status: 200, body: { handles: [handle] } });
    assert.equal(found.body.results[1]!.error!.code, 'INVALID_FIELD');
    // Another user finds nothing of alice's; an admin may not send a batch at all.
    assert.deepEqual((await batch(bob, [byLabel])).body.results[0], { status: 200, body: { handles: [] } });
    refused(await batch(admin, [byLabel]), 'PERMISSION_DENIED');
  });

  test('session objects (no CKA_TOKEN) belong to one login: another login of the same user cannot see them', async () => {
    const template = aesTemplate('session-key').filter((a) => a.type !== attributeTypeNumber('CKA_TOKEN'));
    const handle = await generate(alice, 'AES_KEY_GEN', template);
    const data = await call<{ handle: string }>('POST', '/v1/pkcs11/objects', alice, {
      template: [A('CKA_CLASS', CKO.DATA), A('CKA_TOKEN', false), A('CKA_VALUE', text('ephemeral'))],
    });
    assert.equal(data.status, 201, data.text);
    const got = await read(alice, handle, ['CKA_TOKEN']);
    assert.equal(got.get('CKA_TOKEN'), false);
    const again = await t.api.login('alice', alicePassword);
    for (const target of [handle, data.body.handle]) {
      assert.ok((await find(alice, [])).handles.includes(target));
      assert.ok(!(await find(again, [])).handles.includes(target));
      const types = [attributeTypeNumber('CKA_CLASS')];
      refused(await call('POST', '/v1/pkcs11/objects/attributes', again, { handle: target, types }), 'KEY_NOT_FOUND');
    }
    // Java's SunPKCS11 makes session key pairs too.
    const sessionPair = await pair(
      alice,
      'EC_KEY_PAIR_GEN',
      [A('CKA_TOKEN', false), A('CKA_EC_PARAMS', P256)],
      [A('CKA_TOKEN', false), A('CKA_SIGN', true)],
    );
    assert.ok(!(await find(again, [])).handles.includes(sessionPair.privateHandle));
  });

  test('C_GenerateKeyPair: EC public parts as pkcs11-tool reads them, private material sensitive', async () => {
    const { publicHandle, privateHandle } = await pair(
      alice,
      'EC_KEY_PAIR_GEN',
      [
        A('CKA_CLASS', CKO.PUBLIC_KEY),
        A('CKA_KEY_TYPE', CKK.EC),
        A('CKA_TOKEN', true),
        A('CKA_EC_PARAMS', P256),
        A('CKA_VERIFY', true),
        A('CKA_VERIFY_RECOVER', false),
        A('CKA_DERIVE', false),
        A('CKA_LABEL', text('ec pair')),
        A('CKA_ID', Buffer.from('0102', 'hex')),
      ],
      [
        A('CKA_CLASS', CKO.PRIVATE_KEY),
        A('CKA_TOKEN', true),
        A('CKA_PRIVATE', true),
        A('CKA_SENSITIVE', true),
        A('CKA_SIGN', true),
        A('CKA_SIGN_RECOVER', false),
        A('CKA_DERIVE', true),
        A('CKA_SUBJECT', Buffer.alloc(0)),
        A('CKA_ID', Buffer.from('0102', 'hex')),
      ],
    );
    const pem = await call<{ pem: string }>('GET', `/v1/keys/${publicHandle}/public-key`, alice);
    const jwk = createPublicKey(pem.body.pem).export({ format: 'jwk' });
    const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
    const spki = createPublicKey(pem.body.pem).export({ type: 'spki', format: 'der' });
    const pub = await read(alice, publicHandle, ['CKA_EC_POINT', 'CKA_EC_PARAMS', 'CKA_PUBLIC_KEY_INFO', 'CKA_ID']);
    assert.equal(pub.get('CKA_EC_POINT'), b64(Buffer.concat([Buffer.from([0x04, 65]), point])));
    assert.equal(pub.get('CKA_EC_PARAMS'), b64(P256));
    assert.equal(pub.get('CKA_PUBLIC_KEY_INFO'), b64(spki));
    const priv = await read(alice, privateHandle, [
      'CKA_VALUE',
      'CKA_EC_PARAMS',
      'CKA_EC_POINT',
      'CKA_PUBLIC_KEY_INFO',
      'CKA_ID',
    ]);
    assert.equal(priv.get('CKA_VALUE'), 'sensitive');
    assert.equal(priv.get('CKA_EC_PARAMS'), b64(P256));
    assert.equal(priv.get('CKA_EC_POINT'), 'invalid');
    assert.equal(priv.get('CKA_PUBLIC_KEY_INFO'), b64(spki));
    assert.equal(priv.get('CKA_ID'), b64(Buffer.from('0102', 'hex')));
  });

  test('C_GenerateKeyPair: RSA modulus and exponent, private CRT parts sensitive', async () => {
    const { publicHandle, privateHandle } = await pair(
      alice,
      'RSA_PKCS_KEY_PAIR_GEN',
      [A('CKA_TOKEN', true), A('CKA_MODULUS_BITS', 2048), A('CKA_PUBLIC_EXPONENT', Buffer.from('010001', 'hex'))],
      [A('CKA_TOKEN', true), A('CKA_SIGN', true)],
    );
    const pem = await call<{ pem: string }>('GET', `/v1/keys/${publicHandle}/public-key`, alice);
    const jwk = createPublicKey(pem.body.pem).export({ format: 'jwk' });
    const pub = await read(alice, publicHandle, ['CKA_MODULUS', 'CKA_PUBLIC_EXPONENT', 'CKA_MODULUS_BITS']);
    assert.equal(pub.get('CKA_MODULUS'), b64(Buffer.from(jwk.n!, 'base64url')));
    assert.equal(pub.get('CKA_PUBLIC_EXPONENT'), b64(Buffer.from('010001', 'hex')));
    assert.equal(pub.get('CKA_MODULUS_BITS'), 2048);
    const names: AttributeTypeName[] = ['CKA_MODULUS', 'CKA_PRIVATE_EXPONENT', 'CKA_PRIME_1', 'CKA_COEFFICIENT'];
    const priv = await read(alice, privateHandle, names);
    assert.deepEqual([...priv.values()], [pub.get('CKA_MODULUS'), 'sensitive', 'sensitive', 'sensitive']);
  });

  test('C_GenerateKeyPair: Ed25519 from the printable name, answered as the OID', async () => {
    const { publicHandle } = await pair(
      alice,
      'EC_EDWARDS_KEY_PAIR_GEN',
      [A('CKA_TOKEN', true), A('CKA_EC_PARAMS', Buffer.from('130c656477617264733235353139', 'hex'))],
      [A('CKA_TOKEN', true), A('CKA_SIGN', true)],
    );
    const got = await read(alice, publicHandle, ['CKA_EC_PARAMS', 'CKA_EC_POINT', 'CKA_KEY_TYPE']);
    assert.equal(got.get('CKA_EC_PARAMS'), b64(Buffer.from('06032b6570', 'hex')));
    const point = Buffer.from(got.get('CKA_EC_POINT') as string, 'base64');
    assert.deepEqual([point.length, point[0], point[1]], [34, 0x04, 32]);
    assert.equal(got.get('CKA_KEY_TYPE'), CKK.EC_EDWARDS);
  });

  test('C_CreateObject: data objects and X.509 certificates, with defaults from the certificate', async () => {
    const data = await call<{ handle: string }>('POST', '/v1/pkcs11/objects', alice, {
      template: [
        A('CKA_CLASS', CKO.DATA),
        A('CKA_TOKEN', true),
        A('CKA_LABEL', text('notes')),
        A('CKA_APPLICATION', text('my app')),
        A('CKA_VALUE', text('hello')),
      ],
    });
    assert.equal(data.status, 201, data.text);
    const got = await read(alice, data.body.handle, [
      'CKA_CLASS',
      'CKA_VALUE',
      'CKA_APPLICATION',
      'CKA_OBJECT_ID',
      'CKA_COPYABLE',
      'CKA_KEY_TYPE',
    ]);
    assert.deepEqual([...got.values()], [CKO.DATA, b64('hello'), b64('my app'), '', true, 'invalid']);

    const der = selfSigned('face test');
    const cert = await call<{ handle: string }>('POST', '/v1/pkcs11/objects', alice, {
      template: [
        A('CKA_CLASS', CKO.CERTIFICATE),
        A('CKA_CERTIFICATE_TYPE', 0),
        A('CKA_TOKEN', true),
        A('CKA_LABEL', text('my cert')),
        A('CKA_ID', Buffer.from('0102', 'hex')),
        A('CKA_VALUE', der),
      ],
    });
    assert.equal(cert.status, 201, cert.text);
    const shown = await read(alice, cert.body.handle, [
      'CKA_SUBJECT',
      'CKA_ISSUER',
      'CKA_SERIAL_NUMBER',
      'CKA_VALUE',
      'CKA_PUBLIC_KEY_INFO',
      'CKA_CERTIFICATE_TYPE',
      'CKA_TRUSTED',
      'CKA_CHECK_VALUE',
    ]);
    const x509 = new X509Certificate(der);
    const serial = Buffer.from(shown.get('CKA_SERIAL_NUMBER') as string, 'base64');
    assert.equal(serial[0], 0x02, 'a DER INTEGER');
    assert.equal(BigInt('0x' + serial.subarray(2).toString('hex')), BigInt('0x' + x509.serialNumber));
    assert.equal(shown.get('CKA_VALUE'), b64(der));
    assert.equal(shown.get('CKA_SUBJECT'), shown.get('CKA_ISSUER'), 'self-signed');
    assert.ok(Buffer.from(shown.get('CKA_SUBJECT') as string, 'base64').includes(text('face test')));
    assert.equal(shown.get('CKA_PUBLIC_KEY_INFO'), b64(x509.publicKey.export({ type: 'spki', format: 'der' })));
    assert.deepEqual([shown.get('CKA_CERTIFICATE_TYPE'), shown.get('CKA_TRUSTED')], [0, false]);
    assert.equal(
      (await find(alice, [A('CKA_CLASS', CKO.CERTIFICATE), A('CKA_ID', Buffer.from('0102', 'hex'))])).handles[0],
      cert.body.handle,
    );
    const junk = [A('CKA_CLASS', CKO.CERTIFICATE), A('CKA_CERTIFICATE_TYPE', 0), A('CKA_VALUE', text('not a cert'))];
    refused(await call('POST', '/v1/pkcs11/objects', alice, { template: junk }), 'ATTRIBUTE_VALUE_INVALID');
    const trusted = [
      A('CKA_CLASS', CKO.CERTIFICATE),
      A('CKA_CERTIFICATE_TYPE', 0),
      A('CKA_VALUE', der),
      A('CKA_TRUSTED', true),
    ];
    refused(await call('POST', '/v1/pkcs11/objects', alice, { template: trusted }), 'ATTRIBUTE_READ_ONLY');
  });

  test('C_CreateObject: a public key from its components; secret values only under the import policy', async () => {
    const { publicHandle } = await pair(
      alice,
      'EC_KEY_PAIR_GEN',
      [A('CKA_TOKEN', true), A('CKA_EC_PARAMS', P256)],
      [A('CKA_TOKEN', true), A('CKA_SIGN', true)],
    );
    const parts = await read(alice, publicHandle, ['CKA_EC_POINT', 'CKA_PUBLIC_KEY_INFO']);
    const created = await call<{ handle: string }>('POST', '/v1/pkcs11/objects', alice, {
      template: [
        A('CKA_CLASS', CKO.PUBLIC_KEY),
        A('CKA_KEY_TYPE', CKK.EC),
        A('CKA_TOKEN', true),
        A('CKA_VERIFY', true),
        A('CKA_EC_PARAMS', P256),
        { type: attributeTypeNumber('CKA_EC_POINT'), value: parts.get('CKA_EC_POINT') as string },
      ],
    });
    assert.equal(created.status, 201, created.text);
    const again = await read(alice, created.body.handle, ['CKA_PUBLIC_KEY_INFO', 'CKA_LOCAL', 'CKA_KEY_GEN_MECHANISM']);
    assert.deepEqual([...again.values()], [parts.get('CKA_PUBLIC_KEY_INFO'), false, 'invalid']);

    const secret = [
      A('CKA_CLASS', CKO.SECRET_KEY),
      A('CKA_KEY_TYPE', CKK.AES),
      A('CKA_TOKEN', true),
      A('CKA_ENCRYPT', true),
      A('CKA_VALUE', Buffer.alloc(16, 7)),
    ];
    const before = await keyCount(alice);
    refused(await call('POST', '/v1/pkcs11/objects', alice, { template: secret }), 'IMPORT_NOT_ALLOWED');
    const privateTemplate = [
      A('CKA_CLASS', CKO.PRIVATE_KEY),
      A('CKA_KEY_TYPE', CKK.EC_EDWARDS),
      A('CKA_VALUE', Buffer.alloc(32, 1)),
    ];
    refused(await call('POST', '/v1/pkcs11/objects', alice, { template: privateTemplate }), 'IMPORT_NOT_ALLOWED');
    assert.equal(await keyCount(alice), before);
    const policy = await call('PUT', '/v1/cluster/policy', admin, { allowPlaintextImport: true });
    assert.equal(policy.status, 200, policy.text);
    try {
      const imported = await call<{ handle: string }>('POST', '/v1/pkcs11/objects', alice, { template: secret });
      assert.equal(imported.status, 201, imported.text);
      const got = await read(alice, imported.body.handle, ['CKA_VALUE', 'CKA_VALUE_LEN', 'CKA_LOCAL']);
      assert.deepEqual([...got.values()], ['sensitive', 16, false]);
      const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const scalar = Buffer.from(ec.privateKey.export({ format: 'jwk' }).d!, 'base64url');
      const privateKey = await call<{ handle: string }>('POST', '/v1/pkcs11/objects', alice, {
        template: [
          A('CKA_CLASS', CKO.PRIVATE_KEY),
          A('CKA_KEY_TYPE', CKK.EC),
          A('CKA_TOKEN', true),
          A('CKA_SIGN', true),
          A('CKA_EC_PARAMS', P256),
          A('CKA_VALUE', scalar),
        ],
      });
      assert.equal(privateKey.status, 201, privateKey.text);
      const shown = await read(alice, privateKey.body.handle, ['CKA_VALUE', 'CKA_PUBLIC_KEY_INFO']);
      const spki = ec.publicKey.export({ type: 'spki', format: 'der' });
      assert.deepEqual([...shown.values()], ['sensitive', b64(spki)]);
    } finally {
      await call('PUT', '/v1/cluster/policy', admin, { allowPlaintextImport: false });
    }
  });

  test('C_SetAttributeValue: as the attribute table allows, all or nothing', async () => {
    const handle = await generate(alice, 'AES_KEY_GEN', aesTemplate('before'));
    const patch = (target: string, template: Attr[]) =>
      call('PATCH', `/v1/pkcs11/objects/${target}`, alice, { template });
    const ok = await patch(handle, [
      A('CKA_LABEL', text('after')),
      A('CKA_ENCRYPT', false),
      A('CKA_CLASS', CKO.SECRET_KEY),
    ]);
    assert.equal(ok.status, 200, ok.text);
    let got = await read(alice, handle, ['CKA_LABEL', 'CKA_ENCRYPT']);
    assert.deepEqual([...got.values()], [b64('after'), false]);
    refused(await patch(handle, [A('CKA_LABEL', text('lost')), A('CKA_SENSITIVE', false)]), 'ATTRIBUTE_READ_ONLY');
    refused(await patch(handle, [A('CKA_LABEL', text('lost')), A('CKA_CLASS', CKO.DATA)]), 'ATTRIBUTE_READ_ONLY');
    refused(await patch(handle, [A('CKA_VALUE', Buffer.alloc(32))]), 'ATTRIBUTE_READ_ONLY');
    refused(await patch(handle, [A('CKA_MODULUS', Buffer.alloc(32))]), 'ATTRIBUTE_TYPE_INVALID');
    refused(await patch(handle, [A('CKA_ENCRYPT', true)]), 'ATTRIBUTE_READ_ONLY');
    got = await read(alice, handle, ['CKA_LABEL']);
    assert.equal(got.get('CKA_LABEL'), b64('after'), 'nothing of a refused change applies');

    const data = await call<{ handle: string }>('POST', '/v1/pkcs11/objects', alice, {
      template: [A('CKA_CLASS', CKO.DATA), A('CKA_TOKEN', true), A('CKA_VALUE', text('v1'))],
    });
    assert.equal(
      (await patch(data.body.handle, [A('CKA_LABEL', text('renamed')), A('CKA_VALUE', text('v2'))])).status,
      200,
    );
    got = await read(alice, data.body.handle, ['CKA_LABEL', 'CKA_VALUE']);
    assert.deepEqual([...got.values()], [b64('renamed'), b64('v2')]);
    refused(await patch(data.body.handle, [A('CKA_TOKEN', false)]), 'ATTRIBUTE_READ_ONLY');
    refused(await patch(data.body.handle, [A('CKA_KEY_TYPE', 0)]), 'ATTRIBUTE_TYPE_INVALID');
  });

  test('C_CopyObject copies data objects and never keys; C_DestroyObject destroys', async () => {
    const key = await generate(alice, 'AES_KEY_GEN', aesTemplate('no copies'));
    refused(await call('POST', `/v1/pkcs11/objects/${key}/copy`, alice, { template: [] }), 'ACTION_PROHIBITED');
    const data = await call<{ handle: string }>('POST', '/v1/pkcs11/objects', alice, {
      template: [A('CKA_CLASS', CKO.DATA), A('CKA_TOKEN', true), A('CKA_VALUE', text('original'))],
    });
    const copy = await call<{ handle: string }>('POST', `/v1/pkcs11/objects/${data.body.handle}/copy`, alice, {
      template: [A('CKA_LABEL', text('the copy')), A('CKA_COPYABLE', false)],
    });
    assert.equal(copy.status, 201, copy.text);
    assert.notEqual(copy.body.handle, data.body.handle);
    const got = await read(alice, copy.body.handle, ['CKA_LABEL', 'CKA_VALUE', 'CKA_COPYABLE']);
    assert.deepEqual([...got.values()], [b64('the copy'), b64('original'), false]);
    refused(
      await call('POST', `/v1/pkcs11/objects/${copy.body.handle}/copy`, alice, { template: [] }),
      'ACTION_PROHIBITED',
    );

    for (const target of [data.body.handle, copy.body.handle, key]) {
      const gone = await call('DELETE', `/v1/pkcs11/objects/${target}`, alice);
      assert.equal(gone.status, 204, gone.text);
      const types = [attributeTypeNumber('CKA_CLASS')];
      refused(await call('POST', '/v1/pkcs11/objects/attributes', alice, { handle: target, types }), 'KEY_NOT_FOUND');
      assert.ok(!(await find(alice, [])).handles.includes(target));
    }
    const audit = await call<{ events: { action: string; result: string; code?: string }[] }>(
      'GET',
      '/v1/audit/events?limit=1000',
      admin,
    );
    const actions = audit.body.events.map((event) => `${event.action}:${event.result}`);
    for (const expected of [
      'object.create:success',
      'object.copy:success',
      'object.delete:success',
      'key.copy:failure',
    ])
      assert.ok(actions.includes(expected), expected);
  });

  test('C_UnwrapKey and C_DeriveKey make keys from templates', async () => {
    const wrapping = await generate(alice, 'AES_KEY_GEN', [
      A('CKA_TOKEN', true),
      A('CKA_WRAP', true),
      A('CKA_UNWRAP', true),
      A('CKA_VALUE_LEN', 32),
    ]);
    const target = await generate(alice, 'AES_KEY_GEN', [
      A('CKA_TOKEN', true),
      A('CKA_EXTRACTABLE', true),
      A('CKA_ENCRYPT', true),
      A('CKA_VALUE_LEN', 16),
    ]);
    const wrapped = await call<{ wrappedKey: string }>('POST', '/v1/keys/wrap', alice, {
      wrappingKeyHandle: wrapping,
      keyHandle: target,
      mechanism: 'AES_KEY_WRAP_PAD',
    });
    assert.equal(wrapped.status, 200, wrapped.text);
    const unwrapped = await call<{ handle: string }>('POST', '/v1/pkcs11/keys/unwrap', alice, {
      unwrappingKeyHandle: wrapping,
      mechanism: 'AES_KEY_WRAP_PAD',
      wrappedKey: wrapped.body.wrappedKey,
      template: [
        A('CKA_CLASS', CKO.SECRET_KEY),
        A('CKA_KEY_TYPE', CKK.AES),
        A('CKA_LABEL', text('unwrapped')),
        A('CKA_DECRYPT', true),
      ],
    });
    assert.equal(unwrapped.status, 201, unwrapped.text);
    const [mine, theirs] = await Promise.all([
      read(alice, unwrapped.body.handle, ['CKA_CHECK_VALUE', 'CKA_TOKEN', 'CKA_LOCAL']),
      read(alice, target, ['CKA_CHECK_VALUE']),
    ]);
    assert.equal(mine.get('CKA_CHECK_VALUE'), theirs.get('CKA_CHECK_VALUE'));
    assert.deepEqual([mine.get('CKA_TOKEN'), mine.get('CKA_LOCAL')], [false, false]);

    const ecdh = async (token: string) =>
      pair(
        token,
        'EC_KEY_PAIR_GEN',
        [A('CKA_TOKEN', true), A('CKA_EC_PARAMS', P256)],
        [A('CKA_TOKEN', true), A('CKA_DERIVE', true)],
      );
    const [a, b] = [await ecdh(alice), await ecdh(bob)];
    const spkiOf = async (token: string, handle: string) =>
      (await read(token, handle, ['CKA_PUBLIC_KEY_INFO'])).get('CKA_PUBLIC_KEY_INFO') as string;
    const derive = (token: string, base: string, peer: string) =>
      call<{ handle: string }>('POST', '/v1/pkcs11/keys/derive', token, {
        baseKeyHandle: base,
        mechanism: 'ECDH1_DERIVE',
        publicKey: peer,
        kdf: 'null',
        template: [
          A('CKA_CLASS', CKO.SECRET_KEY),
          A('CKA_KEY_TYPE', CKK.AES),
          A('CKA_VALUE_LEN', 32),
          A('CKA_ENCRYPT', true),
          A('CKA_TOKEN', true),
        ],
      });
    const ours = await derive(alice, a.privateHandle, await spkiOf(bob, b.publicHandle));
    const others = await derive(bob, b.privateHandle, await spkiOf(alice, a.publicHandle));
    assert.equal(ours.status, 201, ours.text);
    assert.equal(others.status, 201, others.text);
    const check = async (token: string, handle: string) =>
      (await read(token, handle, ['CKA_CHECK_VALUE'])).get('CKA_CHECK_VALUE');
    assert.equal(await check(alice, ours.body.handle), await check(bob, others.body.handle));
    const noLength = await call('POST', '/v1/pkcs11/keys/derive', alice, {
      baseKeyHandle: a.privateHandle,
      mechanism: 'ECDH1_DERIVE',
      publicKey: await spkiOf(bob, b.publicHandle),
      kdf: 'null',
      template: [A('CKA_KEY_TYPE', CKK.AES)],
    });
    refused(noLength, 'TEMPLATE_INCOMPLETE');
  });

  test('without a login: only public keys and certificates, and only while the cluster policy lists them', async () => {
    const anonymous = <T>(path: string, body: unknown) =>
      t.api.call<T>('POST', `/v1/pkcs11/public/objects/${path}`, { body });
    const ec = [A('CKA_KEY_TYPE', CKK.EC), A('CKA_EC_PARAMS', P256), A('CKA_VERIFY', true)];
    const stored = [A('CKA_TOKEN', true), A('CKA_SIGN', true)];
    const listed = await pair(
      alice,
      'EC_KEY_PAIR_GEN',
      [...ec, A('CKA_TOKEN', true), A('CKA_LABEL', text('pub'))],
      [...stored, A('CKA_PRIVATE', false)],
    );
    const withdrawn = await pair(alice, 'EC_KEY_PAIR_GEN', [...ec, A('CKA_TOKEN', true)], stored);
    const hidden = await pair(alice, 'EC_KEY_PAIR_GEN', [...ec, A('CKA_TOKEN', true), A('CKA_PRIVATE', true)], stored);
    const session = await pair(alice, 'EC_KEY_PAIR_GEN', ec, [A('CKA_SIGN', true)]);
    const notPrivate = (attr: Attr): Attr =>
      attr.type === attributeTypeNumber('CKA_PRIVATE') ? A('CKA_PRIVATE', false) : attr;
    const secret = await generate(alice, 'AES_KEY_GEN', aesTemplate('public secret?').map(notPrivate));
    const create = async (template: Attr[]) => {
      const made = await call<{ handle: string }>('POST', '/v1/pkcs11/objects', alice, {
        template: [A('CKA_TOKEN', true), ...template],
      });
      assert.equal(made.status, 201, made.text);
      return made.body.handle;
    };
    const certificate = (isPrivate: boolean) =>
      create([
        A('CKA_CLASS', CKO.CERTIFICATE),
        A('CKA_CERTIFICATE_TYPE', 0),
        A('CKA_PRIVATE', isPrivate),
        A('CKA_VALUE', selfSigned('public')),
      ]);
    const [publicCert, privateCert] = [await certificate(false), await certificate(true)];
    // A data object may hold anything: it is never public, whatever its CKA_PRIVATE.
    const data = await create([A('CKA_CLASS', CKO.DATA), A('CKA_PRIVATE', false), A('CKA_VALUE', text('secret'))]);

    refused(await anonymous('find', { template: [] }), 'NOT_AUTHENTICATED');
    refused(await anonymous('attributes', { handle: listed.publicHandle, types: [0] }), 'NOT_AUTHENTICATED');
    const on = await call('PUT', '/v1/cluster/policy', admin, { listPublicObjects: true });
    assert.equal(on.status, 200, on.text);
    try {
      // The owner withdraws a public key: CKA_PRIVATE only ever turns true.
      const withdraw = (value: boolean) =>
        call('PATCH', `/v1/pkcs11/objects/${withdrawn.publicHandle}`, alice, { template: [A('CKA_PRIVATE', value)] });
      assert.equal((await withdraw(true)).status, 200);
      refused(await withdraw(false), 'ATTRIBUTE_READ_ONLY');

      const found = await anonymous<{ handles: string[] }>('find', { template: [] });
      assert.equal(found.status, 200, found.text);
      const seen = new Set(found.body.handles);
      assert.ok(seen.has(listed.publicHandle) && seen.has(publicCert), 'the public key and certificate are listed');
      const never = [listed.privateHandle, withdrawn.publicHandle, hidden.publicHandle, hidden.privateHandle];
      never.push(session.publicHandle, secret, privateCert, data);
      for (const handle of never) assert.ok(!seen.has(handle), `${handle} is not public`);
      const privateClass = await anonymous<{ handles: string[] }>('find', {
        template: [A('CKA_CLASS', CKO.PRIVATE_KEY)],
      });
      assert.deepEqual(privateClass.body.handles, [], 'no private key, whatever its CKA_PRIVATE');

      const names: AttributeTypeName[] = ['CKA_LABEL', 'CKA_EC_POINT', 'CKA_PRIVATE'];
      const shown = await anonymous<Answers>('attributes', {
        handle: listed.publicHandle,
        types: names.map(attributeTypeNumber),
      });
      assert.equal(shown.status, 200, shown.text);
      assert.deepEqual(
        shown.body.attributes.map((a) => ('value' in a ? a.value : a.error)),
        [...(await read(alice, listed.publicHandle, names)).values()],
        'the same attributes as its owner reads',
      );
      const before = (await auditEvents(t.api, admin)).length;
      for (const handle of [...never, '0x00000000000000aa'])
        refused(await anonymous('attributes', { handle, types: [0] }), 'KEY_NOT_FOUND');
      assert.equal((await auditEvents(t.api, admin)).length, before, 'anonymous refusals write no audit event');
    } finally {
      await call('PUT', '/v1/cluster/policy', admin, { listPublicObjects: false });
    }
  });
});
