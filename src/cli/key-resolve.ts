import { CofferApiError, type CofferSession, type Key, type KeyClass } from '../client/index.js';
import { CliError } from './errors.js';
import { describeFilter, matchesFilter, serverQuery, withDefaultClass, type KeyFilter } from './filters.js';

type KeyReader = Pick<CofferSession, 'listKeys' | 'getKey'>;

const PAGE = 100;

export interface FoundKeys {
  readonly keys: Key[];
  /** The handle to pass as `--starting-token` for more. */
  readonly nextToken?: string;
}

/**
 * Keys matching `filter`, at most `maxItems`, starting after `startingToken`. Label, id, class
 * and key type are filtered by the node; a key reference goes through GET /v1/keys/:handle;
 * boolean attributes are matched here.
 */
export async function findKeys(
  session: KeyReader,
  filter: KeyFilter,
  maxItems: number,
  startingToken?: string,
): Promise<FoundKeys> {
  if (filter.keyReference !== undefined) {
    const key = await getIfVisible(session, filter.keyReference);
    return { keys: key && matchesFilter(key, filter) ? [key] : [] };
  }
  const query = serverQuery(filter);
  const local = Object.keys(filter.attributes).length > 0;
  const keys: Key[] = [];
  let after = startingToken;
  for (;;) {
    // One more than needed tells whether a next token is due.
    const limit = local ? PAGE : Math.min(maxItems - keys.length + 1, 1000);
    const page = await session.listKeys({ ...query, ...(after === undefined ? {} : { after }), limit });
    for (const key of page.keys) {
      if (!matchesFilter(key, filter)) continue;
      if (keys.length === maxItems) return { keys, nextToken: (keys[keys.length - 1] as Key).handle };
      keys.push(key);
    }
    if (page.next === undefined) return { keys };
    after = page.next;
  }
}

async function getIfVisible(session: KeyReader, handle: string): Promise<Key | undefined> {
  try {
    return await session.getKey(handle);
  } catch (error) {
    if (error instanceof CofferApiError && error.code === 'KEY_NOT_FOUND') return undefined;
    throw error;
  }
}

/**
 * The one key `filter` selects. `operationClass` is the class the operation needs, added when
 * the filter names none, so `attr.label=tour` picks the right half of a pair sharing a label.
 */
export async function resolveOneKey(session: KeyReader, filter: KeyFilter, operationClass?: KeyClass): Promise<Key> {
  const effective = operationClass === undefined ? filter : withDefaultClass(filter, operationClass);
  if (effective === filter && isUnbounded(filter)) {
    throw new CliError('MISSING_ARGUMENT', 'a key filter is required, e.g. key-reference=0x… or attr.label=NAME');
  }
  const { keys } = await findKeys(session, effective, 2);
  if (keys.length === 0) throw new CliError('KEY_NOT_FOUND', `no key matches the filter ${describeFilter(effective)}`);
  if (keys.length > 1) {
    throw new CliError(
      'KEY_FILTER_AMBIGUOUS',
      `the filter ${describeFilter(effective)} matches more than one key (${keys.map((key) => key.handle).join(', ')}, …); narrow it, e.g. with key-reference=0x…`,
    );
  }
  return keys[0] as Key;
}

function isUnbounded(filter: KeyFilter): boolean {
  return filter.keyReference === undefined && filter.label === undefined && filter.id === undefined;
}
