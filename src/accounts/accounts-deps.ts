/** @module What the account services need: the meta store, the password hasher and the clock. */
import type { Clock } from '../lib/clock.ts';
import type { MetaStore } from '../store/meta-store.ts';
import type { PasswordHasher } from './passwords.ts';

export interface AccountsDeps {
  meta: MetaStore;
  passwords: PasswordHasher;
  clock: Clock;
}
