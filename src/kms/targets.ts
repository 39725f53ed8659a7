import type { KmsHandler } from './handler.js';
import { AGREEMENT_HANDLERS } from './operations/agreement.js';
import { ALIAS_HANDLERS } from './operations/aliases.js';
import { DATA_KEY_PAIR_HANDLERS } from './operations/data-key-pairs.js';
import { ENCRYPTION_HANDLERS } from './operations/encryption.js';
import { GRANT_HANDLERS } from './operations/grants.js';
import { IMPORT_HANDLERS } from './operations/import.js';
import { KEY_HANDLERS } from './operations/keys.js';
import { METADATA_HANDLERS } from './operations/metadata.js';
import { SIGNING_HANDLERS } from './operations/signing.js';

/**
 * Every KMS operation the API serves, by its X-Amz-Target name (TrentService.<Name>), from one
 * table. A name not in it is UnsupportedOperationException (audited), never a silent stub.
 */
export const KMS_TARGETS: ReadonlyMap<string, KmsHandler> = new Map(
  Object.entries({
    ...KEY_HANDLERS,
    ...ENCRYPTION_HANDLERS,
    ...DATA_KEY_PAIR_HANDLERS,
    ...SIGNING_HANDLERS,
    ...ALIAS_HANDLERS,
    ...METADATA_HANDLERS,
    ...GRANT_HANDLERS,
    ...AGREEMENT_HANDLERS,
    ...IMPORT_HANDLERS,
  }),
);

export const TARGET_PREFIX = 'TrentService.';
