import type { KeyRecord } from '../objects/key-record.js';
import { operation } from '../operations/operation.js';
import type { KmsChange } from './key-changes.js';

/**
 * The operations only the KMS-compatible API runs (no /v1 route of their own), in the operation
 * registry like every other: their keys pass the key-use gate in the roles declared here. All
 * else KMS does runs the /v1 operations themselves (key.generate-*, key.read-attributes,
 * key.list, crypto.*, alias.*, key.delete).
 */
interface ChangeInput {
  keyHandle: string;
  pairHandle?: string;
  permission: 'key.set-state' | 'key.set-metadata';
  /** The audited action: kms.enable-key, kms.tag-resource … */
  action: string;
  change: KmsChange;
}

const KEY = { key: { role: 'manage-stored', field: 'keyHandle' } } as const;
const PAIR = {
  key: { role: 'manage-stored', field: 'keyHandle' },
  pair: { role: 'manage-stored', field: 'pairHandle' },
} as const;

export const KMS_KEY_OPERATIONS = [
  operation<ChangeInput, typeof KEY>({
    name: 'kms.change-key',
    summary: "Change a KMS key's state or KMS metadata (its owner, under its key-management quorum)",
    policy: { of: (input) => input.permission },
    schema: {},
    keys: KEY,
    async run({ services, session, keys }, input) {
      return { key: await services.kmsKeys.change(session, input.action, keys.key, undefined, input.change) };
    },
  }),
  operation<ChangeInput, typeof PAIR>({
    name: 'kms.change-key-pair',
    summary: "Change a KMS key pair's state or KMS metadata; the state of both halves changes together",
    policy: { of: (input) => input.permission },
    schema: {},
    keys: PAIR,
    async run({ services, session, keys }, input) {
      return { key: await services.kmsKeys.change(session, input.action, keys.key, keys.pair, input.change) };
    },
  }),
  operation<{ keyHandle: string; rotationType: 'AUTOMATIC' | 'ON_DEMAND' }, typeof KEY>({
    name: 'kms.rotate-key',
    summary: 'New key material as the newest version of a KMS key, recorded in its rotation history',
    policy: 'key.rotate',
    schema: {},
    keys: KEY,
    async run({ services, session, keys }, input) {
      const amend = (next: KeyRecord): KeyRecord => {
        if (!next.kms) return next;
        const { rotation } = next.kms;
        // An automatic rotation moves the schedule on by its period; one on demand leaves it.
        const schedule =
          rotation && input.rotationType === 'AUTOMATIC'
            ? { rotation: { ...rotation, nextRotationDate: daysAfter(next.updatedAt, rotation.periodDays) } }
            : {};
        const entry = { version: next.version, rotationDate: next.updatedAt, rotationType: input.rotationType };
        return { ...next, kms: { ...next.kms, ...schedule, rotations: [...next.kms.rotations, entry] } };
      };
      return { key: await services.versions.rotate(session, keys.key, amend) };
    },
  }),
];

export function daysAfter(iso: string, days: number): string {
  return new Date(Date.parse(iso) + days * 86_400_000).toISOString();
}
