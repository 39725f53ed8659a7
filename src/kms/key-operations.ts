import type { Admission } from '../keys/key-use-gate.js';
import type { KeyRecord } from '../objects/key-record.js';
import type { Session } from '../identity/sessions.js';
import type { Services } from '../operations/services.js';
import { refuseAudited } from '../records/audited-refusal.js';
import { operation } from '../operations/operation.js';
import type { KmsMetadata } from '../objects/kms-metadata.js';
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
  permission: 'key.set-attribute' | 'key.share' | 'key.unshare';
  /** The audited action: kms.enable-key, kms.tag-resource … */
  action: string;
  change: KmsChange;
}

const KEY = { key: { role: 'manage-stored', field: 'keyHandle' } } as const;
const PAIR = {
  key: { role: 'manage-stored', field: 'keyHandle' },
  pair: { role: 'manage-stored', field: 'pairHandle' },
} as const;
const AGREE = { key: { role: 'derive', field: 'keyHandle', mechanismField: 'mechanism' } } as const;
/** A grantee (or the grant's retiring user) gives a grant up: it needs only to see the key. */
const SEEN = { key: { role: 'read', field: 'keyHandle' } } as const;
const SEEN_PAIR = { key: { role: 'read', field: 'keyHandle' }, pair: { role: 'read', field: 'pairHandle' } } as const;

interface RetireInput {
  keyHandle: string;
  pairHandle?: string;
  grantId: string;
}

/** RetireGrant by someone not the owner: only the grant's grantee or its retiring user. */
async function retire(
  context: { services: Services; session: Session; keys: Readonly<Record<string, Admission>> },
  input: RetireInput,
  pair: boolean,
): Promise<{ key: KeyRecord }> {
  const { services, session, keys } = context;
  const key = keys.key!;
  const grant = key.record.kms?.grants.find((candidate) => candidate.grantId === input.grantId);
  if (!grant || (grant.grantee !== session.username && grant.retiringUser !== session.username))
    return refuseAudited(
      services.writer,
      { actor: session.username, action: 'kms.retire-grant', target: `key/${key.record.handle}` },
      'KMS_GRANT_NOT_FOUND',
    );
  const change = { kind: 'remove-grant', grantId: input.grantId } as const;
  const pairKey = pair ? keys.pair : undefined;
  return { key: await services.kmsKeys.change(session, 'kms.retire-grant', key, pairKey, change) };
}

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
  operation<RetireInput, typeof SEEN>({
    name: 'kms.retire-grant',
    summary: 'Give up a grant of a KMS key: its grantee, or the user named to retire it',
    policy: 'authenticated',
    schema: {},
    keys: SEEN,
    run: (context, input) => retire(context, input, false),
  }),
  operation<RetireInput, typeof SEEN_PAIR>({
    name: 'kms.retire-grant-pair',
    summary: 'Give up a grant of a KMS key pair (both halves are unshared)',
    policy: 'authenticated',
    schema: {},
    keys: SEEN_PAIR,
    run: (context, input) => retire(context, input, true),
  }),
  operation<{ keyHandle: string; mechanism: string; publicKey: Buffer; lengthBytes: number }, typeof AGREE>({
    name: 'kms.derive-shared-secret',
    summary: "ECDH of a KMS key agreement key's private half with a peer's public key: the raw shared secret",
    policy: 'key.derive',
    schema: {},
    keys: AGREE,
    async run({ keys }, input) {
      const { loaded, mech } = keys.key;
      const secret = await mech.derive(loaded.key, { publicKey: input.publicKey, kdf: 'null' }, input.lengthBytes);
      try {
        return { sharedSecret: secret.toString('base64') };
      } finally {
        secret.fill(0);
      }
    },
  }),
  // Imported key material (key-import.ts): the key is its owner's to prepare, fill and empty.
  operation<{ kms: KmsMetadata; attributes?: Record<string, boolean> }, Record<never, never>>({
    name: 'kms.create-external-key',
    summary: 'A KMS key of Origin EXTERNAL: no material until ImportKeyMaterial, pending import',
    policy: 'key.import',
    schema: {},
    keys: {},
    async run({ services, session }, input) {
      return { key: await services.kmsImport.createExternal(session, input.kms, input.attributes) };
    },
  }),
  operation<{ keyHandle: string; wrappingAlgorithm: string; wrappingKeySpec: string }, typeof KEY>({
    name: 'kms.get-parameters-for-import',
    summary: "A fresh RSA wrapping key's public half and an import token for a KMS key of Origin EXTERNAL",
    policy: 'key.import',
    schema: {},
    keys: KEY,
    async run({ services, session, keys }, input) {
      const out = await services.kmsImport.parameters(
        session,
        keys.key,
        input.wrappingAlgorithm,
        input.wrappingKeySpec,
      );
      return {
        publicKey: out.publicKey.toString('base64'),
        importToken: out.token.toString('base64'),
        validTo: out.validTo,
      };
    },
  }),
  operation<
    { keyHandle: string; importToken: Buffer; encryptedKeyMaterial: Buffer; expirationModel?: string; validTo?: Date },
    typeof KEY
  >({
    name: 'kms.import-key-material',
    summary: 'Key material wrapped under the wrapping key of GetParametersForImport, unwrapped into the KMS key',
    policy: 'key.import',
    schema: {},
    keys: KEY,
    async run({ services, session, keys }, input) {
      const key = await services.kmsImport.importMaterial(session, keys.key, {
        token: input.importToken,
        encrypted: input.encryptedKeyMaterial,
        ...(input.expirationModel !== undefined && { expirationModel: input.expirationModel }),
        ...(input.validTo !== undefined && { validTo: input.validTo }),
      });
      return { key };
    },
  }),
  operation<{ keyHandle: string; reason: 'requested' | 'expired' }, typeof KEY>({
    name: 'kms.delete-imported-key-material',
    summary: "A KMS key's imported material destroyed; the key waits, pending import, for the same material",
    policy: 'key.delete',
    schema: {},
    keys: KEY,
    async run({ services, session, keys }, input) {
      return { key: await services.kmsImport.deleteMaterial(session, keys.key, input.reason) };
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
