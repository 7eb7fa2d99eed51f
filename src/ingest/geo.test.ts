import { beforeAll, describe, expect, it } from 'bun:test';
import { writeMmdb } from '../../test/helpers/mmdb-writer.ts';
import { tempDir } from '../../test/helpers/temp-dir.ts';
import { Reader } from 'maxmind';
import { type GeoReader, fromRecord, isNonPublic, loadDefaultGeoDatabase, openGeoReader } from './geo.ts';

const NULLS = { country: null, region: null, city: null };

describe('openGeoReader with the embedded country database', () => {
  let geo: GeoReader;
  beforeAll(async () => {
    geo = openGeoReader(await loadDefaultGeoDatabase());
  });

  it('describes itself as an all-IP-versions country database', () => {
    expect(geo.info.databaseType).toBe('country ipvAll');
    expect(geo.info.buildDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('places 8.8.8.8 in the US', () => {
    expect(geo.lookup('8.8.8.8')).toEqual({ country: 'US', region: null, city: null });
  });

  it('places Google public DNS over IPv6 in the US', () => {
    expect(geo.lookup('2001:4860:4860::8888').country).toBe('US');
  });

  it('reads an IPv4-mapped IPv6 peer address as its IPv4 address, in its hex spelling too', () => {
    expect(geo.lookup('::ffff:8.8.8.8').country).toBe('US');
    expect(geo.lookup('::ffff:808:808').country).toBe('US');
    expect(geo.lookup('::ffff:5102:45a0').country).toBe('GB');
  });

  it('gives nulls for private, loopback and CGNAT addresses', () => {
    for (const ip of ['10.1.2.3', '192.168.1.1', '172.16.0.1', '127.0.0.1', '100.64.0.1', '::1', 'fd00::1', 'fe80::1']) {
      expect(geo.lookup(ip)).toEqual(NULLS);
    }
  });

  it('gives nulls for garbage instead of throwing', () => {
    for (const ip of ['garbage', '', '1.2.3', '999.1.1.1', '8.8.8.8, 1.1.1.1', '::g']) {
      expect(geo.lookup(ip)).toEqual(NULLS);
    }
  });
});

describe('openGeoReader with city databases', () => {
  const maxmindCity = writeMmdb(
    [
      {
        cidr: '81.2.69.0/24',
        record: {
          city: { geoname_id: 2643743, names: { en: 'London', de: 'London' } },
          country: { iso_code: 'GB', names: { en: 'United Kingdom' } },
          subdivisions: [{ iso_code: 'ENG', names: { en: 'England' } }],
        },
      },
      {
        cidr: '2a02:ff00::/32',
        record: { country: { iso_code: 'IT' }, city: { names: { en: 'Milan' } }, subdivisions: [{ names: { en: 'Lombardy' } }] },
      },
    ],
    { databaseType: 'GeoLite2-City', buildEpochSeconds: 1_767_225_600 },
  );
  const flatCity = writeMmdb(
    [{ cidr: '1.0.0.0/24', record: { city: 'Brisbane', state1: 'Queensland', country_code: 'AU' } }],
    { databaseType: 'dbip-city-ipv4', buildEpochSeconds: 1_767_225_600 },
  );

  it('reads the nested MaxMind layout: country code, subdivision code and English city name', () => {
    const geo = openGeoReader(maxmindCity);
    expect(geo.info).toEqual({ databaseType: 'GeoLite2-City', buildDate: '2026-01-01' });
    expect(geo.lookup('81.2.69.160')).toEqual({ country: 'GB', region: 'ENG', city: 'London' });
  });

  it('falls back to the subdivision name when it has no code', () => {
    expect(openGeoReader(maxmindCity).lookup('2a02:ff00::1')).toEqual({ country: 'IT', region: 'Lombardy', city: 'Milan' });
  });

  it('reads the flat ip-location-db layout', () => {
    expect(openGeoReader(flatCity).lookup('1.0.0.7')).toEqual({ country: 'AU', region: 'Queensland', city: 'Brisbane' });
  });

  it('gives nulls for an address with no record', () => {
    expect(openGeoReader(flatCity).lookup('8.8.8.8')).toEqual(NULLS);
  });

  it('opens a database from a file path', async () => {
    const path = `${tempDir('footfall-geo-')}/city.mmdb`;
    await Bun.write(path, flatCity);
    expect(openGeoReader(path).lookup('1.0.0.1').city).toBe('Brisbane');
  });

  it('refuses bytes that are not a MaxMind database', () => {
    expect(() => openGeoReader(new Uint8Array([1, 2, 3]))).toThrow();
  });

  it('uses the registered country when a record has no country', () => {
    expect(fromRecord({ registered_country: { iso_code: 'de' } })).toEqual({ country: 'DE', region: null, city: null });
  });
});

describe('the IPv4 fast path (our own walk of the search tree)', () => {
  it('agrees with the maxmind reader on 20,000 random IPv4 addresses of the embedded database', async () => {
    const bytes = await loadDefaultGeoDatabase();
    const geo = openGeoReader(bytes);
    const reader = new Reader<Record<string, unknown>>(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    let seed = 99;
    const rnd = () => (seed = (seed * 48271) % 2147483647) & 0xff;
    let located = 0;
    for (let i = 0; i < 20_000; i++) {
      const ip = `${rnd()}.${rnd()}.${rnd()}.${rnd()}`;
      const rec = isNonPublic(ip) ? null : reader.get(ip);
      const expected = rec ? fromRecord(rec) : NULLS;
      if (expected.country) located++;
      expect([ip, geo.lookup(ip)]).toEqual([ip, expected]);
    }
    expect(located).toBeGreaterThan(15_000);
  });

  for (const recordSize of [24, 28, 32] as const) {
    it(`reads ${recordSize}-bit records`, () => {
      const db = writeMmdb(
        [
          { cidr: '81.2.69.0/24', record: { country: { iso_code: 'GB' }, city: { names: { en: 'London' } } } },
          { cidr: '81.2.70.0/23', record: { country: { iso_code: 'FR' } } },
          { cidr: '2a02:ff00::/32', record: { country: { iso_code: 'IT' } } },
        ],
        { databaseType: 'GeoLite2-City', buildEpochSeconds: 1_767_225_600, recordSize },
      );
      const geo = openGeoReader(db);
      expect(geo.lookup('81.2.69.160')).toEqual({ country: 'GB', region: null, city: 'London' });
      expect(geo.lookup('81.2.71.1')).toEqual({ country: 'FR', region: null, city: null });
      expect(geo.lookup('81.2.72.1')).toEqual(NULLS);
      expect(geo.lookup('2a02:ff00::1')).toEqual({ country: 'IT', region: null, city: null });
      expect(geo.lookup('::ffff:81.2.69.1')).toEqual({ country: 'GB', region: null, city: 'London' });
    });
  }
});
