/** @module Failed-login throttle: token buckets per client IP and per user name that only failures drain; bounded LRU map, clock injected. */
import type { Clock } from '../lib/clock.ts';
import { Lru } from '../lib/lru.ts';
import { takeToken, type BucketPolicy } from '../limit/token-bucket.ts';

export interface LoginThrottleOptions {
  clock: Clock;
  /** Failures allowed in a burst per user name, refilled over `periodMs`. */
  perUser?: number;
  /** Failures allowed in a burst per client IP (higher: offices share an address). */
  perIp?: number;
  periodMs?: number;
  /** Tracked keys (IPs and names together); the least recently failed are forgotten beyond it. */
  maxKeys?: number;
}

export type ThrottleVerdict = { allowed: true } | { allowed: false; retryAfterS: number };

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * 5 failures per name and 20 per IP, refilled over 15 minutes: a person mistyping is never
 * slowed, while guessing is held to one try per 3 minutes per name (~480 a day) and one per 45 s
 * per address. Successful logins take nothing. 20k tracked keys ≈ 2 MB at most.
 */
export class LoginThrottle {
  private readonly buckets: Lru<string, Bucket>;
  private readonly user: BucketPolicy;
  private readonly ip: BucketPolicy;

  constructor(private readonly opts: LoginThrottleOptions) {
    const periodMs = opts.periodMs ?? 15 * 60_000;
    this.user = { capacity: opts.perUser ?? 5, periodMs };
    this.ip = { capacity: opts.perIp ?? 20, periodMs };
    this.buckets = new Lru(opts.maxKeys ?? 20_000);
  }

  get size(): number {
    return this.buckets.size;
  }

  /** May this IP try this name now? Looks only; takes nothing. */
  check(ip: string, username: string): ThrottleVerdict {
    const now = this.opts.clock();
    const wait = Math.max(this.waitS(`ip:${ip}`, this.ip, now), this.waitS(`user:${username.toLowerCase()}`, this.user, now));
    return wait > 0 ? { allowed: false, retryAfterS: wait } : { allowed: true };
  }

  /** Records a failed attempt against both the IP and the name. */
  fail(ip: string, username: string): void {
    const now = this.opts.clock();
    this.take(`ip:${ip}`, this.ip, now);
    this.take(`user:${username.toLowerCase()}`, this.user, now);
  }

  private waitS(key: string, policy: BucketPolicy, now: number): number {
    const b = this.buckets.peek(key);
    if (!b) return 0;
    const rate = policy.capacity / policy.periodMs;
    const t = Math.min(policy.capacity, b.tokens + Math.max(0, now - b.at) * rate);
    return t >= 1 ? 0 : Math.max(1, Math.ceil((1 - t) / rate / 1000));
  }

  private take(key: string, policy: BucketPolicy, now: number): void {
    const b = this.buckets.get(key);
    const r = takeToken(policy, b ? b.tokens : policy.capacity, b ? b.at : now, now);
    this.buckets.set(key, { tokens: r.tokens, at: r.at });
  }
}
