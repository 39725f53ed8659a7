import { createSecretKey, type KeyObject } from 'node:crypto';
import { keyTypeProvider } from '../crypto/keys/registry.js';
import type { DeriveMechanism, KeySpec, KeyType, MechanismParams } from '../crypto/types.js';
import { refuseAudited } from '../records/audited-refusal.js';
import { CofferError } from '../errors/coffer-error.js';
import type { Session } from '../identity/sessions.js';
import type { KeyRecord } from '../objects/key-record.js';
import { checkTemplate, creationAttributes, tokenAttribute, type KeyTemplate } from './key-service.js';
import { brokenDetail, checkKeyType, classHasType, firstBroken, type KeyTransferDeps, type Rule } from './key-rules.js';
import type { Admission } from './key-use-gate.js';

/** What a derive rule looks at, before the mechanism runs. */
export interface DeriveCase {
  readonly base: KeyRecord;
  /** Who derives: the owner of the base key, or a user it is shared with. */
  readonly caller: string;
  readonly keyType: string;
  /** The derived key's attributes, resolved from the attribute table. */
  readonly attributes: KeyRecord['attributes'];
}

/**
 * C_DeriveKey's rules, in order, after the gate admitted the base key for derive (class and type
 * fit the mechanism, enabled, derive true, within its dates, quorum met, counted).
 */
export const DERIVE_RULES: readonly Rule<DeriveCase>[] = [
  {
    // KMS's DeriveSharedSecret answers such a key's raw ECDH secrets to whoever may use it, so
    // a key derived from one (with the null KDF, the same bytes) would be no secret at all.
    check: 'a KMS key agreement key is no base key: its shared secrets are answered in the clear',
    code: 'KEY_FUNCTION_NOT_PERMITTED',
    holds: ({ base }) => base.kms?.keyUsage !== 'KEY_AGREEMENT',
  },
  {
    check: 'the derived key is a secret key type (aes or generic-secret)',
    code: 'ATTRIBUTE_VALUE_INVALID',
    holds: ({ keyType }) => classHasType('secret', keyType),
  },
  {
    // A key derived from a sensitive one is as secret as its base: another user deriving with
    // the same parameters gets the same bytes, so they must not become readable.
    check: 'a key derived from a sensitive key is sensitive',
    code: 'ATTRIBUTE_VALUE_INVALID',
    holds: ({ base, attributes }) => base.attributes.sensitive !== true || attributes.sensitive === true,
  },
  {
    // The same bytes can be derived again with another template: as a data key, that copy would
    // decrypt what a derived wrapping key wraps. Wrapping keys are generated (or imported).
    check: 'a derived key is not a wrapping key (wrap, unwrap)',
    code: 'ATTRIBUTE_VALUE_INVALID',
    holds: ({ attributes }) => attributes.wrap !== true && attributes.unwrap !== true,
  },
  {
    // The same bytes can be derived again by anyone who may use the base: only the owner of an
    // extractable, non-sensitive base may derive an extractable key from it.
    check: 'a key derived from a sensitive, unextractable or shared base key is not extractable',
    code: 'ATTRIBUTE_VALUE_INVALID',
    holds: ({ base, caller, attributes }) =>
      attributes.extractable !== true ||
      (base.attributes.sensitive !== true && base.attributes.extractable === true && base.owner === caller),
  },
];

/**
 * The attributes of a derived key: the table's, as for any key not generated here (local
 * false), then PKCS#11's inheritance — always-sensitive only when the base key was and the new
 * key is sensitive; never-extractable only when the base key was and the new key is not
 * extractable.
 */
export function derivedAttributes(
  base: KeyRecord['attributes'],
  requested: KeyTemplate['attributes'],
): KeyRecord['attributes'] {
  const attributes = creationAttributes('secret', requested, { generatedHere: false });
  return {
    ...attributes,
    alwaysSensitive: base.alwaysSensitive === true && attributes.sensitive === true,
    neverExtractable: base.neverExtractable === true && attributes.extractable === false,
    // What may be wrapped only by a trusted key stays so in what is derived from it.
    wrapWithTrusted: base.wrapWithTrusted === true || attributes.wrapWithTrusted === true,
  };
}

export interface DeriveRequest {
  readonly keyType: string;
  readonly lengthBytes: number;
  readonly template: KeyTemplate;
  readonly params: MechanismParams;
}

/** C_DeriveKey: a new secret key, owned by the caller, from an admitted base key. */
export class KeyDerivation {
  constructor(private readonly deps: KeyTransferDeps) {}

  async derive(session: Session, base: Admission<DeriveMechanism>, request: DeriveRequest): Promise<KeyRecord> {
    const mech = base.mech;
    const details = { baseKey: base.record.handle, mechanism: mech.name };
    const attributes = derivedAttributes(base.record.attributes, request.template.attributes);
    const broken = firstBroken(DERIVE_RULES, {
      base: base.record,
      caller: session.username,
      keyType: request.keyType,
      attributes,
    });
    if (broken) {
      const event = { actor: session.username, action: 'key.derive', target: `key/${base.record.handle}`, details };
      await refuseAudited(this.deps.writer, event, broken.code, brokenDetail(broken));
    }
    const keyType = request.keyType as KeyType;
    keyTypeProvider(keyType).checkSpec({ keyType, lengthBytes: request.lengthBytes } as KeySpec);
    const fields = checkTemplate(request.template.label, request.template.id);
    const key = await deriveSecret(mech, base.loaded.key, request.params, request.lengthBytes);
    checkKeyType(key, keyType, 'KEY_SIZE_RANGE');
    return this.deps.keys.createKey(
      session,
      {
        key,
        class: 'secret',
        keyType,
        ...fields,
        attributes: { ...attributes, ...tokenAttribute(request.template.token) },
      },
      'key.derive',
      details,
    );
  }
}
/** The derived bytes as a secret KeyObject; the bytes themselves are zeroed. */
async function deriveSecret(
  mech: DeriveMechanism,
  baseKey: KeyObject,
  params: MechanismParams,
  lengthBytes: number,
): Promise<KeyObject> {
  const bytes = await mech.derive(baseKey, params, lengthBytes);
  try {
    if (bytes.length !== lengthBytes) throw new CofferError('INTERNAL_ERROR', `${mech.name} derived a wrong length`);
    return createSecretKey(bytes);
  } finally {
    bytes.fill(0);
  }
}
