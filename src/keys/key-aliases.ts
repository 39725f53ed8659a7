import { CofferError, isCofferError } from '../errors/coffer-error.js';
import type { Session } from '../identity/sessions.js';
import type { RecordReader } from '../records/record-reader.js';
import type { Change, RecordWriter } from '../records/record-writer.js';
import type { Compare } from '../store/state-store.js';
import { refuseAudited } from '../records/audited-refusal.js';
import type { LoadedKey } from './key-repository.js';
import type { Admission, KeyUseGate } from './key-use-gate.js';

/**
 * Aliases (as KMS's): unique names, cluster-wide, each pointing at one key. An alias is a
 * sealed record at `alias/<name>`; an index `idx/key-alias/<handle>/<name>` lists a key's
 * aliases, so deleting a key deletes them in the same commit. `alias/<name>` is accepted
 * wherever a key handle is (KeyService.visible resolves it).
 */
export const ALIAS_PREFIX = 'alias/';
const ALIAS_INDEX_PREFIX = 'idx/key-alias/';
export const ALIAS_NAME_PATTERN = /^[A-Za-z0-9/_-]{1,64}$/;
/** The same rule, for JSON schemas. */
export const ALIAS_NAME_SCHEMA_PATTERN = '^[A-Za-z0-9/_-]{1,64}$';

export interface AliasRecord {
  readonly alias: string;
  readonly keyHandle: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface AliasSummary {
  readonly alias: string;
  readonly keyHandle: string;
}

export function aliasPath(name: string): string {
  return ALIAS_PREFIX + name;
}

function aliasIndexPath(handle: string, name: string): string {
  return `${ALIAS_INDEX_PREFIX}${handle}/${name}`;
}

/** Whether a key reference names an alias (`alias/<name>`) rather than a handle. */
export function isAliasReference(input: string): boolean {
  return input.startsWith(ALIAS_PREFIX);
}

/** Reads aliases: by name (one record read) and by key (one index range read). */
export class AliasDirectory {
  constructor(private readonly reader: Pick<RecordReader, 'get' | 'keys'>) {}

  /** The alias record of `name`; undefined when there is none or the name is not a valid one. */
  async resolve(name: string): Promise<{ record: AliasRecord; modRevision: number } | undefined> {
    if (!ALIAS_NAME_PATTERN.test(name)) return undefined;
    const opened = await this.reader.get(aliasPath(name), 'alias');
    if (!opened) return undefined;
    return { record: JSON.parse(opened.plaintext.toString('utf8')) as AliasRecord, modRevision: opened.modRevision };
  }

  /** The names of every alias of a key. */
  async namesOf(handle: string): Promise<string[]> {
    const prefix = `${ALIAS_INDEX_PREFIX}${handle}/`;
    const names: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await this.reader.keys(prefix, { after, limit: 500 });
      names.push(...page.keys.map((key) => key.slice(prefix.length)));
      if (!page.more || page.keys.length === 0) return names;
      after = page.keys.at(-1);
    }
  }

  /** Every (alias, key) pair, in key order, a page at a time (index keys only: nothing is opened). */
  async *all(): AsyncGenerator<AliasSummary> {
    let after: string | undefined;
    for (;;) {
      const page = await this.reader.keys(ALIAS_INDEX_PREFIX, { after, limit: 500 });
      for (const key of page.keys) {
        const rest = key.slice(ALIAS_INDEX_PREFIX.length);
        const slash = rest.indexOf('/');
        yield { keyHandle: rest.slice(0, slash), alias: rest.slice(slash + 1) };
      }
      if (!page.more || page.keys.length === 0) return;
      after = page.keys.at(-1);
    }
  }

  /** The changes that delete every alias of a key (with the key, in its commit). */
  async deletionOf(handle: string): Promise<{ compares: Compare[]; changes: Change[] }> {
    const compares: Compare[] = [];
    const changes: Change[] = [];
    for (const name of await this.namesOf(handle)) {
      const found = await this.resolve(name);
      if (found && found.record.keyHandle === handle) {
        compares.push({ key: aliasPath(name), modRevision: found.modRevision });
        changes.push({ type: 'delete', path: aliasPath(name) });
      }
      changes.push({ type: 'delete', path: aliasIndexPath(handle, name) });
    }
    return { compares, changes };
  }
}

export interface AliasServiceDeps {
  readonly directory: AliasDirectory;
  readonly gate: Pick<KeyUseGate, 'find' | 'admit'>;
  readonly load: (handle: string) => Promise<LoadedKey | undefined>;
  readonly writer: Pick<RecordWriter, 'commit'>;
  readonly clock?: () => Date;
}

/**
 * Creating, listing and deleting aliases. Only the owner of a stored key names it or removes
 * its names (the gate admits it, under the key's key-management quorum); a name already
 * pointing at a key the caller does not own is ALIAS_EXISTS; pointing an alias the caller's key
 * holds at another of its keys moves it (KMS's UpdateAlias).
 */
export class AliasService {
  private readonly clock: () => Date;

  constructor(private readonly deps: AliasServiceDeps) {
    this.clock = deps.clock ?? (() => new Date());
  }

  async put(session: Session, name: string, target: Admission): Promise<AliasSummary> {
    checkName(name);
    const event = { actor: session.username, target: aliasPath(name) };
    const handle = target.record.handle;
    const existing = await this.deps.directory.resolve(name);
    const now = this.clock().toISOString();
    const compares: Compare[] = [{ key: aliasPath(name), modRevision: existing?.modRevision ?? 0 }];
    const changes: Change[] = [];
    if (existing) {
      if (existing.record.keyHandle === handle) return { alias: name, keyHandle: handle };
      const previous = await this.deps.load(existing.record.keyHandle);
      if (previous && previous.record.owner !== session.username) {
        await refuseAudited(this.deps.writer, { ...event, action: 'alias.update' }, 'ALIAS_EXISTS', name);
      }
      changes.push({ type: 'delete', path: aliasIndexPath(existing.record.keyHandle, name) });
    }
    const approval = await target.approval();
    const record: AliasRecord = {
      alias: name,
      keyHandle: handle,
      createdAt: existing?.record.createdAt ?? now,
      updatedAt: now,
    };
    changes.push(
      { type: 'put', path: aliasPath(name), kind: 'alias', plaintext: Buffer.from(JSON.stringify(record), 'utf8') },
      { type: 'index', path: aliasIndexPath(handle, name) },
      ...(approval?.changes ?? []),
    );
    await this.deps.writer.commit({
      compares: [...compares, ...(approval?.compares ?? [])],
      changes,
      event: {
        ...event,
        action: existing ? 'alias.update' : 'alias.create',
        result: 'success',
        details: { keyHandle: handle, ...approval?.details },
      },
    });
    return { alias: name, keyHandle: handle };
  }

  /** The aliases of keys the caller can see, by key then name. */
  async list(session: Session): Promise<AliasSummary[]> {
    const aliases: AliasSummary[] = [];
    const seen = new Map<string, boolean>();
    for await (const alias of this.deps.directory.all()) {
      let visible = seen.get(alias.keyHandle);
      if (visible === undefined) {
        visible = (await this.findListed(session, alias.keyHandle)) !== undefined;
        seen.set(alias.keyHandle, visible);
      }
      if (visible) aliases.push(alias);
    }
    return aliases;
  }

  /** Deletes an alias: the gate admits its key's owner, as for naming it. */
  async delete(session: Session, name: string): Promise<void> {
    checkName(name);
    const existing = await this.deps.directory.resolve(name);
    const key = existing && (await this.deps.gate.find(session, existing.record.keyHandle));
    if (!existing || !key) throw new CofferError('ALIAS_NOT_FOUND');
    const admitted = await this.deps.gate.admit(session, key.record.handle, 'manage-stored', {
      action: 'alias.delete',
    });
    const approval = await admitted.approval();
    await this.deps.writer.commit({
      compares: [{ key: aliasPath(name), modRevision: existing.modRevision }, ...(approval?.compares ?? [])],
      changes: [
        { type: 'delete', path: aliasPath(name) },
        { type: 'delete', path: aliasIndexPath(existing.record.keyHandle, name) },
        ...(approval?.changes ?? []),
      ],
      event: {
        actor: session.username,
        action: 'alias.delete',
        target: aliasPath(name),
        result: 'success',
        details: { keyHandle: existing.record.keyHandle, ...approval?.details },
      },
    });
  }

  /** A key for the listing; one whose record fails to open is left out, not the whole list. */
  private async findListed(session: Session, handle: string): Promise<LoadedKey | undefined> {
    try {
      return await this.deps.gate.find(session, handle);
    } catch (error) {
      if (isCofferError(error, 'INTEGRITY_ERROR')) return undefined;
      throw error;
    }
  }
}

function checkName(name: string): void {
  if (!ALIAS_NAME_PATTERN.test(name))
    throw new CofferError('INVALID_FIELD', 'alias names are 1-64 letters, digits, /, _ and -');
}
