import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { KeyClass } from '../crypto/types.js';
import {
  ATTRIBUTE_CONFLICTS,
  BOOLEAN_ATTRIBUTES,
  BOOLEAN_ATTRIBUTE_NAMES,
  changeAllowed,
  VALUE_ATTRIBUTES,
  VALUE_ATTRIBUTE_NAMES,
  matchesFlags,
  normalizeDate,
  planAttributeChange,
  resolveCreationAttributes,
  usableOn,
  type BooleanAttribute,
  type Change,
  type ChangeableFields,
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
  /** What an admin may do; absent: nothing. */
  readonly adminChange?: Change;
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
    change: 'only-to-true',
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
    change: 'only-to-false',
    adminChange: 'any',
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
    change: 'only-to-false',
  },
  decrypt: {
    pkcs11: 'CKA_DECRYPT',
    classes: [S, V],
    defaults: { secret: true, private: false },
    settable: true,
    change: 'only-to-false',
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
    change: 'only-to-false',
  },
  unwrap: {
    pkcs11: 'CKA_UNWRAP',
    classes: [S, V],
    defaults: { secret: false, private: false },
    settable: true,
    change: 'only-to-false',
  },
  derive: {
    pkcs11: 'CKA_DERIVE',
    classes: [S, V, P],
    defaults: { secret: false, private: false, public: false },
    settable: true,
    change: 'any',
  },
};

/** A key of `keyClass` with its default attributes, overridden by `attributes`. */
function base(keyClass: KeyClass, attributes: Partial<Record<BooleanAttribute, boolean>> = {}): ChangeableFields {
  const created = resolveCreationAttributes(keyClass, {}, { generatedHere: true });
  assert.ok(created.ok);
  return { class: keyClass, label: 'L', id: 'ab', attributes: { ...created.attributes, ...attributes } };
}

function directionOf(change: Change, to: boolean): boolean {
  return change === 'any' || (change === 'only-to-true' && to) || (change === 'only-to-false' && !to);
}

/** The refusal of a resolution, without its detail text. */
function refusalOf(result: ReturnType<typeof resolveCreationAttributes>) {
  return result.ok ? result : { attribute: result.attribute, reason: result.reason, code: result.code };
}

/**
 * The exclusive usage groups, written out independently: a key is a wrapping key or a data
 * key. The per-attribute PATCH tests start from a key whose other group is off, so they test
 * the direction rules alone; the conflict rules have their own tables below.
 */
const WRAPPING: readonly BooleanAttribute[] = ['wrap', 'unwrap'];
const DATA: readonly BooleanAttribute[] = ['encrypt', 'decrypt'];
function otherGroupOff(name: BooleanAttribute): Partial<Record<BooleanAttribute, boolean>> {
  const other = WRAPPING.includes(name) ? DATA : DATA.includes(name) ? WRAPPING : [];
  return Object.fromEntries(other.map((attribute) => [attribute, false]));
}
const USAGE: readonly BooleanAttribute[] = ['encrypt', 'decrypt', 'sign', 'verify', 'wrap', 'unwrap', 'derive'];

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
              assert.deepEqual(
                refusalOf(resolveCreationAttributes(keyClass, { [name]: value }, { generatedHere: true })),
                {
                  attribute: name,
                  reason: 'type',
                  code: 'ATTRIBUTE_TYPE_INVALID',
                },
              );
            }
          });
        } else if (!rule.settable) {
          test(`${keyClass}: node-only, refused at creation with reason 'read-only', both values`, () => {
            for (const value of [true, false]) {
              assert.deepEqual(
                refusalOf(resolveCreationAttributes(keyClass, { [name]: value }, { generatedHere: true })),
                {
                  attribute: name,
                  reason: 'read-only',
                  code: 'ATTRIBUTE_READ_ONLY',
                },
              );
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

      test(`an admin may change it: '${rule.adminChange ?? 'never'}'`, () => {
        const admin = rule.adminChange ?? 'never';
        assert.equal(changeAllowed(name, false, true, 'admin'), admin === 'any' || admin === 'only-to-true');
        assert.equal(changeAllowed(name, true, false, 'admin'), admin === 'any' || admin === 'only-to-false');
      });

      for (const keyClass of rule.classes) {
        const owner = (from: boolean) => base(keyClass, { ...otherGroupOff(name), [name]: from });
        test(`${keyClass}: PATCH by the owner, both directions, and never when not modifiable`, () => {
          for (const [from, to] of [
            [false, true],
            [true, false],
          ] as const) {
            const allowed = from === to || directionOf(rule.change, to);
            const plan = planAttributeChange(owner(from), { attributes: { [name]: to } }, 'owner');
            if (allowed) {
              assert.ok(plan.ok, `${name} ${from} → ${to} should be allowed`);
              assert.equal(plan.fields.attributes[name], to);
              assert.deepEqual(plan.changed, [name]);
            } else {
              assert.deepEqual(
                plan.ok ? plan : { code: plan.code, attribute: plan.attribute },
                { code: 'ATTRIBUTE_READ_ONLY', attribute: name },
                `${name} ${from} → ${to} should be refused`,
              );
            }
            const locked = planAttributeChange(
              { ...owner(from), attributes: { ...owner(from).attributes, modifiable: false } },
              { attributes: { [name]: to } },
              'owner',
            );
            assert.equal(locked.ok ? 'ok' : locked.code, 'ATTRIBUTE_READ_ONLY', `${name} on an unmodifiable key`);
          }
        });
      }
      for (const keyClass of CLASSES.filter((c) => !rule.classes.includes(c))) {
        test(`${keyClass}: PATCH names an attribute the class lacks: ATTRIBUTE_TYPE_INVALID`, () => {
          const plan = planAttributeChange(base(keyClass), { attributes: { [name]: true } }, 'owner');
          assert.equal(plan.ok ? 'ok' : plan.code, 'ATTRIBUTE_TYPE_INVALID');
        });
      }
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
    assert.deepEqual(refusalOf(resolveCreationAttributes('secret', { bogus: true }, { generatedHere: true })), {
      attribute: 'bogus',
      reason: 'type',
      code: 'ATTRIBUTE_TYPE_INVALID',
    });
    assert.deepEqual(refusalOf(resolveCreationAttributes('secret', { Sensitive: true }, { generatedHere: true })), {
      attribute: 'Sensitive',
      reason: 'type',
      code: 'ATTRIBUTE_TYPE_INVALID',
    });
  });

  test('names inherited from Object.prototype are unknown attributes, not crashes', () => {
    for (const name of ['toString', 'constructor', 'hasOwnProperty', 'valueOf', '__proto__']) {
      const requested: Partial<Record<string, boolean>> = JSON.parse(`{${JSON.stringify(name)}: true}`) as Partial<
        Record<string, boolean>
      >;
      assert.deepEqual(Object.keys(requested), [name]);
      assert.deepEqual(
        refusalOf(resolveCreationAttributes('secret', requested, { generatedHere: true })),
        { attribute: name, reason: 'type', code: 'ATTRIBUTE_TYPE_INVALID' },
        name,
      );
    }
  });

  test('the first offending attribute is named, and nothing is resolved', () => {
    const result = resolveCreationAttributes('public', { encrypt: true, sign: true }, { generatedHere: true });
    assert.deepEqual(refusalOf(result), { attribute: 'sign', reason: 'type', code: 'ATTRIBUTE_TYPE_INVALID' });
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

/** The value attributes, written out from the PKCS#11 tables: a sample valid and invalid value each. */
const VALUES = {
  label: { pkcs11: 'CKA_LABEL', valid: 'payments-2024', other: 'renamed', invalid: 'x'.repeat(128) },
  id: { pkcs11: 'CKA_ID', valid: 'a1b2', other: 'ffee', invalid: 'xyz' },
  startDate: { pkcs11: 'CKA_START_DATE', valid: '2024-01-01', other: '2024-06-30', invalid: '2024-02-30' },
  endDate: { pkcs11: 'CKA_END_DATE', valid: '2030-12-31', other: '2031-01-01', invalid: '31/12/2030' },
} as const;

describe('the value attributes (label, id, start and end date)', () => {
  test('are exactly the expected ones, with their PKCS#11 names', () => {
    assert.deepEqual([...VALUE_ATTRIBUTE_NAMES].sort(), Object.keys(VALUES).sort());
    for (const name of VALUE_ATTRIBUTE_NAMES) assert.equal(VALUE_ATTRIBUTES[name].pkcs11, VALUES[name].pkcs11);
  });

  for (const name of VALUE_ATTRIBUTE_NAMES) {
    const sample = VALUES[name];
    for (const keyClass of CLASSES) {
      test(`${name} on a ${keyClass} key: the owner sets and changes it back; invalid values and unmodifiable keys are refused`, () => {
        const first = planAttributeChange(base(keyClass), { [name]: sample.valid }, 'owner');
        assert.ok(first.ok);
        assert.equal(first.fields[name], sample.valid);
        const there = { ...base(keyClass), ...first.fields };
        const second = planAttributeChange(there, { [name]: sample.other }, 'owner');
        assert.ok(second.ok);
        assert.equal(second.fields[name], sample.other);
        assert.deepEqual(second.changed, [name]);
        const back = planAttributeChange({ ...there, ...second.fields }, { [name]: sample.valid }, 'owner');
        assert.ok(back.ok);
        assert.equal(back.fields[name], sample.valid);

        const invalid = planAttributeChange(base(keyClass), { [name]: sample.invalid }, 'owner');
        assert.deepEqual(invalid.ok ? invalid : [invalid.code, invalid.attribute], ['ATTRIBUTE_VALUE_INVALID', name]);
        const locked = { ...base(keyClass), attributes: { ...base(keyClass).attributes, modifiable: false } };
        const refused = planAttributeChange(locked, { [name]: sample.other }, 'owner');
        assert.deepEqual(refused.ok ? refused : [refused.code, refused.attribute], ['ATTRIBUTE_READ_ONLY', name]);
        const byAdmin = planAttributeChange(base(keyClass), { [name]: sample.other }, 'admin');
        assert.deepEqual(byAdmin.ok ? byAdmin : [byAdmin.code, byAdmin.attribute], ['ATTRIBUTE_READ_ONLY', name]);
      });
    }
  }

  test('dates clear with null or an empty string; label and id do not take null', () => {
    const dated = { ...base('secret'), startDate: '2024-01-01', endDate: '2024-12-31' };
    const cleared = planAttributeChange(dated, { startDate: null, endDate: '' }, 'owner');
    assert.ok(cleared.ok);
    assert.equal(cleared.fields.startDate, undefined);
    assert.equal(cleared.fields.endDate, undefined);
    assert.deepEqual(cleared.changed, ['startDate', 'endDate']);
    const nullLabel = planAttributeChange(base('secret'), { label: null }, 'owner');
    assert.equal(nullLabel.ok ? 'ok' : nullLabel.code, 'ATTRIBUTE_VALUE_INVALID');
  });

  test('an end before the start is refused, whichever of the two the request changes', () => {
    const dated = { ...base('secret'), startDate: '2024-06-01' };
    const refused = planAttributeChange(dated, { endDate: '2024-05-31' }, 'owner');
    assert.equal(refused.ok ? 'ok' : refused.code, 'ATTRIBUTE_VALUE_INVALID');
    const sameDay = planAttributeChange(dated, { endDate: '2024-06-01' }, 'owner');
    assert.ok(sameDay.ok);
  });

  test('normalizeDate accepts only real calendar days', () => {
    assert.equal(normalizeDate('2024-02-29'), '2024-02-29');
    for (const bad of ['2023-02-29', '2024-13-01', '2024-1-01', '20240101', '2024-01-01T00:00:00Z'])
      assert.equal(normalizeDate(bad), undefined, bad);
  });

  test('the id is stored lower case', () => {
    const plan = planAttributeChange(base('secret'), { id: 'ABCD' }, 'owner');
    assert.ok(plan.ok);
    assert.equal(plan.fields.id, 'abcd');
  });
});

describe('planAttributeChange as a whole', () => {
  test('one refused attribute refuses the whole request: nothing is planned', () => {
    const plan = planAttributeChange(
      base('secret'),
      { label: 'new', attributes: { encrypt: false, extractable: true } },
      'owner',
    );
    assert.deepEqual(plan.ok ? plan : [plan.code, plan.attribute], ['ATTRIBUTE_READ_ONLY', 'extractable']);
  });

  test('unknown attributes and names from Object.prototype are ATTRIBUTE_TYPE_INVALID', () => {
    for (const request of [
      { attributes: { bogus: true } },
      JSON.parse('{"attributes":{"__proto__":true}}'),
      { color: 'red' },
    ]) {
      const plan = planAttributeChange(base('secret'), request as Record<string, never>, 'owner');
      assert.equal(plan.ok ? 'ok' : plan.code, 'ATTRIBUTE_TYPE_INVALID', JSON.stringify(request));
    }
  });

  test('on an unmodifiable key even a request for the current value is refused', () => {
    const locked = { ...base('secret'), attributes: { ...base('secret').attributes, modifiable: false } };
    const plan = planAttributeChange(locked, { attributes: { encrypt: true } }, 'owner');
    assert.equal(plan.ok ? 'ok' : plan.code, 'ATTRIBUTE_READ_ONLY');
  });

  test('a request for the current values changes nothing', () => {
    const plan = planAttributeChange(base('secret'), { label: 'L', attributes: { encrypt: true } }, 'owner');
    assert.ok(plan.ok);
    assert.deepEqual(plan.changed, []);
  });

  test('sensitive made true later leaves alwaysSensitive false; extractable made false leaves neverExtractable false', () => {
    const created = resolveCreationAttributes(
      'secret',
      { sensitive: false, extractable: true },
      { generatedHere: true },
    );
    assert.ok(created.ok);
    const key = { ...base('secret'), attributes: created.attributes };
    const plan = planAttributeChange(key, { attributes: { sensitive: true, extractable: false } }, 'owner');
    assert.ok(plan.ok);
    assert.equal(plan.fields.attributes.sensitive, true);
    assert.equal(plan.fields.attributes.alwaysSensitive, false);
    assert.equal(plan.fields.attributes.extractable, false);
    assert.equal(plan.fields.attributes.neverExtractable, false);
  });

  test('trusted: only an admin grants it; the owner may drop it; an admin changes nothing else', () => {
    const wrapping = base('public', { wrap: true });
    assert.equal(planAttributeChange(wrapping, { attributes: { trusted: true } }, 'owner').ok, false);
    const granted = planAttributeChange(wrapping, { attributes: { trusted: true } }, 'admin');
    assert.ok(granted.ok);
    assert.equal(granted.fields.attributes.trusted, true);
    const trusted = base('secret', { wrap: true, encrypt: false, decrypt: false, trusted: true });
    const dropped = planAttributeChange(trusted, { attributes: { trusted: false } }, 'owner');
    assert.ok(dropped.ok);
    assert.equal(dropped.fields.attributes.trusted, false);
    const adminOther = planAttributeChange(base('secret'), { attributes: { encrypt: false } }, 'admin');
    assert.equal(adminOther.ok ? 'ok' : adminOther.code, 'ATTRIBUTE_READ_ONLY');
  });
});

describe('the attribute conflict rules (ATTRIBUTE_CONFLICTS)', () => {
  test('are the rules written out here: wrap/data exclusive, trusted needs a wrapping key, trust freezes usage', () => {
    assert.deepEqual(
      ATTRIBUTE_CONFLICTS.exclusive.map((row) => row.groups),
      [
        [WRAPPING, DATA],
        [WRAPPING, ['extractable']],
      ],
    );
    assert.deepEqual(
      ATTRIBUTE_CONFLICTS.requires.map((row) => [row.attribute, row.values]),
      [
        ['trusted', { wrap: true, encrypt: false, decrypt: false }],
        ['trusted', { neverExtractable: true }],
      ],
    );
    assert.deepEqual(
      ATTRIBUTE_CONFLICTS.frozen.map((row) => [row.while, [...row.attributes].sort()]),
      [['trusted', [...USAGE].sort()]],
    );
  });

  test('the defaults of every class break no rule', () => {
    for (const keyClass of CLASSES) assert.ok(resolveCreationAttributes(keyClass, {}, { generatedHere: true }).ok);
  });

  test('creation: data-use defaults yield to an explicit wrap/unwrap; both asked for is TEMPLATE_INCONSISTENT', () => {
    const cases: [KeyClass, Record<string, boolean>, Partial<Record<BooleanAttribute, boolean>> | string][] = [
      ['secret', {}, { encrypt: true, decrypt: true, wrap: false, unwrap: false }],
      ['secret', { wrap: true }, { encrypt: false, decrypt: false, wrap: true, unwrap: false }],
      ['secret', { unwrap: true }, { encrypt: false, decrypt: false, wrap: false, unwrap: true }],
      ['secret', { wrap: true, unwrap: true }, { encrypt: false, decrypt: false, wrap: true, unwrap: true }],
      ['secret', { wrap: true, encrypt: false }, { encrypt: false, decrypt: false, wrap: true }],
      ['secret', { wrap: false, encrypt: true }, { encrypt: true, decrypt: true, wrap: false }],
      ['secret', { encrypt: true }, { encrypt: true, decrypt: true, wrap: false, unwrap: false }],
      ['secret', { wrap: true, encrypt: true }, 'encrypt'],
      ['secret', { unwrap: true, decrypt: true }, 'decrypt'],
      ['secret', { wrap: true, unwrap: true, encrypt: true, decrypt: true }, 'encrypt'],
      ['public', { wrap: true }, { wrap: true, encrypt: false }],
      ['public', { wrap: true, encrypt: true }, 'encrypt'],
      ['private', { unwrap: true }, { unwrap: true, decrypt: false }],
      ['private', { unwrap: true, decrypt: true }, 'decrypt'],
      ['private', { decrypt: true, sign: true }, { decrypt: true, unwrap: false, sign: true }],
    ];
    for (const [keyClass, requested, expected] of cases) {
      const result = resolveCreationAttributes(keyClass, requested, { generatedHere: true });
      const label = `${keyClass} ${JSON.stringify(requested)}`;
      if (typeof expected === 'string') {
        assert.deepEqual(
          refusalOf(result),
          { attribute: expected, reason: 'inconsistent', code: 'TEMPLATE_INCONSISTENT' },
          label,
        );
      } else {
        assert.ok(result.ok, label);
        for (const [name, value] of Object.entries(expected))
          assert.equal(result.attributes[name as BooleanAttribute], value, `${label}: ${name}`);
      }
    }
  });

  test('change: a key never moves between wrapping and data use, nor is both', () => {
    const data = base('secret');
    const wrapping = base('secret', { wrap: true, unwrap: true, encrypt: false, decrypt: false });
    const refused = ['TEMPLATE_INCONSISTENT', 'ATTRIBUTE_READ_ONLY'];
    const cases: [ChangeableFields, Record<string, boolean>, boolean][] = [
      [data, { wrap: true }, false],
      [data, { unwrap: true }, false],
      [data, { wrap: true, encrypt: false }, false],
      [data, { wrap: true, encrypt: false, decrypt: false }, false],
      [data, { encrypt: false }, true],
      [data, { encrypt: false, decrypt: false }, true],
      [wrapping, { decrypt: true }, false],
      [wrapping, { encrypt: true }, false],
      [wrapping, { encrypt: true, decrypt: true, wrap: false, unwrap: false }, false],
      [wrapping, { wrap: false }, true],
      [wrapping, { sign: true }, true],
      [base('public', { wrap: true }), { encrypt: true }, false],
      [base('private', { unwrap: true }), { decrypt: true }, false],
    ];
    for (const [key, attributes, allowed] of cases) {
      const plan = planAttributeChange(key, { attributes }, 'owner');
      if (allowed) assert.ok(plan.ok, JSON.stringify(attributes));
      else assert.ok(!plan.ok && refused.includes(plan.code), JSON.stringify(attributes));
    }
  });

  test('change: a key made before the rule keeps changes the rule does not concern', () => {
    const legacy = base('secret', { wrap: true, unwrap: true });
    assert.ok(planAttributeChange(legacy, { label: 'renamed', attributes: { sensitive: true } }, 'owner').ok);
    const halfFixed = planAttributeChange(legacy, { attributes: { encrypt: false } }, 'owner');
    assert.equal(halfFixed.ok ? 'ok' : halfFixed.code, 'TEMPLATE_INCONSISTENT', 'decrypt is still on');
    assert.ok(planAttributeChange(legacy, { attributes: { encrypt: false, decrypt: false } }, 'owner').ok);
    const trust = planAttributeChange(legacy, { attributes: { trusted: true } }, 'admin');
    assert.equal(trust.ok ? 'ok' : trust.code, 'TEMPLATE_INCONSISTENT', 'a key with data use is never trusted');
  });

  test('trusted: an admin sets it only on a wrapping key', () => {
    const cases: [ChangeableFields, boolean][] = [
      [base('secret', { wrap: true, encrypt: false, decrypt: false }), true],
      [base('secret', { unwrap: true, encrypt: false, decrypt: false }), false],
      [base('secret'), false],
      [base('public', { wrap: true }), true],
      [base('public'), false],
    ];
    for (const [key, allowed] of cases) {
      const plan = planAttributeChange(key, { attributes: { trusted: true } }, 'admin');
      assert.equal(
        plan.ok ? 'ok' : plan.code,
        allowed ? 'ok' : 'TEMPLATE_INCONSISTENT',
        JSON.stringify(key.attributes),
      );
    }
  });

  test('trusted: every usage attribute is frozen while the key is trusted, in both directions', () => {
    const trusted = base('secret', { wrap: true, encrypt: false, decrypt: false, trusted: true });
    for (const name of USAGE) {
      const plan = planAttributeChange(trusted, { attributes: { [name]: !trusted.attributes[name] } }, 'owner');
      assert.deepEqual(plan.ok ? 'ok' : [plan.code, plan.attribute], ['ATTRIBUTE_READ_ONLY', name], name);
    }
    const dropAndChange = planAttributeChange(trusted, { attributes: { trusted: false, sign: true } }, 'owner');
    assert.equal(dropAndChange.ok ? 'ok' : dropAndChange.code, 'ATTRIBUTE_READ_ONLY', 'frozen in the same request');
    const dropped = planAttributeChange(trusted, { attributes: { trusted: false } }, 'owner');
    assert.ok(dropped.ok);
    assert.ok(
      planAttributeChange(
        { ...trusted, attributes: dropped.fields.attributes },
        { attributes: { sign: true } },
        'owner',
      ).ok,
    );
    assert.ok(planAttributeChange(trusted, { label: 'renamed' }, 'owner').ok, 'other attributes still change');
  });
});

describe('usableOn', () => {
  const day = (text: string) => new Date(`${text}T12:00:00Z`);
  test('unbounded without dates; both ends inclusive; refused outside', () => {
    assert.equal(usableOn({}, day('1999-01-01')), true);
    const window = { startDate: '2024-01-01', endDate: '2024-12-31' };
    assert.equal(usableOn(window, day('2023-12-31')), false);
    assert.equal(usableOn(window, day('2024-01-01')), true);
    assert.equal(usableOn(window, day('2024-12-31')), true);
    assert.equal(usableOn(window, day('2025-01-01')), false);
    assert.equal(usableOn({ endDate: '2024-12-31' }, new Date('2024-12-31T23:59:59Z')), true);
    assert.equal(usableOn({ startDate: '2024-01-01' }, new Date('2023-12-31T23:59:59Z')), false);
  });
});

describe('matchesFlags', () => {
  test('every named flag must equal; a flag the class lacks never matches', () => {
    const secret = base('secret').attributes;
    assert.equal(matchesFlags(secret, {}), true);
    assert.equal(matchesFlags(secret, { encrypt: true, sign: false }), true);
    assert.equal(matchesFlags(secret, { encrypt: false }), false);
    assert.equal(matchesFlags(base('public').attributes, { sensitive: false }), false);
  });
});
