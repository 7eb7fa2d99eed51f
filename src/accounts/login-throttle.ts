/** @module Failed-login throttle: token buckets per (name, client), per client and per name that only failures drain, tries in flight counted against them, and the clients each name logged in from; bounded maps, clock injected. */
import type { Clock } from '../lib/clock.ts';
import { Lru } from '../lib/lru.ts';
import { takeToken, type BucketPolicy } from '../limit/token-bucket.ts';
import { clientKey } from '../lib/ip.ts';

export interface LoginThrottleOptions {
  clock: Clock;
  /** Failures allowed in a burst for one name from one client (address, or IPv6 /56), refilled over `periodMs`. */
  perUserAndClient?: number;
  /** Failures allowed in a burst per client, whatever the names (higher: offices share an address). */
  perClient?: number;
  /** Failures allowed in a burst per name from every client together (many addresses guessing one account). */
  perUser?: number;
  periodMs?: number;
  /** Buckets kept of each kind, and known clients kept (four maps of this size); the least recently used are forgotten beyond it. */
  maxKeys?: number;
}

/** A try under way: the buckets it counts against until it ends (`fail`, `succeed` or `release`). */
export interface ThrottleTicket {
  /** The (client, name) pair's key first, then the client's, then the name's unless the client is known. */
  readonly keys: readonly string[];
  ended: boolean;
}

export type ThrottleVerdict = { allowed: true; ticket: ThrottleTicket } | { allowed: false; retryAfterS: number };

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * The client a bucket counts: the address, or for IPv6 its /56 (a home line gets a /56 or more, so
 * a /64 key would let one subscriber act as 256 clients). An IPv4-mapped address counts as its IPv4.
 */
export function throttleClient(ip: string): string {
  return clientKey(ip, 56);
}

/**
 * Buckets refilled over 15 minutes: 5 failures for one name from one client, 20 per client
 * whatever the names, 100 per name from every client together. Only failures drain a bucket, but
 * a try counts against its buckets from the moment it starts until it ends, so tries sent at once
 * (all waiting on the password hash) cannot pass together. A person mistyping is never slowed; one
 * client guessing one name gets one try per 3 minutes, many clients one name together ~1 every
 * 9 s. A stranger's wrong guesses do not lock a name's owner out: they fill the stranger's own
 * client's buckets, and only a flood across many clients fills the name's — which a client the
 * name has logged in from before is not held by (kept in memory, as the buckets: an address is
 * never written anywhere). Tries in flight are bounded by the password hasher's queue.
 */
export class LoginThrottle {
  /** One map per kind: failures on made-up names (each a new name bucket) must not push a drained pair or client bucket out, nor the other way round. */
  private readonly buckets: Record<'pair' | 'client' | 'user', Lru<string, Bucket>>;
  private readonly known: Lru<string, true>;
  private readonly inFlight = new Map<string, number>();
  private readonly policies: Record<'pair' | 'client' | 'user', BucketPolicy>;

  constructor(private readonly opts: LoginThrottleOptions) {
    const periodMs = opts.periodMs ?? 15 * 60_000;
    this.policies = {
      pair: { capacity: opts.perUserAndClient ?? 5, periodMs },
      client: { capacity: opts.perClient ?? 20, periodMs },
      user: { capacity: opts.perUser ?? 100, periodMs },
    };
    const max = opts.maxKeys ?? 20_000;
    this.buckets = { pair: new Lru(max), client: new Lru(max), user: new Lru(max) };
    this.known = new Lru(max);
  }

  get size(): number {
    return this.buckets.pair.size + this.buckets.client.size + this.buckets.user.size + this.known.size + this.inFlight.size;
  }

  /** May this client try this name now? Looks only. */
  check(ip: string, username: string): { allowed: true } | { allowed: false; retryAfterS: number } {
    const wait = this.waitS(this.keysFor(ip, username), this.opts.clock());
    return wait > 0 ? { allowed: false, retryAfterS: wait } : { allowed: true };
  }

  /** Starts a try: refused while a bucket (less the tries in flight) is empty, else counted until it ends. */
  attempt(ip: string, username: string): ThrottleVerdict {
    const keys = this.keysFor(ip, username);
    const wait = this.waitS(keys, this.opts.clock());
    if (wait > 0) return { allowed: false, retryAfterS: wait };
    for (const k of keys) this.inFlight.set(k, (this.inFlight.get(k) ?? 0) + 1);
    return { allowed: true, ticket: { keys, ended: false } };
  }

  /** The try failed: each of its buckets loses a token. */
  fail(ticket: ThrottleTicket): void {
    if (!this.end(ticket)) return;
    const now = this.opts.clock();
    for (const k of ticket.keys) {
      const kind = kindOf(k);
      const b = this.buckets[kind].get(k);
      const policy = this.policies[kind];
      const r = takeToken(policy, b ? b.tokens : policy.capacity, b ? b.at : now, now);
      this.buckets[kind].set(k, { tokens: r.tokens, at: r.at });
    }
  }

  /** The try succeeded: nothing is charged, and this client is known for this name from now on. */
  succeed(ticket: ThrottleTicket): void {
    // The first key is the (client, name) pair's.
    if (this.end(ticket)) this.known.set(ticket.keys[0]!, true);
  }

  /** The try got no answer (the server too busy to hash): nothing is charged. */
  release(ticket: ThrottleTicket): void {
    this.end(ticket);
  }

  private end(ticket: ThrottleTicket): boolean {
    if (ticket.ended) return false;
    ticket.ended = true;
    for (const k of ticket.keys) {
      const n = (this.inFlight.get(k) ?? 1) - 1;
      if (n > 0) this.inFlight.set(k, n);
      else this.inFlight.delete(k);
    }
    return true;
  }

  /** The keys a try counts against: the name's own bucket only for a client the name has not logged in from. */
  private keysFor(ip: string, username: string): string[] {
    const client = throttleClient(ip);
    const name = username.toLowerCase();
    const pair = `pair:${client}\n${name}`;
    const keys = [pair, `ip:${client}`];
    if (!this.known.peek(pair)) keys.push(`user:${name}`);
    return keys;
  }

  private waitS(keys: readonly string[], now: number): number {
    let wait = 0;
    for (const k of keys) {
      const kind = kindOf(k);
      const policy = this.policies[kind];
      const rate = policy.capacity / policy.periodMs;
      const b = this.buckets[kind].peek(k);
      const tokens = b ? Math.min(policy.capacity, b.tokens + Math.max(0, now - b.at) * rate) : policy.capacity;
      const free = tokens - (this.inFlight.get(k) ?? 0);
      if (free >= 1) continue;
      // Held only by tries still under way: most end in a moment (and a success frees its place), so
      // ask again in a second; an empty bucket says when it has a token again.
      wait = Math.max(wait, tokens >= 1 ? 1 : Math.max(1, Math.ceil((1 - tokens) / rate / 1000)));
    }
    return wait;
  }
}

function kindOf(key: string): 'pair' | 'client' | 'user' {
  return key.startsWith('pair:') ? 'pair' : key.startsWith('ip:') ? 'client' : 'user';
}
