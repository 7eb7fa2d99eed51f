/** @module `footfall user reset-password NAME [--data-dir DIR]`: sets a new random password offline and prints it once. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_DATA_DIR, envNamesSet } from '../config.ts';
import { readFlags } from '../lib/argv.ts';
import { passwordHasher, randomPassword, type PasswordHasher } from '../accounts/passwords.ts';
import { openDatabase, unusableDatabase } from '../store/sqlite/open-database.ts';
import { SqliteMetaStore } from '../store/sqlite/sqlite-meta-store.ts';
import { LOCK_FILE, lockDataDir, type DataDirLock } from '../store/sqlite/data-dir-lock.ts';
import { EXIT_DATABASE, EXIT_FAILURE, EXIT_USAGE } from './exit-codes.ts';

export interface CliIo {
  out(s: string): void;
  err(s: string): void;
}

const USAGE = 'usage: footfall user reset-password NAME [--data-dir DIR]\n';

/**
 * Works on the database file directly, so it needs no running server and no login (the way
 * back in when every admin password is lost). Ends the user's login sessions; API keys stay, and
 * are listed on standard error so the ones nobody knows can be revoked.
 */
export async function userCommand(
  args: string[],
  env: Record<string, string | undefined>,
  io: CliIo,
  passwords: PasswordHasher = passwordHasher(),
  now: number = Date.now(),
): Promise<number> {
  // Only where the database is: the server's other options (and a bad one in the environment
  // of the service, often why one is here) are no business of this command.
  const r = readFlags(args, (flag) => (flag === 'data-dir' ? 'value' : undefined));
  // The environment's name for it as the server reads it (config.ts): a blank value is none.
  const fromEnv = envNamesSet('dataDir', env)[0];
  const dataDir = r.flags.findLast((f) => f.flag === 'data-dir')?.text ?? (fromEnv ? env[fromEnv]!.trim() : DEFAULT_DATA_DIR);
  if (r.errors.length || dataDir === '') {
    const problems = [...r.errors.map((e) => e.replace('(see --help)', '(this command takes only --data-dir)')), ...(dataDir === '' ? ['--data-dir: expected a directory, got ""'] : [])];
    io.err(`footfall: invalid options:\n${problems.map((e) => `  - ${e}`).join('\n')}\n${USAGE}`);
    return EXIT_USAGE;
  }
  const [action, name, ...extra] = r.rest;
  if (action !== 'reset-password' || !name || extra.length) {
    io.err(USAGE);
    return EXIT_USAGE;
  }
  const path = join(dataDir, 'footfall.db');
  if (!existsSync(path)) {
    io.err(`footfall: no database at ${path} (pass --data-dir)\n`);
    return EXIT_FAILURE;
  }
  // A database of an older Footfall is upgraded first (and said so: the older binary cannot open
  // it after), but never under a running server: that server, of the older version, would go on
  // writing to a schema it does not know. The data directory's lock tells (a server holds it
  // while it runs); taken here while opening, it also keeps a server from starting mid-upgrade.
  // Without a lock file nothing can be told (servers from before the lock take none), and no
  // upgrade is made.
  const held = serverHolds(dataDir);
  // A running server's shared-memory file removed (its WAL still there): SQLite would make a new
  // one here, beside the one the server still uses, and the two would disagree about the WAL: a
  // damaged database (the fault audit saw it). The server stops on its own within 2 s of the removal.
  if (held === 'held' && existsSync(`${path}-wal`) && !existsSync(`${path}-shm`)) {
    io.err(`footfall: ${path}-shm is missing while a footfall serve uses this data directory: opening the database now could damage it; that server stops within seconds once it sees the file gone (status 3), run this again once it has started again\n`);
    return EXIT_DATABASE;
  }
  let db: ReturnType<typeof openDatabase>;
  try {
    db = openDatabase(
      path, undefined, (msg, fields) => io.err(`footfall: ${msg} (${fields.fromVersion} → ${fields.toVersion})\n`),
      typeof held === 'object' ? undefined
        : held === 'held' ? 'a footfall serve is using this data directory: stop it first, or reset the password with the footfall binary that server runs'
        : held === 'no-lock'
          ? `the data directory has no ${LOCK_FILE}, so it was last served by a Footfall older than that lock, which takes none and may be running still: stop any footfall serve of this data directory, start this version's footfall serve once (it upgrades the database and takes the lock), then run this again`
          : `the data directory's lock (${LOCK_FILE}) cannot be checked, so a server may be using it: stop any footfall serve of this data directory, then run this as the user the server runs as`,
    );
  } catch (e) {
    // A newer Footfall's database, or one SQLite cannot use: one line and serve's status for it, no stack trace.
    const why = unusableDatabase(e, path);
    if (why === null) throw e;
    io.err(`footfall: ${why}\n`);
    return EXIT_DATABASE;
  } finally {
    if (typeof held === 'object') held.release();
  }
  try {
    const meta = new SqliteMetaStore(db);
    const user = meta.users.byUsername(name);
    if (!user) {
      io.err(`footfall: no user named "${name}"\n`);
      return EXIT_FAILURE;
    }
    const password = randomPassword();
    const passwordHash = await passwords.hash(password);
    // A running server may delete the user while the hash is made: then there is no new password to
    // print. The password and the end of the user's sessions land together or not at all.
    // Only over the password it read: another reset (or change) that landed while this one hashed
    // would otherwise be overwritten after printing its password, which then never worked.
    const outcome = meta.transaction(() => {
      const current = meta.users.byId(user.id);
      if (!current) return 'deleted';
      if (current.passwordHash !== user.passwordHash) return 'overtaken';
      meta.users.update(user.id, { passwordHash }, now);
      meta.tokens.revokeAllOf(user.id, now);
      return 'done';
    });
    if (outcome === 'deleted') {
      io.err(`footfall: no user named "${name}" (deleted meanwhile)\n`);
      return EXIT_FAILURE;
    }
    if (outcome === 'overtaken') {
      io.err(`footfall: the password of "${name}" was changed by another reset or request while this one ran; nothing printed is in force: run it again\n`);
      return EXIT_FAILURE;
    }
    io.out(`new password for "${name}": ${password}\n`);
    // Keys are no sessions and stay: if the password was reset because someone else had it,
    // a key they made still works. Name them, so the ones nobody knows get revoked.
    const keys = meta.apiKeys.listForUser(user.id);
    if (keys.length) {
      io.err(`footfall: ${keys.length} API key${keys.length === 1 ? '' : 's'} of "${name}" still work${keys.length === 1 ? 's' : ''}; revoke any you do not know with DELETE /api/api-keys/ID:\n`);
      for (const k of keys) {
        const used = k.lastUsedAt === null ? 'never used' : `last used ${new Date(k.lastUsedAt).toISOString()}`;
        io.err(`  ${k.id}  ${k.prefix}…  ${printable(k.name)}  created ${new Date(k.createdAt).toISOString()}, ${used}\n`);
      }
    }
    return 0;
  } catch (e) {
    // The database opened but cannot be written (its file read-only, the disk full): one line and
    // serve's status for it, as for one that cannot be opened.
    const why = unusableDatabase(e, path);
    if (why === null) throw e;
    io.err(`footfall: ${why}\n`);
    return EXIT_DATABASE;
  } finally {
    db.close();
  }
}

/**
 * Whether a `footfall serve` holds the data directory: 'held' when one does; the lock itself when
 * none does (taken by this command for a moment: release it); 'no-lock' when there is no lock
 * file (the directory was last served by a Footfall older than the lock, or the file was removed:
 * a server may run there all the same, and creating the file, as root, would leave it unusable
 * for the service's user); 'unknown' when the lock file cannot be opened (another user's).
 */
function serverHolds(dataDir: string): DataDirLock | 'held' | 'no-lock' | 'unknown' {
  if (!existsSync(join(dataDir, LOCK_FILE))) return 'no-lock';
  try {
    return lockDataDir(dataDir) ?? 'held';
  } catch {
    return 'unknown';
  }
}

/**
 * A key's name as a JSON string with every control, format and line-separator character escaped
 * too (C1 controls such as U+009B, DEL, bidi overrides, U+2028; an astral one as its two halves): the name is anyone's text, and none of it may move the
 * terminal's cursor or reorder the line that lists it.
 */
export function printable(name: string): string {
  const escape = (c: string) => Array.from({ length: c.length }, (_, i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`).join('');
  return JSON.stringify(name).replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, escape);
}
