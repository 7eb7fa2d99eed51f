/** @module The SQLite repositories of accounts: users, teams and team members (rows ↔ records). */
import type { MemberRecord, MemberRepo, MetaStore, TeamRecord, TeamRepo, TeamRole, UserRecord, UserRepo } from '../meta-store.ts';
import { setClause, type MetaRepoContext } from './meta-repo-context.ts';
import { pagedQuery } from './sqlite-paging.ts';

const USER = `SELECT id, username, password_hash AS passwordHash, role, created_at AS createdAt, updated_at AS updatedAt, deleted_at AS deletedAt`;
const TEAM = `SELECT t.id, t.name, t.access_code AS accessCode, t.logo_url AS logoUrl, t.created_at AS createdAt, t.updated_at AS updatedAt, t.deleted_at AS deletedAt`;
const MEMBER = `SELECT m.id, m.team_id AS teamId, m.user_id AS userId, m.role, m.created_at AS createdAt, m.updated_at AS updatedAt, u.username`;

export function userRepo(ctx: MetaRepoContext, store: Pick<MetaStore, 'teams' | 'tokens'>): UserRepo {
  const byId = (id: string) => ctx.q(`${USER} FROM users WHERE id = ? AND deleted_at IS NULL`).get(id) as UserRecord | null;
  return {
    countAll: () => (ctx.q('SELECT count(*) AS n FROM users').get() as { n: number }).n,
    byId,
    byUsername: (name) => ctx.q(`${USER} FROM users WHERE username = ? AND deleted_at IS NULL`).get(name) as UserRecord | null,
    list: (q) =>
      pagedQuery<UserRecord>(ctx.db, { select: USER, from: 'FROM users WHERE deleted_at IS NULL', args: [], searchColumns: ['username'], orderBy: 'created_at DESC, rowid DESC' }, q),
    create: (u, now) => {
      ctx.q('INSERT INTO users (id, username, password_hash, role, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)').run(u.id, u.username, u.passwordHash, u.role, now, now);
      return byId(u.id)!;
    },
    update: (id, patch, now) => {
      const s = setClause(patch, { username: 'username', passwordHash: 'password_hash', role: 'role' });
      const r = ctx.q(`UPDATE users SET ${s.sql ? s.sql + ', ' : ''}updated_at = ? WHERE id = ? AND deleted_at IS NULL`).run(...s.args, now, id);
      return r.changes ? byId(id) : null;
    },
    delete: (id, now) =>
      ctx.transaction(() => {
        if (!ctx.q('UPDATE users SET deleted_at = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL').run(now, now, id).changes) return false;
        const owned = ctx.q(`SELECT team_id AS teamId FROM team_users WHERE user_id = ? AND role = 'team-owner'`).all(id) as { teamId: string }[];
        for (const t of owned) store.teams.delete(t.teamId, now);
        ctx.q('UPDATE websites SET deleted_at = ?, updated_at = ? WHERE user_id = ? AND deleted_at IS NULL').run(now, now, id);
        // Pixels are left alone, as Umami leaves them (upstream.md §2.6): a deleted user's
        // newsletter pixel keeps counting, and an admin still manages it.
        ctx.q('DELETE FROM team_users WHERE user_id = ?').run(id);
        store.tokens.revokeAllOf(id, now);
        ctx.q('UPDATE api_keys SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL').run(now, id);
        ctx.websitesChanged();
        return true;
      }),
  };
}

export function teamRepo(ctx: MetaRepoContext, store: Pick<MetaStore, 'members'>): TeamRepo {
  const byId = (id: string) => ctx.q(`${TEAM} FROM teams t WHERE t.id = ? AND t.deleted_at IS NULL`).get(id) as TeamRecord | null;
  return {
    byId,
    byAccessCode: (code) => ctx.q(`${TEAM} FROM teams t WHERE t.access_code = ? AND t.deleted_at IS NULL`).get(code) as TeamRecord | null,
    list: (q) =>
      pagedQuery<TeamRecord>(ctx.db, { select: TEAM, from: 'FROM teams t WHERE t.deleted_at IS NULL', args: [], searchColumns: ['t.name'], orderBy: 't.created_at DESC, t.rowid DESC' }, q),
    listForUser: (userId, q) =>
      pagedQuery<TeamRecord>(
        ctx.db,
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
      ctx.transaction(() => {
        ctx.q('INSERT INTO teams (id, name, access_code, created_at, updated_at) VALUES (?, ?, ?, ?, ?)').run(t.id, t.name, t.accessCode, now, now);
        store.members.add(t.id, ownerId, 'team-owner', now);
        return byId(t.id)!;
      }),
    update: (id, patch, now) => {
      const s = setClause(patch, { name: 'name', accessCode: 'access_code', logoUrl: 'logo_url' });
      const r = ctx.q(`UPDATE teams SET ${s.sql ? s.sql + ', ' : ''}updated_at = ? WHERE id = ? AND deleted_at IS NULL`).run(...s.args, now, id);
      return r.changes ? byId(id) : null;
    },
    delete: (id, now) =>
      ctx.transaction(() => {
        if (!ctx.q('UPDATE teams SET deleted_at = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL').run(now, now, id).changes) return false;
        ctx.q('UPDATE websites SET deleted_at = ?, updated_at = ? WHERE team_id = ? AND deleted_at IS NULL').run(now, now, id);
        // The team's pixels are left alone, as in Umami (upstream.md §2.6).
        ctx.q('DELETE FROM team_users WHERE team_id = ?').run(id);
        ctx.websitesChanged();
        return true;
      }),
  };
}

export function memberRepo(ctx: MetaRepoContext): MemberRepo {
  const get = (teamId: string, userId: string) =>
    ctx.q(`${MEMBER} FROM team_users m JOIN users u ON u.id = m.user_id JOIN teams t ON t.id = m.team_id
      WHERE m.team_id = ? AND m.user_id = ? AND t.deleted_at IS NULL AND u.deleted_at IS NULL`).get(teamId, userId) as MemberRecord | null;
  return {
    get,
    roleOf: (teamId, userId) =>
      (ctx.q(`SELECT m.role FROM team_users m JOIN teams t ON t.id = m.team_id WHERE m.team_id = ? AND m.user_id = ? AND t.deleted_at IS NULL`).get(teamId, userId) as { role: TeamRole } | null)?.role ?? null,
    list: (teamId, q) =>
      pagedQuery<MemberRecord>(
        ctx.db,
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
      ctx.q('INSERT INTO team_users (id, team_id, user_id, role, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)').run(crypto.randomUUID(), teamId, userId, role, now, now);
      return get(teamId, userId)!;
    },
    setRole: (teamId, userId, role, now) => {
      const r = ctx.q('UPDATE team_users SET role = ?, updated_at = ? WHERE team_id = ? AND user_id = ?').run(role, now, teamId, userId);
      return r.changes ? get(teamId, userId) : null;
    },
    remove: (teamId, userId) => ctx.q('DELETE FROM team_users WHERE team_id = ? AND user_id = ?').run(teamId, userId).changes > 0,
  };
}
