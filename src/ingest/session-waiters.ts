/** @module SessionWaiters: events waiting for their page's session → woken by the pageview that makes it, or null past their timeout, over a cap, or at shutdown. */

interface Waiter<T> {
  done: boolean;
  bytes: number;
  keys: string[];
  resolve: (hit: T | null) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** A pending wait: its record, timer, promise and the request suspended behind it. */
const WAITER_BYTES = 512;

/**
 * Waits keyed by what they wait for (a device and a page): one wait may name several keys (a ping
 * click looks for the page's and the root's session at once), and is answered once, by the first
 * wake() of any of them or by its timer. Bounded by count and by what the waits hold.
 */
export class SessionWaiters<T> {
  private readonly byKey = new Map<string, Set<Waiter<T>>>();
  private waiting = 0;
  private heldBytes = 0;
  private closed = false;

  constructor(
    private readonly maxWaiters: number,
    private readonly maxBytes: number,
  ) {}

  /** Waits pending. */
  get count(): number {
    return this.waiting;
  }

  /** What the pending waits hold, by the count wait() makes. */
  get bytes(): number {
    return this.heldBytes;
  }

  /**
   * Resolves with what the first wake() of one of `keys` brings, or null after `timeoutMs`; null at
   * once when closed, when maxWaiters are pending, or when the wait's bytes (its keys, a fixed
   * part, and what `held` says the caller holds meanwhile) would pass maxBytes. With nothing
   * waiting, any one wait may go, however much it holds: it can never be more than one request.
   */
  wait(keys: () => string[], timeoutMs: number, held: () => number): Promise<T | null> {
    if (this.closed || this.waiting >= this.maxWaiters) return Promise.resolve(null);
    const k = keys();
    let bytes = WAITER_BYTES + held();
    for (const key of k) bytes += key.length;
    if (this.heldBytes > 0 && this.heldBytes + bytes > this.maxBytes) return Promise.resolve(null);
    return new Promise((resolve) => {
      const w: Waiter<T> = { done: false, bytes, keys: k, resolve, timer: undefined! };
      w.timer = setTimeout(() => this.settle(w, null), timeoutMs);
      for (const key of k) {
        let set = this.byKey.get(key);
        if (!set) this.byKey.set(key, (set = new Set()));
        set.add(w);
      }
      this.waiting++;
      this.heldBytes += bytes;
    });
  }

  /** Answers every wait on `key` with `hit`. */
  wake(key: string, hit: T): void {
    const set = this.byKey.get(key);
    if (set) for (const w of [...set]) this.settle(w, hit);
  }

  /** Answers every pending wait with null, and every later one at once (shutdown). */
  close(): void {
    this.closed = true;
    for (const set of [...this.byKey.values()]) for (const w of [...set]) this.settle(w, null);
  }

  private settle(w: Waiter<T>, hit: T | null): void {
    if (w.done) return;
    w.done = true;
    clearTimeout(w.timer);
    for (const k of w.keys) {
      const set = this.byKey.get(k);
      if (set?.delete(w) && set.size === 0) this.byKey.delete(k);
    }
    this.waiting--;
    this.heldBytes -= w.bytes;
    w.resolve(hit);
  }
}
