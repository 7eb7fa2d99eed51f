import { describe, expect, it } from 'bun:test';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { passwordHasher, TEST_PASSWORD_COST } from '../accounts/passwords.ts';
import { openDatabase, schemaVersion } from '../store/sqlite/open-database.ts';
import { LATEST_VERSION, MIGRATIONS } from '../store/sqlite/migrations.ts';
import { lockDataDir } from '../store/sqlite/data-dir-lock.ts';
import { SqliteMetaStore } from '../store/sqlite/sqlite-meta-store.ts';
import { tempDir } from '../../test/helpers/temp-dir.ts';
import { printable, userCommand } from './user.ts';

describe('footfall user reset-password', () => {
  it("prints a new password, ends the user's sessions and names the API keys that still work", async () => {
    const dir = tempDir();
    const passwords = passwordHasher(TEST_PASSWORD_COST);
    const db = openDatabase(join(dir, 'footfall.db'));
    const meta = new SqliteMetaStore(db);
    const now = Date.UTC(2026, 10, 26, 12);
    const admin = meta.users.create({ id: crypto.randomUUID(), username: 'admin', passwordHash: await passwords.hash('old password 1'), role: 'admin' }, now);
    meta.tokens.create({ tokenHash: 'h1', userId: admin.id, expiresAt: now + 86_400_000 }, now);
    const key = meta.apiKeys.create({ id: crypto.randomUUID(), userId: admin.id, name: 'deploy bot', keyHash: 'k1', prefix: 'footfall_abcdefgh' }, now);
    // A name that would move the terminal's cursor up and erase the line: printed escaped.
    const sly = meta.apiKeys.create({ id: crypto.randomUUID(), userId: admin.id, name: 'x\u001b[1A\u001b[2K\r\n', keyHash: 'k2', prefix: 'footfall_ijklmnop' }, now - 1000);
    db.close();

    const out: string[] = [];
    const err: string[] = [];
    const code = await userCommand(['reset-password', 'admin', '--data-dir', dir], {}, { out: (s) => out.push(s), err: (s) => err.push(s) }, passwords, now + 1000);
    expect(code).toBe(0);
    const fresh = /^new password for "admin": (\S+)\n$/.exec(out.join(''))![1]!;
    expect(err.join('')).toBe(
      'footfall: 2 API keys of "admin" still work; revoke any you do not know with DELETE /api/api-keys/ID:\n' +
        `  ${key.id}  footfall_abcdefgh…  "deploy bot"  created 2026-11-26T12:00:00.000Z, never used\n` +
        `  ${sly.id}  footfall_ijklmnop…  "x\\u001b[1A\\u001b[2K\\r\\n"  created 2026-11-26T11:59:59.000Z, never used\n`,
    );
    const reopened = openDatabase(join(dir, 'footfall.db'));
    const after = new SqliteMetaStore(reopened);
    expect(await passwords.verify(fresh, after.users.byUsername('admin')!.passwordHash)).toBe(true);
    expect(after.tokens.live('h1', now + 2000)).toBeNull();
    expect(after.apiKeys.byHash('k1')).not.toBeNull();
    reopened.close();
  });

  it('prints no password, and exits 1, when the user is deleted (by a running server) while the new hash is made', async () => {
    const dir = tempDir();
    const real = passwordHasher(TEST_PASSWORD_COST);
    const db = openDatabase(join(dir, 'footfall.db'));
    const server = new SqliteMetaStore(db);
    const erin = server.users.create({ id: crypto.randomUUID(), username: 'erin', passwordHash: await real.hash('old password 1'), role: 'user' }, 1);
    const deleting = { hash: async (p: string) => (server.users.delete(erin.id, 2), real.hash(p)), verify: real.verify };
    let out = '';
    let err = '';
    const code = await userCommand(['reset-password', 'erin', '--data-dir', dir], {}, { out: (s) => void (out += s), err: (s) => void (err += s) }, deleting);
    db.close();
    expect([code, out, err]).toEqual([1, '', 'footfall: no user named "erin" (deleted meanwhile)\n']);
  });

  it('prints no password, and exits 1, when another reset lands while the new hash is made: the one whose password is printed is the one in force', async () => {
    const dir = tempDir();
    const real = passwordHasher(TEST_PASSWORD_COST);
    const db = openDatabase(join(dir, 'footfall.db'));
    const server = new SqliteMetaStore(db);
    const erin = server.users.create({ id: crypto.randomUUID(), username: 'erin', passwordHash: await real.hash('old password 1'), role: 'user' }, 1);
    const other = await real.hash('set by the other reset');
    const overtaken = { hash: async (p: string) => (server.users.update(erin.id, { passwordHash: other }, 2), real.hash(p)), verify: real.verify };
    let out = '';
    let err = '';
    const code = await userCommand(['reset-password', 'erin', '--data-dir', dir], {}, { out: (s) => void (out += s), err: (s) => void (err += s) }, overtaken);
    const now = server.users.byId(erin.id)!.passwordHash;
    db.close();
    expect([code, out, err]).toEqual([1, '', 'footfall: the password of "erin" was changed by another reset or request while this one ran; nothing printed is in force: run it again\n']);
    expect(now).toBe(other);
  });

  it("reads only where the database is: a bad server option in the service's environment does not stand in its way, FOOTFALL_DATA_DIR does name the directory, and a server flag is refused", async () => {
    const dir = tempDir();
    const passwords = passwordHasher(TEST_PASSWORD_COST);
    const db = openDatabase(join(dir, 'footfall.db'));
    new SqliteMetaStore(db).users.create({ id: crypto.randomUUID(), username: 'dave', passwordHash: await passwords.hash('old password 1'), role: 'user' }, 1);
    db.close();
    const run = async (args: string[], env: Record<string, string>) => {
      let out = '';
      let err = '';
      const code = await userCommand(args, env, { out: (s) => void (out += s), err: (s) => void (err += s) }, passwords);
      return { code, out, err };
    };
    const ok = await run(['reset-password', 'dave'], { FOOTFALL_DATA_DIR: dir, FOOTFALL_LOG_LEVEL: 'trace', FOOTFALL_GEOIP_DB: '/nonexistent.mmdb', FOOTFALL_PORT: 'x' });
    expect([ok.code, ok.out]).toEqual([0, expect.stringMatching(/^new password for "dave": \S+\n$/)]);
    const refused = await run(['reset-password', 'dave', '--data-dir', dir, '--port', '1'], {});
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('--port: unknown option (this command takes only --data-dir)');
  });

  it('prints a key name with every control and format character escaped, C1 and bidi ones too', () => {
    expect(printable('ok name')).toBe('"ok name"');
    expect(printable('a\u009b2Kb\u007f\u202ec\u0007')).toBe('"a\\u009b2Kb\\u007f\\u202ec\\u0007"');
    // An astral format character as both halves (two different ones must not print alike), a line separator too.
    expect(printable('a\u{E0041}\u{E0042}\u2028b')).toBe('"a\\udb40\\udc41\\udb40\\udc42\\u2028b"');
  });

  it("refuses a newer Footfall's database in one line with status 3, as serve does", async () => {
    const dir = tempDir();
    const db = openDatabase(join(dir, 'footfall.db'));
    db.exec('PRAGMA user_version = 99');
    db.close();
    const err: string[] = [];
    const code = await userCommand(['reset-password', 'admin', '--data-dir', dir], {}, { out: () => {}, err: (s) => err.push(s) }, passwordHasher(TEST_PASSWORD_COST));
    expect(code).toBe(3);
    expect(err.join('')).toMatch(/^footfall: .*footfall\.db has schema version 99, but this Footfall knows versions up to \d+: .*refusing to start\.\n$/);
  });
  /** A data directory whose database an older Footfall made (one migration short), with a user "admin", and the lock file a server leaves. */
  async function olderDataDir(): Promise<string> {
    const dir = tempDir();
    const db = openDatabase(join(dir, 'footfall.db'), MIGRATIONS.slice(0, -1));
    new SqliteMetaStore(db).users.create({ id: crypto.randomUUID(), username: 'admin', passwordHash: await passwordHasher(TEST_PASSWORD_COST).hash('old-password-123'), role: 'admin' }, 1);
    db.close();
    lockDataDir(dir)!.release();
    return dir;
  }
  const versionOf = (dir: string) => {
    const db = openDatabase(join(dir, 'footfall.db'), []);
    try {
      return schemaVersion(db);
    } finally {
      db.close();
    }
  };

  it('does not upgrade an older database under the running server that uses it: status 3, and the schema left as that server knows it', async () => {
    const dir = await olderDataDir();
    const server = lockDataDir(dir)!;
    try {
      const out: string[] = [];
      const err: string[] = [];
      const code = await userCommand(['reset-password', 'admin', '--data-dir', dir], {}, { out: (s) => out.push(s), err: (s) => err.push(s) }, passwordHasher(TEST_PASSWORD_COST));
      expect(code).toBe(3);
      expect(out).toEqual([]);
      expect(err.join('')).toBe(`footfall: ${join(dir, 'footfall.db')} has schema version ${LATEST_VERSION - 1} and this Footfall would upgrade it to ${LATEST_VERSION}, but a footfall serve is using this data directory: stop it first, or reset the password with the footfall binary that server runs\n`);
      expect(versionOf(dir)).toBe(LATEST_VERSION - 1);
    } finally {
      server.release();
    }
  });

  it("does not open the database under a running server whose -shm file was removed (a new one beside the server's would damage it): status 3, nothing changed", async () => {
    const dir = tempDir();
    const path = join(dir, 'footfall.db');
    const serverDb = openDatabase(path);
    const meta = new SqliteMetaStore(serverDb);
    meta.users.create({ id: crypto.randomUUID(), username: 'admin', passwordHash: 'x', role: 'admin' }, 1);
    const server = lockDataDir(dir)!;
    try {
      expect(existsSync(`${path}-wal`)).toBe(true);
      rmSync(`${path}-shm`);
      const err: string[] = [];
      const code = await userCommand(['reset-password', 'admin', '--data-dir', dir], {}, { out: () => {}, err: (s) => err.push(s) }, passwordHasher(TEST_PASSWORD_COST));
      expect(code).toBe(3);
      expect(err.join('')).toContain(`${path}-shm is missing while a footfall serve uses this data directory`);
      expect(existsSync(`${path}-shm`)).toBe(false);
      expect(meta.users.byUsername('admin')!.passwordHash).toBe('x');
    } finally {
      server.release();
      serverDb.close();
    }
  });

  it('does not upgrade an older database whose data directory has no lock file: a server from before the lock takes none, and may be running', async () => {
    const dir = await olderDataDir();
    rmSync(join(dir, 'footfall.lock'));
    const err: string[] = [];
    const code = await userCommand(['reset-password', 'admin', '--data-dir', dir], {}, { out: () => {}, err: (s) => err.push(s) }, passwordHasher(TEST_PASSWORD_COST));
    expect(code).toBe(3);
    expect(err.join('')).toContain(`but the data directory has no footfall.lock, so it was last served by a Footfall older than that lock, which takes none and may be running still: stop any footfall serve of this data directory, start this version's footfall serve once`);
    expect(versionOf(dir)).toBe(LATEST_VERSION - 1);
    // Nothing was made in the directory: a lock file made by root would be the service user's no longer.
    expect(existsSync(join(dir, 'footfall.lock'))).toBe(false);
  });

  it('upgrades an older database when no server holds it, taking the lock only while it opens the database', async () => {
    const dir = await olderDataDir();
    const out: string[] = [];
    const err: string[] = [];
    let lockedWhileHashing: boolean | undefined;
    const passwords = passwordHasher(TEST_PASSWORD_COST);
    const watching = { ...passwords, hash: async (p: string) => ((lockedWhileHashing = lockDataDir(dir) === null), passwords.hash(p)) };
    const code = await userCommand(['reset-password', 'admin', '--data-dir', dir], {}, { out: (s) => out.push(s), err: (s) => err.push(s) }, watching);
    expect(code).toBe(0);
    expect(out.join('')).toMatch(/^new password for "admin": \S+\n$/);
    expect(err.join('')).toContain(`upgrading the database to this version`);
    expect(versionOf(dir)).toBe(LATEST_VERSION);
    // The lock is held only while the database is opened (and upgraded), not for the whole command.
    expect(lockedWhileHashing).toBe(false);
  });
});
