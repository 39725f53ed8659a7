import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Key } from '../client/index.js';
import { parseAttributeList } from './attributes.js';
import { CliError } from './errors.js';
import { matchesFilter, normalizeKeyReference, parseKeyFilter, serverQuery, withDefaultClass } from './filters.js';

const key = (overrides: Partial<Key>): Key => ({
  handle: '0x0000000000000001',
  class: 'private',
  keyType: 'ec',
  label: 'tour',
  id: 'ab01',
  attributes: { sign: true, extractable: false },
  shape: { curve: 'secp256r1' },
  owner: 'alice',
  sharedWith: [],
  state: 'enabled',
  version: 1,
  createdAt: '2025-01-01T00:00:00Z',
  updatedAt: '2025-01-01T00:00:00Z',
  ...overrides,
});

describe('parseKeyFilter', () => {
  it('parses CloudHSM terms and maps class names', () => {
    const filter = parseKeyFilter([
      'attr.label=my key',
      'attr.class=private-key',
      'attr.key-type=EC',
      'attr.id=0xAB01',
      'attr.sign=true',
    ]);
    assert.deepEqual(filter, {
      attributes: { sign: true },
      label: 'my key',
      class: 'private',
      keyType: 'ec',
      id: 'ab01',
    });
    assert.deepEqual(serverQuery(filter), { label: 'my key', id: 'ab01', class: 'private', keyType: 'ec' });
  });

  it('keeps "=" inside a value and pads key references', () => {
    assert.equal(parseKeyFilter(['attr.label=a=b']).label, 'a=b');
    assert.equal(parseKeyFilter(['key-reference=0x1C0686']).keyReference, '0x00000000001c0686');
    assert.equal(normalizeKeyReference('0x00000000001c0686'), '0x00000000001c0686');
  });

  it('maps every CloudHSM class name', () => {
    assert.equal(parseKeyFilter(['attr.class=secret-key']).class, 'secret');
    assert.equal(parseKeyFilter(['attr.class=public-key']).class, 'public');
  });

  it('refuses malformed terms with INVALID_ARGUMENT', () => {
    for (const bad of [
      ['label=x'],
      ['attr.label'],
      ['attr.class=hmac'],
      ['attr.key-type=dsa'],
      ['key-reference=12'],
      ['attr.colour=red'],
      ['attr.sign=maybe'],
      ['attr.label=a', 'attr.label=b'],
      ['attr.id=xyz'],
    ]) {
      assert.throws(
        () => parseKeyFilter(bad),
        (error: unknown) => error instanceof CliError && error.code === 'INVALID_ARGUMENT',
        bad.join(' '),
      );
    }
  });

  it('adds the operation class only when the filter names none and no key reference', () => {
    assert.equal(withDefaultClass(parseKeyFilter(['attr.label=tour']), 'private').class, 'private');
    assert.equal(
      withDefaultClass(parseKeyFilter(['attr.label=tour', 'attr.class=public-key']), 'private').class,
      'public',
    );
    assert.equal(withDefaultClass(parseKeyFilter(['key-reference=0x1']), 'private').class, undefined);
  });

  it('matches keys on every term, attributes included', () => {
    assert.equal(matchesFilter(key({}), parseKeyFilter(['attr.label=tour', 'attr.sign=true'])), true);
    assert.equal(matchesFilter(key({}), parseKeyFilter(['attr.extractable=true'])), false);
    assert.equal(matchesFilter(key({}), parseKeyFilter(['attr.class=public-key'])), false);
    assert.equal(matchesFilter(key({}), parseKeyFilter(['key-reference=0x1'])), true);
  });
});

describe('parseAttributeList', () => {
  it('parses kebab-case NAME=BOOL into API attributes', () => {
    assert.deepEqual(parseAttributeList(['encrypt=true', 'decrypt=False', 'wrap-with-trusted=1']), {
      encrypt: true,
      decrypt: false,
      wrapWithTrusted: true,
    });
    assert.equal(parseAttributeList(undefined), undefined);
    assert.equal(parseAttributeList([]), undefined);
  });

  it('refuses unknown names, non-booleans, duplicates and missing "="', () => {
    for (const bad of [['colour=red'], ['encrypt=yes'], ['encrypt=true', 'encrypt=false'], ['encrypt'], ['=true']]) {
      assert.throws(
        () => parseAttributeList(bad),
        (error: unknown) => error instanceof CliError && error.code === 'INVALID_ARGUMENT',
        bad.join(' '),
      );
    }
  });
});
