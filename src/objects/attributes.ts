import type { KeyClass } from '../crypto/types.js';

/**
 * The attribute rules of key objects, as data (after SoftHSMv2's P11Attributes and the
 * footnotes of the PKCS#11 attribute tables). One row per attribute says which key classes
 * carry it, its default per class, whether the owner may set it when the key is created,
 * whether and in which direction it may change later, and whether it may be read.
 * Every check on attributes reads this table; nothing else decides.
 */
export type Change =
  /** Fixed at creation (or computed by the node). */
  | 'never'
  /** May change freely by the owner. */
  | 'any'
  /** May only go false → true (CKA_SENSITIVE, CKA_WRAP_WITH_TRUSTED). */
  | 'only-to-true'
  /** May only go true → false (CKA_EXTRACTABLE). */
  | 'only-to-false';

interface Rule<T> {
  readonly classes: readonly KeyClass[];
  readonly defaults: Readonly<Partial<Record<KeyClass, T>>>;
  /** The owner may give a value at creation (otherwise the node sets it). */
  readonly settableAtCreation: boolean;
  readonly change: Change;
  /** PKCS#11 name, for errors and for the C module's mapping. */
  readonly pkcs11: string;
}

const ALL: readonly KeyClass[] = ['secret', 'private', 'public'];
const PRIVATE_AND_SECRET: readonly KeyClass[] = ['secret', 'private'];

function bool(
  pkcs11: string,
  classes: readonly KeyClass[],
  defaults: Rule<boolean>['defaults'],
  settableAtCreation: boolean,
  change: Change,
): Rule<boolean> {
  return { pkcs11, classes, defaults, settableAtCreation, change };
}

export const BOOLEAN_ATTRIBUTES = {
  token: bool('CKA_TOKEN', ALL, { secret: true, private: true, public: true }, false, 'never'),
  private: bool('CKA_PRIVATE', ALL, { secret: true, private: true, public: false }, true, 'never'),
  modifiable: bool('CKA_MODIFIABLE', ALL, { secret: true, private: true, public: true }, true, 'only-to-false'),
  destroyable: bool('CKA_DESTROYABLE', ALL, { secret: true, private: true, public: true }, true, 'only-to-false'),
  sensitive: bool('CKA_SENSITIVE', PRIVATE_AND_SECRET, { secret: true, private: true }, true, 'only-to-true'),
  extractable: bool('CKA_EXTRACTABLE', PRIVATE_AND_SECRET, { secret: false, private: false }, true, 'only-to-false'),
  alwaysSensitive: bool('CKA_ALWAYS_SENSITIVE', PRIVATE_AND_SECRET, {}, false, 'never'),
  neverExtractable: bool('CKA_NEVER_EXTRACTABLE', PRIVATE_AND_SECRET, {}, false, 'never'),
  local: bool('CKA_LOCAL', ALL, {}, false, 'never'),
  trusted: bool('CKA_TRUSTED', ['secret', 'public'], { secret: false, public: false }, false, 'never'),
  wrapWithTrusted: bool(
    'CKA_WRAP_WITH_TRUSTED',
    PRIVATE_AND_SECRET,
    { secret: false, private: false },
    true,
    'only-to-true',
  ),
  encrypt: bool('CKA_ENCRYPT', ['secret', 'public'], { secret: true, public: false }, true, 'any'),
  decrypt: bool('CKA_DECRYPT', PRIVATE_AND_SECRET, { secret: true, private: false }, true, 'any'),
  sign: bool('CKA_SIGN', PRIVATE_AND_SECRET, { secret: false, private: true }, true, 'any'),
  verify: bool('CKA_VERIFY', ['secret', 'public'], { secret: false, public: true }, true, 'any'),
  wrap: bool('CKA_WRAP', ['secret', 'public'], { secret: false, public: false }, true, 'any'),
  unwrap: bool('CKA_UNWRAP', PRIVATE_AND_SECRET, { secret: false, private: false }, true, 'any'),
  derive: bool('CKA_DERIVE', PRIVATE_AND_SECRET, { secret: false, private: false }, true, 'any'),
} as const satisfies Record<string, Rule<boolean>>;

export type BooleanAttribute = keyof typeof BOOLEAN_ATTRIBUTES;
export type BooleanAttributes = Record<BooleanAttribute, boolean>;

export const BOOLEAN_ATTRIBUTE_NAMES = Object.keys(BOOLEAN_ATTRIBUTES) as BooleanAttribute[];

/** Label and CKA_ID limits: what a client controls has a bound. */
export const LABEL_MAX_CHARS = 127;
export const ID_MAX_BYTES = 64;

/**
 * Resolves the boolean attributes of a new key of `keyClass` from the table's defaults and
 * the owner's requested values: refuses attributes the class does not carry, and attributes
 * only the node may set. The node-computed ones (local, alwaysSensitive, neverExtractable)
 * follow from how the key came to be.
 */
export function resolveCreationAttributes(
  keyClass: KeyClass,
  requested: Readonly<Partial<Record<string, boolean>>>,
  origin: { readonly generatedHere: boolean },
):
  | { ok: true; attributes: Partial<BooleanAttributes> }
  | { ok: false; attribute: string; reason: 'type' | 'read-only' } {
  for (const name of Object.keys(requested)) {
    // Own properties only: 'constructor', 'toString', '__proto__' … are not attributes.
    const rule = Object.hasOwn(BOOLEAN_ATTRIBUTES, name)
      ? (BOOLEAN_ATTRIBUTES[name as BooleanAttribute] as Rule<boolean>)
      : undefined;
    if (!rule || !rule.classes.includes(keyClass)) return { ok: false, attribute: name, reason: 'type' };
    if (!rule.settableAtCreation) return { ok: false, attribute: name, reason: 'read-only' };
  }
  const attributes: Partial<BooleanAttributes> = {};
  for (const name of BOOLEAN_ATTRIBUTE_NAMES) {
    const rule: Rule<boolean> = BOOLEAN_ATTRIBUTES[name];
    if (!rule.classes.includes(keyClass)) continue;
    const value = requested[name] ?? rule.defaults[keyClass];
    if (value !== undefined) attributes[name] = value;
  }
  attributes.local = origin.generatedHere;
  if (keyClass !== 'public') {
    attributes.alwaysSensitive = origin.generatedHere && attributes.sensitive === true;
    attributes.neverExtractable = origin.generatedHere && attributes.extractable === false;
  }
  return { ok: true, attributes };
}

/** Whether an attribute may change from `from` to `to` under its rule. */
export function changeAllowed(name: BooleanAttribute, from: boolean, to: boolean): boolean {
  if (from === to) return true;
  switch (BOOLEAN_ATTRIBUTES[name].change) {
    case 'never':
      return false;
    case 'any':
      return true;
    case 'only-to-true':
      return to;
    case 'only-to-false':
      return !to;
  }
}
