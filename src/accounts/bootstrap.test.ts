import { describe, expect, it } from 'bun:test';
import { openDatabase } from '../store/sqlite/open-database.ts';
import { SqliteMetaStore } from '../store/sqlite/sqlite-meta-store.ts';
import { bootstrapAdmin } from './bootstrap.ts';
import { passwordHasher, TEST_PASSWORD_COST } from './passwords.ts';

const hasher = passwordHasher(TEST_PASSWORD_COST);

describe('bootstrapAdmin', () => {
  it('creates admin with the given password and prints no password', async () => {
    const meta = new SqliteMetaStore(openDatabase(':memory:'));
    const out: string[] = [];
    expect(await bootstrapAdmin(meta, hasher, 'from the env', (l) => out.push(l), 0, '/var/lib/footfall')).toEqual({ created: true, generated: false });
    const admin = meta.users.byUsername('admin')!;
    expect(admin.role).toBe('admin');
    expect(await hasher.verify('from the env', admin.passwordHash)).toBe(true);
    expect(out.join('')).not.toContain('from the env');
  });

  it('prints a random password once, and never runs again once a user ever existed', async () => {
    const meta = new SqliteMetaStore(openDatabase(':memory:'));
    const out: string[] = [];
    await bootstrapAdmin(meta, hasher, undefined, (l) => out.push(l), 0, '/var/lib/footfall');
    const password = /password: (\S+)/.exec(out.join(''))![1]!;
    expect(password.length).toBeGreaterThanOrEqual(20);
    expect(await hasher.verify(password, meta.users.byUsername('admin')!.passwordHash)).toBe(true);
    meta.users.delete(meta.users.byUsername('admin')!.id, 1);
    expect(await bootstrapAdmin(meta, hasher, undefined, (l) => out.push(l), 2, '/var/lib/footfall')).toEqual({ created: false });
    expect(out.length).toBe(1);
  });

  it('names the data directory in the reset-password command it suggests, quoted for the shell, so that the command works as printed', async () => {
    const meta = new SqliteMetaStore(openDatabase(':memory:'));
    const out: string[] = [];
    await bootstrapAdmin(meta, hasher, undefined, (l) => out.push(l), 0, '/srv/my data');
    expect(out.join('')).toContain(`run "footfall user reset-password admin --data-dir '/srv/my data'".`);
  });

  it('says that FOOTFALL_ADMIN_PASSWORD is ignored once users exist, without its value, and changes no password', async () => {
    const meta = new SqliteMetaStore(openDatabase(':memory:'));
    await bootstrapAdmin(meta, hasher, 'the first password', () => {}, 0, '/var/lib/footfall');
    const out: string[] = [];
    expect(await bootstrapAdmin(meta, hasher, 'a stale value left behind', (l) => out.push(l), 1, '/var/lib/footfall')).toEqual({ created: false });
    expect(out).toEqual(['footfall: FOOTFALL_ADMIN_PASSWORD ignored: it sets the first admin\'s password on an empty database only; to set one now, run "footfall user reset-password NAME --data-dir /var/lib/footfall"\n']);
    expect(await hasher.verify('the first password', meta.users.byUsername('admin')!.passwordHash)).toBe(true);
  });
});
