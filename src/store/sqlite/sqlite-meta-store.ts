/** @module MetaStore on bun:sqlite: rows of users, teams, team_users, websites, pixels, auth_tokens, api_keys and salts ↔ records. */
import { detach } from '../../lib/detach.ts';
import type { Database, Statement } from 'bun:sqlite';
import { Lru } from '../../lib/lru.ts';
import type { SaltStore } from '../../ingest/visitor-id.ts';
import type {
  ApiKeyRecord, ApiKeyRepo, MemberRecord, MemberRepo, MetaStore, PixelRecord, PixelRepo,
  TeamRecord, TeamRepo, TeamRole, TokenRecord, TokenRepo, UserRecord, UserRepo, WebsiteRecord, WebsiteRepo,
} from '../meta-store.ts';
import { pagedQuery } from './sqlite-paging.ts';

const USER = `SELECT id, username, password_hash AS passwordHash, role, created_at AS createdAt, updated_at AS updatedAt, deleted_at AS deletedAt`;
const TEAM = `SELECT t.id, t.name, t.access_code AS accessCode, t.logo_url AS logoUrl, t.created_at AS createdAt, t.updated_at AS updatedAt, t.deleted_at AS deletedAt`;
const MEMBER = `SELECT m.id, m.team_id AS teamId, m.user_id AS userId, m.role, m.created_at AS createdAt, m.updated_at AS updatedAt, u.username`;
const WEBSITE = `SELECT w.id, w.name, w.domain, w.share_id AS shareId, w.reset_at AS resetAt, w.user_id AS userId, w.team_id AS teamId,
  w.created_by AS createdBy, w.write_key AS writeKey, w.created_at AS createdAt, w.updated_at AS updatedAt, w.deleted_at AS deletedAt`;
const PIXEL = `SELECT p.id, p.name, p.slug, p.user_id AS userId, p.team_id AS teamId, p.created_at AS createdAt, p.updated_at AS updatedAt, p.deleted_at AS deletedAt`;
const TOKEN = `SELECT token_hash AS tokenHash, user_id AS userId, created_at AS createdAt, expires_at AS expiresAt, revoked_at AS revokedAt`;
const API_KEY = `SELECT id, user_id AS userId, name, key_hash AS keyHash, prefix, created_at AS createdAt, last_used_at AS lastUsedAt, revoked_at AS revokedAt`;

/**
 * Hot-path lookups (write key, pixel slug) are cached: 10k entries cover every website of any
 * realistic install. Any write to websites or pixels clears the cache, so it is never stale;
 * such writes are rare management calls. Misses are cached too (bounded), so a flood of
 * unknown keys costs one query per distinct key.
 */
const HOT_CACHE = 10_000;
/** After a refused `last_used_at` write (a full disk, another process's lock), how long before one is tried again. */
const TOUCH_RETRY_MS = 60_000;
/** How long a `last_used_at` write may wait for the write lock: longer than the writer thread's commits, short enough to go unnoticed once a minute. */
const TOUCH_WAIT_MS = 100;

/** SQLite refusing a write for the database's sake, not ours: locked by another process, a full or failing disk, a read-only file. */
function isSqliteWriteRefusal(e: unknown): boolean {
  const code = String((e as { code?: unknown } | null)?.code ?? '');
  return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED') || code === 'SQLITE_FULL' || code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_READONLY');
}
const MISS = { id: '' } as const;

/** Patch object (camelCase fields) → `SET a = ?, b = ?` and its arguments, from a field→column map. */
function setClause(patch: Record<string, unknown>, columns: Record<string, string>): { sql: string; args: (string | number | null)[] } {
  const parts: string[] = [];
  const args: (string | number | null)[] = [];
  for (const [field, col] of Object.entries(columns)) {
    if (patch[field] === undefined) continue;
    parts.push(`${col} = ?`);
    args.push(patch[field] as string | number | null);
  }
  return { sql: parts.join(', '), args };
}

/**
 * Longest key the hot lookups take: slugs have at most 100 characters and write keys 32. A longer
 * one cannot exist, so it is neither looked up nor cached: with keys of any length (a query may
 * now be 512 KiB) the 10k cached misses could hold gigabytes.
 */
const MAX_HOT_KEY = 100;

/** A lookup by key through `cache`, misses included (as MISS), falling back to `stmt` (one `id` column). */
function cachedIdLookup(cache: Lru<string, { id: string }>, stmt: Statement): (key: string) => { id: string } | null {
  return (key) => {
    if (key.length > MAX_HOT_KEY) return null;
    let hit = cache.get(key);
    if (hit === undefined) {
      hit = (stmt.get(key) as { id: string } | null) ?? MISS;
      // The key may be cut from a 512 KiB query or header: the cache keeps a copy (detach.ts).
      cache.set(detach(key), hit);
    }
    return hit === MISS ? null : hit;
  };
}

export class SqliteMetaStore implements MetaStore {
  readonly users: UserRepo;
  readonly teams: TeamRepo;
  readonly members: MemberRepo;
  readonly websites: WebsiteRepo;
  readonly pixels: PixelRepo;
  readonly tokens: TokenRepo;
  readonly apiKeys: ApiKeyRepo;
  readonly salts: SaltStore;
  private readonly listeners = new Set<() => void>();
  private readonly writeKeys = new Lru<string, { id: string }>(HOT_CACHE);
  private readonly slugs = new Lru<string, { id: string }>(HOT_CACHE);

  constructor(private readonly db: Database) {
    this.users = this.userRepo();
    this.teams = this.teamRepo();
    this.members = this.memberRepo();
    this.websites = this.websiteRepo();
    this.pixels = this.pixelRepo();
    this.tokens = this.tokenRepo();
    this.apiKeys = this.apiKeyRepo();
    this.salts = this.saltStore();
  }

  onWebsitesChanged(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  private websitesChanged(): void {
    this.writeKeys.clear();
    for (const l of this.listeners) {
      try {
        l();
      } catch {
        // A listener's failure must not undo or fail the write that already happened.
      }
    }
  }

  private pixelsChanged(): void {
    this.slugs.clear();
  }

  private q(sql: string) {
    return this.db.query(sql);
  }

  // ---------------------------------------------------------------- users
  private userRepo(): UserRepo {
    const byId = (id: string) => this.q(`${USER} FROM users WHERE id = ? AND deleted_at IS NULL`).get(id) as UserRecord | null;
    return {
      countAll: () => (this.q('SELECT count(*) AS n FROM users').get() as { n: number }).n,
      byId,
      byUsername: (name) => this.q(`${USER} FROM users WHERE username = ? AND deleted_at IS NULL`).get(name) as UserRecord | null,
      list: (q) =>
        pagedQuery<UserRecord>(this.db, { select: USER, from: 'FROM users WHERE deleted_at IS NULL', args: [], searchColumns: ['username'], orderBy: 'created_at DESC, rowid DESC' }, q),
      create: (u, now) => {
        this.q('INSERT INTO users (id, username, password_hash, role, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)').run(u.id, u.username, u.passwordHash, u.role, now, now);
        return byId(u.id)!;
      },
      update: (id, patch, now) => {
        const s = setClause(patch, { username: 'username', passwordHash: 'password_hash', role: 'role' });
        const r = this.q(`UPDATE users SET ${s.sql ? s.sql + ', ' : ''}updated_at = ? WHERE id = ? AND deleted_at IS NULL`).run(...s.args, now, id);
        return r.changes ? byId(id) : null;
      },
      delete: (id, now) =>
        this.transaction(() => {
          if (!this.q('UPDATE users SET deleted_at = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL').run(now, now, id).changes) return false;
          const owned = this.q(`SELECT team_id AS teamId FROM team_users WHERE user_id = ? AND role = 'team-owner'`).all(id) as { teamId: string }[];
          for (const t of owned) this.teams.delete(t.teamId, now);
          this.q('UPDATE websites SET deleted_at = ?, updated_at = ? WHERE user_id = ? AND deleted_at IS NULL').run(now, now, id);
          // Pixels are left alone, as Umami leaves them (upstream.md §2.6): a deleted user's
          // newsletter pixel keeps counting, and an admin still manages it.
          this.q('DELETE FROM team_users WHERE user_id = ?').run(id);
          this.tokens.revokeAllOf(id, now);
          this.q('UPDATE api_keys SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL').run(now, id);
          this.websitesChanged();
          return true;
        }),
    };
  }

  // ---------------------------------------------------------------- teams
  private teamRepo(): TeamRepo {
    const byId = (id: string) => this.q(`${TEAM} FROM teams t WHERE t.id = ? AND t.deleted_at IS NULL`).get(id) as TeamRecord | null;
    return {
      byId,
      byAccessCode: (code) => this.q(`${TEAM} FROM teams t WHERE t.access_code = ? AND t.deleted_at IS NULL`).get(code) as TeamRecord | null,
      list: (q) =>
        pagedQuery<TeamRecord>(this.db, { select: TEAM, from: 'FROM teams t WHERE t.deleted_at IS NULL', args: [], searchColumns: ['t.name'], orderBy: 't.created_at DESC, t.rowid DESC' }, q),
      listForUser: (userId, q) =>
        pagedQuery<TeamRecord>(
          this.db,
          {
            select: TEAM,
            from: 'FROM teams t JOIN team_users m ON m.team_id = t.id WHERE m.user_id = ? AND t.deleted_at IS NULL',
            args: [userId],
            searchColumns: ['t.name'],
            orderBy: 't.created_at DESC, t.rowid DESC',
          },
          q,
        ),
      create: (t, ownerId, now) =>
        this.transaction(() => {
          this.q('INSERT INTO teams (id, name, access_code, created_at, updated_at) VALUES (?, ?, ?, ?, ?)').run(t.id, t.name, t.accessCode, now, now);
          this.members.add(t.id, ownerId, 'team-owner', now);
          return byId(t.id)!;
        }),
      update: (id, patch, now) => {
        const s = setClause(patch, { name: 'name', accessCode: 'access_code', logoUrl: 'logo_url' });
        const r = this.q(`UPDATE teams SET ${s.sql ? s.sql + ', ' : ''}updated_at = ? WHERE id = ? AND deleted_at IS NULL`).run(...s.args, now, id);
        return r.changes ? byId(id) : null;
      },
      delete: (id, now) =>
        this.transaction(() => {
          if (!this.q('UPDATE teams SET deleted_at = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL').run(now, now, id).changes) return false;
          this.q('UPDATE websites SET deleted_at = ?, updated_at = ? WHERE team_id = ? AND deleted_at IS NULL').run(now, now, id);
          // The team's pixels are left alone, as in Umami (upstream.md §2.6).
          this.q('DELETE FROM team_users WHERE team_id = ?').run(id);
          this.websitesChanged();
          return true;
        }),
    };
  }

  // ---------------------------------------------------------------- members
  private memberRepo(): MemberRepo {
    const get = (teamId: string, userId: string) =>
      this.q(`${MEMBER} FROM team_users m JOIN users u ON u.id = m.user_id JOIN teams t ON t.id = m.team_id
        WHERE m.team_id = ? AND m.user_id = ? AND t.deleted_at IS NULL AND u.deleted_at IS NULL`).get(teamId, userId) as MemberRecord | null;
    return {
      get,
      roleOf: (teamId, userId) =>
        (this.q(`SELECT m.role FROM team_users m JOIN teams t ON t.id = m.team_id WHERE m.team_id = ? AND m.user_id = ? AND t.deleted_at IS NULL`).get(teamId, userId) as { role: TeamRole } | null)?.role ?? null,
      list: (teamId, q) =>
        pagedQuery<MemberRecord>(
          this.db,
          {
            select: MEMBER,
            from: 'FROM team_users m JOIN users u ON u.id = m.user_id WHERE m.team_id = ? AND u.deleted_at IS NULL',
            args: [teamId],
            searchColumns: ['u.username'],
            orderBy: 'm.created_at DESC, m.rowid DESC',
          },
          q,
        ),
      add: (teamId, userId, role, now) => {
        this.q('INSERT INTO team_users (id, team_id, user_id, role, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)').run(crypto.randomUUID(), teamId, userId, role, now, now);
        return get(teamId, userId)!;
      },
      setRole: (teamId, userId, role, now) => {
        const r = this.q('UPDATE team_users SET role = ?, updated_at = ? WHERE team_id = ? AND user_id = ?').run(role, now, teamId, userId);
        return r.changes ? get(teamId, userId) : null;
      },
      remove: (teamId, userId) => this.q('DELETE FROM team_users WHERE team_id = ? AND user_id = ?').run(teamId, userId).changes > 0,
    };
  }

  // ---------------------------------------------------------------- websites
  private websiteRepo(): WebsiteRepo {
    const byId = (id: string, withDeleted = false) =>
      this.q(`${WEBSITE} FROM websites w WHERE w.id = ?${withDeleted ? '' : ' AND w.deleted_at IS NULL'}`).get(id) as WebsiteRecord | null;
    const search = ['w.name', 'w.domain'];
    const order = 'w.created_at DESC, w.rowid DESC';
    const changed = <T>(v: T): T => {
      if (v) this.websitesChanged();
      return v;
    };
    return {
      byWriteKey: cachedIdLookup(this.writeKeys, this.db.prepare('SELECT id FROM websites WHERE write_key = ? AND deleted_at IS NULL')),
      byId,
      listForUser: (userId, q, includeTeams) =>
        pagedQuery<WebsiteRecord>(
          this.db,
          includeTeams
            ? {
                select: WEBSITE,
                from: `FROM websites w WHERE w.deleted_at IS NULL AND (w.user_id = ? OR w.team_id IN
                  (SELECT m.team_id FROM team_users m JOIN teams t ON t.id = m.team_id WHERE m.user_id = ? AND t.deleted_at IS NULL))`,
                args: [userId, userId],
                searchColumns: search,
                orderBy: order,
              }
            : { select: WEBSITE, from: 'FROM websites w WHERE w.deleted_at IS NULL AND w.user_id = ?', args: [userId], searchColumns: search, orderBy: order },
          q,
        ),
      listForTeam: (teamId, q) =>
        pagedQuery<WebsiteRecord>(this.db, { select: WEBSITE, from: 'FROM websites w WHERE w.deleted_at IS NULL AND w.team_id = ?', args: [teamId], searchColumns: search, orderBy: order }, q),
      // Oldest first, so when two websites claim a domain the first one keeps it.
      domains: () =>
        this.q(`SELECT id, domain FROM websites WHERE deleted_at IS NULL AND domain IS NOT NULL AND domain != '' ORDER BY created_at, id`).all() as { id: string; domain: string }[],
      create: (w, now) => {
        this.q(`INSERT INTO websites (id, name, domain, share_id, user_id, team_id, created_by, write_key, created_at, updated_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(w.id, w.name, w.domain, w.shareId, w.userId, w.teamId, w.createdBy, w.writeKey, now, now);
        return changed(byId(w.id)!);
      },
      update: (id, patch, now) => {
        const s = setClause(patch, { name: 'name', domain: 'domain', shareId: 'share_id' });
        const r = this.q(`UPDATE websites SET ${s.sql ? s.sql + ', ' : ''}updated_at = ? WHERE id = ? AND deleted_at IS NULL`).run(...s.args, now, id);
        return changed(r.changes ? byId(id) : null);
      },
      setWriteKey: (id, key, now) => {
        const r = this.q('UPDATE websites SET write_key = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL').run(key, now, id);
        return changed(r.changes ? byId(id) : null);
      },
      delete: (id, now) => changed(this.q('UPDATE websites SET deleted_at = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL').run(now, now, id).changes > 0),
      shareIdTaken: (shareId, exceptId) => this.q('SELECT 1 AS x FROM websites WHERE share_id = ? AND id != ?').get(shareId, exceptId ?? '') !== null,
    };
  }

  // ---------------------------------------------------------------- pixels
  private pixelRepo(): PixelRepo {
    const byId = (id: string, withDeleted = false) =>
      this.q(`${PIXEL} FROM pixels p WHERE p.id = ?${withDeleted ? '' : ' AND p.deleted_at IS NULL'}`).get(id) as PixelRecord | null;
    const search = ['p.name', 'p.slug'];
    const order = 'p.created_at DESC, p.rowid DESC';
    const changed = <T>(v: T): T => {
      if (v) this.pixelsChanged();
      return v;
    };
    return {
      bySlug: cachedIdLookup(this.slugs, this.db.prepare('SELECT id FROM pixels WHERE slug = ? AND deleted_at IS NULL')),
      byId,
      listForUser: (userId, q) =>
        pagedQuery<PixelRecord>(this.db, { select: PIXEL, from: 'FROM pixels p WHERE p.deleted_at IS NULL AND p.user_id = ?', args: [userId], searchColumns: search, orderBy: order }, q),
      listForTeam: (teamId, q) =>
        pagedQuery<PixelRecord>(this.db, { select: PIXEL, from: 'FROM pixels p WHERE p.deleted_at IS NULL AND p.team_id = ?', args: [teamId], searchColumns: search, orderBy: order }, q),
      slugTaken: (slug, exceptId) => this.q('SELECT 1 AS x FROM pixels WHERE slug = ? AND deleted_at IS NULL AND id != ?').get(slug, exceptId ?? '') !== null,
      create: (p, now) => {
        this.q('INSERT INTO pixels (id, name, slug, user_id, team_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(p.id, p.name, p.slug, p.userId, p.teamId, now, now);
        return changed(byId(p.id)!);
      },
      update: (id, patch, now) => {
        const s = setClause(patch, { name: 'name', slug: 'slug' });
        const r = this.q(`UPDATE pixels SET ${s.sql ? s.sql + ', ' : ''}updated_at = ? WHERE id = ? AND deleted_at IS NULL`).run(...s.args, now, id);
        return changed(r.changes ? byId(id) : null);
      },
      delete: (id, now) => changed(this.q('UPDATE pixels SET deleted_at = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL').run(now, now, id).changes > 0),
    };
  }

  // ---------------------------------------------------------------- tokens and keys
  private tokenRepo(): TokenRepo {
    const live = this.db.prepare(`${TOKEN} FROM auth_tokens WHERE token_hash = ? AND revoked_at IS NULL AND expires_at > ?`);
    return {
      create: (t, now) => void this.q('INSERT INTO auth_tokens (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)').run(t.tokenHash, t.userId, now, t.expiresAt),
      live: (hash, now) => live.get(hash, now) as TokenRecord | null,
      revoke: (hash, now) => this.q('UPDATE auth_tokens SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL').run(now, hash).changes > 0,
      revokeAllOf: (userId, now, exceptHash) =>
        this.q('UPDATE auth_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL AND token_hash != ?').run(now, userId, exceptHash ?? '').changes,
      purgeExpired: (now) => this.q('DELETE FROM auth_tokens WHERE expires_at <= ?').run(now).changes,
    };
  }

  private apiKeyRepo(): ApiKeyRepo {
    const byId = (id: string) => this.q(`${API_KEY} FROM api_keys WHERE id = ? AND revoked_at IS NULL`).get(id) as ApiKeyRecord | null;
    const byHash = this.db.prepare(`${API_KEY} FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL`);
    return {
      create: (k, now) => {
        this.q('INSERT INTO api_keys (id, user_id, name, key_hash, prefix, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(k.id, k.userId, k.name, k.keyHash, k.prefix, now);
        return byId(k.id)!;
      },
      byHash: (hash) => byHash.get(hash) as ApiKeyRecord | null,
      byId,
      listForUser: (userId) => this.q(`${API_KEY} FROM api_keys WHERE user_id = ? AND revoked_at IS NULL ORDER BY created_at DESC, rowid DESC`).all(userId) as ApiKeyRecord[],
      revoke: (id, now) => this.q('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(now, id).changes > 0,
      touch: (id, now) => this.touchApiKey(id, now),
    };
  }

  /** When a `last_used_at` write last failed (0: none lately); none is tried again for TOUCH_RETRY_MS. */
  private touchFailedAt = 0;

  /**
   * `last_used_at`, written if the database takes it within TOUCH_WAIT_MS: a read with an API key
   * must not fail (503) on a full disk or wait up to the request thread's busy timeout behind
   * another process's lock, stalling every request with it, for a figure shown in a list. The
   * wait covers a commit of our own writer thread (a few ms; a wait of 0 was refused by those
   * under load, and keys stayed "never used"). Refused, it is left as it was, and no key's is
   * tried for a minute: a wait per key had stalled the thread 100 ms for each of 20 keys used
   * during another process's lock.
   */
  private touchApiKey(id: string, now: number): void {
    if (this.touchFailedAt > 0 && now - this.touchFailedAt < TOUCH_RETRY_MS && now >= this.touchFailedAt) return;
    const waited = (this.db.query('PRAGMA busy_timeout').get() as { timeout: number }).timeout;
    this.db.exec(`PRAGMA busy_timeout = ${TOUCH_WAIT_MS}`);
    try {
      this.q('UPDATE api_keys SET last_used_at = ? WHERE id = ?').run(now, id);
      this.touchFailedAt = 0;
    } catch (e) {
      if (!isSqliteWriteRefusal(e)) throw e;
      this.touchFailedAt = now;
    } finally {
      this.db.exec(`PRAGMA busy_timeout = ${waited}`);
    }
  }

  private saltStore(): SaltStore {
    return {
      load: (day) => {
        const r = this.q('SELECT salt FROM salts WHERE day = ?').get(day) as { salt: Uint8Array } | null;
        return r ? new Uint8Array(r.salt) : null;
      },
      save: (day, salt) => void this.q('INSERT OR REPLACE INTO salts (day, salt) VALUES (?, ?)').run(day, salt),
      // Overwritten with zeros before the delete: a DELETE alone leaves the bytes in the freed page
      // of the file, where a copy of it would still hold the salt (and so the day's visitor ids).
      deleteBefore: (day) =>
        this.db.transaction(() => {
          this.q('UPDATE salts SET salt = zeroblob(length(salt)) WHERE day < ?').run(day);
          this.q('DELETE FROM salts WHERE day < ?').run(day);
        }).immediate(),
    };
  }
}

