import { CofferError } from '../errors/coffer-error.js';
import type { Session } from '../identity/sessions.js';
import { ALIAS_PREFIX } from '../keys/key-aliases.js';
import type { Admission } from '../keys/key-use-gate.js';
import { KEY_PREFIX } from '../keys/key-repository.js';
import { OBJECT_PREFIX } from '../pkcs11/object-service.js';
import type { WriteOutcome } from '../records/write-claim.js';
import type { Replay } from './operation.js';
import type { Services } from './services.js';

/**
 * How the writes of the registry answer a retry that carries the first request's
 * Idempotency-Key. The first request's record holds its outcome (the audit target and the
 * records written); a replay reads what it names — as the retrying caller, through the
 * key-use gate — and answers in the operation's own shape, so the same handle comes back. The
 * key is read as it is now: a change made since shows; a key destroyed since is KEY_NOT_FOUND.
 */

/** The handle in the outcome's target (`key/0x…`, `object/0x…`). */
function targetHandle(outcome: WriteOutcome, prefix: string): string {
  const target = outcome.target ?? '';
  if (!target.startsWith(prefix)) throw new CofferError('INTERNAL_ERROR', `the recorded write named no ${prefix}`);
  return target.slice(prefix.length);
}

/** A key the caller may read, as key.read-attributes admits it. */
async function readable(services: Services, session: Session, handle: string): Promise<Admission> {
  const options = { action: 'key.read-attributes' };
  return services.gate.use(session, await services.gate.check(session, handle, 'read', options), 'read', options);
}

/** A key made or changed by the write: `{key}` as it is now. */
export const replayKey: Replay<unknown> = async ({ services, session }, outcome) => ({
  key: (await readable(services, session, targetHandle(outcome, KEY_PREFIX))).record,
});

/** A key pair: the target is one half, whose record names the other. */
export const replayPair: Replay<unknown> = async ({ services, session }, outcome) => {
  const first = await readable(services, session, targetHandle(outcome, KEY_PREFIX));
  const pairHandle = first.record.pairHandle;
  if (pairHandle === undefined) throw new CofferError('INTERNAL_ERROR', 'the recorded key has no pair');
  const second = await readable(services, session, pairHandle);
  const [publicKey, privateKey] = first.record.class === 'public' ? [first, second] : [second, first];
  return { publicKey: publicKey.record, privateKey: privateKey.record };
};

/** A key's own quorum values, as key.set-quorum answers them. */
export const replayKeyQuorum: Replay<unknown> = async ({ services, session }, outcome) => ({
  ...(await services.keyQuorum.get(await readable(services, session, targetHandle(outcome, KEY_PREFIX)))),
});

/** An alias, as alias.create answers it: the key the alias names now. */
export const replayAlias: Replay<{ '*': string }> = async ({ services, session }, _outcome, input) => ({
  alias: input['*'],
  keyHandle: (await readable(services, session, `${ALIAS_PREFIX}${input['*']}`)).record.handle,
});

/** The handle of the key or object written (the PKCS#11 face answers only that). */
export const replayKeyHandle: Replay<unknown> = async (_context, outcome) => ({
  handle: targetHandle(outcome, KEY_PREFIX),
});

export const replayObjectHandle: Replay<unknown> = async (_context, outcome) => ({
  handle: targetHandle(outcome, OBJECT_PREFIX),
});

/** A deletion answers nothing (204), the second time as the first. */
export const replayNothing: Replay<unknown> = async () => undefined;

/** A key exposed in an XKS key store, as xks.expose-key answers it: the exposed key as it is now. */
export const replayExposedKey: Replay<{ storeId: string; externalKeyId: string }> = async (
  { services },
  _outcome,
  input,
) => ({
  key: await services.xks.describeExposed(input.storeId, input.externalKeyId),
});
