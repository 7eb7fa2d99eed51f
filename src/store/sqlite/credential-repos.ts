/** @module The SQLite repositories of secrets: login tokens and API keys (hashes only), and the daily visitor-id salts. */
import type { SaltStore } from '../../ingest/visitor-id.ts';
import type { ApiKeyRecord, ApiKeyRepo, TokenRecord, TokenRepo } from '../meta-store.ts';
import type { MetaRepoContext } from './meta-repo-context.ts';

const TOKEN = `SELECT token_hash AS tokenHash, user_id AS userId, created_at AS createdAt, expires_at AS expiresAt, revoked_at AS revokedAt`;
const API_KEY = `SELECT id, user_id AS userId, name, key_hash AS keyHash, prefix, created_at AS createdAt, last_used_at AS lastUsedAt, revoked_at AS revokedAt`;
/** After a refused `last_used_at` write (a full disk, another process's lock), how long before one is tried again. */
const TOUCH_RETRY_MS = 60_000;
/** How long a `last_used_at` write may wait for the write lock: longer than the writer thread's commits, short enough to go unnoticed once a minute. */
const TOUCH_WAIT_MS = 100;

/** SQLite refusing a write for the database's sake, not ours: locked by another process, a full or failing disk, a read-only file. */
function isSqliteWriteRefusal(e: unknown): boolean {
  const code = String((e as { code?: unknown } | null)?.code ?? '');
  return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED') || code === 'SQLITE_FULL' || code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_READONLY');
}

/**
 * How far in the future a token's issue time may lie and it still count: a token issued while the
 * clock ran ahead (a VM booted a day or a year off, then corrected) would otherwise live its 7 days
 * plus the error. A step back of minutes (NTP's) does not log anyone out.
 */
export const TOKEN_CLOCK_SLACK_MS = 10 * 60_000;

export function tokenRepo(ctx: MetaRepoContext): TokenRepo {
  const live = ctx.db.prepare(`${TOKEN} FROM auth_tokens WHERE token_hash = ? AND revoked_at IS NULL AND expires_at > ? AND created_at <= ?`);
  return {
    create: (t, now) => void ctx.q('INSERT INTO auth_tokens (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)').run(t.tokenHash, t.userId, now, t.expiresAt),
    live: (hash, now) => live.get(hash, now, now + TOKEN_CLOCK_SLACK_MS) as TokenRecord | null,
    revoke: (hash, now) => ctx.q('UPDATE auth_tokens SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL').run(now, hash).changes > 0,
    revokeAllOf: (userId, now, exceptHash) =>
      ctx.q('UPDATE auth_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL AND token_hash != ?').run(now, userId, exceptHash ?? '').changes,
    // Not those issued "after" now: at a start with the clock behind (no time sync yet), that would
    // delete every real token for good; live() refuses them only while the clock is wrong.
    purgeExpired: (now) => ctx.q('DELETE FROM auth_tokens WHERE expires_at <= ? OR revoked_at IS NOT NULL').run(now).changes,
  };
}

export function apiKeyRepo(ctx: MetaRepoContext): ApiKeyRepo {
  const byId = (id: string) => ctx.q(`${API_KEY} FROM api_keys WHERE id = ? AND revoked_at IS NULL`).get(id) as ApiKeyRecord | null;
  /** When a `last_used_at` write last failed (0: none lately); none is tried again for TOUCH_RETRY_MS. */
  let touchFailedAt = 0;
  /**
   * `last_used_at`, written if the database takes it within TOUCH_WAIT_MS: a read with an API key
   * must not fail (503) on a full disk or wait up to the request thread's busy timeout behind
   * another process's lock, stalling every request with it, for a figure shown in a list. The
   * wait covers a commit of our own writer thread (a few ms; a wait of 0 was refused by those
   * under load, and keys stayed "never used"). Refused, it is left as it was, and no key's is
   * tried for a minute: a wait per key had stalled the thread 100 ms for each of 20 keys used
   * during another process's lock.
   */
  const touch = (id: string, now: number): void => {
    if (touchFailedAt > 0 && now - touchFailedAt < TOUCH_RETRY_MS && now >= touchFailedAt) return;
    const waited = (ctx.db.query('PRAGMA busy_timeout').get() as { timeout: number }).timeout;
    ctx.db.exec(`PRAGMA busy_timeout = ${TOUCH_WAIT_MS}`);
    try {
      ctx.q('UPDATE api_keys SET last_used_at = ? WHERE id = ?').run(now, id);
      touchFailedAt = 0;
    } catch (e) {
      if (!isSqliteWriteRefusal(e)) throw e;
      touchFailedAt = now;
    } finally {
      ctx.db.exec(`PRAGMA busy_timeout = ${waited}`);
    }
  };
  const byHash = ctx.db.prepare(`${API_KEY} FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL`);
  return {
    create: (k, now) => {
      ctx.q('INSERT INTO api_keys (id, user_id, name, key_hash, prefix, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(k.id, k.userId, k.name, k.keyHash, k.prefix, now);
      return byId(k.id)!;
    },
    byHash: (hash) => byHash.get(hash) as ApiKeyRecord | null,
    byId,
    listForUser: (userId) => ctx.q(`${API_KEY} FROM api_keys WHERE user_id = ? AND revoked_at IS NULL ORDER BY created_at DESC, rowid DESC`).all(userId) as ApiKeyRecord[],
    revoke: (id, now) => ctx.q('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(now, id).changes > 0,
    touch,
  };
}

export function saltStore(ctx: MetaRepoContext): SaltStore {
  return {
    load: (day) => {
      const r = ctx.q('SELECT salt FROM salts WHERE day = ?').get(day) as { salt: Uint8Array } | null;
      return r ? new Uint8Array(r.salt) : null;
    },
    save: (day, salt) => void ctx.q('INSERT OR REPLACE INTO salts (day, salt) VALUES (?, ?)').run(day, salt),
    // Overwritten with zeros before the delete: a DELETE alone leaves the bytes in the freed page
    // of the file, where a copy of it would still hold the salt (and so the day's visitor ids).
    deleteOutside: (first, last) =>
      ctx.db.transaction(() => {
        ctx.q('UPDATE salts SET salt = zeroblob(length(salt)) WHERE day < ? OR day > ?').run(first, last);
        ctx.q('DELETE FROM salts WHERE day < ? OR day > ?').run(first, last);
      }).immediate(),
  };
}
