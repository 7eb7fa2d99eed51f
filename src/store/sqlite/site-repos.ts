/** @module The SQLite repositories of what hits are counted for: websites and pixels (rows ↔ records), with the cached lookups the hot path makes (write key, slug). */
import type { Statement } from 'bun:sqlite';
import { detach } from '../../lib/detach.ts';
import type { Lru } from '../../lib/lru.ts';
import type { PixelRecord, PixelRepo, WebsiteRecord, WebsiteRepo } from '../meta-store.ts';
import { setClause, type MetaRepoContext } from './meta-repo-context.ts';
import { pagedQuery } from './sqlite-paging.ts';

const WEBSITE = `SELECT w.id, w.name, w.domain, w.share_id AS shareId, w.reset_at AS resetAt, w.user_id AS userId, w.team_id AS teamId,
  w.created_by AS createdBy, w.write_key AS writeKey, w.created_at AS createdAt, w.updated_at AS updatedAt, w.deleted_at AS deletedAt`;
const PIXEL = `SELECT p.id, p.name, p.slug, p.user_id AS userId, p.team_id AS teamId, p.created_at AS createdAt, p.updated_at AS updatedAt, p.deleted_at AS deletedAt`;

const MISS = { id: '' } as const;

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

export function websiteRepo(ctx: MetaRepoContext, writeKeys: Lru<string, { id: string }>): WebsiteRepo {
  const byId = (id: string, withDeleted = false) =>
    ctx.q(`${WEBSITE} FROM websites w WHERE w.id = ?${withDeleted ? '' : ' AND w.deleted_at IS NULL'}`).get(id) as WebsiteRecord | null;
  const search = ['w.name', 'w.domain'];
  const order = 'w.created_at DESC, w.rowid DESC';
  const changed = <T>(v: T): T => {
    if (v) ctx.websitesChanged();
    return v;
  };
  return {
    byWriteKey: cachedIdLookup(writeKeys, ctx.db.prepare('SELECT id FROM websites WHERE write_key = ? AND deleted_at IS NULL')),
    byId,
    listForUser: (userId, q, includeTeams) =>
      pagedQuery<WebsiteRecord>(
        ctx.db,
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
      pagedQuery<WebsiteRecord>(ctx.db, { select: WEBSITE, from: 'FROM websites w WHERE w.deleted_at IS NULL AND w.team_id = ?', args: [teamId], searchColumns: search, orderBy: order }, q),
    // Oldest first, so when two websites claim a domain the first one keeps it.
    domains: () =>
      ctx.q(`SELECT id, domain FROM websites WHERE deleted_at IS NULL AND domain IS NOT NULL AND domain != '' ORDER BY created_at, id`).all() as { id: string; domain: string }[],
    create: (w, now) => {
      ctx.q(`INSERT INTO websites (id, name, domain, share_id, user_id, team_id, created_by, write_key, created_at, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(w.id, w.name, w.domain, w.shareId, w.userId, w.teamId, w.createdBy, w.writeKey, now, now);
      return changed(byId(w.id)!);
    },
    update: (id, patch, now) => {
      const s = setClause(patch, { name: 'name', domain: 'domain', shareId: 'share_id' });
      const r = ctx.q(`UPDATE websites SET ${s.sql ? s.sql + ', ' : ''}updated_at = ? WHERE id = ? AND deleted_at IS NULL`).run(...s.args, now, id);
      return changed(r.changes ? byId(id) : null);
    },
    setWriteKey: (id, key, now) => {
      const r = ctx.q('UPDATE websites SET write_key = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL').run(key, now, id);
      return changed(r.changes ? byId(id) : null);
    },
    delete: (id, now) => changed(ctx.q('UPDATE websites SET deleted_at = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL').run(now, now, id).changes > 0),
    shareIdTaken: (shareId, exceptId) => ctx.q('SELECT 1 AS x FROM websites WHERE share_id = ? AND id != ?').get(shareId, exceptId ?? '') !== null,
  };
}

export function pixelRepo(ctx: MetaRepoContext, slugs: Lru<string, { id: string }>): PixelRepo {
  const byId = (id: string, withDeleted = false) =>
    ctx.q(`${PIXEL} FROM pixels p WHERE p.id = ?${withDeleted ? '' : ' AND p.deleted_at IS NULL'}`).get(id) as PixelRecord | null;
  const search = ['p.name', 'p.slug'];
  const order = 'p.created_at DESC, p.rowid DESC';
  const changed = <T>(v: T): T => {
    if (v) ctx.pixelsChanged();
    return v;
  };
  return {
    bySlug: cachedIdLookup(slugs, ctx.db.prepare('SELECT id FROM pixels WHERE slug = ? AND deleted_at IS NULL')),
    byId,
    listForUser: (userId, q) =>
      pagedQuery<PixelRecord>(ctx.db, { select: PIXEL, from: 'FROM pixels p WHERE p.deleted_at IS NULL AND p.user_id = ?', args: [userId], searchColumns: search, orderBy: order }, q),
    listForTeam: (teamId, q) =>
      pagedQuery<PixelRecord>(ctx.db, { select: PIXEL, from: 'FROM pixels p WHERE p.deleted_at IS NULL AND p.team_id = ?', args: [teamId], searchColumns: search, orderBy: order }, q),
    slugTaken: (slug, exceptId) => ctx.q('SELECT 1 AS x FROM pixels WHERE slug = ? AND deleted_at IS NULL AND id != ?').get(slug, exceptId ?? '') !== null,
    create: (p, now) => {
      ctx.q('INSERT INTO pixels (id, name, slug, user_id, team_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(p.id, p.name, p.slug, p.userId, p.teamId, now, now);
      return changed(byId(p.id)!);
    },
    update: (id, patch, now) => {
      const s = setClause(patch, { name: 'name', slug: 'slug' });
      const r = ctx.q(`UPDATE pixels SET ${s.sql ? s.sql + ', ' : ''}updated_at = ? WHERE id = ? AND deleted_at IS NULL`).run(...s.args, now, id);
      return changed(r.changes ? byId(id) : null);
    },
    delete: (id, now) => changed(ctx.q('UPDATE pixels SET deleted_at = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL').run(now, now, id).changes > 0),
  };
}
