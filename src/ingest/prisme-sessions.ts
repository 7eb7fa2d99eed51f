/** @module Prisme pageviews into per-device sessions (new / moved / cloned / bot), and event lookups that wait for a session. */
import { detach } from '../lib/detach.ts';
import type { Clock } from '../lib/clock.ts';
import { Lru } from '../lib/lru.ts';
import { uuidv7 } from '../lib/uuid.ts';
import type { GeoLocation } from './geo.ts';
import type { ParsedUserAgent } from './user-agent.ts';
import { CACHED_URL_MAX, type PageUrl, type Utm, referrerDomain, utmFrom } from './url.ts';
import { SessionWaiters } from './session-waiters.ts';

/** A device id (visitor-id.ts `deviceKey`: 53 bits as a number, the fastest Map key), or any string key. */
export type DeviceKey = number | bigint | string;

/** Never changed once made (a move or a clone is a new object), so callers and waiters may keep one. */
export interface PrismeSession extends Utm {
  /** UUIDv7: its time is the session start. */
  sessionId: string;
  visitorId: string;
  /**
   * The path of the page the session is on now; events attach to the session whose `latestPath`
   * is their page path. (Only the path is kept: 20k sessions holding whole URLs kept ~10 MB of
   * parsed URLs alive that the URL cache had already let go.)
   */
  latestPath: string;
  /** Host of the document referrer at entry, `direct` when none. */
  referrerDomain: string;
  client: ParsedUserAgent;
  /** Country, region and city of the address that opened the session (shared with the geo reader's cache). */
  geo: GeoLocation;
  /** 1 for a new session, +1 per move; Prisme stores it as the session row's version. */
  pageviews: number;
  /** ms since epoch of the last pageview (creation, move or clone). */
  lastSeen: number;
}

export interface PageviewInput {
  device: DeviceKey;
  page: PageUrl;
  /** The document referrer (`X-Prisme-Document-Referrer` / `document-referrer`), null when none. */
  referrer: PageUrl | null;
  /** `X-Prisme-Visitor-Id` / `visitor-id` when non-empty, else null. */
  visitorId: string | null;
  /** Computes the automatic `prisme_…` id; only called when a session is created. */
  autoVisitorId: () => string;
  client: ParsedUserAgent;
  /** Checked only when a new session would be created (Prisme answers 400 then). */
  isBot: boolean;
  /** Looked up only when a session is created (most pageviews continue one): no work for the others. */
  geo: () => GeoLocation;
}

/** What the caller stores: `new`/`moved` → a pageview row for `session`; otherwise nothing. */
export type PageviewOutcome =
  | { kind: 'new'; session: Readonly<PrismeSession> }
  | { kind: 'moved'; session: Readonly<PrismeSession> }
  | { kind: 'clone-nothing-stored' }
  | { kind: 'bot' };

/** A pageview's outcome, and the change to the sessions that makes it so (planPageview). */
export interface PageviewPlan {
  outcome: PageviewOutcome;
  apply: () => void;
}

const CLONED: PageviewOutcome = { kind: 'clone-nothing-stored' };
const BOT: PageviewPlan = { outcome: { kind: 'bot' }, apply: () => {} };

export interface PrismeSessionOptions {
  clock: Clock;
  /** Hard cap on devices held; the least recently active device is dropped beyond it. */
  maxDevices: number;
  /** Prisme keeps at most 64 sessions (tabs, forks) per device. */
  maxSessionsPerDevice?: number;
  /**
   * Cap on sessions of all devices together (default 4 × maxDevices): without it the per-device
   * cap multiplies the device cap, and visitors forking sessions on purpose could hold 64 per
   * device. Beyond it the least recently active devices are forgotten, as beyond maxDevices.
   */
  maxSessions?: number;
  /**
   * Cap on what the sessions of all devices together hold, as sessionBytes() counts it (default
   * 400 B × maxSessions, 32 MB for 20k devices): a session keeps its page's path, UTM values and
   * referrer host, each up to 8 KB, so the count caps alone would let long URLs hold gigabytes.
   * Beyond it the least recently active devices are forgotten, as beyond maxDevices.
   */
  maxBytes?: number;
  /** Prisme ends a session after 24 h without a pageview. */
  idleTtlMs?: number;
  /** Cap on pending waitForSession calls; beyond it a wait answers null at once. */
  maxWaiters?: number;
  /**
   * Cap on what pending waits hold (their paths, and what each caller says it holds while it
   * waits: a custom event's properties, a click's target, the request's headers; asked only when
   * it has to wait), default 32 MiB; beyond it as maxWaiters.
   */
  maxWaiterBytes?: number;
}

/** What a wait for a page's session is answered with: the session, and which of the pages asked it is on. */
type SessionHit = { session: Readonly<PrismeSession>; path: string };

const DAY_MS = 86_400_000;
/** A session object, its ids and its share of its device's list, beyond its texts (sessionBytes). */
const SESSION_BYTES = 256;
const MIB = 1024 * 1024;
const NOTHING = () => 0;

/** What a session holds, for the byte cap: a fixed part and its own texts (the parsed UA is shared). */
export function sessionBytes(s: PrismeSession): number {
  return SESSION_BYTES + s.latestPath.length + s.visitorId.length + s.referrerDomain.length + (s.utmSource?.length ?? 0)
    + (s.utmMedium?.length ?? 0) + (s.utmCampaign?.length ?? 0) + (s.utmTerm?.length ?? 0) + (s.utmContent?.length ?? 0);
}

export class PrismeSessionStore {
  private readonly devices: Lru<DeviceKey, PrismeSession[]>;
  private readonly clock: Clock;
  private readonly perDevice: number;
  private readonly ttl: number;
  /** Events waiting for their page's session. */
  private readonly waiters: SessionWaiters<SessionHit>;
  /** Sessions held, all devices together (kept equal to the sum of the lists' lengths). */
  private sessionCount = 0;
  private readonly maxSessions: number;
  /** sessionBytes() of every session held (kept equal to the sum over the lists). */
  private heldBytes = 0;
  private readonly maxBytes: number;

  constructor(opts: PrismeSessionOptions) {
    this.devices = new Lru(opts.maxDevices, (_, list) => this.forget(list));
    this.maxSessions = opts.maxSessions ?? opts.maxDevices * 4;
    this.maxBytes = opts.maxBytes ?? this.maxSessions * 400;
    this.clock = opts.clock;
    this.perDevice = opts.maxSessionsPerDevice ?? 64;
    this.ttl = opts.idleTtlMs ?? DAY_MS;
    // 10k pending waits ≈ 10k concurrent event requests held ≤ 3 s each: far above what one
    // process with a 60/min/IP limiter sees, yet only a few MB.
    this.waiters = new SessionWaiters(opts.maxWaiters ?? 10_000, opts.maxWaiterBytes ?? 32 * MIB);
  }

  /**
   * Prisme's pageview algorithm (upstream.md §3.4) without its effect: what to store, and `apply`, the change to the
   * sessions that makes it so. The caller applies it only once the pageview's event is taken (a
   * pageview refused for a full buffer must not move its session: its retry would read as a
   * reload, stored as nothing, and the page's events would wait on a page the visitor never got
   * to), and in the same turn, before any other pageview reaches this store.
   */
  planPageview(input: PageviewInput): PageviewPlan {
    const now = this.clock();
    const { device, page, referrer } = input;
    const internal = referrer !== null && referrer.host === page.host;

    if (internal) {
      const list = this.devices.get(device);
      const at = list ? this.indexOn(list, referrer.path, now) : -1;
      if (at >= 0) {
        // Sessions are never changed in place (a waiter or caller may still hold one): the move is a new object.
        const from = list![at]!;
        const moved: PrismeSession = {
          ...from,
          latestPath: owned(page.path, page),
          pageviews: from.pageviews + 1,
          lastSeen: now,
          visitorId: input.visitorId || from.visitorId,
        };
        return { outcome: { kind: 'moved', session: moved }, apply: () => this.move(device, from, moved) };
      }
      // Reload or duplicated tab of an inner page: follow the copy from now on, store nothing.
      const clone = this.cloneOnPage(device, page, now);
      if (clone) return { outcome: CLONED, apply: () => this.addCopy(device, clone) };
      if (input.isBot) return BOT;
    } else {
      if (input.isBot) return BOT;
      // A reload of the landing page is not a new visit.
      const clone = this.cloneOnPage(device, page, now);
      if (clone) return { outcome: CLONED, apply: () => this.addCopy(device, clone) };
    }

    const utm = utmFrom(page);
    const session: PrismeSession = {
      sessionId: uuidv7(now),
      visitorId: input.visitorId || input.autoVisitorId(),
      latestPath: owned(page.path, page),
      referrerDomain: referrer === null ? referrerDomain(null) : owned(referrerDomain(referrer), referrer),
      utmSource: ownedOrNull(utm.utmSource, page),
      utmMedium: ownedOrNull(utm.utmMedium, page),
      utmCampaign: ownedOrNull(utm.utmCampaign, page),
      utmTerm: ownedOrNull(utm.utmTerm, page),
      utmContent: ownedOrNull(utm.utmContent, page),
      client: input.client,
      geo: input.geo(),
      pageviews: 1,
      lastSeen: now,
    };
    return { outcome: { kind: 'new', session }, apply: () => this.add(device, session) };
  }

  /** A planned move: `moved` replaces `from` at the end of the device's list, as Prisme keeps it. */
  private move(device: DeviceKey, from: PrismeSession, moved: PrismeSession): void {
    const list = this.devices.get(device);
    const at = list ? list.indexOf(from) : -1;
    // Planned in this turn, so `from` is still there; were it not, the move stands as a session of its own.
    if (at < 0) return this.add(device, moved);
    // To the end of the device's list (updateDeviceSessionExpiry): of two sessions on one path,
    // events and next pageviews join the one moved there first.
    list!.splice(at, 1);
    list!.push(moved);
    this.heldBytes += sessionBytes(moved) - sessionBytes(from);
    this.enforceCaps(device);
    this.publish(device, moved);
  }

  /** A planned new session or copy joins its device and wakes the events waiting on its page. */
  private add(device: DeviceKey, session: PrismeSession): void {
    this.insert(device, session);
    this.publish(device, session);
  }

  /**
   * A planned copy (a reload, a duplicated tab) joins its device unless the device already holds
   * its most: then, as Prisme refuses a session past the cap, there is no copy, and the session it
   * copies (still on that page, the first there) goes on serving the tab. Making room instead
   * would drop the longest idle session, which for a page reloaded again and again is the visit's
   * own (a reload never refreshes it), and its next page would join a copy no pageview began.
   */
  private addCopy(device: DeviceKey, copy: PrismeSession): void {
    const list = this.devices.get(device);
    if (list && this.liveCount(list, copy.lastSeen) >= this.perDevice) return;
    this.add(device, copy);
  }

  private liveCount(list: PrismeSession[], now: number): number {
    let n = 0;
    for (const s of list) if (now - s.lastSeen < this.ttl) n++;
    return n;
  }

  /** The first live session of this device whose latest path is `path`, or null. */
  findSession(device: DeviceKey, path: string): Readonly<PrismeSession> | null {
    return this.find(device, path, this.clock()) ?? null;
  }

  /**
   * The session on `path`, now or as soon as a pageview puts one there; null after `timeoutMs`
   * (Prisme: custom/click events wait up to the 3 s request deadline for their pageview).
   */
  async waitForSession(device: DeviceKey, path: string, timeoutMs: number, held: () => number = NOTHING): Promise<Readonly<PrismeSession> | null> {
    const hit = await this.waitAny(device, [path], timeoutMs, held);
    return hit?.session ?? null;
  }

  /**
   * For ping requests and noscript outbound clicks: the session on the page's path, else on the
   * site root `/`, waiting up to `timeoutMs` for either. `path` says which one matched (it is
   * the path stored with the event).
   */
  waitForSessionOrRoot(
    device: DeviceKey,
    page: PageUrl,
    timeoutMs: number,
    held: () => number = NOTHING,
  ): Promise<SessionHit | null> {
    return this.waitAny(device, page.path === '/' ? ['/'] : [page.path, '/'], timeoutMs, held);
  }

  /** Drops idle sessions and empty devices; run it every ~10 s (Prisme's GC period). */
  sweep(now: number = this.clock()): { sessionsRemoved: number; devicesRemoved: number } {
    let sessionsRemoved = 0;
    let devicesRemoved = 0;
    for (const key of [...this.devices.keys()]) {
      const list = this.devices.peek(key)!;
      const live = list.filter((s) => now - s.lastSeen < this.ttl);
      if (live.length === list.length) continue;
      sessionsRemoved += list.length - live.length;
      this.sessionCount -= list.length - live.length;
      for (const s of list) if (now - s.lastSeen >= this.ttl) this.heldBytes -= sessionBytes(s);
      if (live.length === 0) {
        this.devices.delete(key);
        devicesRemoved++;
      } else {
        list.splice(0, list.length, ...live);
      }
    }
    return { sessionsRemoved, devicesRemoved };
  }

  stats(): { devices: number; sessions: number; waiters: number; bytes: number; waiterBytes: number } {
    return { devices: this.devices.size, sessions: this.sessionCount, waiters: this.waiters.count, bytes: this.heldBytes, waiterBytes: this.waiters.bytes };
  }

  /** Answers every pending wait with null, and every later one at once (shutdown). */
  close(): void {
    this.waiters.close();
  }

  private find(device: DeviceKey, path: string, now: number): PrismeSession | undefined {
    const list = this.devices.get(device);
    if (!list) return undefined;
    const at = this.indexOn(list, path, now);
    return at >= 0 ? list[at] : undefined;
  }

  /** Where the first live session on `path` is in a device's list, or -1. */
  private indexOn(list: PrismeSession[], path: string, now: number): number {
    // Lazy expiry: a session idle for the TTL is invisible even before sweep() removes it.
    for (let i = 0; i < list.length; i++) if (list[i]!.latestPath === path && now - list[i]!.lastSeen < this.ttl) return i;
    return -1;
  }

  /** A copy of the device's session on this page, if there is one (a reload or a duplicated tab), not yet added. */
  private cloneOnPage(device: DeviceKey, page: PageUrl, now: number): PrismeSession | null {
    const on = this.find(device, page.path, now);
    // The copy keeps the pageview count: two tabs that then diverge each continue at version 2.
    return on ? { ...on, sessionId: uuidv7(now), lastSeen: now } : null;
  }

  private insert(device: DeviceKey, session: PrismeSession): void {
    const now = session.lastSeen;
    let list = this.devices.get(device);
    if (!list) {
      list = [];
      this.devices.set(device, list);
    }
    for (let i = list.length - 1; i >= 0; i--) if (now - list[i]!.lastSeen >= this.ttl) this.remove(list, i);
    if (list.length >= this.perDevice) {
      // A new visit (not a copy: addCopy). Prisme refuses the 65th session: the pageview is
      // stored, but the visit keeps no session (its events get 400, each next page is a new
      // session); dropping the longest idle one instead keeps the tab the visitor is using now.
      let idle = 0;
      for (let i = 1; i < list.length; i++) if (list[i]!.lastSeen < list[idle]!.lastSeen) idle = i;
      this.remove(list, idle);
    }
    list.push(session);
    this.sessionCount++;
    this.heldBytes += sessionBytes(session);
    this.enforceCaps(device);
  }

  private remove(list: PrismeSession[], i: number): void {
    this.heldBytes -= sessionBytes(list[i]!);
    this.sessionCount--;
    list.splice(i, 1);
  }

  /** A device's list is dropped to make room (the LRU's eviction): its sessions no longer count. */
  private forget(list: PrismeSession[]): void {
    this.sessionCount -= list.length;
    for (const s of list) this.heldBytes -= sessionBytes(s);
  }

  /**
   * Over the total count or bytes: forget the least recently active devices, never the one in use
   * (get() refreshes only entries that have aged, so it is moved to the newest end first).
   */
  private enforceCaps(device: DeviceKey): void {
    if (this.sessionCount <= this.maxSessions && this.heldBytes <= this.maxBytes) return;
    this.devices.touch(device);
    while ((this.sessionCount > this.maxSessions || this.heldBytes > this.maxBytes) && this.devices.size > 1) this.devices.evictOldest();
  }

  /** Wakes the waiters for the session's new path. */
  private publish(device: DeviceKey, session: PrismeSession): void {
    // Building the key costs more than the lookup: skip both while nobody waits (the usual case).
    if (this.waiters.count === 0) return;
    this.waiters.wake(waitKey(device, session.latestPath), { session, path: session.latestPath });
  }

  private waitAny(
    device: DeviceKey,
    paths: string[],
    timeoutMs: number,
    held: () => number,
  ): Promise<SessionHit | null> {
    const now = this.clock();
    for (const path of paths) {
      const s = this.find(device, path, now);
      if (s) return Promise.resolve({ session: s, path });
    }
    if (timeoutMs <= 0) return Promise.resolve(null);
    return this.waiters.wait(() => paths.map((p) => waitKey(device, p)), timeoutMs, held);
  }
}

/**
 * A part of `from` that a session keeps: itself, or a copy when `from` is long. URLs up to
 * CACHED_URL_MAX come from the URL cache, whose parts are cut from copies of their own; the parts
 * of a longer one are views on it (detach.ts): a 4-character UTM value would keep an 8 KB URL
 * alive for a day, beyond what sessionBytes() counts.
 */
function owned(part: string, from: PageUrl): string {
  return from.href.length > CACHED_URL_MAX ? detach(part) : part;
}

function ownedOrNull(part: string | null, from: PageUrl): string | null {
  return part === null ? null : owned(part, from);
}

function waitKey(device: DeviceKey, path: string): string {
  // The type prefix keeps 5, 5n and "5" apart; NUL never occurs in a normalised path.
  return `${typeof device === 'string' ? 's' : 'n'}${device}\0${path}`;
}

