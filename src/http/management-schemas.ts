/** @module JSON shapes of the management API (TypeBox, the single source of validation, types and OpenAPI) and record → JSON mappers. */
import { t, type TSchema } from 'elysia';
import type { PageQuery, ApiKeyRecord, MemberRecord, PixelRecord, TeamRecord, UserRecord, WebsiteRecord } from '../store/meta-store.ts';
import { queryText } from './request-values.ts';

/** ms since the epoch → ISO-8601 with ms and `Z` (Umami's JSON dates). */
export function iso(ms: number): string;
export function iso(ms: number | null): string | null;
export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

const Id = (description?: string) => t.String({ format: 'uuid', description, examples: ['0b9d3c52-7a57-4a0e-9f1e-2d2b6f1c0001'] });
const Time = t.String({ format: 'date-time', examples: ['2026-01-02T03:04:05.600Z'] });
const NullableTime = t.Union([Time, t.Null()]);
const NullableId = t.Union([Id(), t.Null()]);

// Spelled out (not mapped from USER_ROLES/TEAM_ROLES) so TypeScript keeps the literal types; roles.test.ts checks they agree.
export const UserRoleSchema = t.Union([t.Literal('admin'), t.Literal('user'), t.Literal('view-only')]);
export const TeamRoleSchema = t.Union([t.Literal('team-owner'), t.Literal('team-manager'), t.Literal('team-member'), t.Literal('team-view-only')]);
export const AssignableTeamRoleSchema = t.Union([t.Literal('team-manager'), t.Literal('team-member'), t.Literal('team-view-only')], {
  description: "`team-owner` is only given to a team's creator",
});

// ------------------------------------------------------------------ params and paging
/** A `format: 'uuid'` string (with `pattern` too, if given) that validation hands on in lower case. */
const lowerCaseUuid = (description?: string, pattern?: string) =>
  t
    .Transform(t.String({ format: 'uuid', description, ...(pattern ? { pattern } : {}), examples: ['0b9d3c52-7a57-4a0e-9f1e-2d2b6f1c0001'] }))
    .Decode((v) => v.toLowerCase())
    .Encode((v) => v);

/**
 * A UUID the client sends (path or body), read in lower case: Umami keeps ids in PostgreSQL's
 * uuid type, which compares them case-insensitively and answers in lower case, so
 * `…/B154D949-…` names the same pixel as `…/b154d949-…` and cannot create a second one.
 */
export const UuidIn = (description?: string) => lowerCaseUuid(description);

const ZOD_UUID = '^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}|00000000-0000-0000-0000-000000000000|ffffffff-ffff-ffff-ffff-ffffffffffff)$';

/**
 * A UUID in a request body, checked as Umami's zod 4 schemas check it (`z.uuid()`): 8-4-4-4-12
 * hex digits with a version digit 1–8 and the RFC 9562 variant (8, 9, a or b), or the nil or max
 * UUID; anything else is `Invalid UUID` (zod-messages.ts). The looser `format: 'uuid'` alone also
 * takes a `urn:uuid:` prefix and any version and variant: `{"id":"urn:uuid:…"}` made a pixel
 * whose id no other Umami client could read, beside the one of the bare UUID. Path ids keep
 * that looser check, as PostgreSQL's uuid type reads them in Umami (any hex digits: not found).
 */
export const UuidBody = (description?: string) => lowerCaseUuid(description, ZOD_UUID);

export function UuidParam<K extends string>(name: K) {
  return t.Object({ [name]: UuidIn() } as Record<K, ReturnType<typeof UuidIn>>);
}

/**
 * `exclusiveMinimum: 0` is Umami's `.positive()` (so `page=0` reads "expected number to be >0");
 * `title` names the field in errors (see validationDetails).
 */
export const PagingQuery = t.Object({
  // The maximum is zod 4's: its .int() takes safe integers only (zod-messages.ts words it as zod).
  page: t.Optional(t.Integer({ exclusiveMinimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 1, title: 'page', description: '1-based page number' })),
  pageSize: t.Optional(t.Integer({ exclusiveMinimum: 0, maximum: 1000, default: 20, title: 'pageSize', description: 'Rows per page (max 1000)' })),
  search: t.Optional(t.String({ description: 'Case-insensitive substring; % and _ are literal' })),
});

export function PagedOf<S extends TSchema>(item: S) {
  return t.Object({
    data: t.Array(item),
    count: t.Integer({ description: 'Rows matching, over all pages' }),
    page: t.Integer(),
    pageSize: t.Integer(),
    search: t.Optional(t.String()),
  });
}

/**
 * A list route's answer: `{data, count, page, pageSize}` (+ `search` when given) of the page
 * `list` finds for the query, each record mapped. The query's `search` is read as Umami reads it
 * (umamiSearch); `list` gets the store's PageQuery and the query itself (for a route's own fields).
 */
export function pagedList<Q extends PagingFields, R, J>(
  request: Request,
  raw: Q,
  list: (page: PageQuery, q: Q) => { data: R[]; count: number },
  map: (r: R) => J,
) {
  const q = umamiSearch(request, raw);
  return paged(list(pageQuery(q), q), q, map);
}

type PagingFields = { page?: number; pageSize?: number; search?: string };

/**
 * The list query with its `search` as Umami reads it (Object.fromEntries(url.searchParams)):
 * WHATWG's decoding, where a bad escape stays as it is and the rest of the value is still decoded
 * (bytes that are no UTF-8 become U+FFFD), the last of a repeated one. Elysia's parser kept a
 * value with any bad escape raw: `search=100%%20real` searched for `100%%20real`. (Read here, not
 * in a transform hook: a hook that touches the query makes Elysia parse the query of every
 * route, ingestion's too.)
 */
function umamiSearch<Q extends { search?: string }>(request: Request, q: Q): Q {
  if (q.search === undefined) return q;
  // The query's own text: a URL Bun hands over without a Host (HTTP/1.0), `//:99999/api/…`,
  // is no URL to parse whole (a 500 before the caller was even checked).
  const all = new URLSearchParams(queryText(request.url)).getAll('search');
  return all.length ? { ...q, search: all[all.length - 1]! } : q;
}

/** Query (defaults possibly unfilled) → the store's PageQuery; an empty search means no filter, as Umami. */
function pageQuery(q: PagingFields): PageQuery {
  return { page: q.page ?? 1, pageSize: q.pageSize ?? 20, ...(q.search ? { search: q.search } : {}) };
}

function paged<R, J>(page: { data: R[]; count: number }, q: PagingFields, map: (r: R) => J) {
  return {
    data: page.data.map(map),
    count: page.count,
    page: q.page ?? 1,
    pageSize: q.pageSize ?? 20,
    ...(q.search !== undefined ? { search: q.search } : {}),
  };
}

export const Ok = t.Object({ ok: t.Literal(true) });

// ------------------------------------------------------------------ users
export const User = t.Object(
  {
    id: Id(),
    username: t.String(),
    role: UserRoleSchema,
    isAdmin: t.Boolean(),
    createdAt: Time,
    updatedAt: Time,
  },
  { examples: [{ id: '0b9d3c52-7a57-4a0e-9f1e-2d2b6f1c0001', username: 'admin', role: 'admin', isAdmin: true, createdAt: '2026-01-02T03:04:05.600Z', updatedAt: '2026-01-02T03:04:05.600Z' }] },
);
export const userJson = (u: Pick<UserRecord, 'id' | 'username' | 'role' | 'createdAt' | 'updatedAt'>) => ({
  id: u.id, username: u.username, role: u.role, isAdmin: u.role === 'admin', createdAt: iso(u.createdAt), updatedAt: iso(u.updatedAt),
});

export const Username = t.String({ minLength: 1, maxLength: 255, examples: ['alice'] });
export const Password = t.String({ minLength: 8, maxLength: 255, examples: ['correct horse battery staple'] });

// ------------------------------------------------------------------ teams
export const Team = t.Object({
  id: Id(),
  name: t.String(),
  accessCode: t.Union([t.String(), t.Null()], {
    description: 'Lets a user join with POST /api/teams/join. Null unless the caller may add members (the team-owner, a team-manager, an admin): with it, a team-view-only member could leave and join again as team-member.',
    examples: ['team_3fR9kQ2mZx7LbN1c'],
  }),
  logoUrl: t.Union([t.String(), t.Null()]),
  createdAt: Time,
  updatedAt: Time,
  deletedAt: NullableTime,
  twoFactorRequired: t.Boolean({ description: "Umami's switch requiring its members to use a second factor: always false (Footfall has no second factor)" }),
});
/** `showCode`: whether the caller may see the access code (seesAccessCode). */
export const teamJson = (x: TeamRecord, showCode: boolean) => ({
  id: x.id, name: x.name, accessCode: showCode ? x.accessCode : null, logoUrl: x.logoUrl, createdAt: iso(x.createdAt), updatedAt: iso(x.updatedAt), deletedAt: iso(x.deletedAt),
  twoFactorRequired: false,
});

/** A membership row, as Umami's POST /api/teams answers it (the second element). */
export const TeamUser = t.Object({ id: Id(), teamId: Id(), userId: Id(), role: TeamRoleSchema, createdAt: Time, updatedAt: Time });
export const teamUserJson = (m: MemberRecord) => ({ id: m.id, teamId: m.teamId, userId: m.userId, role: m.role, createdAt: iso(m.createdAt), updatedAt: iso(m.updatedAt) });

/** A membership with its user's name, as the member lists answer it. */
export const Member = t.Composite([TeamUser, t.Object({ user: t.Object({ id: Id(), username: t.String() }) })]);

export const memberJson = (m: MemberRecord) => ({ ...teamUserJson(m), user: { id: m.userId, username: m.username } });

export const TeamWithMembers = t.Composite([Team, t.Object({ members: t.Array(Member) })]);

// ------------------------------------------------------------------ websites
export const Website = t.Object(
  {
    id: Id(),
    name: t.String(),
    domain: t.Union([t.String(), t.Null()]),
    shareId: t.Union([t.String(), t.Null()]),
    resetAt: NullableTime,
    userId: NullableId,
    teamId: NullableId,
    createdBy: NullableId,
    createdAt: Time,
    updatedAt: Time,
    deletedAt: NullableTime,
    recorderEnabled: t.Boolean({ description: "Umami's session recording switch: always false (Footfall records no sessions)" }),
    replayConfig: t.Null({ description: "Umami's session replay settings: always null" }),
    writeKey: t.String({ description: 'RudderStack write key for this website (rotate with POST /api/websites/{websiteId}/write-key)' }),
  },
  {
    examples: [{
      id: '0b9d3c52-7a57-4a0e-9f1e-2d2b6f1c0001', name: 'Blog', domain: 'blog.example.com', shareId: null, resetAt: null,
      userId: '4f1c9a52-7a57-4a0e-9f1e-2d2b6f1c0002', teamId: null, createdBy: '4f1c9a52-7a57-4a0e-9f1e-2d2b6f1c0002',
      createdAt: '2026-01-02T03:04:05.600Z', updatedAt: '2026-01-02T03:04:05.600Z', deletedAt: null, recorderEnabled: false, replayConfig: null,
      writeKey: '2QkZbq0yX1mWc8pN4rT6uV9aB3dE5fGh',
    }],
  },
);
export const websiteJson = (w: WebsiteRecord) => ({
  id: w.id, name: w.name, domain: w.domain, shareId: w.shareId, resetAt: iso(w.resetAt), userId: w.userId, teamId: w.teamId,
  createdBy: w.createdBy, createdAt: iso(w.createdAt), updatedAt: iso(w.updatedAt), deletedAt: iso(w.deletedAt), recorderEnabled: false, replayConfig: null,
  writeKey: w.writeKey,
});

/** Umami's SHARE_ID_REGEX. */
export const ShareId = t.String({ pattern: '^[a-zA-Z0-9]{8,16}$', examples: ['aB3dE5fGh'] });

// ------------------------------------------------------------------ pixels
export const Pixel = t.Object(
  {
    id: Id(),
    name: t.String(),
    slug: t.String({ description: 'Hits go to GET /p/{slug}' }),
    userId: NullableId,
    teamId: NullableId,
    createdAt: Time,
    updatedAt: Time,
    deletedAt: NullableTime,
  },
  {
    examples: [{
      id: '0b9d3c52-7a57-4a0e-9f1e-2d2b6f1c0003', name: 'Umami Pixel', slug: 'pixel123', userId: '4f1c9a52-7a57-4a0e-9f1e-2d2b6f1c0002', teamId: null,
      createdAt: '2025-10-27T18:50:54.079Z', updatedAt: '2025-10-27T18:50:54.079Z', deletedAt: null,
    }],
  },
);
/** Key order as Umami returns it: id, name, slug, userId, teamId, createdAt, updatedAt, deletedAt. */
export const pixelJson = (p: PixelRecord) => ({
  id: p.id, name: p.name, slug: p.slug, userId: p.userId, teamId: p.teamId, createdAt: iso(p.createdAt), updatedAt: iso(p.updatedAt), deletedAt: iso(p.deletedAt),
});

// ------------------------------------------------------------------ API keys
export const ApiKey = t.Object({
  id: Id(),
  name: t.String(),
  prefix: t.String({ description: 'First characters of the key, to tell keys apart', examples: ['footfall_3fR9kQ2m'] }),
  createdAt: Time,
  lastUsedAt: NullableTime,
});
export const apiKeyJson = (k: ApiKeyRecord) => ({ id: k.id, name: k.name, prefix: k.prefix, createdAt: iso(k.createdAt), lastUsedAt: iso(k.lastUsedAt) });
/** An API key as Umami's `/api/me/api-keys` answers it (keyPrefix, not prefix). */
export const UmamiApiKey = t.Object({ id: Id(), name: t.String(), keyPrefix: t.String({ description: 'First characters of the key, to tell keys apart', examples: ['footfall_3fR9kQ2m'] }), createdAt: Time, lastUsedAt: NullableTime });
export const umamiApiKeyJson = (k: ApiKeyRecord) => ({ id: k.id, name: k.name, keyPrefix: k.prefix, createdAt: iso(k.createdAt), lastUsedAt: iso(k.lastUsedAt) });
/** Umami's answer to creating one: no lastUsedAt. */
export const NewUmamiApiKey = t.Object({ id: Id(), name: t.String(), key: t.String({ description: 'The secret: shown this once, stored only as a hash' }), keyPrefix: t.String(), createdAt: Time });
export const newUmamiApiKeyJson = (k: ApiKeyRecord, key: string) => ({ id: k.id, name: k.name, key, keyPrefix: k.prefix, createdAt: iso(k.createdAt) });
export const NewApiKey = t.Composite([ApiKey, t.Object({ key: t.String({ description: 'The secret: shown this once, stored only as a hash', examples: ['footfall_3fR9kQ2mZx7LbN1cQ8wE4rT6yU0iO2pA5sD7fG9hJ1k'] }) })]);
