import type { ClusterPolicy } from '../cluster/cluster-policy.js';
import type { CipherMechanism } from '../crypto/types.js';
import type { Session } from '../identity/sessions.js';
import type { KeyRecord } from '../objects/key-record.js';
import { refuseAudited } from '../records/audited-refusal.js';
import type { RecordWriter } from '../records/record-writer.js';

/**
 * The caller-IV rule. For AES-GCM and AES-CTR (the ciphers whose registry entry says
 * `makesIv`) an IV repeated under one key turns encrypt into decrypt: whoever may encrypt
 * under a victim's IV gets the keystream (and, for GCM, the GHASH key). So the node makes the
 * IV on encrypt, as CloudHSM does, and a caller's IV is admitted only where an admin's cluster
 * policy allows it (`allowCallerIv`, for clients such as Java's SunPKCS11 that make their own)
 * and only from a user who may also decrypt with the key — one who gains nothing by the trick.
 * Decrypt always takes the IV. AES-GCM key wrap never takes one (aes-gcm-wrap.ts).
 */
export interface CallerIvRefusal {
  readonly code: 'IV_NOT_ALLOWED';
  readonly reason: string;
}

type RuleKey = Pick<KeyRecord, 'attributes'>;
type RulePolicy = Pick<ClusterPolicy, 'allowCallerIv'>;

/** The refusals, in order: the first whose condition holds is the answer. */
const CALLER_IV_REFUSALS: readonly {
  readonly when: (key: RuleKey, policy: RulePolicy) => boolean;
  readonly reason: string;
}[] = [
  {
    when: (_key, policy) => !policy.allowCallerIv,
    reason: 'the node makes the IV on encrypt; the cluster policy does not allow a caller IV (allowCallerIv)',
  },
  {
    when: (key) => key.attributes.decrypt !== true,
    reason: 'a caller IV on encrypt needs a key that also allows decrypt',
  },
];

/**
 * The rule, pure: the refusal of a caller IV on encrypt with `mechanism` under `key` and
 * `policy`, or undefined when there is nothing to refuse (no IV given, or a mechanism whose
 * IV the node does not make, such as AES_CBC).
 */
export function callerIvRefusal(
  mechanism: Pick<CipherMechanism, 'name' | 'makesIv'>,
  /** Whether the request brings its own IV. */
  callerIv: boolean,
  key: RuleKey,
  policy: RulePolicy,
): CallerIvRefusal | undefined {
  if (!takesCallerIv(mechanism, callerIv)) return undefined;
  const refusal = CALLER_IV_REFUSALS.find((row) => row.when(key, policy));
  return refusal && { code: 'IV_NOT_ALLOWED', reason: `${mechanism.name}: ${refusal.reason}` };
}

function takesCallerIv(mechanism: Pick<CipherMechanism, 'makesIv'>, callerIv: boolean): boolean {
  return mechanism.makesIv === true && callerIv;
}

export interface CallerIvDeps {
  /** The cluster policy, cached (ClusterPolicyStore.current): no store read per encrypt. */
  readonly policy: () => Promise<RulePolicy>;
  readonly writer: Pick<RecordWriter, 'commit'>;
}

/** Applies the rule on a key use: an audited IV_NOT_ALLOWED refusal, or nothing. */
export class CallerIvCheck {
  constructor(private readonly deps: CallerIvDeps) {}

  /**
   * Call once the key is loaded and allowed for `operation`, before the mechanism runs (the
   * key-use gate does, before quorum and counting); `callerIv`: whether the request brings
   * its own IV. Does
   * nothing for decrypt, for mechanisms that make no IV and when no IV is given (the policy is
   * not even read); otherwise refuses, audited as `crypto.<operation>`, what the rule refuses.
   */
  async enforce(
    session: Pick<Session, 'username'>,
    operation: string,
    mechanism: Pick<CipherMechanism, 'name' | 'makesIv'>,
    callerIv: boolean,
    key: Pick<KeyRecord, 'attributes' | 'handle'>,
  ): Promise<void> {
    if (operation !== 'encrypt' || !takesCallerIv(mechanism, callerIv)) return;
    const refusal = callerIvRefusal(mechanism, callerIv, key, await this.deps.policy());
    if (!refusal) return;
    await refuseAudited(
      this.deps.writer,
      { actor: session.username, action: `crypto.${operation}`, target: `key/${key.handle}` },
      refusal.code,
      refusal.reason,
    );
  }
}

/** A check that knows no policy but the default (no caller IVs): what a service falls back to. */
export function defaultCallerIvCheck(writer: Pick<RecordWriter, 'commit'>): CallerIvCheck {
  return new CallerIvCheck({ policy: async () => ({ allowCallerIv: false }), writer });
}
