import { CofferError } from '../errors/coffer-error.js';
import type { KmsTag } from '../objects/kms-metadata.js';
import type { KmsInput } from './input.js';
import { MAX_TAGS } from './key-changes.js';

/** KMS's tag rules: keys of 1 to 128 characters, values up to 256, none starting with aws:. */
export function readTags(input: KmsInput, name = 'Tags'): KmsTag[] {
  const value = input[name];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.length > MAX_TAGS)
    throw new CofferError('KMS_TAG_INVALID', `${name}: at most ${MAX_TAGS}`);
  return value.map((tag: unknown) => {
    const { TagKey, TagValue } = (tag ?? {}) as Record<string, unknown>;
    if (
      typeof TagKey !== 'string' ||
      TagKey.length < 1 ||
      TagKey.length > 128 ||
      TagKey.toLowerCase().startsWith('aws:')
    )
      throw new CofferError('KMS_TAG_INVALID', 'TagKey');
    if (typeof TagValue !== 'string' || TagValue.length > 256) throw new CofferError('KMS_TAG_INVALID', 'TagValue');
    if (Object.keys(tag as object).length !== 2)
      throw new CofferError('KMS_TAG_INVALID', 'a tag is TagKey and TagValue');
    return { TagKey, TagValue };
  });
}
