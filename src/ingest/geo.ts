/** @module IP address strings into country/region/city, read from any MaxMind-format .mmdb (nested or flat records). */
import { readFileSync } from 'node:fs';
import { Reader, validate } from 'maxmind';
import { Lru } from '../lib/lru.ts';
// `type: 'file'` makes `bun build --compile` embed the database in the executable; at runtime
// (compiled or not) the import is a path that Bun.file() can read. CC0, IPv4 + IPv6, ~7.5 MB.
import embeddedCountryDb from '@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb' with { type: 'file' };

export interface GeoLocation {
  /** ISO 3166-1 alpha-2, upper case (`US`). */
  country: string | null;
  /** Subdivision ISO code (MaxMind) or name (ip-location-db `state1`). */
  region: string | null;
  city: string | null;
}

export interface GeoReader {
  /** Never throws: invalid, private or unknown addresses give all nulls. */
  lookup(ip: string): GeoLocation;
  /** For the start-up log line. `buildDate` is `YYYY-MM-DD` (UTC) from the database's build epoch. */
  info: { databaseType: string; buildDate: string };
}

const NONE: GeoLocation = Object.freeze({ country: null, region: null, city: null });

/** Reads the database embedded in the binary (async only because Bun.file is). */
export async function loadDefaultGeoDatabase(): Promise<Uint8Array> {
  return new Uint8Array(await Bun.file(embeddedCountryDb).arrayBuffer());
}

/** The embedded database's path (or `$bunfs` name inside a compiled binary). */
export function defaultGeoDatabase(): string {
  return embeddedCountryDb;
}

/** Opens a reader from a path or from the bytes of a .mmdb. Throws if the data is not a MaxMind DB. */
export function openGeoReader(source: string | Uint8Array): GeoReader {
  const bytes = typeof source === 'string' ? readFileBytes(source) : source;
  // mmdb-lib insists on a Buffer; wrapping shares the memory instead of copying ~8 MB.
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Many addresses share one record (a country DB has a few hundred): mmdb-lib's cache hook keeps
  // decoded records by data offset, and a WeakMap keeps our conversion of each, so a lookup is
  // the tree walk only (decoding was ~12 % of a /p/:slug hit's CPU). 10k bounds city databases.
  const decoded = new Lru<number, unknown>(10_000);
  const reader = new Reader<Record<string, unknown>>(buf, { cache: { get: (k: number) => decoded.get(k), set: (k: number, v: unknown) => decoded.set(k, v) } });
  const converted = new WeakMap<object, GeoLocation>();
  const md = reader.metadata;
  return {
    info: { databaseType: md.databaseType, buildDate: md.buildEpoch.toISOString().slice(0, 10) },
    lookup(ip) {
      const addr = unmapIpv4(ip.trim());
      if (!validate(addr) || isNonPublic(addr)) return NONE;
      try {
        const rec = reader.get(addr);
        if (!rec) return NONE;
        let loc = converted.get(rec);
        if (!loc) converted.set(rec, (loc = Object.freeze(fromRecord(rec))));
        return loc;
      } catch {
        return NONE;
      }
    },
  };
}

function readFileBytes(path: string): Uint8Array {
  // Sync read at open time only (start-up), never per lookup.
  return readFileSync(path);
}

/** Both record layouts: MaxMind's nested objects and ip-location-db's flat columns. */
export function fromRecord(rec: Record<string, unknown>): GeoLocation {
  const country = str(get(rec, 'country', 'iso_code')) ?? str(get(rec, 'registered_country', 'iso_code')) ??
    str(rec['country_code']);
  const subs = rec['subdivisions'];
  const sub0 = Array.isArray(subs) ? (subs[0] as Record<string, unknown> | undefined) : undefined;
  const region = (sub0 && (str(sub0['iso_code']) ?? str(get(sub0, 'names', 'en')))) ?? str(rec['state1']);
  const city = str(get(rec, 'city', 'names', 'en')) ?? str(rec['city']);
  return { country: country?.toUpperCase() ?? null, region, city };
}

function get(o: unknown, ...keys: string[]): unknown {
  for (const k of keys) {
    if (o === null || typeof o !== 'object') return undefined;
    o = (o as Record<string, unknown>)[k];
  }
  return o;
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

/** `::ffff:8.8.8.8` (how a dual-stack socket reports IPv4 peers) → `8.8.8.8`; the trees key IPv4 apart. */
function unmapIpv4(ip: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return m ? m[1]! : ip;
}

/**
 * Private, loopback, link-local, CGNAT and other special ranges have no country. Checked here
 * because the embedded whois-based database answers `AU` for 192.168.1.1.
 */
export function isNonPublic(ip: string): boolean {
  if (ip.includes(':')) {
    const h = ip.toLowerCase();
    return (
      h === '::' || h === '::1' || /^f[cd]/.test(h) || /^fe[89ab]/.test(h) || h.startsWith('ff') ||
      h.startsWith('2001:db8:') || h.startsWith('64:ff9b:')
    );
  }
  const [a = 0, b = 0] = ip.split('.').map(Number);
  return (
    a === 0 || a === 10 || a === 127 || a >= 224 ||
    (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) ||
    (a === 198 && (b === 18 || b === 19))
  );
}
