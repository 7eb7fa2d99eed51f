/** @module A bounded least-recently-used map built on Map's insertion order (no timers, no deps). */

export class Lru<K, V> {
  private readonly map = new Map<K, V>();
  hits = 0;
  misses = 0;

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError('Lru capacity must be >= 1');
  }

  get size(): number {
    return this.map.size;
  }

  /** Returns the value and marks it most recently used. */
  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    // Re-inserting moves the key to the end of the iteration order (= most recent).
    this.map.delete(key);
    this.map.set(key, v);
    return v;
  }

  /** Looks without touching recency or counters. */
  peek(key: K): V | undefined {
    return this.map.get(key);
  }

  set(key: K, value: V): void {
    if (this.map.has(key)) this.map.delete(key);
    else if (this.map.size >= this.capacity) this.evictOldest();
    this.map.set(key, value);
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  /** The least recently used entry, if any. */
  oldest(): [K, V] | undefined {
    const it = this.map.entries().next();
    return it.done ? undefined : it.value;
  }

  evictOldest(): void {
    const it = this.map.keys().next();
    if (!it.done) this.map.delete(it.value);
  }

  clear(): void {
    this.map.clear();
  }

  keys(): IterableIterator<K> {
    return this.map.keys();
  }
}
