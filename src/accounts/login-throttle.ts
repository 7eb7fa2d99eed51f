/** @module Failed-login throttle: token buckets per (name, client), per client and per name that only failures drain, and the clients each name logged in from; bounded LRU maps, clock injected. */
import type { Clock } from '../lib/clock.ts';
import { Lru } from '../lib/lru.ts';
import { takeToken, type BucketPolicy } from '../limit/token-bucket.ts';
import { ipBytes } from '../lib/ip.ts';

export interface LoginThrottleOptions {
  clock: Clock;
  /** Failures allowed in a burst for one name from one client (address, or IPv6 /64), refilled over `periodMs`. */
  perUserAndClient?: number;
  /** Failures allowed in a burst per client, whatever the names (higher: offices share an address). */
  perClient?: number;
  /** Failures allowed in a burst per name from every client together (many addresses guessing one account). */
  perUser?: number;
  periodMs?: number;
  /** Tracked keys (buckets and known clients together); the least recently used are forgotten beyond it. */
  maxKeys?: number;
}

export type ThrottleVerdict = { allowed: true } | { allowed: false; retryAfterS: number };

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * The client a bucket counts: the address, or for IPv6 its /56 (a home line gets a /56 or more, so
 * a /64 key would let one subscriber act as 256 clients). An IPv4-mapped address counts as its IPv4.
 */
export function throttleClient(ip: string): string {
  const b = ip.includes(':') ? ipBytes(ip) : null;
  if (!b) return ip;
  if (b[10] === 0xff && b[11] === 0xff && b.subarray(0, 10).every((x) => x === 0)) return b.subarray(12).join('.');
  return Buffer.from(b.subarray(0, 7)).toString('hex') + '/56';
}

/**
 * Buckets refilled over 15 minutes: 5 tries for one name from one client, 20 per client whatever
 * the names, 100 per name from every client together. A try takes its tokens when it starts (so
 * a burst of concurrent tries, all waiting on the password hash, cannot pass together) and a
 * successful one gives them back: only failures count. A person mistyping is never slowed; one
 * client guessing one name gets one try per 3 minutes, many clients one name together ~1 every
 * 9 s. A stranger's wrong guesses do not lock a name's owner out: they fill the stranger's own
 * client's buckets, and only a flood across many clients fills the name's — which a client the
 * name has logged in from before is not held by (kept in memory, as the buckets: an address is
 * never written anywhere). 20k tracked keys (and 20k known clients) ≈ 4 MB at most.
 */
export class LoginThrottle {
  private readonly buckets: Lru<string, Bucket>;
  private readonly known: Lru<string, true>;
  private readonly pair: BucketPolicy;
  private readonly client: BucketPolicy;
  private readonly user: BucketPolicy;

  constructor(private readonly opts: LoginThrottleOptions) {
    const periodMs = opts.periodMs ?? 15 * 60_000;
    this.pair = { capacity: opts.perUserAndClient ?? 5, periodMs };
    this.client = { capacity: opts.perClient ?? 20, periodMs };
    this.user = { capacity: opts.perUser ?? 100, periodMs };
    this.buckets = new Lru(opts.maxKeys ?? 20_000);
    this.known = new Lru(opts.maxKeys ?? 20_000);
  }

  get size(): number {
    return this.buckets.size + this.known.size;
  }

  /** May this client try this name now? Looks only; takes nothing. */
  check(ip: string, username: string): ThrottleVerdict {
    return this.verdict(keys(ip, username), this.opts.clock());
  }

  /** Starts a try: refused while a bucket is empty, else takes a token from each (given back by `succeed`). */
  attempt(ip: string, username: string): ThrottleVerdict {
    const now = this.opts.clock();
    const k = keys(ip, username);
    const v = this.verdict(k, now);
    if (!v.allowed) return v;
    this.take(k.pair, this.pair, now);
    this.take(k.client, this.client, now);
    this.take(k.user, this.user, now);
    return v;
  }

  /** The try succeeded: its tokens come back, and this client is known for this name from now on. */
  succeed(ip: string, username: string): void {
    this.release(ip, username);
    this.known.set(keys(ip, username).pair, true);
  }

  /** The try never got an answer (the server too busy to hash): its tokens come back. */
  release(ip: string, username: string): void {
    const now = this.opts.clock();
    const k = keys(ip, username);
    this.give(k.pair, this.pair, now);
    this.give(k.client, this.client, now);
    this.give(k.user, this.user, now);
  }

  private verdict(k: Keys, now: number): ThrottleVerdict {
    let wait = Math.max(this.waitS(k.pair, this.pair, now), this.waitS(k.client, this.client, now));
    if (!this.known.peek(k.pair)) wait = Math.max(wait, this.waitS(k.user, this.user, now));
    return wait > 0 ? { allowed: false, retryAfterS: wait } : { allowed: true };
  }

  private tokens(b: Bucket, policy: BucketPolicy, now: number): number {
    return Math.min(policy.capacity, b.tokens + (Math.max(0, now - b.at) * policy.capacity) / policy.periodMs);
  }

  private waitS(key: string, policy: BucketPolicy, now: number): number {
    const b = this.buckets.peek(key);
    if (!b) return 0;
    const t = this.tokens(b, policy, now);
    return t >= 1 ? 0 : Math.max(1, Math.ceil(((1 - t) * policy.periodMs) / policy.capacity / 1000));
  }

  private take(key: string, policy: BucketPolicy, now: number): void {
    const b = this.buckets.get(key);
    const r = takeToken(policy, b ? b.tokens : policy.capacity, b ? b.at : now, now);
    this.buckets.set(key, { tokens: r.tokens, at: r.at });
  }

  private give(key: string, policy: BucketPolicy, now: number): void {
    const b = this.buckets.peek(key);
    if (!b) return;
    const t = Math.min(policy.capacity, this.tokens(b, policy, now) + 1);
    if (t >= policy.capacity) this.buckets.delete(key);
    else this.buckets.set(key, { tokens: t, at: now });
  }
}

interface Keys {
  pair: string;
  client: string;
  user: string;
}

function keys(ip: string, username: string): Keys {
  const client = throttleClient(ip);
  const name = username.toLowerCase();
  return { pair: `pair:${client}\n${name}`, client: `ip:${client}`, user: `user:${name}` };
}
