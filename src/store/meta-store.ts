/** @module The MetaStore interface: users, teams, members, websites, pixels, tokens, API keys and salts, as plain records. */
import type { SaltStore } from '../ingest/visitor-id.ts';

/** Global roles (Umami's). */
export type UserRole = 'admin' | 'user' | 'view-only';
/** Team roles (Umami's). */
export type TeamRole = 'team-owner' | 'team-manager' | 'team-member' | 'team-view-only';

/** Times are ms since the epoch; the HTTP layer turns them into ISO-8601 strings. */
export interface UserRecord {
  id: string;
  username: string;
  passwordHash: string;
  role: UserRole;
  createdAt: number;
  updatedAt: number;
  deletedAt: number | null;
}

export interface TeamRecord {
  id: string;
  name: string;
  accessCode: string;
  logoUrl: string | null;
  createdAt: number;
  updatedAt: number;
  deletedAt: number | null;
}

export interface MemberRecord {
  id: string;
  teamId: string;
  userId: string;
  role: TeamRole;
  createdAt: number;
  updatedAt: number;
  /** The member's user name (joined in for lists). */
  username: string;
}

export interface WebsiteRecord {
  id: string;
  name: string;
  domain: string | null;
  shareId: string | null;
  resetAt: number | null;
  userId: string | null;
  teamId: string | null;
  createdBy: string | null;
  writeKey: string;
  createdAt: number;
  updatedAt: number;
  deletedAt: number | null;
}

export interface PixelRecord {
  id: string;
  name: string;
  slug: string;
  userId: string | null;
  teamId: string | null;
  createdAt: number;
  updatedAt: number;
  deletedAt: number | null;
}

export interface TokenRecord {
  tokenHash: string;
  userId: string;
  createdAt: number;
  expiresAt: number;
  revokedAt: number | null;
}

export interface ApiKeyRecord {
  id: string;
  userId: string;
  name: string;
  keyHash: string;
  /** The first characters of the key (`footfall_` + 8), kept so a user can tell keys apart. */
  prefix: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

/** Umami's paging: 1-based page, newest first; `search` is a case-insensitive substring, `%`/`_` literal. */
export interface PageQuery {
  page: number;
  pageSize: number;
  search?: string;
}

export interface Page<T> {
  data: T[];
  /** Every matching row, not just this page. */
  count: number;
}

export interface UserRepo {
  /** Every row ever created, deleted ones included (bootstrap runs only on an empty table). */
  countAll(): number;
  byId(id: string): UserRecord | null;
  /** Exact, case-sensitive match among users not deleted. */
  byUsername(username: string): UserRecord | null;
  list(q: PageQuery): Page<UserRecord>;
  create(u: Pick<UserRecord, 'id' | 'username' | 'passwordHash' | 'role'>, now: number): UserRecord;
  update(id: string, patch: Partial<Pick<UserRecord, 'username' | 'passwordHash' | 'role'>>, now: number): UserRecord | null;
  /**
   * Soft delete, as Umami's delete cascades: the user's own websites and pixels, the teams the
   * user owns (with their websites and pixels), every membership, token and API key go too.
   */
  delete(id: string, now: number): boolean;
}

export interface TeamRepo {
  byId(id: string): TeamRecord | null;
  byAccessCode(code: string): TeamRecord | null;
  /** All teams (admin view). */
  list(q: PageQuery): Page<TeamRecord>;
  listForUser(userId: string, q: PageQuery): Page<TeamRecord>;
  /** Creates the team with `ownerId` as its `team-owner`, in one transaction. */
  create(t: Pick<TeamRecord, 'id' | 'name' | 'accessCode'>, ownerId: string, now: number): TeamRecord;
  update(id: string, patch: Partial<Pick<TeamRecord, 'name' | 'accessCode' | 'logoUrl'>>, now: number): TeamRecord | null;
  /** Soft delete; the team's websites and pixels are soft-deleted, its memberships removed. */
  delete(id: string, now: number): boolean;
}

export interface MemberRepo {
  get(teamId: string, userId: string): MemberRecord | null;
  /** The user's role in the team, or null when not a member (of a live team). */
  roleOf(teamId: string, userId: string): TeamRole | null;
  list(teamId: string, q: PageQuery): Page<MemberRecord>;
  add(teamId: string, userId: string, role: TeamRole, now: number): MemberRecord;
  setRole(teamId: string, userId: string, role: TeamRole, now: number): MemberRecord | null;
  remove(teamId: string, userId: string): boolean;
}

export interface WebsiteRepo {
  /** Hot path (RudderStack ingestion): live websites only, cached, never stale. */
  byWriteKey(key: string): { id: string } | null;
  /** Live websites only unless `withDeleted`. */
  byId(id: string, withDeleted?: boolean): WebsiteRecord | null;
  /** The user's own websites, plus (when `includeTeams`) those of the live teams the user is in. */
  listForUser(userId: string, q: PageQuery, includeTeams: boolean): Page<WebsiteRecord>;
  listForTeam(teamId: string, q: PageQuery): Page<WebsiteRecord>;
  /** Non-empty domains of live websites with their ids, oldest first (the Prisme origin registry). */
  domains(): { id: string; domain: string }[];
  create(w: Pick<WebsiteRecord, 'id' | 'name' | 'domain' | 'shareId' | 'userId' | 'teamId' | 'createdBy' | 'writeKey'>, now: number): WebsiteRecord;
  update(id: string, patch: Partial<Pick<WebsiteRecord, 'name' | 'domain' | 'shareId'>>, now: number): WebsiteRecord | null;
  setWriteKey(id: string, key: string, now: number): WebsiteRecord | null;
  delete(id: string, now: number): boolean;
  /** Is this share id used by another live website? */
  shareIdTaken(shareId: string, exceptId?: string): boolean;
}

export interface PixelRepo {
  /** Hot path (`/p/:slug`): live pixels only, cached, never stale. */
  bySlug(slug: string): { id: string } | null;
  byId(id: string, withDeleted?: boolean): PixelRecord | null;
  listForUser(userId: string, q: PageQuery): Page<PixelRecord>;
  listForTeam(teamId: string, q: PageQuery): Page<PixelRecord>;
  /** Is this slug used by a live pixel (other than `exceptId`)? */
  slugTaken(slug: string, exceptId?: string): boolean;
  create(p: Pick<PixelRecord, 'id' | 'name' | 'slug' | 'userId' | 'teamId'>, now: number): PixelRecord;
  update(id: string, patch: Partial<Pick<PixelRecord, 'name' | 'slug'>>, now: number): PixelRecord | null;
  /** Soft delete: `deletedAt` set, the slug becomes free, events stay. */
  delete(id: string, now: number): boolean;
}

export interface TokenRepo {
  create(t: Pick<TokenRecord, 'tokenHash' | 'userId' | 'expiresAt'>, now: number): void;
  /** Live tokens only: not revoked, not expired at `now`, and not issued more than a few minutes after it (a clock that ran ahead). */
  live(tokenHash: string, now: number): TokenRecord | null;
  revoke(tokenHash: string, now: number): boolean;
  /** Revokes every live token of the user except `exceptHash` (the caller's own session). */
  revokeAllOf(userId: string, now: number, exceptHash?: string): number;
  /** Drops the rows of tokens expired by `now` or revoked (housekeeping; keeps the table small). */
  purgeExpired(now: number): number;
}

export interface ApiKeyRepo {
  create(k: Pick<ApiKeyRecord, 'id' | 'userId' | 'name' | 'keyHash' | 'prefix'>, now: number): ApiKeyRecord;
  /** Not revoked only. */
  byHash(keyHash: string): ApiKeyRecord | null;
  byId(id: string): ApiKeyRecord | null;
  /** Not revoked, newest first. */
  listForUser(userId: string): ApiKeyRecord[];
  revoke(id: string, now: number): boolean;
  touch(id: string, now: number): void;
}

export interface MetaStore {
  users: UserRepo;
  teams: TeamRepo;
  members: MemberRepo;
  websites: WebsiteRepo;
  pixels: PixelRepo;
  tokens: TokenRepo;
  apiKeys: ApiKeyRepo;
  salts: SaltStore;
  /** Called after any write that may change `websites.domains()` or `byWriteKey`; returns an unsubscribe. */
  onWebsitesChanged(listener: () => void): () => void;
  /** Runs `fn` in one write transaction (nested calls join the outer one). */
  transaction<T>(fn: () => T): T;
}
