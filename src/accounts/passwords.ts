/** @module Password hashing with Bun.password (argon2id), and equal-time verification whether or not the user exists. */

export interface PasswordCost {
  /** KiB of memory per hash. */
  memoryCost: number;
  /** Passes over the memory. */
  timeCost: number;
}

/** Bun's (and OWASP's second recommended) argon2id setting: 64 MiB, 2 passes (~50 ms on one core). */
export const DEFAULT_PASSWORD_COST: PasswordCost = { memoryCost: 65_536, timeCost: 2 };
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

export function passwordHasher(cost: PasswordCost = DEFAULT_PASSWORD_COST): PasswordHasher {
  const opts = { algorithm: 'argon2id' as const, ...cost };
  // Hashed once, up front (on Bun's worker pool), so even the first unknown-user login costs one verify.
  const dummy = Bun.password.hash(crypto.randomUUID(), opts);
  return {
    hash: (password) => Bun.password.hash(password, opts),
    async verify(password, hash) {
      if (hash !== null) return Bun.password.verify(password, hash).catch(() => false);
      await Bun.password.verify(password, await dummy);
      return false;
    },
  };
}

/** A random password for bootstrap and resets: 20 base64url characters (120 bits). */
export function randomPassword(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(15));
  return Buffer.from(bytes).toString('base64url');
}
