import type { StateStore } from '../store/state-store.js';

/**
 * A read cache for records under one prefix, kept honest by a store watch: any change to a key
 * evicts it, wherever in the cluster it was written. A load that raced with a change is not
 * cached (a per-key generation counter tells), so a stale value never sticks. For hot-path
 * reads of small records (a key's quorum values on every crypto call).
 */
export class WatchedCache<T> {
  private readonly values = new Map<string, T>();
  private readonly generations = new Map<string, number>();
  /** Bumped when the watch lost history: every load that began before is stale. */
  private resets = 0;

  constructor(
    store: Pick<StateStore, 'watch'>,
    prefix: string,
    private readonly load: (key: string) => Promise<T>,
    private readonly limit = 100_000,
  ) {
    store.watch(
      prefix,
      (event) => {
        this.values.delete(event.key);
        this.generations.set(event.key, (this.generations.get(event.key) ?? 0) + 1);
      },
      {
        // Changes were missed (a compaction while the watch was away): nothing cached can be trusted.
        onReset: () => {
          this.resets++;
          this.values.clear();
        },
      },
    );
  }

  async get(key: string): Promise<T> {
    if (this.values.has(key)) return this.values.get(key) as T;
    const generation = this.generations.get(key) ?? 0;
    const resets = this.resets;
    const value = await this.load(key);
    if ((this.generations.get(key) ?? 0) === generation && this.resets === resets) {
      if (this.values.size >= this.limit) this.values.delete(this.values.keys().next().value as string);
      this.values.set(key, value);
    }
    return value;
  }

  clear(): void {
    this.values.clear();
  }
}
