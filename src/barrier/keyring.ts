import { createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { CofferError } from '../errors/coffer-error.js';

/**
 * The keyring: versioned barrier keys (one per term, rotatable) plus the index key that
 * blinds searchable values, and the cluster identity it belongs to. It is itself sealed by the
 * root key. Serialized as a JSON header followed by raw key bytes, so key material never
 * becomes a JavaScript string.
 */
export type ClusterMode = 'dev' | 'production';

export interface KeyringIdentity {
  readonly clusterId: string;
  readonly mode: ClusterMode;
}

interface KeyringHeader extends KeyringIdentity {
  readonly activeTerm: number;
  readonly terms: readonly { readonly term: number; readonly createdAt: string }[];
}

const KEY_BYTES = 32;

export class Keyring {
  private constructor(
    readonly identity: KeyringIdentity,
    readonly activeTerm: number,
    private readonly keys: ReadonlyMap<number, { key: KeyObject; createdAt: string }>,
    readonly indexKey: KeyObject,
  ) {}

  static create(identity: KeyringIdentity, now: Date): Keyring {
    const keys = new Map([[1, { key: newKey(), createdAt: now.toISOString() }]]);
    return new Keyring(identity, 1, keys, newKey());
  }

  keyFor(term: number): KeyObject {
    const entry = this.keys.get(term);
    if (!entry) throw new CofferError('INTEGRITY_ERROR', `no barrier key for term ${term}`);
    return entry.key;
  }

  get activeKey(): KeyObject {
    return this.keyFor(this.activeTerm);
  }

  /** Adds a new term and makes it active; older terms stay to open older records. */
  rotate(now: Date): Keyring {
    const term = this.activeTerm + 1;
    const keys = new Map(this.keys);
    keys.set(term, { key: newKey(), createdAt: now.toISOString() });
    return new Keyring(this.identity, term, keys, this.indexKey);
  }

  serialize(): Buffer {
    const terms = [...this.keys.entries()].map(([term, { createdAt }]) => ({ term, createdAt }));
    const header: KeyringHeader = { ...this.identity, activeTerm: this.activeTerm, terms };
    const json = Buffer.from(JSON.stringify(header), 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(json.length);
    const material = [this.indexKey, ...[...this.keys.values()].map((entry) => entry.key)].map((key) => key.export());
    try {
      return Buffer.concat([length, json, ...material]);
    } finally {
      for (const bytes of material) bytes.fill(0);
    }
  }

  static deserialize(bytes: Buffer): Keyring {
    const jsonLength = bytes.readUInt32BE(0);
    const header = JSON.parse(bytes.subarray(4, 4 + jsonLength).toString('utf8')) as KeyringHeader;
    let offset = 4 + jsonLength;
    const take = (): KeyObject => {
      const key = createSecretKey(bytes.subarray(offset, offset + KEY_BYTES));
      offset += KEY_BYTES;
      return key;
    };
    const indexKey = take();
    const keys = new Map(header.terms.map(({ term, createdAt }) => [term, { key: take(), createdAt }]));
    if (offset !== bytes.length || !keys.has(header.activeTerm)) {
      throw new CofferError('INTEGRITY_ERROR', 'keyring is malformed');
    }
    return new Keyring({ clusterId: header.clusterId, mode: header.mode }, header.activeTerm, keys, indexKey);
  }
}

function newKey(): KeyObject {
  const bytes = randomBytes(KEY_BYTES);
  try {
    return createSecretKey(bytes);
  } finally {
    bytes.fill(0);
  }
}
