import type { KeyObject } from 'node:crypto';
import { exportKeyMaterial } from '../crypto/keys/material.js';
import type { KeyClass, KeyType, MechanismParams, WrapMechanism } from '../crypto/types.js';
import { refuseAudited } from '../records/audited-refusal.js';
import { isCofferError } from '../errors/coffer-error.js';
import type { ErrorCode } from '../errors/registry.js';
import type { Session } from '../identity/sessions.js';
import type { KeyRecord } from '../objects/key-record.js';
import { mechanismOfKind } from '../crypto/mechanisms/registry.js';
import type { AuditDetails, KeyTemplate } from './key-service.js';
import { checkTemplate, creationAttributes } from './key-service.js';
import {
  allows,
  classHasType,
  firstBroken,
  fitsMechanism,
  type KeyTransferDeps,
  parseKeyAs,
  type MechanismLookup,
  type Rule,
} from './key-rules.js';

/** What a wrap rule looks at: the mechanism and both keys' records (never their material). */
export interface WrapCase {
  readonly mech: WrapMechanism;
  readonly wrapping: KeyRecord;
  readonly target: KeyRecord;
}

/**
 * C_WrapKey's rules, in the order they are checked, after the mechanism is known to wrap and
 * both keys are visible to the caller. The first broken rule refuses the wrap.
 */
export const WRAP_RULES: readonly Rule<WrapCase>[] = [
  {
    check: 'the wrapping key is of the class and type the mechanism wraps with',
    code: 'KEY_TYPE_INCONSISTENT',
    holds: ({ mech, wrapping }) => fitsMechanism(mech, 'wrap', wrapping),
  },
  {
    check: 'the wrapping key is enabled and its wrap attribute is true',
    code: 'KEY_FUNCTION_NOT_PERMITTED',
    holds: ({ wrapping }) => allows(wrapping, 'wrap'),
  },
  {
    check: 'the key to wrap is a secret or private key (public keys are exported, not wrapped)',
    code: 'KEY_NOT_WRAPPABLE',
    holds: ({ target }) => target.class !== 'public',
  },
  {
    check: 'the key to wrap is enabled',
    code: 'KEY_FUNCTION_NOT_PERMITTED',
    holds: ({ target }) => target.state === 'enabled',
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
];

/** What an unwrap rule looks at, before the mechanism runs. */
export interface UnwrapCase {
  readonly mech: WrapMechanism;
  readonly unwrapping: KeyRecord;
  readonly keyClass: KeyClass;
  readonly keyType: string;
}

/** C_UnwrapKey's rules, in order, after the mechanism is known and the key is visible. */
export const UNWRAP_RULES: readonly Rule<UnwrapCase>[] = [
  {
    check: 'the unwrapping key is of the class and type the mechanism unwraps with',
    code: 'KEY_TYPE_INCONSISTENT',
    holds: ({ mech, unwrapping }) => fitsMechanism(mech, 'unwrap', unwrapping),
  },
  {
    check: 'the unwrapping key is enabled and its unwrap attribute is true',
    code: 'KEY_FUNCTION_NOT_PERMITTED',
    holds: ({ unwrapping }) => allows(unwrapping, 'unwrap'),
  },
  {
    check: 'the new key is a secret or private key of a key type of that class',
    code: 'ATTRIBUTE_VALUE_INVALID',
    holds: ({ keyClass, keyType }) => keyClass !== 'public' && classHasType(keyClass, keyType),
  },
];

/** Errors of a mechanism's unwrap that mean "these bytes are not a wrapped key for this key". */
const UNWRAP_FAILURES: readonly ErrorCode[] = ['ENCRYPTED_DATA_INVALID', 'DATA_LEN_RANGE', 'WRAPPED_KEY_INVALID'];

export interface WrapRequest {
  readonly wrappingKey: string;
  readonly key: string;
  readonly mechanism: string;
  readonly params: MechanismParams;
}

export interface UnwrapRequest {
  readonly unwrappingKey: string;
  readonly mechanism: string;
  readonly wrapped: Buffer;
  readonly keyClass: KeyClass;
  readonly keyType: string;
  readonly template: KeyTemplate;
  readonly params: MechanismParams;
}

/**
 * C_WrapKey and C_UnwrapKey. Wrapped material is a secret key's raw bytes or a private key's
 * PKCS#8 DER; every plaintext buffer is zeroed once the mechanism is done with it. Both
 * operations are audited, refusals by the rule tables too.
 */
export class KeyWrapping {
  private readonly mechanismOf: MechanismLookup;

  constructor(private readonly deps: KeyTransferDeps) {
    this.mechanismOf = deps.mechanisms ?? mechanismOfKind;
  }

  async wrap(session: Session, request: WrapRequest): Promise<Buffer> {
    const mech = this.mechanismOf(request.mechanism, 'wrap');
    const wrapping = await this.deps.keys.visible(session, request.wrappingKey);
    const target = await this.deps.keys.visible(session, request.key);
    const details = {
      wrappingKey: wrapping.record.handle,
      key: target.record.handle,
      mechanism: mech.name,
    };
    const audit = { session, action: 'key.wrap', target: target.record.handle, details };
    const broken = firstBroken(WRAP_RULES, { mech, wrapping: wrapping.record, target: target.record });
    if (broken) await this.refuse(audit, broken.code, broken.check);
    const material = exportKeyMaterial(target.key);
    let wrapped: Buffer;
    try {
      wrapped = await mech.wrap(wrapping.key, material, request.params);
    } finally {
      material.fill(0);
    }
    await this.deps.writer.commit({
      event: {
        actor: session.username,
        action: 'key.wrap',
        target: `key/${target.record.handle}`,
        result: 'success',
        details,
      },
    });
    return wrapped;
  }

  async unwrap(session: Session, request: UnwrapRequest): Promise<KeyRecord> {
    const mech = this.mechanismOf(request.mechanism, 'wrap');
    const unwrapping = await this.deps.keys.visible(session, request.unwrappingKey);
    const { keyClass, keyType } = request;
    const details = { unwrappingKey: unwrapping.record.handle, mechanism: mech.name, class: keyClass, keyType };
    const audit = { session, action: 'key.unwrap', target: unwrapping.record.handle, details };
    const broken = firstBroken(UNWRAP_RULES, { mech, unwrapping: unwrapping.record, keyClass, keyType });
    if (broken) await this.refuse(audit, broken.code, broken.check);
    const fields = checkTemplate(request.template.label, request.template.id);
    const attributes = creationAttributes(keyClass, request.template.attributes, { generatedHere: false });
    const key = await this.unwrapBytes(audit, mech, unwrapping.key, request, keyType as KeyType);
    return this.deps.keys.createKey(
      session,
      { key, class: keyClass, keyType: keyType as KeyType, ...fields, attributes },
      'key.unwrap',
      { unwrappingKey: unwrapping.record.handle, mechanism: mech.name },
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
