import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, test } from 'node:test';
import { coffer } from '../../test/support/errors.js';
import { withOpenssl } from '../../test/support/testing-openssl.js';
import type { AttributeTypeName } from './attribute-types.js';
import { certificateFields } from './certificate.js';
import { newObjectAttributes, planObjectChange, withoutIdentity } from './object-attributes.js';
import type { AttributeValue, Template } from './value-codec.js';

const T = (entries: [AttributeTypeName, AttributeValue][]): Template => new Map(entries);
const der = withOpenssl({}, [
  'req',
  '-x509',
  '-newkey',
  'ec',
  '-pkeyopt',
  'ec_paramgen_curve:P-256',
  '-nodes',
  '-keyout',
  'k.pem',
  '-subj',
  '/CN=object test',
  '-days',
  '1',
  '-outform',
  'DER',
  '-set_serial',
  '0x00ff7f',
]);

describe('the certificate and data object rules', () => {
  test('a data object takes its defaults; CKA_VALUE is required', () => {
    const attributes = newObjectAttributes('data', T([['CKA_VALUE', Buffer.from('v')]]));
    assert.equal(attributes.get('CKA_TOKEN'), false, "PKCS#11's default: a session object");
    assert.equal(attributes.get('CKA_COPYABLE'), true);
    assert.deepEqual(attributes.get('CKA_APPLICATION'), Buffer.alloc(0));
    assert.ok(!attributes.has('CKA_SUBJECT'));
    assert.throws(() => newObjectAttributes('data', T([])), coffer('TEMPLATE_INCOMPLETE'));
    assert.throws(
      () =>
        newObjectAttributes(
          'data',
          T([
            ['CKA_VALUE', Buffer.alloc(0)],
            ['CKA_ISSUER', Buffer.alloc(0)],
          ]),
        ),
      coffer('ATTRIBUTE_TYPE_INVALID'),
    );
    assert.throws(
      () => newObjectAttributes('data', T([['CKA_VALUE', Buffer.alloc(70_000)]])),
      coffer('ATTRIBUTE_VALUE_INVALID'),
    );
    assert.throws(
      () =>
        newObjectAttributes(
          'data',
          T([
            ['CKA_VALUE', Buffer.alloc(0)],
            ['CKA_LABEL', Buffer.from([0xff])],
          ]),
        ),
      coffer('ATTRIBUTE_VALUE_INVALID'),
    );
  });

  test('a certificate takes SUBJECT, ISSUER, SERIAL_NUMBER, PUBLIC_KEY_INFO and CHECK_VALUE from its DER', () => {
    const fields = certificateFields(der);
    const x509 = new X509Certificate(der);
    assert.deepEqual(fields.serialNumber, Buffer.from('020300ff7f', 'hex'), 'the DER INTEGER, as PKCS#11 says');
    assert.deepEqual(fields.publicKeyInfo, x509.publicKey.export({ type: 'spki', format: 'der' }));
    assert.ok(fields.subject.includes(Buffer.from('object test')));
    assert.equal(fields.subject[0], 0x30);
    const attributes = newObjectAttributes(
      'certificate',
      T([
        ['CKA_CERTIFICATE_TYPE', 0],
        ['CKA_VALUE', der],
      ]),
    );
    assert.deepEqual(attributes.get('CKA_SUBJECT'), fields.subject);
    assert.deepEqual(attributes.get('CKA_ISSUER'), fields.issuer);
    assert.equal((attributes.get('CKA_CHECK_VALUE') as Buffer).length, 3);
    assert.equal(attributes.get('CKA_TRUSTED'), false);
    const given = newObjectAttributes(
      'certificate',
      T([
        ['CKA_CERTIFICATE_TYPE', 0],
        ['CKA_VALUE', der],
        ['CKA_SUBJECT', Buffer.from([0x30, 0])],
      ]),
    );
    assert.deepEqual(given.get('CKA_SUBJECT'), Buffer.from([0x30, 0]), 'a given subject is kept');
    assert.throws(() => newObjectAttributes('certificate', T([['CKA_VALUE', der]])), coffer('TEMPLATE_INCOMPLETE'));
    assert.throws(
      () =>
        newObjectAttributes(
          'certificate',
          T([
            ['CKA_CERTIFICATE_TYPE', 1],
            ['CKA_VALUE', der],
          ]),
        ),
      coffer('ATTRIBUTE_VALUE_INVALID'),
    );
    assert.throws(
      () =>
        newObjectAttributes(
          'certificate',
          T([
            ['CKA_CERTIFICATE_TYPE', 0],
            ['CKA_VALUE', der.subarray(1)],
          ]),
        ),
      coffer('ATTRIBUTE_VALUE_INVALID'),
    );
    assert.throws(
      () =>
        newObjectAttributes(
          'certificate',
          T([
            ['CKA_CERTIFICATE_TYPE', 0],
            ['CKA_VALUE', der],
            ['CKA_CHECK_VALUE', Buffer.alloc(3)],
          ]),
        ),
      coffer('ATTRIBUTE_READ_ONLY'),
    );
  });

  test('changes go the way each rule allows, nothing once CKA_MODIFIABLE is false', () => {
    const current = newObjectAttributes(
      'data',
      T([
        ['CKA_VALUE', Buffer.from('v')],
        ['CKA_TOKEN', true],
      ]),
    );
    const plan = planObjectChange(
      'data',
      current,
      T([
        ['CKA_LABEL', Buffer.from('l')],
        ['CKA_TOKEN', true],
        ['CKA_COPYABLE', false],
      ]),
    );
    assert.deepEqual(plan.changed, ['CKA_LABEL', 'CKA_COPYABLE']);
    assert.throws(() => planObjectChange('data', current, T([['CKA_TOKEN', false]])), coffer('ATTRIBUTE_READ_ONLY'));
    assert.throws(
      () => planObjectChange('data', plan.attributes, T([['CKA_COPYABLE', true]])),
      coffer('ATTRIBUTE_READ_ONLY'),
    );
    const frozen = newObjectAttributes(
      'data',
      T([
        ['CKA_VALUE', Buffer.from('v')],
        ['CKA_MODIFIABLE', false],
      ]),
    );
    assert.throws(
      () => planObjectChange('data', frozen, T([['CKA_LABEL', Buffer.from('l')]])),
      coffer('ATTRIBUTE_READ_ONLY'),
    );
    // A copy may also choose CKA_TOKEN, and copies an unmodifiable object.
    assert.deepEqual(planObjectChange('data', frozen, T([['CKA_TOKEN', true]]), 'copy').changed, ['CKA_TOKEN']);
    const cert = newObjectAttributes(
      'certificate',
      T([
        ['CKA_CERTIFICATE_TYPE', 0],
        ['CKA_VALUE', der],
      ]),
    );
    assert.throws(
      () => planObjectChange('certificate', cert, T([['CKA_VALUE', der.subarray(0, 10)]])),
      coffer('ATTRIBUTE_READ_ONLY'),
    );
  });

  test('CKA_CLASS may only repeat the class; CKA_UNIQUE_ID is the node’s', () => {
    assert.equal(
      withoutIdentity(
        'data',
        T([
          ['CKA_CLASS', 0],
          ['CKA_VALUE', Buffer.alloc(0)],
        ]),
      ).has('CKA_CLASS'),
      false,
    );
    assert.throws(() => withoutIdentity('data', T([['CKA_CLASS', 1]])), coffer('ATTRIBUTE_READ_ONLY'));
    assert.throws(
      () => withoutIdentity('data', T([['CKA_UNIQUE_ID', Buffer.alloc(0)]])),
      coffer('ATTRIBUTE_READ_ONLY'),
    );
  });
});
