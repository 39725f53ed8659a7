import type { Key, KeyAttributeName } from '../client/index.js';
import { cloudHsmClass, toKebab } from './attributes.js';
import { keyValues, table } from './output.js';

const hex = (value: string | undefined) => (value === undefined || value === '' ? '' : `0x${value}`);

function shapeAttributes(key: Key): Record<string, string | number> {
  const shape: Record<string, string | number> = {};
  if (key.shape.valueLen !== undefined) shape['key-length-bytes'] = key.shape.valueLen;
  if (key.shape.curve !== undefined) shape.curve = key.shape.curve;
  if (key.shape.modulusBits !== undefined) shape['modulus-size-bits'] = key.shape.modulusBits;
  if (key.shape.publicExponent !== undefined) shape['public-exponent'] = key.shape.publicExponent;
  return shape;
}

/** A key as CloudHSM CLI prints it (`key-reference`, `key-info`, kebab-case `attributes`). */
export function keyJson(key: Key, verbose = true): Record<string, unknown> {
  if (!verbose) return { 'key-reference': key.handle, attributes: { label: key.label } };
  const booleans = Object.fromEntries(
    Object.entries(key.attributes).map(([name, value]) => [toKebab(name as KeyAttributeName), value]),
  );
  return {
    'key-reference': key.handle,
    'key-info': {
      'key-owners': [{ username: key.owner, 'key-coverage': 'full' }],
      'shared-users': key.sharedWith.map((username) => ({ username, 'key-coverage': 'full' })),
      'cluster-coverage': 'full',
      state: key.state,
      version: key.version,
      ...(key.pairHandle === undefined ? {} : { 'pair-reference': key.pairHandle }),
      ...(key.kms && {
        kms: { 'key-spec': key.kms.keySpec, 'key-usage': key.kms.keyUsage, description: key.kms.description },
      }),
    },
    attributes: {
      'key-type': key.keyType,
      label: key.label,
      id: hex(key.id),
      'check-value': hex(key.checkValue),
      class: cloudHsmClass(key.class),
      ...booleans,
      ...shapeAttributes(key),
    },
  };
}

function shapeText(key: Key): string {
  return Object.entries(shapeAttributes(key))
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');
}

export function keyHuman(key: Key): string {
  const enabled = Object.entries(key.attributes)
    .filter(([, value]) => value === true)
    .map(([name]) => toKebab(name))
    .join(' ');
  return keyValues([
    ['key-reference', key.handle],
    ['class', cloudHsmClass(key.class)],
    ['key-type', key.keyType],
    ['label', key.label],
    ['id', hex(key.id)],
    ['shape', shapeText(key)],
    ['check-value', hex(key.checkValue)],
    ['owner', key.owner],
    ['shared-with', key.sharedWith.join(' ')],
    ['state', key.state],
    ['pair-reference', key.pairHandle],
    ['kms', key.kms && `${key.kms.keySpec} ${key.kms.keyUsage}`],
    ['attributes', enabled],
  ]);
}

export function keysTable(keys: readonly Key[]): string {
  return table(
    ['KEY-REFERENCE', 'CLASS', 'TYPE', 'LABEL', 'ID', 'OWNER'],
    keys.map((key) => [key.handle, cloudHsmClass(key.class), key.keyType, key.label, hex(key.id), key.owner]),
  );
}
