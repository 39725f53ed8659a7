import type { KeyClass } from '../crypto/types.js';
import type { KeyRecord } from './key-record.js';

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

/**
 * Who asks for a change. The owner manages its keys; an admin (PKCS#11's SO) uses no key and
 * changes no attribute but one: CKA_TRUSTED, which only the SO may set to true.
 */
export type Actor = 'owner' | 'admin';

interface Rule<T> {
  readonly classes: readonly KeyClass[];
  readonly defaults: Readonly<Partial<Record<KeyClass, T>>>;
  /** The owner may give a value at creation (otherwise the node sets it). */
  readonly settableAtCreation: boolean;
  /** How the owner may change it later (and only while CKA_MODIFIABLE is true). */
  readonly change: Change;
  /** How an admin may change it; absent: never. */
  readonly adminChange?: Change;
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
  adminChange?: Change,
): Rule<boolean> {
  return { pkcs11, classes, defaults, settableAtCreation, change, ...(adminChange ? { adminChange } : {}) };
}

export const BOOLEAN_ATTRIBUTES = {
  token: bool('CKA_TOKEN', ALL, { secret: true, private: true, public: true }, false, 'never'),
  // Only ever more private: the owner may withdraw a public key from the public listing.
  private: bool('CKA_PRIVATE', ALL, { secret: true, private: true, public: false }, true, 'only-to-true'),
  modifiable: bool('CKA_MODIFIABLE', ALL, { secret: true, private: true, public: true }, true, 'only-to-false'),
  destroyable: bool('CKA_DESTROYABLE', ALL, { secret: true, private: true, public: true }, true, 'only-to-false'),
  sensitive: bool('CKA_SENSITIVE', PRIVATE_AND_SECRET, { secret: true, private: true }, true, 'only-to-true'),
  extractable: bool('CKA_EXTRACTABLE', PRIVATE_AND_SECRET, { secret: false, private: false }, true, 'only-to-false'),
  alwaysSensitive: bool('CKA_ALWAYS_SENSITIVE', PRIVATE_AND_SECRET, {}, false, 'never'),
  neverExtractable: bool('CKA_NEVER_EXTRACTABLE', PRIVATE_AND_SECRET, {}, false, 'never'),
  local: bool('CKA_LOCAL', ALL, {}, false, 'never'),
  // PKCS#11 footnote: "can only be set to CK_TRUE by the SO" (SoftHSMv2 P11AttrTrusted): the
  // owner may drop trust, only an admin may grant it.
  trusted: bool('CKA_TRUSTED', ['secret', 'public'], { secret: false, public: false }, false, 'only-to-false', 'any'),
  wrapWithTrusted: bool(
    'CKA_WRAP_WITH_TRUSTED',
    PRIVATE_AND_SECRET,
    { secret: false, private: false },
    true,
    'only-to-true',
  ),
  // The data uses and the wrapping uses only ever go off: a key made a data key never becomes a
  // wrapping key or back (a wrapping key turned data key would decrypt what it wrapped).
  encrypt: bool('CKA_ENCRYPT', ['secret', 'public'], { secret: true, public: false }, true, 'only-to-false'),
  decrypt: bool('CKA_DECRYPT', PRIVATE_AND_SECRET, { secret: true, private: false }, true, 'only-to-false'),
  sign: bool('CKA_SIGN', PRIVATE_AND_SECRET, { secret: false, private: true }, true, 'any'),
  verify: bool('CKA_VERIFY', ['secret', 'public'], { secret: false, public: true }, true, 'any'),
  wrap: bool('CKA_WRAP', ['secret', 'public'], { secret: false, public: false }, true, 'only-to-false'),
  unwrap: bool('CKA_UNWRAP', PRIVATE_AND_SECRET, { secret: false, private: false }, true, 'only-to-false'),
  // PKCS#11 gives every key CKA_DERIVE; on a public key it grants nothing (a derivation's base is
  // the private half), but clients set it (pkcs11-tool's default EC template), so it is kept.
  derive: bool('CKA_DERIVE', ALL, { secret: false, private: false, public: false }, true, 'any'),
} as const satisfies Record<string, Rule<boolean>>;

export type BooleanAttribute = keyof typeof BOOLEAN_ATTRIBUTES;
export type BooleanAttributes = Record<BooleanAttribute, boolean>;

export const BOOLEAN_ATTRIBUTE_NAMES = Object.keys(BOOLEAN_ATTRIBUTES) as BooleanAttribute[];

/** What a key may be used for (the PKCS#11 usage attributes). */
export const USAGE_ATTRIBUTES = [
  'encrypt',
  'decrypt',
  'sign',
  'verify',
  'wrap',
  'unwrap',
  'derive',
] as const satisfies readonly BooleanAttribute[];

/**
 * The rules between attributes, as data (Clulow's attacks: no sequence of calls may yield a
 * key's value). resolveCreationAttributes and planAttributeChange read these rows; nothing else
 * decides. Two groups are exclusive when a key may not have a true attribute in both; at
 * creation a default yields to an explicit request of the other group, two explicit requests
 * conflict (TEMPLATE_INCONSISTENT). A requirement says what must hold while an attribute is
 * true (TEMPLATE_INCONSISTENT otherwise). A freeze says which attributes may not change while
 * another is true (ATTRIBUTE_READ_ONLY).
 */
export const ATTRIBUTE_CONFLICTS = {
  exclusive: [
    {
      groups: [
        ['wrap', 'unwrap'],
        ['encrypt', 'decrypt'],
      ],
      reason: 'a key is either a wrapping key (wrap, unwrap) or a data key (encrypt, decrypt), never both',
    },
    {
      // A copy of a wrapping key's material (unwrapped as a data key) would decrypt what it wraps.
      groups: [['wrap', 'unwrap'], ['extractable']],
      reason: 'a wrapping key (wrap, unwrap) is never extractable',
    },
  ],
  requires: [
    {
      // Chosen: trust marks a wrapping key (the one CKA_WRAP_WITH_TRUSTED keys may be wrapped
      // with), so only a pure wrapping key may be trusted.
      attribute: 'trusted',
      values: { wrap: true, encrypt: false, decrypt: false },
      reason: 'only a wrapping key (wrap true, encrypt and decrypt false) may be trusted',
    },
    {
      // A trusted secret key exists nowhere else: had it ever been extractable, a copy of it
      // (unwrapped as a data key) could read what wrap-with-trusted keys were wrapped under it.
      attribute: 'trusted',
      values: { neverExtractable: true },
      reason: 'only a secret key that was never extractable may be trusted',
    },
  ],
  frozen: [{ while: 'trusted', attributes: USAGE_ATTRIBUTES, reason: "a trusted key's usage attributes are frozen" }],
} as const satisfies {
  readonly exclusive: readonly {
    readonly groups: readonly [readonly BooleanAttribute[], readonly BooleanAttribute[]];
    readonly reason: string;
  }[];
  readonly requires: readonly {
    readonly attribute: BooleanAttribute;
    readonly values: Readonly<Partial<BooleanAttributes>>;
    readonly reason: string;
  }[];
  readonly frozen: readonly {
    readonly while: BooleanAttribute;
    readonly attributes: readonly BooleanAttribute[];
    readonly reason: string;
  }[];
};

/**
 * Across a key pair: what one half wraps, the other half must not decrypt (and what one half
 * encrypts, the other must not unwrap), or a wrapped key would be read as data.
 */
export const PAIR_CONFLICTS = [
  { public: 'wrap', private: 'decrypt' },
  { public: 'encrypt', private: 'unwrap' },
  // A copy of the private half (wrapped out, unwrapped as a decrypt key) would read what the public half wraps.
  { public: 'wrap', private: 'extractable' },
] as const satisfies readonly { readonly public: BooleanAttribute; readonly private: BooleanAttribute }[];

/** The first pair conflict of a new pair's two attribute sets, or undefined. */
export function pairConflict(
  publicAttributes: Partial<BooleanAttributes>,
  privateAttributes: Partial<BooleanAttributes>,
): (typeof PAIR_CONFLICTS)[number] | undefined {
  return PAIR_CONFLICTS.find((row) => publicAttributes[row.public] === true && privateAttributes[row.private] === true);
}

type Flags = Readonly<Partial<Record<string, boolean>>>;

const isTrue = (flags: Flags, names: readonly string[]): string | undefined =>
  names.find((name) => flags[name] === true);

/** The first exclusion or requirement `attributes` break, among the rows `touched` concerns (all when absent). */
function inconsistency(
  attributes: Flags,
  touched?: readonly string[],
): { readonly attribute: string; readonly reason: string } | undefined {
  const concerns = (names: readonly string[]): boolean => !touched || names.some((name) => touched.includes(name));
  for (const row of ATTRIBUTE_CONFLICTS.exclusive) {
    const [one, other] = row.groups;
    const clash = isTrue(attributes, one) !== undefined ? isTrue(attributes, other) : undefined;
    if (clash !== undefined && concerns([...one, ...other])) return { attribute: clash, reason: row.reason };
  }
  for (const row of ATTRIBUTE_CONFLICTS.requires) {
    const values: Readonly<Partial<BooleanAttributes>> = row.values;
    const names = Object.keys(values) as BooleanAttribute[];
    // An attribute the key's class does not carry (a public key's neverExtractable) is not asked.
    const carried = names.filter((name) => name === row.attribute || name in attributes);
    const broken = carried.find((name) => (attributes[name] ?? false) !== values[name]);
    if (attributes[row.attribute] === true && broken !== undefined && concerns([row.attribute, ...names]))
      return { attribute: broken, reason: row.reason };
  }
  return undefined;
}

/**
 * At creation, per exclusion row: a group asked for explicitly (true) turns the other group's
 * defaults off, so a default never conflicts; both asked for explicitly is a conflict, reported
 * by inconsistency() after, naming an attribute that was asked for.
 */
function yieldDefaults(attributes: Partial<BooleanAttributes>, requested: Flags): void {
  for (const row of ATTRIBUTE_CONFLICTS.exclusive) {
    const [one, other] = row.groups;
    for (const [asked, yielding] of [
      [one, other],
      [other, one],
    ] as const) {
      if (isTrue(requested, asked) === undefined) continue;
      for (const name of yielding) if (requested[name] === undefined && name in attributes) attributes[name] = false;
    }
  }
}

/** Label and CKA_ID limits: what a client controls has a bound. */
export const LABEL_MAX_CHARS = 127;
export const ID_MAX_BYTES = 64;

/** Why a new key's attributes are refused, with the error code each reason answers. */
export const CREATION_REFUSAL_CODES = {
  type: 'ATTRIBUTE_TYPE_INVALID',
  'read-only': 'ATTRIBUTE_READ_ONLY',
  inconsistent: 'TEMPLATE_INCONSISTENT',
} as const;

export type CreationRefusal = {
  [R in keyof typeof CREATION_REFUSAL_CODES]: {
    ok: false;
    attribute: string;
    reason: R;
    code: (typeof CREATION_REFUSAL_CODES)[R];
    /** The error detail, naming the attribute (never a value). */
    detail: string;
  };
}[keyof typeof CREATION_REFUSAL_CODES];

function creationRefusal(reason: CreationRefusal['reason'], attribute: string, detail: string): CreationRefusal {
  return { ok: false, attribute, reason, code: CREATION_REFUSAL_CODES[reason], detail } as CreationRefusal;
}

/**
 * Resolves the boolean attributes of a new key of `keyClass` from the table's defaults and
 * the owner's requested values: refuses attributes the class does not carry, and attributes
 * only the node may set; lets defaults yield to an explicit request they conflict with, and
 * refuses requests that conflict with each other (ATTRIBUTE_CONFLICTS). The node-computed ones
 * (local, alwaysSensitive, neverExtractable) follow from how the key came to be.
 */
export function resolveCreationAttributes(
  keyClass: KeyClass,
  requested: Flags,
  origin: { readonly generatedHere: boolean },
): { ok: true; attributes: Partial<BooleanAttributes> } | CreationRefusal {
  for (const name of Object.keys(requested)) {
    // Own properties only: 'constructor', 'toString', '__proto__' … are not attributes.
    const rule = Object.hasOwn(BOOLEAN_ATTRIBUTES, name)
      ? (BOOLEAN_ATTRIBUTES[name as BooleanAttribute] as Rule<boolean>)
      : undefined;
    if (!rule || !rule.classes.includes(keyClass))
      return creationRefusal('type', name, `${name} for a ${keyClass} key`);
    if (!rule.settableAtCreation) return creationRefusal('read-only', name, name);
  }
  const attributes: Partial<BooleanAttributes> = {};
  for (const name of BOOLEAN_ATTRIBUTE_NAMES) {
    const rule: Rule<boolean> = BOOLEAN_ATTRIBUTES[name];
    if (!rule.classes.includes(keyClass)) continue;
    const value = requested[name] ?? rule.defaults[keyClass];
    if (value !== undefined) attributes[name] = value;
  }
  yieldDefaults(attributes, requested);
  const conflict = inconsistency(attributes);
  if (conflict) return creationRefusal('inconsistent', conflict.attribute, `${conflict.attribute}: ${conflict.reason}`);
  attributes.local = origin.generatedHere;
  if (keyClass !== 'public') {
    attributes.alwaysSensitive = origin.generatedHere && attributes.sensitive === true;
    attributes.neverExtractable = origin.generatedHere && attributes.extractable === false;
  }
  return { ok: true, attributes };
}

/** Whether an attribute may change from `from` to `to` under its rule, for `actor`. */
export function changeAllowed(name: BooleanAttribute, from: boolean, to: boolean, actor: Actor = 'owner'): boolean {
  if (from === to) return true;
  const rule: Rule<boolean> = BOOLEAN_ATTRIBUTES[name];
  return directionAllowed(actor === 'owner' ? rule.change : (rule.adminChange ?? 'never'), to);
}

function directionAllowed(change: Change, to: boolean): boolean {
  switch (change) {
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

/**
 * The attributes that hold a value rather than a flag: CKA_LABEL, CKA_ID and the validity dates
 * (CKA_START_DATE, CKA_END_DATE as YYYY-MM-DD; absent means unbounded). The owner sets them at
 * creation and may change them while the key is modifiable; an admin never.
 */
interface ValueRule {
  readonly pkcs11: string;
  readonly classes: readonly KeyClass[];
  readonly settableAtCreation: boolean;
  readonly change: 'any' | 'never';
  /** The stored form of a requested value ('' clears), or undefined when the value is invalid. */
  readonly normalize: (value: string) => string | undefined;
}

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A real calendar date as YYYY-MM-DD, or '' (no date). */
export function normalizeDate(value: string): string | undefined {
  if (value === '') return '';
  const match = DATE_PATTERN.exec(value);
  if (!match) return undefined;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value ? value : undefined;
}

function normalizeLabel(value: string): string | undefined {
  return [...value].length <= LABEL_MAX_CHARS ? value : undefined;
}

function normalizeId(value: string): string | undefined {
  const hex = value.toLowerCase();
  return /^([0-9a-f]{2})*$/.test(hex) && hex.length / 2 <= ID_MAX_BYTES ? hex : undefined;
}

export const VALUE_ATTRIBUTES = {
  label: { pkcs11: 'CKA_LABEL', classes: ALL, settableAtCreation: true, change: 'any', normalize: normalizeLabel },
  id: { pkcs11: 'CKA_ID', classes: ALL, settableAtCreation: true, change: 'any', normalize: normalizeId },
  startDate: {
    pkcs11: 'CKA_START_DATE',
    classes: ALL,
    settableAtCreation: true,
    change: 'any',
    normalize: normalizeDate,
  },
  endDate: { pkcs11: 'CKA_END_DATE', classes: ALL, settableAtCreation: true, change: 'any', normalize: normalizeDate },
} as const satisfies Record<string, ValueRule>;

export type ValueAttribute = keyof typeof VALUE_ATTRIBUTES;
export const VALUE_ATTRIBUTE_NAMES = Object.keys(VALUE_ATTRIBUTES) as ValueAttribute[];

/** What PATCH /v1/keys/:handle asks for: values ('' or null clears a date) and flags. */
export type AttributeChangeRequest = Partial<Record<ValueAttribute, string | null>> & {
  readonly attributes?: Readonly<Record<string, boolean>>;
};

/** The fields of a key that attribute changes touch. */
export type ChangeableFields = Pick<KeyRecord, 'class' | 'label' | 'id' | 'attributes' | 'startDate' | 'endDate'>;

export type AttributeRefusal =
  'ATTRIBUTE_TYPE_INVALID' | 'ATTRIBUTE_VALUE_INVALID' | 'ATTRIBUTE_READ_ONLY' | 'TEMPLATE_INCONSISTENT';

export type ChangePlan =
  | {
      readonly ok: true;
      readonly fields: Pick<KeyRecord, 'label' | 'id' | 'attributes' | 'startDate' | 'endDate'>;
      /** The attributes whose value actually changes, by API name. */
      readonly changed: readonly string[];
    }
  | { readonly ok: false; readonly code: AttributeRefusal; readonly attribute: string; readonly reason: string };

function own<T extends object>(table: T, name: string): name is Extract<keyof T, string> {
  return Object.hasOwn(table, name);
}

/**
 * Decides a change of attributes as a whole — all of it or none of it — in this order: every
 * named attribute exists for the key's class (ATTRIBUTE_TYPE_INVALID), every value is valid
 * (ATTRIBUTE_VALUE_INVALID), the key is modifiable (ATTRIBUTE_READ_ONLY: when CKA_MODIFIABLE is
 * false nothing changes, not even to the same value), and each change goes a way its rule allows
 * for `actor` (ATTRIBUTE_READ_ONLY). Derived attributes stay as they were: a key made sensitive
 * later was not always sensitive, and one made unextractable later was extractable once.
 */
export function planAttributeChange(
  current: ChangeableFields,
  request: AttributeChangeRequest,
  actor: Actor,
): ChangePlan {
  const flags = request.attributes ?? {};
  for (const name of Object.keys(flags)) {
    if (!own(BOOLEAN_ATTRIBUTES, name) || !(BOOLEAN_ATTRIBUTES[name] as Rule<boolean>).classes.includes(current.class))
      return refusal('ATTRIBUTE_TYPE_INVALID', name, `no ${name} attribute for a ${current.class} key`);
    if (typeof flags[name] !== 'boolean') return refusal('ATTRIBUTE_VALUE_INVALID', name, `${name} must be a boolean`);
  }
  const values: Partial<Record<ValueAttribute, string>> = {};
  for (const name of Object.keys(request)) {
    if (name === 'attributes') continue;
    if (!own(VALUE_ATTRIBUTES, name)) return refusal('ATTRIBUTE_TYPE_INVALID', name, `no ${name} attribute`);
    const requested = request[name];
    const normalized =
      requested === null ? '' : typeof requested === 'string' ? VALUE_ATTRIBUTES[name].normalize(requested) : undefined;
    if (normalized === undefined || (requested === null && (name === 'label' || name === 'id')))
      return refusal('ATTRIBUTE_VALUE_INVALID', name, `invalid ${VALUE_ATTRIBUTES[name].pkcs11}`);
    values[name] = normalized;
  }
  const startDate = values.startDate ?? current.startDate ?? '';
  const endDate = values.endDate ?? current.endDate ?? '';
  if (startDate !== '' && endDate !== '' && startDate > endDate)
    return refusal('ATTRIBUTE_VALUE_INVALID', 'endDate', 'the end date is before the start date');

  const requestedNames = [...Object.keys(values), ...Object.keys(flags)];
  if (requestedNames.length > 0 && current.attributes.modifiable === false)
    return refusal('ATTRIBUTE_READ_ONLY', requestedNames[0]!, 'the key is not modifiable (CKA_MODIFIABLE is false)');

  const changed: string[] = [];
  for (const name of Object.keys(values) as ValueAttribute[]) {
    const before = name === 'label' || name === 'id' ? current[name] : (current[name] ?? '');
    if (values[name] === before) continue;
    if (actor !== 'owner' || (VALUE_ATTRIBUTES[name] as ValueRule).change === 'never')
      return refusal('ATTRIBUTE_READ_ONLY', name, `${VALUE_ATTRIBUTES[name].pkcs11} may not be changed by ${actor}`);
    changed.push(name);
  }
  const attributes: Partial<BooleanAttributes> = { ...current.attributes };
  for (const name of Object.keys(flags) as BooleanAttribute[]) {
    const to = flags[name] as boolean;
    const from = current.attributes[name];
    if (from === to) continue;
    if (from === undefined || !changeAllowed(name, from, to, actor))
      return refusal('ATTRIBUTE_READ_ONLY', name, `${BOOLEAN_ATTRIBUTES[name].pkcs11} may not go ${from} → ${to}`);
    attributes[name] = to;
    changed.push(name);
  }
  const conflict = conflictOfChange(current.attributes, attributes, changed);
  if (conflict) return conflict;
  return {
    ok: true,
    changed,
    fields: {
      label: values.label ?? current.label,
      id: values.id ?? current.id,
      attributes,
      ...(startDate === '' ? {} : { startDate }),
      ...(endDate === '' ? {} : { endDate }),
    },
  };
}

function refusal(code: AttributeRefusal, attribute: string, reason: string): ChangePlan {
  return { ok: false, code, attribute, reason };
}

/**
 * The ATTRIBUTE_CONFLICTS rows a change breaks: a frozen attribute changed while (before or
 * after) the freezing one is true, or a result that breaks an exclusion or requirement the
 * changed attributes concern. A key made before a rule existed keeps its other changes.
 */
function conflictOfChange(
  before: Partial<BooleanAttributes>,
  after: Partial<BooleanAttributes>,
  changed: readonly string[],
): ChangePlan | undefined {
  for (const row of ATTRIBUTE_CONFLICTS.frozen) {
    const frozen = changed.find((name) => (row.attributes as readonly string[]).includes(name));
    if (frozen !== undefined && (before[row.while] === true || after[row.while] === true))
      return refusal('ATTRIBUTE_READ_ONLY', frozen, row.reason);
  }
  const broken = changed.length > 0 ? inconsistency(after, changed) : undefined;
  return broken && refusal('TEMPLATE_INCONSISTENT', broken.attribute, broken.reason);
}

/**
 * Whether a key may be used on `date` (UTC calendar day), within CKA_START_DATE and
 * CKA_END_DATE, both inclusive; a missing date does not bound. Imported material past its
 * expiry instant (materialValidTo) is not used either.
 */
export function usableOn(record: Pick<KeyRecord, 'startDate' | 'endDate' | 'materialValidTo'>, date: Date): boolean {
  // Most keys have no dates: no day to format for them (this runs at every use of every key).
  if (record.startDate === undefined && record.endDate === undefined && record.materialValidTo === undefined)
    return true;
  if (record.materialValidTo !== undefined && date.getTime() >= Date.parse(record.materialValidTo)) return false;
  const day = date.toISOString().slice(0, 10);
  return (
    (record.startDate === undefined || day >= record.startDate) &&
    (record.endDate === undefined || day <= record.endDate)
  );
}

/** The flags GET /v1/keys filters on (`encrypt=true`, `sensitive=false` …). */
export const FILTER_FLAGS = [
  ...USAGE_ATTRIBUTES,
  'extractable',
  'sensitive',
  'token',
] as const satisfies readonly BooleanAttribute[];

export type FilterFlag = (typeof FILTER_FLAGS)[number];
export type FlagFilter = Partial<Record<FilterFlag, boolean>>;

/** Whether a key's flags equal every flag the filter names (a flag the class lacks never matches). */
export function matchesFlags(attributes: Partial<BooleanAttributes>, filter: FlagFilter): boolean {
  return FILTER_FLAGS.every((flag) => filter[flag] === undefined || attributes[flag] === filter[flag]);
}
