/** @module First start: an empty users table gets user `admin` with FOOTFALL_ADMIN_PASSWORD, or a random password printed once. */
import type { MetaStore } from '../store/meta-store.ts';
import type { PasswordHasher } from './passwords.ts';
import { randomPassword } from './passwords.ts';
import { shellWord } from '../lib/shell-word.ts';

export type BootstrapResult = { created: false } | { created: true; generated: boolean };

/**
 * Runs only when the users table has never held a row, so deleting or renaming the admin later
 * does not bring it back. There is no default password: either the operator chose one, or a
 * random one is written (once) through `write`, which main.ts points at stderr. The commands it
 * suggests name `dataDir`: run as printed, without it, they looked in ./data.
 */
export async function bootstrapAdmin(
  meta: MetaStore,
  hasher: PasswordHasher,
  envPassword: string | undefined,
  write: (line: string) => void,
  now: number,
  dataDir: string,
): Promise<BootstrapResult> {
  const reset = (name: string) => `footfall user reset-password ${name} --data-dir ${shellWord(dataDir)}`;
  if (meta.users.countAll() > 0) {
    // Left in the environment after the first start (a unit, a compose file): said, so that no one
    // takes it for the admin's password now.
    if (envPassword) write(`footfall: FOOTFALL_ADMIN_PASSWORD ignored: it sets the first admin's password on an empty database only; to set one now, run "${reset('NAME')}"\n`);
    return { created: false };
  }
  const generated = !envPassword;
  const password = envPassword || randomPassword();
  const passwordHash = await hasher.hash(password);
  meta.users.create({ id: crypto.randomUUID(), username: 'admin', passwordHash, role: 'admin' }, now);
  if (generated) {
    write(
      `footfall: created user "admin" with password: ${password}\n` +
        `footfall: this password is shown only once; change it after logging in, or run "${reset('admin')}".\n`,
    );
  } else {
    write('footfall: created user "admin" with the password from FOOTFALL_ADMIN_PASSWORD\n');
  }
  return { created: true, generated };
}
