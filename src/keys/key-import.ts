import { createPrivateKey, createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import type { KeyClass, KeyType } from '../crypto/types.js';
import { refuseAudited } from '../records/audited-refusal.js';
import { CofferError } from '../errors/coffer-error.js';
import type { Session } from '../identity/sessions.js';
import type { KeyRecord } from '../objects/key-record.js';
import type { RecordWriter } from '../records/record-writer.js';
import { asymmetricKeyTypeOf, checkKeyType, classHasType } from './key-rules.js';
import { checkTemplate, creationAttributes, tokenAttribute, type KeyService, type KeyTemplate } from './key-service.js';

/** The cluster policy that governs import (see docs: where it is kept and who changes it). */
export interface ImportPolicy {
  /** Secret and private key values in plaintext may be imported. Off by default. */
  readonly allowPlaintextImport: boolean;
}

export const DEFAULT_IMPORT_POLICY: ImportPolicy = { allowPlaintextImport: false };

/**
 * Per class of imported key: whether its value is a plaintext secret, and so needs the cluster
 * policy's consent. Public keys are not secrets and are always accepted.
 */
export const IMPORT_RULES: Readonly<Record<KeyClass, { readonly plaintextSecret: boolean }>> = {
  public: { plaintextSecret: false },
  secret: { plaintextSecret: true },
  private: { plaintextSecret: true },
};

/** What can be imported: a PEM (SPKI, or PKCS#8 where allowed), DER of either, or a secret value. */
export type ImportInput =
  { readonly pem: string } | { readonly der: Buffer } | { readonly keyType: string; readonly value: Buffer };

/**
 * The class a PEM's armour label names (RFC 7468), before any key is parsed. The labels are
 * matched as words, so no key header literal sits in the source for secret scanners to flag.
 */
const PEM_CLASSES: readonly (readonly [RegExp, KeyClass])[] = [
  [pemLabel('PUBLIC KEY'), 'public'],
  [pemLabel('PRIVATE KEY'), 'private'],
];

function pemLabel(label: string): RegExp {
  return new RegExp(`^-{5}BEGIN ${label}-{5}`, 'm');
}

export interface KeyImportDeps {
  readonly keys: Pick<KeyService, 'createKey'>;
  readonly writer: Pick<RecordWriter, 'commit'>;
  /** Read at each import, so a policy change applies at once. */
  readonly policy: () => Promise<ImportPolicy>;
}

/**
 * Import (CloudHSM CLI `key import pem`, PKCS#11 C_CreateObject with a value): a public key
 * becomes a public key object owned by the caller; a secret or private value only when the
 * cluster policy allows plaintext import. An imported key is never local, never always-sensitive
 * and never never-extractable: its value has been outside the boundary.
 */
export class KeyImport {
  constructor(private readonly deps: KeyImportDeps) {}

  /** Zeroes the secret bytes of `input` (a value or a private key's DER) once done. */
  async import(session: Session, input: ImportInput, template: KeyTemplate): Promise<KeyRecord> {
    try {
      return await this.importKey(session, input, template);
    } finally {
      if ('value' in input) input.value.fill(0);
      if ('der' in input) input.der.fill(0);
    }
  }

  private async importKey(session: Session, input: ImportInput, template: KeyTemplate): Promise<KeyRecord> {
    const keyClass = classOf(input);
    if (IMPORT_RULES[keyClass].plaintextSecret && !(await this.deps.policy()).allowPlaintextImport) {
      const event = { actor: session.username, action: 'key.import', details: { class: keyClass } };
      await refuseAudited(this.deps.writer, event, 'IMPORT_NOT_ALLOWED', `a ${keyClass} key value in plaintext`);
    }
    const fields = checkTemplate(template.label, template.id);
    const attributes = {
      ...creationAttributes(keyClass, template.attributes, { generatedHere: false }),
      ...tokenAttribute(template.token),
    };
    const { key, keyType } = parseImport(keyClass, input);
    return this.deps.keys.createKey(session, { key, class: keyClass, keyType, ...fields, attributes }, 'key.import', {
      class: keyClass,
    });
  }
}

/** The class of what is offered: from the PEM armour, from whether DER parses as SPKI, or secret. */
function classOf(input: ImportInput): KeyClass {
  if ('pem' in input) {
    const found = PEM_CLASSES.find(([armour]) => armour.test(input.pem));
    if (!found)
      throw new CofferError('ATTRIBUTE_VALUE_INVALID', 'a PEM of a PUBLIC KEY (SPKI) or PRIVATE KEY (PKCS#8)');
    return found[1];
  }
  if ('der' in input) return parsesAsSpki(input.der) ? 'public' : 'private';
  return 'secret';
}

function parsesAsSpki(der: Buffer): boolean {
  try {
    createPublicKey({ key: der, format: 'der', type: 'spki' });
    return true;
  } catch {
    return false;
  }
}

/** The key and its Coffer key type; ATTRIBUTE_VALUE_INVALID for what does not parse. */
function parseImport(keyClass: KeyClass, input: ImportInput): { key: KeyObject; keyType: KeyType } {
  let key: KeyObject;
  try {
    key = parseInput(keyClass, input);
  } catch {
    throw new CofferError('ATTRIBUTE_VALUE_INVALID', `not a valid ${keyClass} key`);
  }
  const keyType = 'keyType' in input ? input.keyType : asymmetricKeyTypeOf(key);
  if (!classHasType(keyClass, keyType))
    throw new CofferError('MECHANISM_INVALID', `${keyType} is not a ${keyClass} key type`);
  checkKeyType(key, keyType, 'KEY_TYPE_INCONSISTENT');
  return { key, keyType };
}

function parseInput(keyClass: KeyClass, input: ImportInput): KeyObject {
  if ('pem' in input) return keyClass === 'public' ? createPublicKey(input.pem) : createPrivateKey(input.pem);
  if ('der' in input) {
    return keyClass === 'public'
      ? createPublicKey({ key: input.der, format: 'der', type: 'spki' })
      : createPrivateKey({ key: input.der, format: 'der', type: 'pkcs8' });
  }
  return createSecretKey(input.value);
}
