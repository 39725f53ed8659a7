import type { CryptoUse, CryptoUseAudit } from '../audit/crypto-use.js';
import { mechanismOfKind } from '../crypto/mechanisms/registry.js';
import type { KeyUsage, Mechanism } from '../crypto/types.js';
import { CofferError } from '../errors/coffer-error.js';
import type { ErrorCode } from '../errors/registry.js';
import type { ApprovalPlan, QuorumService } from '../identity/quorum-service.js';
import { notHereDetail } from '../identity/session-bound.js';
import type { Session } from '../identity/sessions.js';
import { usableOn } from '../objects/attributes.js';
import { parseHandle } from '../objects/key-handle.js';
import type { KeyRecord } from '../objects/key-record.js';
import type { RecordWriter } from '../records/record-writer.js';
import { defaultCallerIvCheck, type CallerIvCheck } from './caller-iv-rule.js';
import { ALIAS_PREFIX, type AliasDirectory, isAliasReference } from './key-aliases.js';
import { isPublicKeyObject, type LoadedKey } from './key-repository.js';
import { fitsMechanism, type MechanismLookup } from './key-rules.js';
import { KEY_ROLES, type KeyRole, type KeyRoleRule, quorumServices, USAGE_MECHANISM_KIND } from './key-roles.js';
import type { SessionKeys } from './session-keys.js';

/** A key an operation may now use in the role it asked for. */
export interface Admission<M extends Mechanism | undefined = Mechanism | undefined> {
  readonly loaded: LoadedKey;
  readonly record: KeyRecord;
  /** The mechanism, found and fitted to the key, for the usage roles. */
  readonly mech: M;
  /**
   * The key-management approval the operation commits with its own change (consumed there,
   * exactly once); undefined when the key needs none.
   */
  approval(): Promise<ApprovalPlan | undefined>;
}

/** A key that passed the gate's checks, before its quorum and counting. */
export interface Checked {
  readonly loaded: LoadedKey;
  readonly mech: Mechanism | undefined;
}

export interface AdmitOptions {
  /** The operation, as audited (crypto.encrypt, key.wrap …). */
  readonly action: string;
  /** The mechanism by name, for the usage roles. */
  readonly mechanism?: string;
  /** Whether the request brings its own IV (encrypt): the caller-IV rule then decides. */
  readonly callerIv?: boolean;
  /** The way in's context, added to every event the gate appends (refusals, per-use logging). */
  readonly auditDetails?: CryptoUse['details'];
}

export interface KeyUseGateDeps {
  readonly load: (handle: string) => Promise<LoadedKey | undefined>;
  readonly aliases: Pick<AliasDirectory, 'resolve'>;
  readonly sessionKeys?: SessionKeys;
  readonly writer: Pick<RecordWriter, 'commit'>;
  readonly quorum?: Pick<QuorumService, 'approve' | 'consumeForUse'>;
  readonly use?: Pick<CryptoUseAudit, 'used'>;
  readonly clock?: () => Date;
  /** The mechanism registry by default (a unit test may bring its own mechanisms). */
  readonly mechanisms?: MechanismLookup;
  /** The caller-IV rule (caller-iv-rule.ts); without one, no caller IV is accepted on encrypt. */
  readonly callerIv?: Pick<CallerIvCheck, 'enforce'>;
}

/**
 * The one key-use gate. Every key every operation touches passes it, in this order: the
 * mechanism exists for the use, the caller may see the key (a key it may not see is reported
 * exactly as a missing one), the role allows a session key, the caller is who the role needs
 * (owner, owner or admin), the key's class and type fit the mechanism, the key is enabled, its
 * usage attribute is true and today is within its dates, a caller's IV is allowed (encrypt),
 * the quorum is met, and the use is
 * counted (and audited when per-use logging is on) — all before any key material is touched.
 * Every refusal is audited with the operation's name. The rules are KEY_ROLES' rows.
 */
export class KeyUseGate {
  private readonly clock: () => Date;
  private readonly callerIv: Pick<CallerIvCheck, 'enforce'>;

  constructor(private readonly deps: KeyUseGateDeps) {
    this.clock = deps.clock ?? (() => new Date());
    this.callerIv = deps.callerIv ?? defaultCallerIvCheck(deps.writer);
  }

  /** The key a reference (0x… handle or alias/<name>) names, if the session may see it. */
  async find(session: Session, reference: string): Promise<LoadedKey | undefined> {
    const byAlias = isAliasReference(reference);
    const handle = byAlias
      ? (await this.deps.aliases.resolve(reference.slice(ALIAS_PREFIX.length)))?.record.keyHandle
      : parseHandle(reference);
    if (handle === undefined) return undefined;
    const sessionKey = this.deps.sessionKeys?.get(handle);
    if (sessionKey) return sessionKey.sessionId === session.id ? sessionKey.loaded : undefined;
    const loaded = await this.deps.load(handle);
    if (!loaded || !canSee(session, loaded.record, isPublicKeyObject(loaded.record))) return undefined;
    // Alias names are cluster-wide: one names a key for its owner only, so another user's alias
    // on a key shared with the caller cannot stand in for a name the caller meant as its own.
    if (byAlias && session.role !== 'admin' && loaded.record.owner !== session.username) return undefined;
    return loaded;
  }

  admit<U extends KeyUsage>(
    session: Session,
    reference: string,
    role: U,
    options: AdmitOptions & { readonly mechanism: string },
  ): Promise<Admission<Extract<Mechanism, { kind: (typeof USAGE_MECHANISM_KIND)[U] }>>>;
  admit(session: Session, reference: string, role: KeyRole, options: AdmitOptions): Promise<Admission>;
  async admit(session: Session, reference: string, role: KeyRole, options: AdmitOptions): Promise<Admission> {
    return this.use(session, await this.check(session, reference, role, options), role, options);
  }

  /**
   * The checks alone, nothing spent: an operation with several keys checks them all before any
   * quorum token is consumed or any use counted (`use`), so a refusal of its second key costs
   * the first nothing.
   */
  async check(session: Session, reference: string, role: KeyRole, options: AdmitOptions): Promise<Checked> {
    const rule: KeyRoleRule = KEY_ROLES[role];
    const mech = rule.usage === undefined ? undefined : this.mechanism(rule.usage, options);
    const loaded = await this.find(session, reference);
    const refuse = (code: ErrorCode, detail: string, target: string): Promise<never> =>
      this.refuse(session, options.action, target, code, detail, options.auditDetails);
    if (!loaded) {
      if (this.heldElsewhere(session, reference))
        return refuse('SESSION_OBJECT_NOT_HERE', notHereDetail(`key ${reference}`), keyTarget(reference));
      return refuse('KEY_NOT_FOUND', 'no such key, or it is not yours to use', keyTarget(reference));
    }
    const { record } = loaded;
    const broken = this.firstBroken(session, record, rule, mech);
    if (broken) return refuse(broken.code, broken.detail, `key/${record.handle}`);
    if (options.callerIv === true && mech?.kind === 'cipher' && role === 'encrypt')
      await this.callerIv.enforce(session, role, mech, true, record);
    return { loaded, mech };
  }

  /** After `check`: the key-usage quorum consumed, the use counted (and audited when logging). */
  async use(session: Session, checked: Checked, role: KeyRole, options: AdmitOptions): Promise<Admission> {
    const rule: KeyRoleRule = KEY_ROLES[role];
    const { loaded, mech } = checked;
    const { record } = loaded;
    const stored = record.attributes.token !== false;
    // Session keys have no quorum values: they live and die with one login session.
    if (stored && rule.quorum === 'key-usage') await this.deps.quorum?.consumeForUse(session, record, options.action);
    if (rule.counted)
      await this.deps.use?.used({
        actor: session.username,
        operation: role,
        handle: record.handle,
        mechanism: mech?.name ?? '',
        ...(options.auditDetails && { details: options.auditDetails }),
      });
    const services = stored && rule.quorum !== 'key-usage' ? quorumServices(rule.quorum) : [];
    const quorum = this.deps.quorum;
    return {
      loaded,
      record,
      mech,
      approval: async () =>
        services.length === 0 || !quorum ? undefined : quorum.approve(session, services[0]!, record, services.slice(1)),
    };
  }

  /**
   * The gate again for a key already admitted, at each step of a multi-part operation: a key
   * unshared, disabled, deleted, expired or stripped of its usage since the operation began
   * ends it. Quorum and counting were done once, at the start.
   */
  async recheck(session: Session, handle: string, role: KeyUsage, mech: Mechanism, action: string): Promise<LoadedKey> {
    const loaded = await this.find(session, handle);
    if (!loaded) return this.refuse(session, action, `key/${handle}`, 'KEY_NOT_FOUND', 'the key is gone');
    const broken = this.firstBroken(session, loaded.record, KEY_ROLES[role], mech);
    if (broken) return this.refuse(session, action, `key/${handle}`, broken.code, broken.detail);
    return loaded;
  }

  /** A handle of this session's session objects that another node made (session-bound.ts). */
  private heldElsewhere(session: Session, reference: string): boolean {
    if (!this.deps.sessionKeys || isAliasReference(reference)) return false;
    try {
      return this.deps.sessionKeys.heldElsewhere(session.id, parseHandle(reference));
    } catch {
      return false;
    }
  }

  private mechanism(usage: KeyUsage, options: AdmitOptions): Mechanism {
    if (options.mechanism === undefined) throw new CofferError('MISSING_FIELD', 'mechanism');
    return (this.deps.mechanisms ?? mechanismOfKind)(options.mechanism, USAGE_MECHANISM_KIND[usage]);
  }

  /** The first check of the role's rule the key or caller fails, in the gate's order. */
  private firstBroken(
    session: Session,
    record: KeyRecord,
    rule: KeyRoleRule,
    mech: Mechanism | undefined,
  ): { code: ErrorCode; detail: string } | undefined {
    if (!rule.sessionKeys && record.attributes.token === false)
      return { code: 'KEY_FUNCTION_NOT_PERMITTED', detail: 'not for a session key' };
    if (rule.who !== 'visible' && !isWho(rule.who, session, record))
      return { code: 'PERMISSION_DENIED', detail: `only the key's ${rule.who.replaceAll('-', ' ')} may` };
    if (mech && rule.usage && !fitsMechanism(mech, rule.usage, record)) {
      const keyClass = mech.kind === 'digest' ? '' : (mech.keyClasses as Partial<Record<KeyUsage, string>>)[rule.usage];
      return {
        code: 'KEY_TYPE_INCONSISTENT',
        detail: `${mech.name} needs a ${keyClass ?? ''} ${mech.keyTypes.join(' or ')} key`,
      };
    }
    if (rule.usable && record.state !== 'enabled')
      return { code: 'KEY_FUNCTION_NOT_PERMITTED', detail: `the key is ${record.state}` };
    if (rule.usage && record.attributes[rule.usage] !== true)
      return { code: 'KEY_FUNCTION_NOT_PERMITTED', detail: `the key does not allow ${rule.usage}` };
    // CKA_START_DATE / CKA_END_DATE: outside its window a key is not used.
    if (rule.usable && !usableOn(record, this.clock()))
      return { code: 'KEY_FUNCTION_NOT_PERMITTED', detail: 'the key is outside its start and end dates' };
    return undefined;
  }

  private async refuse(
    session: Session,
    action: string,
    target: string,
    code: ErrorCode,
    detail: string,
    details?: CryptoUse['details'],
  ): Promise<never> {
    await this.deps.writer.commit({
      event: { actor: session.username, action, target, result: 'failure', code, ...(details && { details }) },
    });
    throw new CofferError(code, detail);
  }
}

/**
 * Who sees a key (and a certificate or data object: the same rule): its owner, users it is
 * shared with, admins. A session without a login (role 'public') sees only public objects.
 */
export function canSee(
  session: Session,
  record: Pick<KeyRecord, 'owner' | 'sharedWith'>,
  publicObject: boolean = false,
): boolean {
  if (session.role === 'public') return publicObject;
  return session.role === 'admin' || record.owner === session.username || record.sharedWith.includes(session.username);
}

function isWho(who: 'owner' | 'owner-or-admin', session: Session, record: KeyRecord): boolean {
  return record.owner === session.username || (who === 'owner-or-admin' && session.role === 'admin');
}

/** The audit target of a reference that found no key: the reference as given, bounded. */
function keyTarget(reference: string): string {
  return isAliasReference(reference) ? reference.slice(0, 80) : `key/${reference.slice(0, 18)}`;
}
