import type { KmsHandler } from './handler.js';
import { ENCRYPTION_HANDLERS } from './operations/encryption.js';
import { KEY_HANDLERS } from './operations/keys.js';

/**
 * Every KMS operation the API serves, by its X-Amz-Target name (TrentService.<Name>), from one
 * table. A name not in it is UnsupportedOperationException (audited), never a silent stub.
 */
export const KMS_TARGETS: ReadonlyMap<string, KmsHandler> = new Map(
  Object.entries({
    ...KEY_HANDLERS,
    ...ENCRYPTION_HANDLERS,
  }),
);

export const TARGET_PREFIX = 'TrentService.';
