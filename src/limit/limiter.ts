/** @module The bounded limiter map: client key → token bucket, with idle eviction and a CLOCK (approximate LRU) hard cap. */
import type { Clock } from '../lib/clock.ts';
import { takeToken, type BucketPolicy, type TakeResult } from './token-bucket.ts';
import { clientKey } from '../lib/ip.ts';

/**
 * The key a client's hits are limited by: its address, or for IPv6 its /64, the smallest prefix
 * a network hands one subscriber (Prisme keys by the address; one host could then send from as
 * many addresses as it likes). The login throttle counts /56s, a whole home line.
 */
export function limiterKey(ip: string): string {
  return clientKey(ip, 64);
}

export interface LimiterOptions extends BucketPolicy {
  /** Hard cap on tracked keys; beyond it a key not used since the clock hand last passed is evicted. */
  maxKeys: number;
  clock: Clock;
}

/**
 * Buckets live in typed arrays indexed by a slot number, and keys are found through an
 * open-addressing table of 64-bit key hashes (linear probing, backward-shift deletion): no Map,
 * no key strings kept. A Map<string, slot> with its 50k address strings held ~210 bytes per key
 * (10.6 MB of live JS heap at the default cap, which the collector then walked and doubled);
 * this holds ~42 bytes per key outside the JS heap (bench/limiter.ts). Two keys whose 64-bit
 * hashes are equal would share a bucket: at 50k keys that is a ~1e-10 chance, and the cost is
 * only that two clients share a rate limit. Both hashes start from a seed drawn at start-up, so
 * nobody can pick addresses that pile into one probe run.
 * Recency is kept CLOCK-style (a ring of slots in arrival order plus a "used" bit).
 */
export class Limiter {
  /** Open-addressing table: slot + 1, or 0 for empty. Size a power of two, at most half full. */
  private table: Int32Array;
  private mask: number;
  /** Per slot: the two halves of its key's hash (hashLo also picks the table position). */
  private hashLo: Int32Array;
  private hashHi: Int32Array;
  private tokens: Float64Array;
  private last: Float64Array;
  private used: Uint8Array;
  /** Ring of live slots in the order the hand visits them. */
  private ring: Int32Array;
  private head = 0;
  private count = 0;
  private free: number[] = [];
  private next = 0;
  /** Buckets dropped after a whole idle period: full anyway, nothing lost. */
  evictedIdle = 0;
  /** Buckets dropped to make room while still refilling: those addresses' limits started over (/api/metrics shows it). */
  evictedCap = 0;

  constructor(private readonly opts: LimiterOptions) {
    const initial = Math.min(opts.maxKeys, 1024);
    this.tokens = new Float64Array(initial);
    this.last = new Float64Array(initial);
    this.used = new Uint8Array(initial);
    this.ring = new Int32Array(initial);
    this.hashLo = new Int32Array(initial);
    this.hashHi = new Int32Array(initial);
    this.table = new Int32Array(tableSizeFor(initial));
    this.mask = this.table.length - 1;
  }

  get capacity(): number {
    return this.opts.capacity;
  }

  get size(): number {
    return this.count;
  }

  take(key: string): TakeResult {
    const now = this.opts.clock();
    this.sweep(now, 2);
    const lo = hashLo(key);
    const hi = hashHi(key);
    let slot = this.find(lo, hi);
    let r: TakeResult;
    if (slot < 0) {
      if (this.count >= this.opts.maxKeys) this.evictForRoom(now);
      slot = this.allocate();
      this.hashLo[slot] = lo;
      this.hashHi[slot] = hi;
      this.place(slot);
      this.pushRing(slot);
      r = takeToken(this.opts, this.opts.capacity, now, now);
    } else {
      this.used[slot] = 1;
      r = takeToken(this.opts, this.tokens[slot]!, this.last[slot]!, now);
    }
    this.tokens[slot] = r.tokens;
    this.last[slot] = r.at;
    return r;
  }

  /**
   * A bucket untouched for a whole period is full again, the same as not tracking it, so dropping
   * it loses nothing. The hand looks at a couple of slots per call: O(1), no timers.
   */
  private sweep(now: number, budget: number): void {
    for (let i = 0; i < budget && this.count > 0; i++) {
      const slot = this.ring[this.head]!;
      if (now - this.last[slot]! >= this.opts.periodMs) {
        this.popRing();
        this.release(slot);
        this.evictedIdle++;
      } else {
        // Still active: give it a full turn of the hand before it is looked at again.
        this.popRing();
        this.used[slot] = 0;
        this.pushRing(slot);
      }
    }
  }

  /** Second chance: skip (and clear) slots used since the hand last passed; evict the first unused one. */
  private evictForRoom(now: number): void {
    for (let guard = 0; guard <= this.count; guard++) {
      const slot = this.popRing();
      if (this.used[slot] && guard < this.count) {
        this.used[slot] = 0;
        this.pushRing(slot);
        continue;
      }
      this.release(slot);
      if (now - this.last[slot]! >= this.opts.periodMs) this.evictedIdle++;
      else this.evictedCap++;
      return;
    }
  }

  private pushRing(slot: number): void {
    this.ring[(this.head + this.count) % this.ring.length] = slot;
    this.count++;
  }

  private popRing(): number {
    const slot = this.ring[this.head]!;
    this.head = (this.head + 1) % this.ring.length;
    this.count--;
    return slot;
  }

  private find(lo: number, hi: number): number {
    const table = this.table;
    const mask = this.mask;
    for (let i = lo & mask; ; i = (i + 1) & mask) {
      const s = table[i]! - 1;
      if (s < 0) return -1;
      if (this.hashLo[s] === lo && this.hashHi[s] === hi) return s;
    }
  }

  /** Puts a slot into the table at the first free position from its home. */
  private place(slot: number): void {
    const table = this.table;
    const mask = this.mask;
    let i = this.hashLo[slot]! & mask;
    while (table[i] !== 0) i = (i + 1) & mask;
    table[i] = slot + 1;
  }

  /** Takes a slot out of the table, shifting later entries of its probe run back (no tombstones). */
  private unplace(slot: number): void {
    const table = this.table;
    const mask = this.mask;
    let i = this.hashLo[slot]! & mask;
    while (table[i] !== slot + 1) i = (i + 1) & mask;
    for (let j = (i + 1) & mask; table[j] !== 0; j = (j + 1) & mask) {
      const home = this.hashLo[table[j]! - 1]! & mask;
      // The entry at j may move back to i only if its home is not cyclically within (i, j].
      const stays = i <= j ? home > i && home <= j : home > i || home <= j;
      if (!stays) {
        table[i] = table[j]!;
        i = j;
      }
    }
    table[i] = 0;
  }

  private release(slot: number): void {
    this.unplace(slot);
    this.used[slot] = 0;
    this.free.push(slot);
  }

  private allocate(): number {
    const f = this.free.pop();
    if (f !== undefined) return f;
    if (this.next >= this.tokens.length) this.grow();
    return this.next++;
  }

  private grow(): void {
    const size = Math.min(this.opts.maxKeys, this.tokens.length * 2);
    const t = new Float64Array(size);
    t.set(this.tokens);
    const l = new Float64Array(size);
    l.set(this.last);
    const u = new Uint8Array(size);
    u.set(this.used);
    // Unroll the ring so the live slots start at 0 in the bigger array.
    const ring = new Int32Array(size);
    for (let i = 0; i < this.count; i++) ring[i] = this.ring[(this.head + i) % this.ring.length]!;
    const lo = new Int32Array(size);
    lo.set(this.hashLo);
    const hi = new Int32Array(size);
    hi.set(this.hashHi);
    this.hashLo = lo;
    this.hashHi = hi;
    this.table = new Int32Array(tableSizeFor(size));
    this.mask = this.table.length - 1;
    for (let i = 0; i < this.count; i++) this.place(ring[i]!);
    this.tokens = t;
    this.last = l;
    this.used = u;
    this.ring = ring;
    this.head = 0;
  }
}

/** A power of two at least twice `slots`, so the table stays at most half full. */
function tableSizeFor(slots: number): number {
  let n = 2;
  while (n < slots * 2) n *= 2;
  return n;
}

/** Per-process seeds: the table's layout cannot be predicted from outside. */
const [SEED_LO, SEED_HI] = crypto.getRandomValues(new Int32Array(2));

/** 32-bit FNV-1a over UTF-16 code units, finished with murmur3's mixer (its low bits pick the position). */
function hashLo(key: string): number {
  let h = 0x811c9dc5 ^ SEED_LO!;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** A second, independent 32-bit hash (other seed and multiplier), compared on lookup only. */
function hashHi(key: string): number {
  let h = SEED_HI! ^ key.length;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x5bd1e995) ^ (h >>> 15);
  h ^= h >>> 13;
  h = Math.imul(h, 0x5bd1e995);
  return h ^ (h >>> 15);
}
