import type { KeyObject } from 'node:crypto';
import { exportKeyMaterial } from '../crypto/keys/material.js';
import type { KeyClass, KeyType, MechanismParams, WrapMechanism } from '../crypto/types.js';
import { refuseAudited } from '../records/audited-refusal.js';
import { isCofferError } from '../errors/coffer-error.js';
import type { ErrorCode } from '../errors/registry.js';
import type { Session } from '../identity/sessions.js';
import type { KeyRecord } from '../objects/key-record.js';
import type { AuditDetails, KeyTemplate } from './key-service.js';
import { checkTemplate, creationAttributes, tokenAttribute } from './key-service.js';
import { brokenDetail, classHasType, firstBroken, type KeyTransferDeps, parseKeyAs, type Rule } from './key-rules.js';
import type { Admission } from './key-use-gate.js';

/** What a wrap rule looks at: the mechanism and both keys' records (never their material). */
export interface WrapCase {
  readonly wrapping: KeyRecord;
  readonly target: KeyRecord;
}

/**
 * C_WrapKey's rules, in the order they are checked, after the gate admitted the wrapping key
 * for wrap (its class and type fit the mechanism, it is enabled, wrap is true, within its dates,
 * quorum met) and the key to wrap for export (its owner asks, it is enabled and within its
 * dates). The first broken rule refuses the wrap.
 */
export const WRAP_RULES: readonly Rule<WrapCase>[] = [
  {
    // The private half of a public key made elsewhere may sit here as a decrypt key (or anywhere):
    // only a key pair made here is bound by the pair rules, or an admin vouches for the key.
    check: 'a public wrapping key was generated here or is trusted by an admin',
    code: 'KEY_FUNCTION_NOT_PERMITTED',
    holds: ({ wrapping }) =>
      wrapping.class !== 'public' || wrapping.attributes.local === true || wrapping.attributes.trusted === true,
  },
  {
    check: 'the key to wrap is a secret or private key (public keys are exported, not wrapped)',
    code: 'KEY_NOT_WRAPPABLE',
    holds: ({ target }) => target.class !== 'public',
  },
  {
    check: 'the key to wrap is extractable',
    code: 'KEY_UNEXTRACTABLE',
    holds: ({ target }) => target.attributes.extractable === true,
  },
  {
    check: 'a wrap-with-trusted key is wrapped only by a trusted key',
    code: 'KEY_NOT_WRAPPABLE',
    holds: ({ target, wrapping }) => target.attributes.wrapWithTrusted !== true || wrapping.attributes.trusted === true,
  },
  {
    check: 'a key is not wrapped under itself',
    code: 'KEY_NOT_WRAPPABLE',
    holds: ({ target, wrapping }) => target.handle !== wrapping.handle,
  },
];

/** What an unwrap rule looks at, before the mechanism runs. */
export interface UnwrapCase {
  readonly unwrapping: KeyRecord;
  /** Who unwraps: the owner of the unwrapping key, or a user it is shared with. */
  readonly caller: string;
  readonly keyClass: KeyClass;
  readonly keyType: string;
  /** The new key's attributes, resolved from the attribute table. */
  readonly attributes: KeyRecord['attributes'];
}

/** C_UnwrapKey's rules, in order, after the gate admitted the unwrapping key for unwrap. */
export const UNWRAP_RULES: readonly Rule<UnwrapCase>[] = [
  {
    check: 'the new key is a secret or private key of a key type of that class',
    code: 'ATTRIBUTE_VALUE_INVALID',
    holds: ({ keyClass, keyType }) => keyClass !== 'public' && classHasType(keyClass, keyType),
  },
  {
    // Where a wrapped key came from cannot be known: it may have been a sensitive key, so its
    // copy is sensitive too (Clulow: wrap a sensitive key, unwrap it as a non-sensitive one).
    check: 'an unwrapped key is sensitive',
    code: 'ATTRIBUTE_VALUE_INVALID',
    holds: ({ attributes }) => attributes.sensitive === true,
  },
  {
    // Its material may be a data key's (an extractable data key wrapped, then unwrapped): as a
    // wrapping key, that data key would decrypt what the copy wraps. Wrapping keys are made here.
    check: 'an unwrapped key is not a wrapping key (wrap, unwrap)',
    code: 'ATTRIBUTE_VALUE_INVALID',
    holds: ({ attributes }) => attributes.wrap !== true && attributes.unwrap !== true,
  },
  {
    // A user an unwrapping key is shared with may use the keys wrapped under it, not take them out.
    check: 'a key unwrapped with another user’s key is not extractable',
    code: 'ATTRIBUTE_VALUE_INVALID',
    holds: ({ unwrapping, caller, attributes }) => attributes.extractable !== true || unwrapping.owner === caller,
  },
];

/**
 * The attributes a copy keeps from its unwrapping key: what a trusted key unwraps was wrapped
 * by a trusted key, so it may have been wrap-with-trusted; it stays so.
 */
export function unwrappedAttributes(
  requested: KeyRecord['attributes'],
  unwrapping: KeyRecord,
): KeyRecord['attributes'] {
  return unwrapping.attributes.trusted === true ? { ...requested, wrapWithTrusted: true } : requested;
}

/** Errors of a mechanism's unwrap that mean "these bytes are not a wrapped key for this key". */
const UNWRAP_FAILURES: readonly ErrorCode[] = ['ENCRYPTED_DATA_INVALID', 'DATA_LEN_RANGE', 'WRAPPED_KEY_INVALID'];

export interface UnwrapRequest {
  readonly wrapped: Buffer;
  readonly keyClass: KeyClass;
  readonly keyType: string;
  readonly template: KeyTemplate;
  readonly params: MechanismParams;
}

/**
 * C_WrapKey and C_UnwrapKey over keys the gate admitted. Wrapped material is a secret key's
 * raw bytes or a private key's PKCS#8 DER; every plaintext buffer is zeroed once the mechanism
 * is done with it. Both operations are audited, refusals by the rule tables too.
 */
export class KeyWrapping {
  constructor(private readonly deps: KeyTransferDeps) {}

  async wrap(
    session: Session,
    wrapping: Admission<WrapMechanism>,
    target: Admission,
    params: MechanismParams,
  ): Promise<Buffer> {
    const mech = wrapping.mech;
    const details = { wrappingKey: wrapping.record.handle, key: target.record.handle, mechanism: mech.name };
    const audit = { session, action: 'key.wrap', target: target.record.handle, details };
    const broken = firstBroken(WRAP_RULES, { wrapping: wrapping.record, target: target.record });
    if (broken) await this.refuse(audit, broken.code, brokenDetail(broken));
    // The key-management approval of the key leaving the boundary, consumed with the audit event.
    const approval = await target.approval();
    const material = exportKeyMaterial(target.loaded.key);
    let wrapped: Buffer;
    try {
      wrapped = await mech.wrap(wrapping.loaded.key, material, params);
    } finally {
      material.fill(0);
    }
    await this.deps.writer.commit({
      compares: approval?.compares ?? [],
      changes: approval?.changes ?? [],
      event: {
        actor: session.username,
        action: 'key.wrap',
        target: `key/${target.record.handle}`,
        result: 'success',
        details: { ...details, ...approval?.details },
      },
    });
    return wrapped;
  }

  async unwrap(session: Session, unwrapping: Admission<WrapMechanism>, request: UnwrapRequest): Promise<KeyRecord> {
    const mech = unwrapping.mech;
    const { keyClass, keyType } = request;
    const details = { unwrappingKey: unwrapping.record.handle, mechanism: mech.name, class: keyClass, keyType };
    const audit = { session, action: 'key.unwrap', target: unwrapping.record.handle, details };
    const fields = checkTemplate(request.template.label, request.template.id);
    const attributes =
      keyClass === 'public'
        ? {}
        : unwrappedAttributes(
            creationAttributes(keyClass, request.template.attributes, { generatedHere: false }),
            unwrapping.record,
          );
    const broken = firstBroken(UNWRAP_RULES, {
      unwrapping: unwrapping.record,
      caller: session.username,
      keyClass,
      keyType,
      attributes,
    });
    if (broken) await this.refuse(audit, broken.code, brokenDetail(broken));
    const approval = await unwrapping.approval();
    const key = await this.unwrapBytes(audit, mech, unwrapping.loaded.key, request, keyType as KeyType);
    return this.deps.keys.createKey(
      session,
      {
        key,
        class: keyClass,
        keyType: keyType as KeyType,
        ...fields,
        attributes: { ...attributes, ...tokenAttribute(request.template.token) },
      },
      'key.unwrap',
      { unwrappingKey: unwrapping.record.handle, mechanism: mech.name },
      approval,
    );
  }

  /** Runs the mechanism and parses its output as the stated key; WRAPPED_KEY_INVALID otherwise. */
  private async unwrapBytes(
    audit: AuditContext,
    mech: WrapMechanism,
    unwrappingKey: KeyObject,
    request: UnwrapRequest,
    keyType: KeyType,
  ): Promise<KeyObject> {
    let bytes: Buffer | undefined;
    try {
      bytes = await mech.unwrap(unwrappingKey, request.wrapped, request.params);
      return parseKeyAs(request.keyClass, keyType, bytes, 'WRAPPED_KEY_INVALID');
    } catch (error) {
      const code = isCofferError(error) && UNWRAP_FAILURES.includes(error.code) ? 'WRAPPED_KEY_INVALID' : undefined;
      if (code) return this.refuse(audit, code, 'the wrapped key does not unwrap to the stated key');
      if (isCofferError(error)) await this.refuse(audit, error.code, error.detail);
      throw error;
    } finally {
      bytes?.fill(0);
    }
  }

  private refuse(audit: AuditContext, code: ErrorCode, detail: string | undefined): Promise<never> {
    const { session, action, target, details } = audit;
    return refuseAudited(
      this.deps.writer,
      { actor: session.username, action, target: `key/${target}`, details },
      code,
      detail,
    );
  }
}

interface AuditContext {
  readonly session: Session;
  readonly action: string;
  readonly target: string;
  readonly details: AuditDetails;
}
