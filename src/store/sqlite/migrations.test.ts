import { describe, expect, it } from 'bun:test';
import { join } from 'node:path';
import { tempDir } from '../../../test/helpers/temp-dir.ts';
import { LATEST_VERSION, MIGRATIONS } from './migrations.ts';
import { openDatabase, schemaVersion } from './open-database.ts';

const U = (hex: string) => `${hex}AAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE`.slice(0, 36);

describe('migration 2: ids in lower case', () => {
  it('lowers upper-case ids and every reference to them, events included, and leaves an id whose lower case is taken as it is', () => {
    const path = join(tempDir('footfall-migrate-'), 'footfall.db');
    const v1 = openDatabase(path, MIGRATIONS.slice(0, 1));
    const user = U('AA'), team = U('BB'), site = U('CC'), pixel = U('DD'), twin = U('EE');
    v1.exec(`
      INSERT INTO users VALUES ('${user}', 'alice', 'h', 'user', 1, 1, NULL);
      INSERT INTO teams VALUES ('${team}', 'T', 'team_x', NULL, 1, 1, NULL);
      INSERT INTO team_users VALUES ('m1', '${team}', '${user}', 'team-owner', 1, 1);
      INSERT INTO websites VALUES ('${site}', 'S', 's.example', NULL, NULL, '${user}', NULL, '${user}', 'wk1', 1, 1, NULL);
      INSERT INTO pixels VALUES ('${pixel}', 'P', 'pixel-one', NULL, '${team}', 1, 1, NULL);
      INSERT INTO pixels VALUES ('${twin}', 'Upper twin', 'pixel-two', '${user}', NULL, 1, 1, NULL);
      INSERT INTO pixels VALUES ('${twin.toLowerCase()}', 'Lower twin', 'pixel-three', '${user}', NULL, 1, 1, NULL);
      INSERT INTO api_keys VALUES ('k1', '${user}', 'key', 'hash', 'footfall_x', 1, NULL, NULL);
      INSERT INTO events (id, ts, source, type, website_id) VALUES ('e1', 1, 'prisme', 'pageview', '${site}');
      INSERT INTO events (id, ts, source, type, pixel_id) VALUES ('e2', 2, 'pixel', 'pixel', '${pixel}');
      INSERT INTO events (id, ts, source, type, pixel_id) VALUES ('e3', 3, 'pixel', 'pixel', '${twin}');
    `);
    v1.close();
    const db = openDatabase(path);
    expect(schemaVersion(db)).toBe(LATEST_VERSION);
    const one = (sql: string) => Object.values(db.query(sql).get() as Record<string, unknown>);
    expect(one('SELECT id FROM users')).toEqual([user.toLowerCase()]);
    expect(one('SELECT id FROM teams')).toEqual([team.toLowerCase()]);
    expect(one('SELECT team_id, user_id FROM team_users')).toEqual([team.toLowerCase(), user.toLowerCase()]);
    expect(one('SELECT id, user_id, created_by FROM websites')).toEqual([site.toLowerCase(), user.toLowerCase(), user.toLowerCase()]);
    expect(one(`SELECT id, team_id FROM pixels WHERE slug = 'pixel-one'`)).toEqual([pixel.toLowerCase(), team.toLowerCase()]);
    expect(one('SELECT user_id FROM api_keys')).toEqual([user.toLowerCase()]);
    // Two pixels that differ only in case: the upper-case one keeps its id, and its hits stay its own.
    expect(db.query(`SELECT id, name FROM pixels WHERE slug <> 'pixel-one' ORDER BY name`).all()).toEqual([
      { id: twin.toLowerCase(), name: 'Lower twin' },
      { id: twin, name: 'Upper twin' },
    ]);
    expect(db.query('SELECT id, website_id, pixel_id FROM events ORDER BY ts').all()).toEqual([
      { id: 'e1', website_id: site.toLowerCase(), pixel_id: null },
      { id: 'e2', website_id: null, pixel_id: pixel.toLowerCase() },
      { id: 'e3', website_id: null, pixel_id: twin },
    ]);
    expect(db.query('PRAGMA foreign_key_check').all()).toEqual([]);
    db.close();
  });
});

describe('migration 3: an index of the events of no website or pixel', () => {
  it('reads them in time order through the index, not by sorting the table', () => {
    const db = openDatabase(':memory:');
    expect(schemaVersion(db)).toBe(3);
    const plan = (db.query(`EXPLAIN QUERY PLAN SELECT id FROM events WHERE website_id IS NULL AND pixel_id IS NULL AND ts >= ? AND (ts, rowid) > (?, ?) ORDER BY ts, rowid LIMIT 256`).all(0, 0, -1) as { detail: string }[]).map((r) => r.detail).join('; ');
    expect(plan).toContain('events_unassigned_ts');
    expect(plan).not.toContain('TEMP B-TREE');
  });
});
