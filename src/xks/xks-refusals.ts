import { isCofferError, CofferError } from '../errors/coffer-error.js';
import type { Session } from '../identity/sessions.js';
import type { KeyUseGate } from '../keys/key-use-gate.js';
import { usableOn } from '../objects/attributes.js';

/**
 * The gate refuses a disabled key and a key without the usage alike (KEY_FUNCTION_NOT_PERMITTED,
 * CKR_KEY_FUNCTION_NOT_PERMITTED for PKCS#11); the XKS API tells them apart —
 * InvalidStateException for a key that is not enabled (or outside its dates),
 * InvalidKeyUsageException otherwise. The gate decided and audited; this only names the answer,
 * from the key as the session sees it now.
 */
export async function refineRefusal(
  gate: Pick<KeyUseGate, 'find'>,
  session: Session,
  handle: string,
  error: unknown,
): Promise<unknown> {
  if (!isCofferError(error, 'KEY_FUNCTION_NOT_PERMITTED')) return error;
  const record = (await gate.find(session, handle))?.record;
  if (record && (record.state !== 'enabled' || !usableOn(record, new Date())))
    return new CofferError(
      'XKS_KEY_NOT_ENABLED',
      `the key is ${record.state === 'enabled' ? 'outside its dates' : record.state}`,
    );
  return error;
}
