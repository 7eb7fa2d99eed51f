/** @module Password hashing with Bun.password (argon2id), and equal-time verification whether or not the user exists. */

export interface PasswordCost {
  /** KiB of memory per hash. */
  memoryCost: number;
  /** Passes over the memory. */
  timeCost: number;
}

/**
 * OWASP's argon2id setting of 19 MiB and 2 passes (its Password Storage Cheat Sheet lists it
 * among equally strong trade-offs of memory for passes). Bun's default, 64 MiB, made every login
 * a 64 MiB spike in a server meant to live in ~150 MB. Hashes made with other settings still
 * verify: the settings are part of the hash.
 */
export const DEFAULT_PASSWORD_COST: PasswordCost = { memoryCost: 19_456, timeCost: 2 };
/** Hashes computed at once at most; more wait their turn, so memory stays ≤ this × memoryCost. */
export const MAX_CONCURRENT_HASHES = 2;
/** Beyond this many waiting, a hash or verify fails at once (login answers 429). */
export const MAX_WAITING_HASHES = 256;
/** For tests only: a hash in well under a millisecond. */
export const TEST_PASSWORD_COST: PasswordCost = { memoryCost: 64, timeCost: 1 };

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /**
   * With `hash === null` (no such user) a dummy hash of the same cost is verified, so a failed
   * login takes the same time whether the user exists or not.
   */
  verify(password: string, hash: string | null): Promise<boolean>;
}

export class PasswordQueueFullError extends Error {
  constructor() {
    super('too many password checks waiting');
  }
}

export function passwordHasher(cost: PasswordCost = DEFAULT_PASSWORD_COST): PasswordHasher {
  const opts = { algorithm: 'argon2id' as const, ...cost };
  const turn = turns(MAX_CONCURRENT_HASHES, MAX_WAITING_HASHES);
  // Hashed once, up front (on Bun's worker pool), so even the first unknown-user login costs one verify.
  const dummy = turn(() => Bun.password.hash(crypto.randomUUID(), opts));
  return {
    hash: (password) => turn(() => Bun.password.hash(password, opts)),
    async verify(password, hash) {
      if (hash !== null) return turn(() => Bun.password.verify(password, hash)).catch((e) => rethrowFull(e, false));
      const d = await dummy;
      await turn(() => Bun.password.verify(password, d));
      return false;
    },
  };
}

const rethrowFull = <T>(e: unknown, otherwise: T): T => {
  if (e instanceof PasswordQueueFullError) throw e;
  return otherwise;
};

/**
 * Runs tasks at most `concurrent` at a time, first come first served; with `maxWaiting` already
 * waiting, a new task is refused (PasswordQueueFullError) instead of queued.
 */
export function turns(concurrent: number, maxWaiting: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  const next = () => {
    // The slot goes straight to the next waiter (running stays as it is), else it is freed.
    const wake = waiting.shift();
    if (wake) wake();
    else running--;
  };
  return async (task) => {
    if (running >= concurrent) {
      if (waiting.length >= maxWaiting) throw new PasswordQueueFullError();
      await new Promise<void>((resolve) => waiting.push(resolve));
    } else running++;
    try {
      return await task();
    } finally {
      next();
    }
  };
}

/** A random password for bootstrap and resets: 20 base64url characters (120 bits). */
export function randomPassword(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(15));
  return Buffer.from(bytes).toString('base64url');
}
