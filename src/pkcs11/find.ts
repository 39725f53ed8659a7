import type { Session } from '../identity/sessions.js';
import type { KeyFilter, KeyService } from '../keys/key-service.js';
import type { KeyUseGate } from '../keys/key-use-gate.js';
import type { KeyRecord } from '../objects/key-record.js';
import { matchesTemplate, searchPlan } from './matching.js';
import type { ObjectRecord } from './object-record.js';
import type { ObjectService } from './object-service.js';
import { PUBLIC_PART_ATTRIBUTES, projection } from './projection.js';
import type { Template } from './value-codec.js';

/** Below every handle (handles are never 0): the cursor of a first page that wants no session keys first. */
const BEFORE_ALL = '0x0000000000000000';

export interface FindDeps {
  readonly keys: Pick<KeyService, 'list' | 'sessionKeysOf'>;
  readonly gate: Pick<KeyUseGate, 'find'>;
  readonly objects: Pick<ObjectService, 'list' | 'sessionObjectsOf'>;
}

/** One source's matches after the cursor, up to the limit, and whether it may have more. */
interface Found {
  readonly handles: string[];
  readonly more: boolean;
}

/**
 * C_FindObjects: every object the caller may see — its keys and the keys shared with it (an
 * admin: every key, as GET /v1/keys), certificates and data objects, and this login session's
 * session keys and objects — that matches the template, in handle order, a page at a time.
 */
export async function findObjects(
  deps: FindDeps,
  session: Session,
  template: Template,
  page: { readonly after?: string; readonly limit: number },
): Promise<{ handles: string[]; next?: string }> {
  const plan = searchPlan(template);
  const after = page.after ?? BEFORE_ALL;
  const sources: Found[] = [];
  if (plan.keys) {
    sources.push(await tokenKeys(deps, session, plan.keys, template, after, page.limit));
    const own = deps.keys.sessionKeysOf(session).filter((record) => record.handle > after);
    sources.push(await matchingKeys(deps, session, own, template));
  }
  if (plan.objects) {
    sources.push(await tokenObjects(deps, session, template, after, page.limit));
    const own = deps.objects.sessionObjectsOf(session).filter((record) => record.handle > after);
    sources.push({ handles: matchingObjects(own, template), more: false });
  }
  const merged = sources.flatMap((source) => source.handles).sort();
  const handles = merged.slice(0, page.limit);
  const more = merged.length > page.limit || sources.some((source) => source.more);
  return more && handles.length > 0 ? { handles, next: handles.at(-1)! } : { handles };
}

/**
 * The listed keys that match in full. The listings only hold keys the caller may see; a key is
 * loaded (and unsealed) only when the template compares one of its public parts.
 */
async function matchingKeys(
  deps: FindDeps,
  session: Session,
  records: readonly KeyRecord[],
  template: Template,
): Promise<Found> {
  const needsKey = [...template.keys()].some((name) => PUBLIC_PART_ATTRIBUTES.has(name));
  const handles: string[] = [];
  for (const listed of records) {
    const loaded = needsKey ? await deps.gate.find(session, listed.handle) : { record: listed, key: undefined };
    if (loaded && matchesTemplate(projection({ kind: 'key', record: loaded.record, key: loaded.key }), template))
      handles.push(listed.handle);
  }
  return { handles, more: false };
}

async function tokenKeys(
  deps: FindDeps,
  session: Session,
  filter: KeyFilter,
  template: Template,
  after: string,
  limit: number,
): Promise<Found> {
  const handles: string[] = [];
  let cursor: string | undefined = after;
  while (cursor !== undefined) {
    const listed = await deps.keys.list(session, filter, { after: cursor, limit });
    for (const record of listed.keys) {
      if (handles.length === limit) return { handles, more: true };
      handles.push(...(await matchingKeys(deps, session, [record], template)).handles);
    }
    cursor = listed.next;
  }
  return { handles, more: false };
}

function matchingObjects(records: readonly ObjectRecord[], template: Template): string[] {
  return records
    .filter((record) => matchesTemplate(projection({ kind: 'object', record }), template))
    .map((record) => record.handle);
}

async function tokenObjects(
  deps: FindDeps,
  session: Session,
  template: Template,
  after: string,
  limit: number,
): Promise<Found> {
  const handles: string[] = [];
  let cursor: string | undefined = after;
  while (cursor !== undefined) {
    const listed: { records: ObjectRecord[]; next?: string } = await deps.objects.list(session, {
      after: cursor,
      limit,
    });
    for (const record of listed.records) {
      if (handles.length === limit) return { handles, more: true };
      handles.push(...matchingObjects([record], template));
    }
    cursor = listed.next;
  }
  return { handles, more: false };
}
