import type { KeyUsage, Mechanism } from '../crypto/types.js';
import type { QuorumService } from '../identity/quorum-token.js';

/**
 * The roles in which an operation touches a key, and what each role demands of the key and of
 * the caller. Every operation declares its keys with one of these roles (src/operations/), and
 * the key-use gate (key-use-gate.ts) reads this table and nothing else: one rule set for every
 * key of every operation on every path — route, batch, multi-part, wrap, unwrap, derive.
 */
export type KeyRole =
  /** The key encrypts, decrypts, signs, verifies, wraps (as the wrapping key), unwraps or derives. */
  | KeyUsage
  /** The key leaves the boundary wrapped (C_WrapKey's key to wrap): only its owner may. */
  | 'export'
  /** The owner (or, for CKA_TRUSTED, an admin) changes or destroys the key; session keys too. */
  | 'manage'
  /** The owner changes what only stored keys have (shares, aliases, versions, quorum values). */
  | 'manage-stored'
  /** The owner or an admin reads its usage counters. */
  | 'read-usage'
  /** The caller sees the key: its attributes, its public half. */
  | 'read';

export interface KeyRoleRule {
  /** Who may act on the key besides seeing it: anyone who sees it, its owner, or owner or admin. */
  readonly who: 'visible' | 'owner' | 'owner-or-admin';
  /** The usage attribute that must be true, and the mechanism kind that must fit the key. */
  readonly usage?: KeyUsage;
  /** The key must be enabled and inside its CKA_START_DATE … CKA_END_DATE window. */
  readonly usable: boolean;
  /**
   * The quorum this use needs (the key's own value): key-usage is consumed before the use;
   * key-management is consumed in the operation's own commit. `strictest` asks for as many
   * approvals as the larger of the key's two values — an exported copy escapes both.
   */
  readonly quorum?: 'key-usage' | 'key-management' | 'strictest';
  /** Counted in the key's usage counters and, when per-use logging is on, audited. */
  readonly counted: boolean;
  /** Whether a session key (CKA_TOKEN false, memory only) may be used in this role. */
  readonly sessionKeys: boolean;
}

const USE = { who: 'visible', usable: true, quorum: 'key-usage', counted: true, sessionKeys: true } as const;

export const KEY_ROLES: Readonly<Record<KeyRole, KeyRoleRule>> = {
  encrypt: { ...USE, usage: 'encrypt' },
  decrypt: { ...USE, usage: 'decrypt' },
  sign: { ...USE, usage: 'sign' },
  verify: { ...USE, usage: 'verify' },
  wrap: { ...USE, usage: 'wrap' },
  // C_UnwrapKey makes a key: key management (CloudHSM's), at the stricter of the key's two values.
  unwrap: { ...USE, usage: 'unwrap', quorum: 'strictest' },
  derive: { ...USE, usage: 'derive' },
  export: { who: 'owner', usable: true, quorum: 'strictest', counted: true, sessionKeys: true },
  manage: { who: 'owner-or-admin', usable: false, quorum: 'key-management', counted: false, sessionKeys: true },
  'manage-stored': { who: 'owner', usable: false, quorum: 'key-management', counted: false, sessionKeys: false },
  'read-usage': { who: 'owner-or-admin', usable: false, counted: false, sessionKeys: true },
  read: { who: 'visible', usable: false, counted: false, sessionKeys: true },
};

/** Per usage, the kind of mechanism that serves it (the usage attribute has the same name). */
export const USAGE_MECHANISM_KIND = {
  encrypt: 'cipher',
  decrypt: 'cipher',
  sign: 'signature',
  verify: 'signature',
  wrap: 'wrap',
  unwrap: 'wrap',
  derive: 'derive',
} as const satisfies Record<KeyUsage, Mechanism['kind']>;

export type UsageMechanism<U extends KeyUsage> = Extract<Mechanism, { kind: (typeof USAGE_MECHANISM_KIND)[U] }>;

/** The quorum services a role's quorum asks approvals for: the token's service comes first. */
export function quorumServices(quorum: KeyRoleRule['quorum']): readonly QuorumService[] {
  if (quorum === undefined) return [];
  return quorum === 'strictest' ? ['key-management', 'key-usage'] : [quorum];
}
