import type { KeyRecord } from '../objects/key-record.js';

/**
 * What a key must be to be exposed to AWS KMS through a key store (spec: v1 serves only
 * SYMMETRIC_DEFAULT keys, AES-256 with encrypt and decrypt). Checked in this order when an admin
 * exposes a key; on each request the key-use gate checks usage, state and visibility again.
 */
export interface EligibilityRule {
  readonly detail: string;
  holds(key: KeyRecord, storeUser: string): boolean;
}

export const XKS_ELIGIBILITY: readonly EligibilityRule[] = [
  { detail: 'a session key lives only in its login session', holds: (key) => key.attributes.token !== false },
  {
    detail: 'the key is neither owned by nor shared with the key store user',
    holds: (key, user) => key.owner === user || key.sharedWith.includes(user),
  },
  {
    detail: 'the key is not an AES-256 secret key',
    holds: (key) => key.class === 'secret' && key.keyType === 'aes' && key.shape.valueLen === 32,
  },
  {
    detail: 'the key must allow both encrypt and decrypt',
    holds: (key) => key.attributes.encrypt === true && key.attributes.decrypt === true,
  },
];
