/** @module Everything the Prisme handlers share: sessions, UA parser, geo, salts and origins, built once from config. */
import type { Clock } from '../lib/clock.ts';
import { cachedUrlParser, type PageUrl } from './url.ts';
import type { GeoReader } from './geo.ts';
import type { OriginRegistry } from './origin-registry.ts';
import { PrismeSessionStore } from './prisme-sessions.ts';
import type { UserAgentParser } from './user-agent.ts';
import { newProcessSalt, SaltKeeper, type SaltStore } from './visitor-id.ts';

export interface PrismeContext {
  clock: Clock;
  ua: UserAgentParser;
  geo: GeoReader;
  origins: OriginRegistry;
  sessions: PrismeSessionStore;
  salts: SaltKeeper;
  /** Lives as long as the process: device ids are for session matching only, never stored. */
  processSalt: Uint8Array;
  /** How long custom/click events wait for their page's session (Prisme: the 3 s request deadline). */
  eventsTimeoutMs: number;
  /** parsePageUrl behind a bounded cache: a site's pages and referrers repeat (~4 µs saved per hit). */
  parseUrl(s: string): PageUrl | null;
}

/**
 * Fallback when no --max-sessions is given (tests). A device entry with one session costs ~1 KB
 * of RSS under load (URLs, parsed client, UTM, the LRU's Map entry and GC slack): 20k ≈ 20 MB.
 * Measured with 1M distinct addresses (bench/mixed-load.ts addresses): peak RSS 241 MB at 50k
 * devices + 200k limiter keys, 190 MB at 20k + 50k, 148 MB at 1k + 1k (the floor under load).
 */
export const MAX_DEVICES = 20_000;

export function createPrismeContext(o: {
  clock: Clock;
  ua: UserAgentParser;
  geo: GeoReader;
  origins: OriginRegistry;
  saltStore: SaltStore;
  eventsTimeoutMs: number;
  maxDevices?: number;
  /** Where the salt keeper reports a failed save. */
  warn?: (msg: string, fields?: Record<string, unknown>) => void;
}): PrismeContext {
  return {
    clock: o.clock,
    ua: o.ua,
    geo: o.geo,
    origins: o.origins,
    sessions: new PrismeSessionStore({ clock: o.clock, maxDevices: o.maxDevices ?? MAX_DEVICES }),
    salts: new SaltKeeper(o.saltStore, o.clock, o.warn),
    processSalt: newProcessSalt(),
    eventsTimeoutMs: o.eventsTimeoutMs,
    parseUrl: cachedUrlParser(),
  };
}
