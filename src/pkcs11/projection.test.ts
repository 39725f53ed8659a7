import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, generateKeySync, type KeyObject } from 'node:crypto';
import { describe, test } from 'node:test';
import type { KeyClass, KeyShape, KeyType } from '../crypto/types.js';
import type { KeyRecord } from '../objects/key-record.js';
import { PKCS11_ATTRIBUTE_TYPES, type AttributeTypeName } from './attribute-types.js';
import type { ObjectRecord } from './object-record.js';
import { answerAttributes, projection, type Projected } from './projection.js';

function keyRecord(keyClass: KeyClass, keyType: KeyType, shape: KeyShape, attributes: KeyRecord['attributes'] = {}) {
  const record: KeyRecord = {
    handle: '0x00000000000000aa',
    class: keyClass,
    keyType,
    label: 'a key',
    id: '0102',
    attributes: { token: true, local: true, ...attributes },
    shape,
    checkValue: 'abcdef',
    owner: 'alice',
    sharedWith: [],
    state: 'enabled',
    version: 1,
    createdAt: '',
    updatedAt: '',
  };
  return record;
}

const show = (record: KeyRecord, key: KeyObject) => projection({ kind: 'key', record, key });
const ALL = Object.keys(PKCS11_ATTRIBUTE_TYPES) as AttributeTypeName[];
const MATERIAL: AttributeTypeName[] = [
  'CKA_VALUE',
  'CKA_PRIVATE_EXPONENT',
  'CKA_PRIME_1',
  'CKA_PRIME_2',
  'CKA_EXPONENT_1',
  'CKA_EXPONENT_2',
  'CKA_COEFFICIENT',
];

describe('the object projection', () => {
  const secret = generateKeySync('aes', { length: 256 });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ed = generateKeyPairSync('ed25519');
  const cases: [string, KeyRecord, KeyObject][] = [
    ['secret', keyRecord('secret', 'aes', { valueLen: 32 }, { sensitive: false, extractable: true }), secret],
    ['rsa private', keyRecord('private', 'rsa', { modulusBits: 2048, publicExponent: 65537 }), rsa.privateKey],
    ['rsa public', keyRecord('public', 'rsa', { modulusBits: 2048, publicExponent: 65537 }), rsa.publicKey],
    ['ec private', keyRecord('private', 'ec', { curve: 'secp256r1' }), ec.privateKey],
    ['ec public', keyRecord('public', 'ec', { curve: 'secp256r1' }), ec.publicKey],
    ['ed25519 private', keyRecord('private', 'ec-edwards', { curve: 'ed25519' }), ed.privateKey],
  ];

  test('no attribute of any key shows key material, whatever CKA_SENSITIVE says', () => {
    for (const [what, record, key] of cases) {
      const project = show(record, key);
      for (const name of MATERIAL)
        assert.ok(project(name) !== undefined && typeof project(name) === 'string', `${what} ${name}`);
      const secretBytes = key.type === 'secret' ? key.export() : undefined;
      for (const name of ALL) {
        const shown: Projected = project(name);
        if (secretBytes && typeof shown !== 'string' && Buffer.isBuffer(shown.value))
          assert.ok(!shown.value.includes(secretBytes), `${what} ${name} holds the key`);
      }
    }
  });

  test('the material a class has is sensitive; what it does not have is invalid', () => {
    const [, secretRecord] = cases[0]!;
    const project = show(secretRecord, secret);
    assert.equal(project('CKA_VALUE'), 'sensitive');
    assert.equal(project('CKA_PRIVATE_EXPONENT'), 'invalid');
    assert.equal(project('CKA_EC_POINT'), 'invalid');
    assert.equal(project('CKA_ALLOWED_MECHANISMS'), 'invalid');
    const rsaPrivate = show(cases[1]![1], rsa.privateKey);
    assert.equal(rsaPrivate('CKA_VALUE'), 'invalid');
    assert.equal(rsaPrivate('CKA_PRIME_1'), 'sensitive');
    assert.equal(show(cases[3]![1], ec.privateKey)('CKA_VALUE'), 'sensitive');
    assert.equal(show(cases[3]![1], ec.privateKey)('CKA_EC_POINT'), 'invalid');
  });

  test('public parts as PKCS#11 spells them', () => {
    const jwk = rsa.publicKey.export({ format: 'jwk' });
    const rsaPublic = show(cases[2]![1], rsa.publicKey);
    assert.deepEqual(rsaPublic('CKA_MODULUS'), { value: Buffer.from(jwk.n!, 'base64url') });
    assert.deepEqual(rsaPublic('CKA_PUBLIC_EXPONENT'), { value: Buffer.from([1, 0, 1]) });
    assert.deepEqual(rsaPublic('CKA_MODULUS_BITS'), { value: 2048 });
    // The private key shows its public half's modulus too.
    assert.deepEqual(show(cases[1]![1], rsa.privateKey)('CKA_MODULUS'), rsaPublic('CKA_MODULUS'));
    const ecPublic = show(cases[4]![1], ec.publicKey);
    const point = ecPublic('CKA_EC_POINT') as { value: Buffer };
    assert.deepEqual([point.value[0], point.value[1], point.value[2]], [0x04, 65, 0x04]);
    assert.deepEqual(ecPublic('CKA_EC_PARAMS'), { value: Buffer.from('06082a8648ce3d030107', 'hex') });
    const spki = createPublicKey(ec.privateKey).export({ type: 'spki', format: 'der' });
    assert.deepEqual(show(cases[3]![1], ec.privateKey)('CKA_PUBLIC_KEY_INFO'), { value: spki });
    const edPrivate = show(cases[5]![1], ed.privateKey);
    assert.deepEqual(edPrivate('CKA_EC_PARAMS'), { value: Buffer.from('06032b6570', 'hex') });
  });

  test('common key attributes come from the record and the key table', () => {
    const project = show(cases[0]![1], secret);
    assert.deepEqual(project('CKA_CLASS'), { value: 4 });
    assert.deepEqual(project('CKA_KEY_TYPE'), { value: 0x1f });
    assert.deepEqual(project('CKA_UNIQUE_ID'), { value: Buffer.from('0x00000000000000aa') });
    assert.deepEqual(project('CKA_ID'), { value: Buffer.from([1, 2]) });
    assert.deepEqual(project('CKA_COPYABLE'), { value: false });
    assert.deepEqual(project('CKA_CHECK_VALUE'), { value: Buffer.from('abcdef', 'hex') });
    assert.deepEqual(project('CKA_KEY_GEN_MECHANISM'), { value: 0x1080 });
    assert.deepEqual(project('CKA_START_DATE'), { value: Buffer.alloc(0) });
    // A flag the record lacks takes the table's default for the class (CKA_ENCRYPT of a secret key: true).
    assert.deepEqual(project('CKA_ENCRYPT'), { value: true });
    const imported = show(keyRecord('secret', 'aes', { valueLen: 32 }, { local: false }), secret);
    assert.equal(imported('CKA_KEY_GEN_MECHANISM'), 'invalid');
  });

  test('certificates and data objects show their own attributes; answers keep the order asked', () => {
    const record: ObjectRecord = {
      handle: '0x00000000000000bb',
      class: 'data',
      owner: 'alice',
      sharedWith: [],
      attributes: { CKA_VALUE: 'aGk=', CKA_TOKEN: true, CKA_LABEL: '' },
      createdAt: '',
      updatedAt: '',
    };
    const project = projection({ kind: 'object', record });
    assert.deepEqual(project('CKA_CLASS'), { value: 0 });
    assert.deepEqual(project('CKA_VALUE'), { value: Buffer.from('hi') });
    assert.equal(project('CKA_KEY_TYPE'), 'invalid');
    assert.equal(project('CKA_SUBJECT'), 'invalid');
    assert.deepEqual(answerAttributes(project, [0x11, 0x9999, 0x0]), [
      { type: 0x11, value: 'aGk=' },
      { type: 0x9999, error: 'invalid' },
      { type: 0x0, value: 0 },
    ]);
  });
});
