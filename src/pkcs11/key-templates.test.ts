import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import { coffer } from '../../test/support/errors.js';
import type { AttributeTypeName } from './attribute-types.js';
import { createKeyInput, deriveInput, generatePairInput, generateSecretInput, unwrapInput } from './key-requests.js';
import { keyTemplateInputs } from './key-templates.js';
import { privateKeyFromParts } from './private-parts.js';
import { publicKeyFromParts, publicPartsOf } from './public-parts.js';
import type { AttributeValue, Template } from './value-codec.js';

const T = (entries: [AttributeTypeName, AttributeValue][]): Template => new Map(entries);
const P256 = Buffer.from('06082a8648ce3d030107', 'hex');

describe('key templates → key-creation inputs', () => {
  test('flags go to the attribute table by name; label, id and token to their fields', () => {
    const inputs = keyTemplateInputs(
      'secret',
      'aes',
      T([
        ['CKA_LABEL', Buffer.from('k')],
        ['CKA_ID', Buffer.from([0xab])],
        ['CKA_TOKEN', true],
        ['CKA_ENCRYPT', true],
        ['CKA_SENSITIVE', false],
        ['CKA_CLASS', 4],
        ['CKA_KEY_TYPE', 0x1f],
      ]),
      'generate',
    );
    assert.deepEqual(inputs, {
      label: 'k',
      id: 'ab',
      token: true,
      attributes: { encrypt: true, sensitive: false },
      material: {},
    });
  });

  test('a public key keeps CKA_DERIVE as given (pkcs11-tool sets it); it grants no derivation', () => {
    const inputs = keyTemplateInputs('public', 'ec', T([['CKA_DERIVE', true]]), 'generate');
    assert.deepEqual(inputs.attributes, { derive: true });
  });

  test('what Coffer keys do not have is accepted as false only', () => {
    const accepted = T([
      ['CKA_SIGN_RECOVER', false],
      ['CKA_TRUSTED', false],
      ['CKA_VERIFY_RECOVER', false],
      ['CKA_SUBJECT', Buffer.alloc(0)],
      ['CKA_START_DATE', Buffer.alloc(0)],
    ]);
    const inputs = keyTemplateInputs(
      'public',
      'ec',
      new Map([...accepted].filter(([name]) => name !== 'CKA_SIGN_RECOVER')),
      'generate',
    );
    assert.deepEqual(inputs.attributes, {});
    const refusals: [AttributeTypeName, AttributeValue, string][] = [
      ['CKA_VERIFY_RECOVER', true, 'ATTRIBUTE_VALUE_INVALID'],
      ['CKA_TRUSTED', true, 'ATTRIBUTE_READ_ONLY'],
      ['CKA_SUBJECT', Buffer.from([0x30, 0]), 'ATTRIBUTE_VALUE_INVALID'],
      ['CKA_START_DATE', Buffer.from('20260101'), 'ATTRIBUTE_VALUE_INVALID'],
      ['CKA_SIGN_RECOVER', false, 'ATTRIBUTE_TYPE_INVALID'],
      ['CKA_ALLOWED_MECHANISMS', [1], 'ATTRIBUTE_TYPE_INVALID'],
      ['CKA_PUBLIC_KEY_INFO', Buffer.alloc(3), 'ATTRIBUTE_READ_ONLY'],
      ['CKA_UNIQUE_ID', Buffer.alloc(3), 'ATTRIBUTE_READ_ONLY'],
      ['CKA_EC_POINT', Buffer.alloc(3), 'ATTRIBUTE_READ_ONLY'],
      ['CKA_CLASS', 3, 'TEMPLATE_INCONSISTENT'],
      ['CKA_KEY_TYPE', 0, 'TEMPLATE_INCONSISTENT'],
    ];
    for (const [name, value, code] of refusals)
      assert.throws(
        () => keyTemplateInputs('public', 'ec', T([[name, value]]), 'generate'),
        coffer(code as never),
        `${name}`,
      );
  });

  test('generation inputs: lengths, sizes and curves required, pair halves agree', () => {
    assert.deepEqual(generateSecretInput('AES_KEY_GEN', T([['CKA_VALUE_LEN', 16]])), {
      keyType: 'aes',
      keyLengthBytes: 16,
      token: false,
    });
    assert.throws(() => generateSecretInput('AES_KEY_GEN', T([])), coffer('TEMPLATE_INCOMPLETE'));
    assert.throws(() => generateSecretInput('EC_KEY_PAIR_GEN', T([])), coffer('MECHANISM_INVALID'));
    const ecPair = generatePairInput(
      'EC_KEY_PAIR_GEN',
      T([
        ['CKA_EC_PARAMS', P256],
        ['CKA_ID', Buffer.from([1])],
        ['CKA_TOKEN', true],
      ]),
      T([['CKA_SIGN', true]]),
    );
    assert.deepEqual(ecPair, {
      keyType: 'ec',
      curve: 'secp256r1',
      id: '01',
      privateAttributes: { sign: true },
      token: true,
    });
    assert.throws(() => generatePairInput('EC_KEY_PAIR_GEN', T([]), T([])), coffer('TEMPLATE_INCOMPLETE'));
    assert.throws(
      () =>
        generatePairInput(
          'EC_KEY_PAIR_GEN',
          T([
            ['CKA_EC_PARAMS', P256],
            ['CKA_TOKEN', true],
          ]),
          T([['CKA_TOKEN', false]]),
        ),
      coffer('TEMPLATE_INCONSISTENT'),
    );
    const rsa = generatePairInput(
      'RSA_PKCS_KEY_PAIR_GEN',
      T([
        ['CKA_MODULUS_BITS', 3072],
        ['CKA_PUBLIC_EXPONENT', Buffer.from([1, 0, 1])],
      ]),
      T([]),
    );
    assert.deepEqual(rsa, { keyType: 'rsa', modulusBits: 3072, publicExponent: 65537, token: false });
    assert.throws(() => generatePairInput('RSA_PKCS_KEY_PAIR_GEN', T([]), T([])), coffer('TEMPLATE_INCOMPLETE'));
    assert.throws(
      () => generatePairInput('EC_EDWARDS_KEY_PAIR_GEN', T([['CKA_EC_PARAMS', P256]]), T([])),
      coffer('ATTRIBUTE_VALUE_INVALID'),
    );
  });

  test('unwrap and derive take class and key type from the template', () => {
    assert.deepEqual(
      unwrapInput(
        T([
          ['CKA_CLASS', 4],
          ['CKA_KEY_TYPE', 0x1f],
          ['CKA_DECRYPT', true],
        ]),
      ),
      {
        class: 'secret',
        keyType: 'aes',
        attributes: { decrypt: true },
        token: false,
      },
    );
    assert.throws(() => unwrapInput(T([['CKA_KEY_TYPE', 0x1f]])), coffer('TEMPLATE_INCOMPLETE'));
    assert.throws(
      () =>
        unwrapInput(
          T([
            ['CKA_CLASS', 2],
            ['CKA_KEY_TYPE', 3],
          ]),
        ),
      coffer('TEMPLATE_INCONSISTENT'),
    );
    assert.throws(
      () =>
        unwrapInput(
          T([
            ['CKA_CLASS', 4],
            ['CKA_KEY_TYPE', 3],
          ]),
        ),
      coffer('TEMPLATE_INCONSISTENT'),
    );
    assert.deepEqual(deriveInput(T([['CKA_VALUE_LEN', 32]])), {
      keyType: 'generic-secret',
      keyLengthBytes: 32,
      token: false,
    });
    assert.throws(() => deriveInput(T([['CKA_KEY_TYPE', 0x1f]])), coffer('TEMPLATE_INCOMPLETE'));
  });

  test('create: a secret value, public components, private components', () => {
    const secret = createKeyInput(
      'secret',
      T([
        ['CKA_KEY_TYPE', 0x1f],
        ['CKA_VALUE', Buffer.alloc(16, 1)],
      ]),
    );
    assert.deepEqual(secret, { keyType: 'aes', value: Buffer.alloc(16, 1).toString('base64'), token: false });
    assert.throws(() => createKeyInput('secret', T([['CKA_KEY_TYPE', 0x1f]])), coffer('TEMPLATE_INCOMPLETE'));
    assert.throws(() => createKeyInput('secret', T([['CKA_VALUE', Buffer.alloc(16)]])), coffer('TEMPLATE_INCOMPLETE'));
    const wrongLength = T([
      ['CKA_KEY_TYPE', 0x1f],
      ['CKA_VALUE', Buffer.alloc(16)],
      ['CKA_VALUE_LEN', 32],
    ]);
    assert.throws(() => createKeyInput('secret', wrongLength), coffer('TEMPLATE_INCONSISTENT'));

    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const parts = publicPartsOf(ec.publicKey);
    const made = publicKeyFromParts('ec', { curve: 'secp256r1', ecPoint: parts.ecPoint! });
    assert.ok(made.equals(ec.publicKey));
    // The raw point, as some clients send it, is accepted too.
    assert.ok(
      publicKeyFromParts('ec', { curve: 'secp256r1', ecPoint: parts.ecPoint!.subarray(2) }).equals(ec.publicKey),
    );
    assert.throws(
      () => publicKeyFromParts('ec', { curve: 'secp256r1', ecPoint: Buffer.alloc(65, 4) }),
      coffer('ATTRIBUTE_VALUE_INVALID'),
    );
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const rsaParts = publicPartsOf(rsa.privateKey);
    assert.ok(
      publicKeyFromParts('rsa', { modulus: rsaParts.modulus!, publicExponent: rsaParts.publicExponent! }).equals(
        rsa.publicKey,
      ),
    );
    const rsaInput = createKeyInput(
      'public',
      T([
        ['CKA_KEY_TYPE', 0],
        ['CKA_MODULUS', rsaParts.modulus!],
        ['CKA_PUBLIC_EXPONENT', rsaParts.publicExponent!],
      ]),
    );
    assert.ok(
      createPublicKey({ key: Buffer.from(rsaInput.der as string, 'base64'), format: 'der', type: 'spki' }).equals(
        rsa.publicKey,
      ),
    );

    const jwk = rsa.privateKey.export({ format: 'jwk' });
    const b = (field: string | undefined) => Buffer.from(field!, 'base64url');
    const rsaPrivate = privateKeyFromParts(
      'rsa',
      {
        CKA_MODULUS: b(jwk.n),
        CKA_PRIVATE_EXPONENT: b(jwk.d),
        CKA_PRIME_1: b(jwk.p),
        CKA_PRIME_2: b(jwk.q),
        CKA_EXPONENT_1: b(jwk.dp),
        CKA_EXPONENT_2: b(jwk.dq),
        CKA_COEFFICIENT: b(jwk.qi),
      },
      { publicExponent: b(jwk.e) },
    );
    assert.ok(rsaPrivate.equals(rsa.privateKey));
    assert.throws(
      () => privateKeyFromParts('rsa', { CKA_MODULUS: b(jwk.n) }, { publicExponent: b(jwk.e) }),
      coffer('TEMPLATE_INCOMPLETE'),
    );
    const ecPrivate = privateKeyFromParts(
      'ec',
      { CKA_VALUE: b(ec.privateKey.export({ format: 'jwk' }).d) },
      { curve: 'secp256r1' },
    );
    assert.ok(ecPrivate.equals(ec.privateKey));
    const ed = generateKeyPairSync('ed25519');
    const seed = b(ed.privateKey.export({ format: 'jwk' }).d);
    assert.ok(privateKeyFromParts('ec-edwards', { CKA_VALUE: seed }, {}).equals(ed.privateKey));
  });
});
