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

  constructor(
    store: Pick<StateStore, 'watch'>,
    prefix: string,
    private readonly load: (key: string) => Promise<T>,
    private readonly limit = 100_000,
  ) {
    store.watch(prefix, (event) => {
      this.values.delete(event.key);
      this.generations.set(event.key, (this.generations.get(event.key) ?? 0) + 1);
    });
  }

  async get(key: string): Promise<T> {
    if (this.values.has(key)) return this.values.get(key) as T;
    const generation = this.generations.get(key) ?? 0;
    const value = await this.load(key);
    if ((this.generations.get(key) ?? 0) === generation) {
      if (this.values.size >= this.limit) this.values.delete(this.values.keys().next().value as string);
      this.values.set(key, value);
    }
    return value;
  }

  clear(): void {
    this.values.clear();
  }
}
