/** @module The SQLite schema as numbered migrations; PRAGMA user_version records the last one applied. */

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * Append only: a released migration never changes. Events get two indexes (per website and per
 * pixel, by time) because export and stats always filter on one of them; each index costs ~15 %
 * of insert speed (bench/flush.ts), so there are no others.
 */
export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'events and metadata',
    sql: `
      CREATE TABLE events (
        id TEXT NOT NULL,
        ts INTEGER NOT NULL,
        source TEXT NOT NULL,
        type TEXT NOT NULL,
        website_id TEXT,
        pixel_id TEXT,
        name TEXT,
        url TEXT,
        hostname TEXT,
        path TEXT,
        query TEXT,
        referrer TEXT,
        referrer_domain TEXT,
        target TEXT,
        status INTEGER,
        visitor_id TEXT,
        session_id TEXT,
        anonymous_id TEXT,
        user_id TEXT,
        browser TEXT,
        browser_version TEXT,
        os TEXT,
        os_version TEXT,
        device TEXT,
        country TEXT,
        region TEXT,
        city TEXT,
        utm_source TEXT,
        utm_medium TEXT,
        utm_campaign TEXT,
        utm_term TEXT,
        utm_content TEXT,
        properties TEXT,
        payload TEXT
      );
      CREATE INDEX events_website_ts ON events (website_id, ts) WHERE website_id IS NOT NULL;
      CREATE INDEX events_pixel_ts ON events (pixel_id, ts) WHERE pixel_id IS NOT NULL;

      CREATE TABLE salts (
        day TEXT PRIMARY KEY,
        salt BLOB NOT NULL
      );

      CREATE TABLE users (
        id TEXT PRIMARY KEY,
        username TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        deleted_at INTEGER
      );
      CREATE UNIQUE INDEX users_username ON users (username) WHERE deleted_at IS NULL;

      CREATE TABLE teams (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        access_code TEXT NOT NULL,
        logo_url TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        deleted_at INTEGER
      );
      CREATE UNIQUE INDEX teams_access_code ON teams (access_code);

      CREATE TABLE team_users (
        id TEXT PRIMARY KEY,
        team_id TEXT NOT NULL REFERENCES teams (id),
        user_id TEXT NOT NULL REFERENCES users (id),
        role TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE UNIQUE INDEX team_users_member ON team_users (team_id, user_id);
      CREATE INDEX team_users_user ON team_users (user_id);

      CREATE TABLE websites (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        domain TEXT,
        share_id TEXT,
        reset_at INTEGER,
        user_id TEXT,
        team_id TEXT,
        created_by TEXT,
        write_key TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        deleted_at INTEGER
      );
      CREATE UNIQUE INDEX websites_write_key ON websites (write_key);
      CREATE UNIQUE INDEX websites_share_id ON websites (share_id) WHERE share_id IS NOT NULL;
      CREATE INDEX websites_user ON websites (user_id);
      CREATE INDEX websites_team ON websites (team_id);

      CREATE TABLE pixels (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        slug TEXT NOT NULL,
        user_id TEXT,
        team_id TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        deleted_at INTEGER
      );
      CREATE UNIQUE INDEX pixels_slug ON pixels (slug) WHERE deleted_at IS NULL;
      CREATE INDEX pixels_user ON pixels (user_id);
      CREATE INDEX pixels_team ON pixels (team_id);

      CREATE TABLE auth_tokens (
        token_hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        revoked_at INTEGER
      );
      CREATE INDEX auth_tokens_user ON auth_tokens (user_id);

      CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        name TEXT NOT NULL,
        key_hash TEXT NOT NULL,
        prefix TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_used_at INTEGER,
        revoked_at INTEGER
      );
      CREATE UNIQUE INDEX api_keys_hash ON api_keys (key_hash);
      CREATE INDEX api_keys_user ON api_keys (user_id);
    `,
  },
  {
    version: 2,
    name: 'ids in lower case',
    // Ids are read in lower case since ids became case-insensitive (Umami's uuid columns); ids a
    // client gave in upper case before then are lowered so they stay reachable. An id whose
    // lower-case form is already taken (two records that differ only in case) keeps its case,
    // and so do the references to it: a reference is lowered only once its record is gone
    // under the old spelling. The events' references are scanned once (the upgrade of a 10M-
    // event database takes a few seconds).
    sql: `
      PRAGMA defer_foreign_keys = ON;
      UPDATE OR IGNORE users SET id = lower(id) WHERE id <> lower(id);
      UPDATE OR IGNORE teams SET id = lower(id) WHERE id <> lower(id);
      UPDATE OR IGNORE websites SET id = lower(id) WHERE id <> lower(id);
      UPDATE OR IGNORE pixels SET id = lower(id) WHERE id <> lower(id);
      UPDATE OR IGNORE team_users SET user_id = lower(user_id) WHERE user_id <> lower(user_id) AND user_id NOT IN (SELECT id FROM users);
      UPDATE OR IGNORE team_users SET team_id = lower(team_id) WHERE team_id <> lower(team_id) AND team_id NOT IN (SELECT id FROM teams);
      UPDATE websites SET user_id = lower(user_id) WHERE user_id <> lower(user_id) AND user_id NOT IN (SELECT id FROM users);
      UPDATE websites SET created_by = lower(created_by) WHERE created_by <> lower(created_by) AND created_by NOT IN (SELECT id FROM users);
      UPDATE websites SET team_id = lower(team_id) WHERE team_id <> lower(team_id) AND team_id NOT IN (SELECT id FROM teams);
      UPDATE pixels SET user_id = lower(user_id) WHERE user_id <> lower(user_id) AND user_id NOT IN (SELECT id FROM users);
      UPDATE pixels SET team_id = lower(team_id) WHERE team_id <> lower(team_id) AND team_id NOT IN (SELECT id FROM teams);
      UPDATE auth_tokens SET user_id = lower(user_id) WHERE user_id <> lower(user_id) AND user_id NOT IN (SELECT id FROM users);
      UPDATE api_keys SET user_id = lower(user_id) WHERE user_id <> lower(user_id) AND user_id NOT IN (SELECT id FROM users);
      UPDATE events SET website_id = lower(website_id) WHERE website_id <> lower(website_id) AND website_id NOT IN (SELECT id FROM websites);
      UPDATE events SET pixel_id = lower(pixel_id) WHERE pixel_id <> lower(pixel_id) AND pixel_id NOT IN (SELECT id FROM pixels);
    `,
  },
  {
    version: 3,
    name: 'events of no website or pixel, by time',
    // Prisme events on a host no website's domain covers (one accepted through --origins alone)
    // belong to no website; GET /api/events/unassigned/export reads them in time order through
    // this index. It holds only such events, so other inserts do not touch it.
    sql: `
      CREATE INDEX events_unassigned_ts ON events (ts) WHERE website_id IS NULL AND pixel_id IS NULL;
    `,
  },
];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
