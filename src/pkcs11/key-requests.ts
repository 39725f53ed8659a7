import type { KeyClass, KeyType } from '../crypto/types.js';
import { CofferError } from '../errors/coffer-error.js';
import { classHasType } from '../keys/key-rules.js';
import { GENERATION_MECHANISMS, keyTypeOfNumber, objectClassOf, type GenerationMechanism } from './constants.js';
import { exponentNumber, keyTemplateInputs, type KeyTemplateInputs, type Making } from './key-templates.js';
import { privateKeyFromParts } from './private-parts.js';
import { publicKeyFromParts } from './public-parts.js';
import type { Template } from './value-codec.js';

/**
 * Templates → the inputs of the registry's key operations (key.generate-symmetric,
 * key.generate-pair, key.import, key.unwrap, key.derive), as their /v1 bodies spell them, so
 * the PKCS#11 face runs exactly the operations the /v1 routes run.
 */
type Input = Record<string, unknown>;

/** label, id, attributes and token, as the operations' templates take them (only those given). */
function templateFields(inputs: KeyTemplateInputs): Input {
  return {
    ...(inputs.label !== undefined && { label: inputs.label }),
    ...(inputs.id !== undefined && { id: inputs.id }),
    ...(Object.keys(inputs.attributes).length > 0 && { attributes: inputs.attributes }),
    // PKCS#11's default: without CKA_TOKEN true a new key is a session key.
    token: inputs.token === true,
  };
}

function mechanismRow(mechanism: string, kind: 'secret' | 'pair') {
  const row = Object.hasOwn(GENERATION_MECHANISMS, mechanism)
    ? GENERATION_MECHANISMS[mechanism as GenerationMechanism]
    : undefined;
  if (!row || row.kind !== kind) throw new CofferError('MECHANISM_INVALID', `${mechanism} does not generate that`);
  return row;
}

/** C_GenerateKey: AES_KEY_GEN or GENERIC_SECRET_KEY_GEN, CKA_VALUE_LEN required. */
export function generateSecretInput(
  mechanism: string,
  template: Template,
): Input & { keyType: string; keyLengthBytes: number } {
  const { keyType } = mechanismRow(mechanism, 'secret');
  const inputs = keyTemplateInputs('secret', keyType, template, 'generate');
  if (inputs.valueLen === undefined) throw new CofferError('TEMPLATE_INCOMPLETE', `${mechanism} needs CKA_VALUE_LEN`);
  return { keyType, keyLengthBytes: inputs.valueLen, ...templateFields(inputs) };
}

/** The one value two templates give for one thing, or TEMPLATE_INCONSISTENT when they differ. */
function agreed<T>(what: string, one: T | undefined, other: T | undefined): T | undefined {
  if (one !== undefined && other !== undefined && one !== other)
    throw new CofferError('TEMPLATE_INCONSISTENT', `the two halves ask for different ${what}`);
  return one ?? other;
}

/**
 * C_GenerateKeyPair. Both halves share CKA_ID and CKA_TOKEN (Coffer makes a pair one way): when
 * only one template gives them, the other follows; when they differ, TEMPLATE_INCONSISTENT.
 */
export function generatePairInput(mechanism: string, publicTemplate: Template, privateTemplate: Template): Input {
  const { keyType } = mechanismRow(mechanism, 'pair');
  const pub = keyTemplateInputs('public', keyType, publicTemplate, 'generate');
  const priv = keyTemplateInputs('private', keyType, privateTemplate, 'generate');
  const id = agreed('CKA_ID', pub.id, priv.id);
  const token = agreed('CKA_TOKEN', pub.token, priv.token);
  const spec: Input = {};
  if (keyType === 'rsa') {
    if (pub.modulusBits === undefined)
      throw new CofferError('TEMPLATE_INCOMPLETE', `${mechanism} needs CKA_MODULUS_BITS`);
    spec.modulusBits = pub.modulusBits;
    if (pub.publicExponent !== undefined) spec.publicExponent = exponentNumber(pub.publicExponent);
  } else {
    const curve = agreed('CKA_EC_PARAMS', pub.curve, priv.curve);
    if (curve === undefined) throw new CofferError('TEMPLATE_INCOMPLETE', `${mechanism} needs CKA_EC_PARAMS`);
    spec.curve = curve;
  }
  return {
    keyType,
    ...spec,
    ...(pub.label !== undefined && { publicLabel: pub.label }),
    ...(priv.label !== undefined && { privateLabel: priv.label }),
    ...(id !== undefined && { id }),
    ...(Object.keys(pub.attributes).length > 0 && { publicAttributes: pub.attributes }),
    ...(Object.keys(priv.attributes).length > 0 && { privateAttributes: priv.attributes }),
    token: token === true,
  };
}

/** The key type CKA_KEY_TYPE names, for a key of `keyClass`; `fallback` when the template has none. */
function keyTypeOf(keyClass: KeyClass, template: Template, fallback?: KeyType): KeyType {
  const value = template.get('CKA_KEY_TYPE');
  if (value === undefined) {
    if (fallback) return fallback;
    throw new CofferError('TEMPLATE_INCOMPLETE', 'the template needs CKA_KEY_TYPE');
  }
  const keyType = typeof value === 'number' ? keyTypeOfNumber(value) : undefined;
  if (keyType === undefined)
    throw new CofferError('ATTRIBUTE_VALUE_INVALID', 'CKA_KEY_TYPE names no key type of Coffer');
  if (!classHasType(keyClass, keyType))
    throw new CofferError('TEMPLATE_INCONSISTENT', `a ${keyType} key is not a ${keyClass} key`);
  return keyType;
}

/** C_CreateObject of a key: the key.import input (a secret value, a PKCS#8 or SPKI DER). */
export function createKeyInput(keyClass: KeyClass, template: Template): Input {
  const keyType = keyTypeOf(keyClass, template);
  const inputs = keyTemplateInputs(keyClass, keyType, template, 'create');
  const fields = templateFields(inputs);
  const { material } = inputs;
  if (keyClass === 'secret') {
    const value = material.CKA_VALUE;
    if (!value) throw new CofferError('TEMPLATE_INCOMPLETE', 'a secret key needs CKA_VALUE');
    if (inputs.valueLen !== undefined && inputs.valueLen !== value.length)
      throw new CofferError('TEMPLATE_INCONSISTENT', 'CKA_VALUE_LEN is not the length of CKA_VALUE');
    return { keyType, value: value.toString('base64'), ...fields };
  }
  const key =
    keyClass === 'public'
      ? publicKeyFromParts(keyType, {
          ...(material.CKA_MODULUS && { modulus: material.CKA_MODULUS }),
          ...(inputs.publicExponent && { publicExponent: inputs.publicExponent }),
          ...(inputs.curve !== undefined && { curve: inputs.curve }),
          ...(material.CKA_EC_POINT && { ecPoint: material.CKA_EC_POINT }),
        })
      : privateKeyFromParts(keyType, material, inputs);
  const der = key.export({ type: keyClass === 'public' ? 'spki' : 'pkcs8', format: 'der' });
  try {
    return { der: der.toString('base64'), ...fields };
  } finally {
    der.fill(0);
    for (const bytes of Object.values(material)) bytes.fill(0);
  }
}

/** The class CKA_CLASS names; TEMPLATE_INCOMPLETE without one. */
export function classOfTemplate(template: Template) {
  const value = template.get('CKA_CLASS');
  if (value === undefined) throw new CofferError('TEMPLATE_INCOMPLETE', 'the template needs CKA_CLASS');
  const objectClass = typeof value === 'number' ? objectClassOf(value) : undefined;
  if (objectClass === undefined) throw new CofferError('ATTRIBUTE_VALUE_INVALID', 'CKA_CLASS names no class of Coffer');
  return objectClass;
}

function madeKey(making: Making, template: Template, fallback: { keyClass?: KeyClass; keyType?: KeyType }) {
  const given = template.has('CKA_CLASS') ? classOfTemplate(template) : fallback.keyClass;
  if (given === undefined) throw new CofferError('TEMPLATE_INCOMPLETE', 'the template needs CKA_CLASS');
  const allowed: readonly string[] = making === 'unwrap' ? ['secret', 'private'] : ['secret'];
  if (!allowed.includes(given))
    throw new CofferError(
      'TEMPLATE_INCONSISTENT',
      `C_${making === 'unwrap' ? 'Unwrap' : 'Derive'}Key makes no ${given}`,
    );
  const keyClass = given as KeyClass;
  const keyType = keyTypeOf(keyClass, template, fallback.keyType);
  return { keyClass, keyType, inputs: keyTemplateInputs(keyClass, keyType, template, making) };
}

/** C_UnwrapKey's template → the class, key type and template fields of key.unwrap. */
export function unwrapInput(template: Template): Input {
  const { keyClass, keyType, inputs } = madeKey('unwrap', template, {});
  return { class: keyClass, keyType, ...templateFields(inputs) };
}

/** C_DeriveKey's template → key.derive's key type, length and template (a generic secret by default). */
export function deriveInput(template: Template): Input {
  const { keyType, inputs } = madeKey('derive', template, { keyClass: 'secret', keyType: 'generic-secret' });
  if (inputs.valueLen === undefined) throw new CofferError('TEMPLATE_INCOMPLETE', 'C_DeriveKey needs CKA_VALUE_LEN');
  return { keyType, keyLengthBytes: inputs.valueLen, ...templateFields(inputs) };
}
