import { describe, expect, it } from 'bun:test';
import { Database } from 'bun:sqlite';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBinary, startBinary, tempDir } from '../helpers/binary.ts';
import { writeMmdb } from '../helpers/mmdb-writer.ts';

const SITE = 'http://mywebsite.localhost';

describe('dist/footfall --geoip-db', () => {
  it('enriches hits from the MaxMind-format database it is given (city layout) instead of the embedded one', async () => {
    const file = join(tempDir(), 'city.mmdb');
    writeFileSync(file, writeMmdb(
      [{ cidr: '81.2.69.0/24', record: { city: { names: { en: 'London' } }, country: { iso_code: 'GB' }, subdivisions: [{ iso_code: 'ENG' }] } }],
      { databaseType: 'GeoLite2-City', buildEpochSeconds: 1_767_225_600 },
    ));
    const ff = await startBinary(['--geoip-db', file, '--origins', 'mywebsite.localhost', '--trust-proxy']);
    for (const ip of ['81.2.69.160', '8.8.8.8']) {
      const res = await fetch(`${ff.url}/api/v1/events/pageviews`, { method: 'POST', headers: { origin: SITE, 'x-prisme-referrer': `${SITE}/${ip}`, 'x-forwarded-for': ip, 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0' } });
      expect(res.status).toBe(200);
    }
    expect(ff.log()).toContain('"msg":"geoip database","type":"GeoLite2-City","built":"2026-01-01"');
    expect(await ff.stop()).toBe(0);
    const db = new Database(join(ff.dataDir, 'footfall.db'), { readonly: true });
    const rows = db.query('SELECT path, country, region, city FROM events ORDER BY path').all();
    db.close();
    // 8.8.8.8 is not in this database: nothing is made up for it (the embedded one would say US).
    expect(rows).toEqual([
      { path: '/8.8.8.8', country: null, region: null, city: null },
      { path: '/81.2.69.160', country: 'GB', region: 'ENG', city: 'London' },
    ]);
  });

  it('exits 2 naming the option when the file cannot be read or is not a MaxMind database, with the other bad options', () => {
    const notMmdb = join(tempDir(), 'not.mmdb');
    writeFileSync(notMmdb, 'hello');
    const missing = join(tempDir(), 'missing.mmdb');
    for (const [file, says] of [[missing, `--geoip-db: cannot read ${missing}`], [notMmdb, `--geoip-db: ${notMmdb} is not a MaxMind database`]]) {
      const r = runBinary(['serve', '--port', '70000', '--data-dir', tempDir(), '--geoip-db', file!]);
      expect([file, r.code]).toEqual([file, 2]);
      expect(r.stderr).toContain(says!);
      expect(r.stderr).toContain('--port');
    }
    // Given by its environment name, it is named so, alone (the database then opens in the second image) as with others.
    for (const port of ['70000', '0']) {
      const r = runBinary(['serve', '--port', port, '--data-dir', tempDir()], { FOOTFALL_GEOIP_DB: notMmdb });
      expect([port, r.code]).toEqual([port, 2]);
      expect(r.stderr).toContain(`FOOTFALL_GEOIP_DB: ${notMmdb} is not a MaxMind database`);
    }
  });
});
