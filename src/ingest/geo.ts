/** @module IP address strings into country/region/city, read from any MaxMind-format .mmdb (nested or flat records). */
import { readFileSync } from 'node:fs';
import { Reader, validate } from 'maxmind';
import { Lru } from '../lib/lru.ts';
import { ipv4Number, normaliseIp } from '../lib/ip.ts';
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
  const fromTree = ipv4Tree(buf, md.nodeCount, md.recordSize, md.ipVersion);
  // Record (by its place in the data section) → location: the country database has a few hundred
  // records, a city database more, hence the bound.
  const byRecord = new Lru<number, GeoLocation>(50_000);
  const slow = (addr: string): GeoLocation => {
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
  };
  return {
    info: { databaseType: md.databaseType, buildDate: md.buildEpoch.toISOString().slice(0, 10) },
    lookup(ip) {
      const v4 = ipv4Number(ip);
      if (v4 < 0 || fromTree === null) return slow(unmapIpv4(ip.trim()));
      // A plain IPv4 address (nearly every lookup): walk the tree by hand, decode each record once.
      if (isNonPublicV4(v4)) return NONE;
      const record = fromTree(v4);
      if (record < 0) return NONE;
      let loc = byRecord.get(record);
      if (loc === undefined) byRecord.set(record, (loc = slow(ip)));
      return loc;
    },
  };
}

/**
 * The MaxMind DB search tree for IPv4 addresses: address → the data record's place (≥ 0), or -1
 * when the tree holds no record for it. Nodes are two records of 24, 28 or 32 bits; in an IPv6
 * tree IPv4 lives under 96 zero bits. Null for a layout this does not know (lookups then take
 * the reader's own path).
 */
function ipv4Tree(buf: Uint8Array, nodeCount: number, recordSize: number, ipVersion: number): ((v4: number) => number) | null {
  if (recordSize !== 24 && recordSize !== 28 && recordSize !== 32) return null;
  const nodeBytes = recordSize / 4;
  const record = (node: number, right: number): number => {
    const o = node * nodeBytes;
    if (recordSize === 24) {
      const p = o + right * 3;
      return (buf[p]! << 16) | (buf[p + 1]! << 8) | buf[p + 2]!;
    }
    if (recordSize === 28) {
      return right
        ? ((buf[o + 3]! & 0x0f) * 2 ** 24) + ((buf[o + 4]! << 16) | (buf[o + 5]! << 8) | buf[o + 6]!)
        : ((buf[o + 3]! >> 4) * 2 ** 24) + ((buf[o]! << 16) | (buf[o + 1]! << 8) | buf[o + 2]!);
    }
    const p = o + right * 4;
    return buf[p]! * 2 ** 24 + ((buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!);
  };
  let start = 0;
  if (ipVersion === 6) for (let i = 0; i < 96 && start < nodeCount; i++) start = record(start, 0);
  return (v4) => {
    let node = start;
    for (let bit = 31; bit >= 0 && node < nodeCount; bit--) node = record(node, (v4 >>> bit) & 1);
    return node > nodeCount ? node - nodeCount : -1;
  };
}

/** isNonPublic() for an IPv4 address as a number. */
function isNonPublicV4(v: number): boolean {
  const a = v >>> 24;
  const b = (v >>> 16) & 0xff;
  return (
    a === 0 || a === 10 || a === 127 || a >= 224 ||
    (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) ||
    (a === 198 && (b === 18 || b === 19))
  );
}

function readFileBytes(path: string): Uint8Array {
  // Sync read at open time only (start-up), never per lookup.
  return readFileSync(path);
}

/**
 * The --geoip-db file opened, or why it is not a MaxMind database (serve and systemd-unit refuse it
 * alike), said under `name`: the flag, or the environment name it was given by.
 */
export function openGeoDb(path: string, name = '--geoip-db'): GeoReader | string {
  try {
    return openGeoReader(path);
  } catch (e) {
    return `${name}: ${path} is not a MaxMind database: ${(e as Error).message}`;
  }
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

/**
 * `::ffff:8.8.8.8` (how a dual-stack socket reports IPv4 peers), or `::ffff:808:808` → `8.8.8.8`:
 * the trees key IPv4 apart, and not every database aliases the mapped range.
 */
function unmapIpv4(ip: string): string {
  return normaliseIp(ip);
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
