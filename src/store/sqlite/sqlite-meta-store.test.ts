import { describe, expect, it } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../../test/helpers/temp-dir.ts';
import { Database } from 'bun:sqlite';
import { openDatabase } from './open-database.ts';
import { SqliteMetaStore } from './sqlite-meta-store.ts';
import { SaltKeeper } from '../../ingest/visitor-id.ts';
import { manualClock } from '../../lib/clock.ts';
import { flatText, heapKept } from '../../../test/helpers/retained.ts';

function store() {
  const meta = new SqliteMetaStore(openDatabase(':memory:'));
  const owner = meta.users.create({ id: crypto.randomUUID(), username: 'o', passwordHash: 'x', role: 'user' }, 1).id;
  const site = (writeKey: string, domain: string | null = null) =>
    meta.websites.create({ id: crypto.randomUUID(), name: 'n', domain, shareId: null, userId: owner, teamId: null, createdBy: owner, writeKey }, 1);
  return { meta, owner, site };
}

describe('SqliteMetaStore', () => {
  it('deletes the rows of login tokens that expired or were revoked, and keeps the live ones', () => {
    const { meta, owner } = store();
    for (const [hash, expiresAt] of [['expired', 50], ['revoked', 500], ['live', 500]] as const) meta.tokens.create({ tokenHash: hash, userId: owner, expiresAt }, 10);
    meta.tokens.revoke('revoked', 20);
    expect(meta.tokens.purgeExpired(100)).toBe(2);
    expect(['expired', 'revoked', 'live'].map((h) => meta.tokens.live(h, 100)?.tokenHash ?? null)).toEqual([null, null, 'live']);
    expect(meta.tokens.purgeExpired(100)).toBe(0);
  });

  it("writes an API key's last use when the database takes it within 100 ms, and past a refusal (another process's lock) tries no key's again for a minute", () => {
    const path = join(tempDir('footfall-touch-'), 'f.db');
    const db = openDatabase(path);
    db.exec('PRAGMA busy_timeout = 1000');
    const meta = new SqliteMetaStore(db);
    const owner = meta.users.create({ id: crypto.randomUUID(), username: 'o', passwordHash: 'x', role: 'user' }, 1).id;
    const key = meta.apiKeys.create({ id: crypto.randomUUID(), userId: owner, name: 'k', keyHash: 'h', prefix: 'p' }, 1);
    meta.apiKeys.touch(key.id, 1_000);
    expect(meta.apiKeys.byId(key.id)!.lastUsedAt).toBe(1_000);
    const other = meta.apiKeys.create({ id: crypto.randomUUID(), userId: owner, name: 'k2', keyHash: 'h2', prefix: 'p2' }, 1);
    const shell = new Database(path);
    shell.exec('BEGIN IMMEDIATE');
    const started = performance.now();
    meta.apiKeys.touch(key.id, 100_000);
    expect(performance.now() - started).toBeLessThan(500);
    // Refused once, no other key's write waits for the lock either (20 keys had stalled the thread 2 s).
    const next = performance.now();
    meta.apiKeys.touch(other.id, 100_001);
    expect(performance.now() - next).toBeLessThan(50);
    shell.exec('ROLLBACK');
    shell.close();
    expect(meta.apiKeys.byId(other.id)!.lastUsedAt).toBeNull();
    meta.apiKeys.touch(key.id, 159_999);
    expect(meta.apiKeys.byId(key.id)!.lastUsedAt).toBe(1_000);
    meta.apiKeys.touch(key.id, 160_000);
    expect(meta.apiKeys.byId(key.id)!.lastUsedAt).toBe(160_000);
    // The connection's own wait for locks is as it was.
    expect(db.query('PRAGMA busy_timeout').get()).toEqual({ timeout: 1000 });
    db.close();
  });

  it('never serves a stale write key from its cache: misses, rotations and deletes are seen at once', () => {
    const { meta, site } = store();
    expect(meta.websites.byWriteKey('k1')).toBeNull(); // a cached miss…
    const w = site('k1');
    expect(meta.websites.byWriteKey('k1')).toEqual({ id: w.id }); // …is forgotten by the create
    meta.websites.setWriteKey(w.id, 'k2', 2);
    expect(meta.websites.byWriteKey('k1')).toBeNull();
    expect(meta.websites.byWriteKey('k2')).toEqual({ id: w.id });
    meta.websites.delete(w.id, 3);
    expect(meta.websites.byWriteKey('k2')).toBeNull();
  });

  it('neither looks up nor caches a slug or write key longer than any can be, so long unknown keys cannot fill memory', () => {
    const { meta, owner, site } = store();
    const caches = meta as unknown as { slugs: { size: number }; writeKeys: { size: number } };
    meta.pixels.create({ id: crypto.randomUUID(), name: 'p', slug: 's'.repeat(100), userId: owner, teamId: null }, 1);
    site('k'.repeat(32));
    for (let i = 0; i < 50; i++) {
      expect(meta.pixels.bySlug(`${i}`.padEnd(101, 'x'))).toBeNull();
      expect(meta.websites.byWriteKey(`${i}`.padEnd(100_000, 'x'))).toBeNull();
    }
    expect([caches.slugs.size, caches.writeKeys.size]).toEqual([0, 0]);
    expect(meta.pixels.bySlug('s'.repeat(100))).not.toBeNull();
    expect(meta.websites.byWriteKey('k'.repeat(32))).not.toBeNull();
    expect([caches.slugs.size, caches.writeKeys.size]).toEqual([1, 1]);
  });

  it('never serves a stale pixel slug, and a deleted pixel frees its slug', () => {
    const { meta, owner } = store();
    const p = meta.pixels.create({ id: crypto.randomUUID(), name: 'p', slug: 'newsletter', userId: owner, teamId: null }, 1);
    expect(meta.pixels.bySlug('newsletter')).toEqual({ id: p.id });
    meta.pixels.update(p.id, { slug: 'newsletter-2' }, 2);
    expect(meta.pixels.bySlug('newsletter')).toBeNull();
    meta.pixels.delete(p.id, 3);
    expect(meta.pixels.bySlug('newsletter-2')).toBeNull();
    expect(meta.pixels.slugTaken('newsletter-2')).toBe(false);
    expect(meta.pixels.byId(p.id)).toBeNull();
    expect(meta.pixels.byId(p.id, true)!.deletedAt).toBe(3);
  });

  it('lists the domains of live websites only, and calls listeners after each change', () => {
    const { meta, site } = store();
    const seen: string[][] = [];
    const off = meta.onWebsitesChanged(() => seen.push([...new Set(meta.websites.domains().map((w) => w.domain))].sort()));
    site('a', 'a.example');
    const b = site('b', 'b.example');
    site('c', 'a.example');
    site('d', '');
    meta.websites.delete(b.id, 2);
    off();
    site('e', 'e.example');
    expect(seen).toEqual([['a.example'], ['a.example', 'b.example'], ['a.example', 'b.example'], ['a.example', 'b.example'], ['a.example']]);
  });

  it('keeps daily salts for the SaltKeeper across restarts and deletes old ones', () => {
    const db = openDatabase(':memory:');
    const clock = manualClock(Date.UTC(2026, 0, 1, 12));
    const first = new SaltKeeper(new SqliteMetaStore(db).salts, clock).saltFor();
    expect(new SaltKeeper(new SqliteMetaStore(db).salts, clock).saltFor()).toEqual(first);
    clock.advance(2 * 86_400_000);
    new SaltKeeper(new SqliteMetaStore(db).salts, clock).saltFor();
    expect((db.query('SELECT day FROM salts ORDER BY day').all() as { day: string }[]).map((r) => r.day)).toEqual(['2026-01-03']);
  });

  it('leaves no copy of a deleted salt in the database file (overwritten before the delete)', () => {
    const path = join(tempDir(), 'footfall.db');
    const db = openDatabase(path);
    const salts = new SqliteMetaStore(db).salts;
    const old = crypto.getRandomValues(new Uint8Array(32));
    salts.save('2026-01-01', old);
    salts.save('2026-01-03', crypto.getRandomValues(new Uint8Array(32)));
    db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    expect(readFileSync(path).includes(Buffer.from(old))).toBe(true);
    salts.deleteOutside('2026-01-02', '2026-01-04');
    db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    expect(readFileSync(path).includes(Buffer.from(old))).toBe(false);
    expect(salts.load('2026-01-01')).toBeNull();
    db.close();
  });

  it('pages newest first with a stable order when creation times tie', () => {
    const { meta, owner } = store();
    const names = Array.from({ length: 7 }, (_, i) => `p${i}`);
    for (const n of names) meta.pixels.create({ id: crypto.randomUUID(), name: n, slug: `slug-${n}`, userId: owner, teamId: null }, 5);
    const pages = [1, 2, 3].flatMap((page) => meta.pixels.listForUser(owner, { page, pageSize: 3 }).data.map((p) => p.name));
    expect(pages).toEqual([...names].reverse());
    expect(meta.pixels.listForUser(owner, { page: 1, pageSize: 3, search: 'SLUG-P1' }).count).toBe(1);
  });

  it('caches unknown write keys and slugs without keeping the long texts they were cut from', () => {
    const { meta } = store();
    // Write keys cut from 200 KB queries, none of them known: each miss is cached.
    const kept = heapKept(() => {
      for (let i = 0; i < 100; i++) {
        expect(meta.websites.byWriteKey(flatText(`missing-key-${i}-`, 200_000).slice(0, 40))).toBeNull();
        expect(meta.pixels.bySlug(flatText(`missing-slug-${i}-`, 200_000).slice(0, 40))).toBeNull();
      }
    });
    expect(kept).toBeLessThan(2_000_000);
  });
});
