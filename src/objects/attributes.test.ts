import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { KeyClass } from '../crypto/types.js';
import {
  BOOLEAN_ATTRIBUTES,
  BOOLEAN_ATTRIBUTE_NAMES,
  changeAllowed,
  resolveCreationAttributes,
  type BooleanAttribute,
  type Change,
} from './attributes.js';

const CLASSES: readonly KeyClass[] = ['secret', 'private', 'public'];

/**
 * The expected rules, written out from the PKCS#11 attribute tables independently of the
 * module: which classes carry each attribute, the default per class (undefined: node-computed),
 * whether the owner may set it at creation, and how it may change.
 */
interface Expected {
  readonly pkcs11: string;
  readonly defaults: Partial<Record<KeyClass, boolean>>;
  readonly classes: readonly KeyClass[];
  readonly settable: boolean;
  readonly change: Change;
}

const S = 'secret';
const V = 'private';
const P = 'public';

const EXPECTED: Record<BooleanAttribute, Expected> = {
  token: {
    pkcs11: 'CKA_TOKEN',
    classes: [S, V, P],
    defaults: { secret: true, private: true, public: true },
    settable: false,
    change: 'never',
  },
  private: {
    pkcs11: 'CKA_PRIVATE',
    classes: [S, V, P],
    defaults: { secret: true, private: true, public: false },
    settable: true,
    change: 'never',
  },
  modifiable: {
    pkcs11: 'CKA_MODIFIABLE',
    classes: [S, V, P],
    defaults: { secret: true, private: true, public: true },
    settable: true,
    change: 'only-to-false',
  },
  destroyable: {
    pkcs11: 'CKA_DESTROYABLE',
    classes: [S, V, P],
    defaults: { secret: true, private: true, public: true },
    settable: true,
    change: 'only-to-false',
  },
  sensitive: {
    pkcs11: 'CKA_SENSITIVE',
    classes: [S, V],
    defaults: { secret: true, private: true },
    settable: true,
    change: 'only-to-true',
  },
  extractable: {
    pkcs11: 'CKA_EXTRACTABLE',
    classes: [S, V],
    defaults: { secret: false, private: false },
    settable: true,
    change: 'only-to-false',
  },
  alwaysSensitive: { pkcs11: 'CKA_ALWAYS_SENSITIVE', classes: [S, V], defaults: {}, settable: false, change: 'never' },
  neverExtractable: {
    pkcs11: 'CKA_NEVER_EXTRACTABLE',
    classes: [S, V],
    defaults: {},
    settable: false,
    change: 'never',
  },
  local: { pkcs11: 'CKA_LOCAL', classes: [S, V, P], defaults: {}, settable: false, change: 'never' },
  trusted: {
    pkcs11: 'CKA_TRUSTED',
    classes: [S, P],
    defaults: { secret: false, public: false },
    settable: false,
    change: 'never',
  },
  wrapWithTrusted: {
    pkcs11: 'CKA_WRAP_WITH_TRUSTED',
    classes: [S, V],
    defaults: { secret: false, private: false },
    settable: true,
    change: 'only-to-true',
  },
  encrypt: {
    pkcs11: 'CKA_ENCRYPT',
    classes: [S, P],
    defaults: { secret: true, public: false },
    settable: true,
    change: 'any',
  },
  decrypt: {
    pkcs11: 'CKA_DECRYPT',
    classes: [S, V],
    defaults: { secret: true, private: false },
    settable: true,
    change: 'any',
  },
  sign: {
    pkcs11: 'CKA_SIGN',
    classes: [S, V],
    defaults: { secret: false, private: true },
    settable: true,
    change: 'any',
  },
  verify: {
    pkcs11: 'CKA_VERIFY',
    classes: [S, P],
    defaults: { secret: false, public: true },
    settable: true,
    change: 'any',
  },
  wrap: {
    pkcs11: 'CKA_WRAP',
    classes: [S, P],
    defaults: { secret: false, public: false },
    settable: true,
    change: 'any',
  },
  unwrap: {
    pkcs11: 'CKA_UNWRAP',
    classes: [S, V],
    defaults: { secret: false, private: false },
    settable: true,
    change: 'any',
  },
  derive: {
    pkcs11: 'CKA_DERIVE',
    classes: [S, V],
    defaults: { secret: false, private: false },
    settable: true,
    change: 'any',
  },
};

/** Attributes the node computes from the key's origin rather than from defaults. */
const COMPUTED = new Set<BooleanAttribute>(['local', 'alwaysSensitive', 'neverExtractable']);

function resolved(keyClass: KeyClass, requested: Partial<Record<string, boolean>> = {}, generatedHere = true) {
  const result = resolveCreationAttributes(keyClass, requested, { generatedHere });
  assert.ok(result.ok, `expected ${keyClass} ${JSON.stringify(requested)} to resolve`);
  return result.attributes;
}

describe('the attribute table', () => {
  test('has exactly the expected attributes, with their PKCS#11 names', () => {
    assert.deepEqual([...BOOLEAN_ATTRIBUTE_NAMES].sort(), Object.keys(EXPECTED).sort());
    for (const name of BOOLEAN_ATTRIBUTE_NAMES)
      assert.equal(BOOLEAN_ATTRIBUTES[name].pkcs11, EXPECTED[name].pkcs11, name);
  });

  for (const name of BOOLEAN_ATTRIBUTE_NAMES) {
    const rule = EXPECTED[name];
    describe(`${name} (${rule.pkcs11})`, () => {
      for (const keyClass of CLASSES) {
        const carried = rule.classes.includes(keyClass);
        test(`${keyClass}: ${carried ? 'carried' : 'not carried'}; default`, () => {
          const attributes = resolved(keyClass);
          if (!carried) {
            assert.equal(attributes[name], undefined, `${keyClass} must not carry ${name}`);
          } else if (!COMPUTED.has(name)) {
            assert.equal(attributes[name], rule.defaults[keyClass], `default of ${name} for ${keyClass}`);
          } else {
            assert.equal(typeof attributes[name], 'boolean', `${name} is computed for ${keyClass}`);
          }
        });

        if (!carried) {
          test(`${keyClass}: refused at creation with reason 'type', both values`, () => {
            for (const value of [true, false]) {
              assert.deepEqual(resolveCreationAttributes(keyClass, { [name]: value }, { generatedHere: true }), {
                ok: false,
                attribute: name,
                reason: 'type',
              });
            }
          });
        } else if (!rule.settable) {
          test(`${keyClass}: node-only, refused at creation with reason 'read-only', both values`, () => {
            for (const value of [true, false]) {
              assert.deepEqual(resolveCreationAttributes(keyClass, { [name]: value }, { generatedHere: true }), {
                ok: false,
                attribute: name,
                reason: 'read-only',
              });
            }
          });
        } else {
          test(`${keyClass}: the owner's value at creation wins over the default, both values`, () => {
            for (const value of [true, false]) assert.equal(resolved(keyClass, { [name]: value })[name], value);
          });
        }
      }

      test(`changeAllowed follows '${rule.change}' in both directions`, () => {
        const expectedUp = rule.change === 'any' || rule.change === 'only-to-true';
        const expectedDown = rule.change === 'any' || rule.change === 'only-to-false';
        assert.equal(changeAllowed(name, false, true), expectedUp, `${name} false → true`);
        assert.equal(changeAllowed(name, true, false), expectedDown, `${name} true → false`);
        assert.equal(changeAllowed(name, true, true), true, 'no change is always allowed');
        assert.equal(changeAllowed(name, false, false), true, 'no change is always allowed');
      });
    });
  }

  test('the PKCS#11 one-way rules: sensitive only to true, extractable never back to true', () => {
    assert.equal(changeAllowed('sensitive', true, false), false);
    assert.equal(changeAllowed('sensitive', false, true), true);
    assert.equal(changeAllowed('extractable', false, true), false);
    assert.equal(changeAllowed('extractable', true, false), true);
  });
});

describe('resolveCreationAttributes', () => {
  test('local, alwaysSensitive and neverExtractable follow from the origin', () => {
    const cases: {
      keyClass: KeyClass;
      requested: Partial<Record<string, boolean>>;
      generatedHere: boolean;
      local: boolean;
      alwaysSensitive?: boolean;
      neverExtractable?: boolean;
    }[] = [
      {
        keyClass: 'secret',
        requested: {},
        generatedHere: true,
        local: true,
        alwaysSensitive: true,
        neverExtractable: true,
      },
      {
        keyClass: 'secret',
        requested: {},
        generatedHere: false,
        local: false,
        alwaysSensitive: false,
        neverExtractable: false,
      },
      {
        keyClass: 'secret',
        requested: { sensitive: false },
        generatedHere: true,
        local: true,
        alwaysSensitive: false,
        neverExtractable: true,
      },
      {
        keyClass: 'secret',
        requested: { extractable: true },
        generatedHere: true,
        local: true,
        alwaysSensitive: true,
        neverExtractable: false,
      },
      {
        keyClass: 'private',
        requested: {},
        generatedHere: true,
        local: true,
        alwaysSensitive: true,
        neverExtractable: true,
      },
      {
        keyClass: 'private',
        requested: { sensitive: false, extractable: true },
        generatedHere: true,
        local: true,
        alwaysSensitive: false,
        neverExtractable: false,
      },
      {
        keyClass: 'private',
        requested: {},
        generatedHere: false,
        local: false,
        alwaysSensitive: false,
        neverExtractable: false,
      },
      { keyClass: 'public', requested: {}, generatedHere: true, local: true },
      { keyClass: 'public', requested: {}, generatedHere: false, local: false },
    ];
    for (const c of cases) {
      const attributes = resolved(c.keyClass, c.requested, c.generatedHere);
      const label = JSON.stringify(c);
      assert.equal(attributes.local, c.local, label);
      assert.equal(attributes.alwaysSensitive, c.alwaysSensitive, label);
      assert.equal(attributes.neverExtractable, c.neverExtractable, label);
    }
  });

  test('an unknown attribute name is refused with reason type', () => {
    assert.deepEqual(resolveCreationAttributes('secret', { bogus: true }, { generatedHere: true }), {
      ok: false,
      attribute: 'bogus',
      reason: 'type',
    });
    assert.deepEqual(resolveCreationAttributes('secret', { Sensitive: true }, { generatedHere: true }), {
      ok: false,
      attribute: 'Sensitive',
      reason: 'type',
    });
  });

  test('names inherited from Object.prototype are unknown attributes, not crashes', () => {
    for (const name of ['toString', 'constructor', 'hasOwnProperty', 'valueOf', '__proto__']) {
      const requested: Partial<Record<string, boolean>> = JSON.parse(`{${JSON.stringify(name)}: true}`) as Partial<
        Record<string, boolean>
      >;
      assert.deepEqual(Object.keys(requested), [name]);
      assert.deepEqual(
        resolveCreationAttributes('secret', requested, { generatedHere: true }),
        { ok: false, attribute: name, reason: 'type' },
        name,
      );
    }
  });

  test('the first offending attribute is named, and nothing is resolved', () => {
    const result = resolveCreationAttributes('public', { encrypt: true, sign: true }, { generatedHere: true });
    assert.deepEqual(result, { ok: false, attribute: 'sign', reason: 'type' });
  });

  test('several settable values at once are all applied', () => {
    const attributes = resolved('secret', {
      encrypt: false,
      decrypt: false,
      sign: true,
      verify: true,
      extractable: true,
      sensitive: false,
    });
    assert.deepEqual(
      [
        attributes.encrypt,
        attributes.decrypt,
        attributes.sign,
        attributes.verify,
        attributes.extractable,
        attributes.sensitive,
      ],
      [false, false, true, true, true, false],
    );
    assert.equal(attributes.token, true);
  });
});
