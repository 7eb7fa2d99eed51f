/** @module Token-bucket maths: (tokens, last refill time, now) → (allowed, tokens left, when to retry). Pure. */

export interface BucketPolicy {
  /** Tokens a full bucket holds (= burst size). */
  capacity: number;
  /** Time for an empty bucket to refill completely, ms. */
  periodMs: number;
}

export interface TakeResult {
  allowed: boolean;
  /** Whole tokens left after this request. */
  remaining: number;
  /** Seconds until one token is back (0 when allowed). */
  retryAfterS: number;
  /** Seconds until the bucket is full again. */
  resetS: number;
  /** New state to keep. */
  tokens: number;
  at: number;
}

/**
 * Refills continuously at capacity/periodMs, then takes one token. Every request that reaches the
 * limiter takes a token when one is there (decisions.md: rejected ones leave the bucket empty).
 */
export function takeToken(policy: BucketPolicy, tokens: number, last: number, now: number): TakeResult {
  const rate = policy.capacity / policy.periodMs;
  const elapsed = now > last ? now - last : 0;
  let t = Math.min(policy.capacity, tokens + elapsed * rate);
  const allowed = t >= 1;
  if (allowed) t -= 1;
  const missing = policy.capacity - t;
  return {
    allowed,
    remaining: Math.floor(t),
    retryAfterS: allowed ? 0 : Math.max(1, Math.ceil((1 - t) / rate / 1000)),
    resetS: Math.ceil(missing / rate / 1000),
    tokens: t,
    at: now,
  };
}
