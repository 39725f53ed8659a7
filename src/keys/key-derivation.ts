import { createSecretKey, type KeyObject } from 'node:crypto';
import { keyTypeProvider } from '../crypto/keys/registry.js';
import type { DeriveMechanism, KeySpec, KeyType, MechanismParams } from '../crypto/types.js';
import { refuseAudited } from '../records/audited-refusal.js';
import { CofferError } from '../errors/coffer-error.js';
import type { Session } from '../identity/sessions.js';
import type { KeyRecord } from '../objects/key-record.js';
import { mechanismOfKind } from '../crypto/mechanisms/registry.js';
import { checkTemplate, creationAttributes, type KeyTemplate } from './key-service.js';
import {
  allows,
  checkKeyType,
  classHasType,
  firstBroken,
  fitsMechanism,
  type KeyTransferDeps,
  type MechanismLookup,
  type Rule,
} from './key-rules.js';

/** What a derive rule looks at, before the mechanism runs. */
export interface DeriveCase {
  readonly mech: DeriveMechanism;
  readonly base: KeyRecord;
  readonly keyType: string;
}

/** C_DeriveKey's rules, in order, after the mechanism is known to derive and the base key is visible. */
export const DERIVE_RULES: readonly Rule<DeriveCase>[] = [
  {
    check: 'the base key is of the class and type the mechanism derives from',
    code: 'KEY_TYPE_INCONSISTENT',
    holds: ({ mech, base }) => fitsMechanism(mech, 'derive', base),
  },
  {
    check: 'the base key is enabled and its derive attribute is true',
    code: 'KEY_FUNCTION_NOT_PERMITTED',
    holds: ({ base }) => allows(base, 'derive'),
  },
  {
    check: 'the derived key is a secret key type (aes or generic-secret)',
    code: 'ATTRIBUTE_VALUE_INVALID',
    holds: ({ keyType }) => classHasType('secret', keyType),
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
  };
}

export interface DeriveRequest {
  readonly baseKey: string;
  readonly mechanism: string;
  readonly keyType: string;
  readonly lengthBytes: number;
  readonly template: KeyTemplate;
  readonly params: MechanismParams;
}

/** C_DeriveKey: a new secret key, owned by the caller, from a base key and a derive mechanism. */
export class KeyDerivation {
  private readonly mechanismOf: MechanismLookup;

  constructor(private readonly deps: KeyTransferDeps) {
    this.mechanismOf = deps.mechanisms ?? mechanismOfKind;
  }

  async derive(session: Session, request: DeriveRequest): Promise<KeyRecord> {
    const mech = this.mechanismOf(request.mechanism, 'derive');
    const base = await this.deps.keys.visible(session, request.baseKey);
    const details = { baseKey: base.record.handle, mechanism: mech.name };
    const broken = firstBroken(DERIVE_RULES, { mech, base: base.record, keyType: request.keyType });
    if (broken) {
      const event = { actor: session.username, action: 'key.derive', target: `key/${base.record.handle}`, details };
      await refuseAudited(this.deps.writer, event, broken.code, broken.check);
    }
    const keyType = request.keyType as KeyType;
    keyTypeProvider(keyType).checkSpec({ keyType, lengthBytes: request.lengthBytes } as KeySpec);
    const fields = checkTemplate(request.template.label, request.template.id);
    const attributes = derivedAttributes(base.record.attributes, request.template.attributes);
    const key = await deriveSecret(mech, base.key, request.params, request.lengthBytes);
    checkKeyType(key, keyType, 'KEY_SIZE_RANGE');
    return this.deps.keys.createKey(
      session,
      { key, class: 'secret', keyType, ...fields, attributes },
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
