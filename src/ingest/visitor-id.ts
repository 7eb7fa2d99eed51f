/** @module (salt, UA, IP, host) into Prisme device ids and daily visitor ids, and the keeper of the stored daily salt. */
import type { Clock } from '../lib/clock.ts';
import { hmacSha256 } from '../lib/hmac-sha256.ts';
import { writeUtf8 } from '../lib/write-utf8.ts';


/**
 * The bytes to hash are laid out in one reused scratch buffer: a 32-byte slot for the salt (a
 * 16-byte salt sits at its end), then UA ‖ 0 ‖ IP ‖ 0 ‖ host (writeUtf8; no header holds a NUL,
 * so the NULs keep "UA1" + "2.3.4.5" apart from "UA" + "12.3.4.5"). Both ids of a hit hash the
 * same middle, so it is written once per (UA, IP, host).
 * Creating a typed-array view costs about as much as hashing 100 bytes, hence the few, cached views.
 */
const SALT_SLOT = 32;
let scratch = Buffer.alloc(4096);
let written = { ua: '', ip: '', host: '', end: -1 };

/** Writes UA ‖ 0 ‖ IP ‖ 0 ‖ host after the salt slot (unless already there) and returns where they end. */
function writeMiddle(ua: string, ip: string, host: string): number {
  if (written.end >= 0 && written.ua === ua && written.ip === ip && written.host === host) return written.end;
  // UTF-8 needs at most 3 bytes per UTF-16 unit.
  const need = SALT_SLOT + (ua.length + ip.length + host.length) * 3 + 2;
  if (need > scratch.length) {
    scratch = Buffer.alloc(need * 2);
  }
  let end = writeUtf8(ua, scratch, SALT_SLOT);
  scratch[end++] = 0;
  end = writeUtf8(ip, scratch, end);
  scratch[end++] = 0;
  end = writeUtf8(host, scratch, end);
  written = { ua, ip, host, end };
  return end;
}

function hashWithSalt(salt: Uint8Array, end: number): bigint {
  const from = SALT_SLOT - salt.length;
  scratch.set(salt, from);
  return Bun.hash.xxHash64(scratch.subarray(from, end));
}

/** The low 53 bits of a device id: a plain number keys a Map several times faster than a bigint. */
export function deviceKey(device: bigint): number {
  return Number(device & 0x1f_ffff_ffff_ffffn);
}

/**
 * xxHash64(processSalt ‖ UA ‖ 0 ‖ IP ‖ 0 ‖ host), as Prisme's (which has no NULs). The salt lives
 * as long as the process, so the id identifies a device for session matching only and is never
 * stored: a fast hash will do.
 */
export function deviceId(processSalt: Uint8Array, ua: string, ip: string, host: string): bigint {
  return hashWithSalt(processSalt, writeMiddle(ua, ip, host));
}

/**
 * `prisme_` + upper-case hex (no padding) of the first 8 bytes of HMAC-SHA256(dailySalt, UA ‖ 0 ‖
 * IP ‖ 0 ‖ host). The daily salt rotates at UTC midnight, so the id cannot follow a visitor across days; it
 * is stored (SaltKeeper), so a restart keeps the day's ids. Prisme also hashes in the device id,
 * whose salt lasts only as long as the process: its ids change at every restart, and a day's
 * visitors split in two. A keyed cryptographic hash, not xxHash64 as for the device id: this id
 * is stored and exported, and once the salt is deleted it must lead back to no address (a fast
 * hash keyed by a seed was undone from exported rows; see pixel-hit.ts).
 */
export function visitorId(dailySalt: Uint8Array, ua: string, ip: string, host: string): string {
  const end = writeMiddle(ua, ip, host);
  const mac = hmacSha256(dailySalt, scratch.subarray(SALT_SLOT, end));
  HASH_BYTES.set(mac.subarray(0, 8));
  return prismeHexOfView();
}

const PREFIX = 'prisme_';
const VISITOR_TEXT = Buffer.from(PREFIX + '0'.repeat(16), 'latin1');
const HASH_VIEW = new DataView(new ArrayBuffer(8));
const HASH_BYTES = new Uint8Array(HASH_VIEW.buffer);
const HEX_UP = '0123456789ABCDEF';

/** `prisme_` + `h.toString(16).toUpperCase()`, written into one reused buffer (no bigint formatting). */
export function prismeHex(h: bigint): string {
  HASH_VIEW.setBigUint64(0, h);
  return prismeHexOfView();
}

/** prismeHex() of the 8 bytes in HASH_VIEW. */
function prismeHexOfView(): string {
  let n = PREFIX.length;
  for (let i = 0; i < 8; i++) {
    const b = HASH_VIEW.getUint8(i);
    // Leading zeros are dropped, as toString(16) does; a zero hash is "0".
    if (n > PREFIX.length || b >> 4) VISITOR_TEXT[n++] = HEX_UP.charCodeAt(b >> 4);
    if (n > PREFIX.length || b & 15 || i === 7) VISITOR_TEXT[n++] = HEX_UP.charCodeAt(b & 15);
  }
  return VISITOR_TEXT.toString('latin1', 0, n);
}

/** 16 random bytes for the process-lifetime device-id salt (Prisme's size). */
export function newProcessSalt(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(16));
}

/** Where daily salts persist (a table in the meta store); days are `YYYY-MM-DD` in UTC. */
export interface SaltStore {
  load(day: string): Uint8Array | null;
  save(day: string, salt: Uint8Array): void;
  /** Deletes every salt of a day before `first` or after `last` (both kept). */
  deleteOutside(first: string, last: string): void;
}

const DAY_MS = 86_400_000;
export const SALT_BYTES = 32;

/** The UTC day of an instant, `YYYY-MM-DD` (a year past 9999 or before 0 keeps its sign and digits: no crash). */
export function utcDay(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.slice(0, iso.indexOf('T'));
}

/** The first millisecond of the UTC day holding `ms` (before 1970 too). */
function dayStart(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/**
 * The days whose salts may be kept at `nowMs`: yesterday's (events straddling midnight), today's,
 * and tomorrow's (a clock stepped back over midnight, which made it, comes back to it). What lies
 * outside is deleted: older days' ids become unlinkable, and a day far ahead was made by a clock
 * set wrong (a VM booted a year ahead, then corrected), whose salt would otherwise stay until
 * that day had passed.
 */
function keptDays(nowMs: number): { first: string; last: string } {
  const start = dayStart(nowMs);
  return { first: utcDay(start - DAY_MS), last: utcDay(start + DAY_MS) };
}

/** How long after a failed save of the day's salt (the database busy or not writable) the next attempt waits. */
export const SALT_RETRY_MS = 30_000;

/** Whether a retry set for `retryAt` may go at `nowMs`: it is due, or the wall clock stepped back past the failure. */
function retryDue(nowMs: number, retryAt: number): boolean {
  return nowMs >= retryAt || nowMs < retryAt - SALT_RETRY_MS;
}

/**
 * Hands out the salt of the current UTC day: loaded from the store (so a restart does not split
 * the day's visitors in two), else created and saved. When a day starts, salts older than
 * yesterday are deleted: yesterday's is kept for events straddling midnight, nothing older
 * is needed, and deleting it makes old visitor ids unlinkable. So are salts of days after
 * tomorrow (keptDays). The first hit of a day deletes them, and so does purge(), which the server
 * calls at start and every few seconds: a quiet site, or a server stopped over a day change, must
 * not keep a salt longer because no hit came.
 *
 * The save happens on the request that starts the day. When it fails (another process holds the
 * database's write lock, the disk is full) the hit is not failed: the salt is used from memory
 * and the save (and the delete) tried again by a request at least SALT_RETRY_MS later, so an
 * outage costs one wait (up to the connection's busy timeout, the whole thread's) per attempt,
 * not one per request. Until it is saved, a restart would make the day a new salt; when the day
 * ends first (or the clock steps back more than a day), the save is given up (logged). purge()
 * tries a pending save when it is due as a hit would; its own failed deletes wait SALT_RETRY_MS
 * too. Retries go when due by the wall clock, or at once after it stepped back past them.
 */
export class SaltKeeper {
  // At most three entries (yesterday, today, tomorrow: keptDays), pruned at each day change.
  private readonly known = new Map<string, Uint8Array>();
  /** The current day's bounds and salt: the hot path compares two numbers instead of formatting a date. */
  private current: { from: number; to: number; salt: Uint8Array } | null = null;
  /** What the store still lacks: the day's new salt (null once saved) and the delete of the days it does not keep. */
  private unsaved: { day: string; until: number; salt: Uint8Array | null; keep: { first: string; last: string }; retryAt: number; failures: number } | null = null;
  /** The start of the day whose kept days the store was last trimmed to (purge() then has nothing to do until the day changes). */
  private purgedDay = NaN;
  /** After a failed purge(): when the next may go, and how many failed in a row. */
  private purgeRetryAt = -Infinity;
  private purgeFailures = 0;

  constructor(
    private readonly store: SaltStore,
    private readonly clock: Clock,
    private readonly warn: (msg: string, fields?: Record<string, unknown>) => void = () => {},
  ) {}

  /** The salt for the UTC day containing `nowMs` (default: the injected clock's now). */
  saltFor(nowMs: number = this.clock()): Uint8Array {
    // Not once the pending day is over: the day change below gives that save up and makes its own
    // (one wait for the day's first hit, not two).
    if (this.unsaved !== null && this.pendingLive(nowMs) && retryDue(nowMs, this.unsaved.retryAt)) this.save(nowMs);
    const c = this.current;
    if (c && nowMs >= c.from && nowMs < c.to) return c.salt;
    const salt = this.saltForDay(nowMs);
    const from = dayStart(nowMs);
    this.current = { from, to: from + DAY_MS, salt };
    return salt;
  }

  /**
   * Deletes the salts of days keptDays(nowMs) does not keep, once per day; a failure is tried
   * again SALT_RETRY_MS later. While a day's first save is pending, tries that save when it is
   * due instead (it deletes them too), or gives it up once its day is no longer today or tomorrow.
   */
  purge(nowMs: number = this.clock()): void {
    if (this.unsaved !== null) {
      if (this.pendingLive(nowMs)) {
        if (retryDue(nowMs, this.unsaved.retryAt)) this.save(nowMs);
        return;
      }
      this.giveUpPending();
    }
    const start = dayStart(nowMs);
    if (start === this.purgedDay || !retryDue(nowMs, this.purgeRetryAt)) return;
    const keep = keptDays(nowMs);
    this.forgetOutside(keep);
    if (this.current && (this.current.from < start - DAY_MS || this.current.from > start + DAY_MS)) this.current = null;
    try {
      this.store.deleteOutside(keep.first, keep.last);
      this.purgedDay = start;
      if (this.purgeFailures > 0) this.warn('old salts deleted after failing', { failures: this.purgeFailures });
      this.purgeFailures = 0;
    } catch (error) {
      // One wait (the connection's busy timeout) per attempt, and one line per outage.
      this.purgeRetryAt = nowMs + SALT_RETRY_MS;
      if (this.purgeFailures++ === 0) this.warn('could not delete old salts; trying again every 30 s', { error: String(error), retryInMs: SALT_RETRY_MS });
    }
  }

  /** Drops the salts held in memory for days outside `keep` (keptDays). */
  private forgetOutside(keep: { first: string; last: string }): void {
    for (const d of this.known.keys()) if (d < keep.first || d > keep.last) this.known.delete(d);
  }

  /** Whether the pending save is for today, or for tomorrow (a clock stepped back over midnight): else it is given up. */
  private pendingLive(nowMs: number): boolean {
    const pendingStart = this.unsaved!.until - DAY_MS;
    const start = dayStart(nowMs);
    return pendingStart === start || pendingStart === start + DAY_MS;
  }

  private giveUpPending(): void {
    const u = this.unsaved!;
    if (u.salt) this.warn("gave up saving a day's salt: the day is over", { day: u.day, failures: u.failures });
    this.unsaved = null;
  }

  private saltForDay(nowMs: number): Uint8Array {
    const day = utcDay(nowMs);
    const cached = this.known.get(day);
    if (cached) return cached;
    // A read: in WAL mode it does not wait for another connection's write.
    const stored = this.store.load(day);
    const salt = stored ?? crypto.getRandomValues(new Uint8Array(SALT_BYTES));
    const keep = keptDays(nowMs);
    const pending = this.unsaved;
    if (pending && pending.day > day && this.pendingLive(nowMs)) {
      // A hit stamped the day before a day whose salt still waits to be saved (the clock stepped
      // back over midnight): that save stays pending; this day's is tried once.
      this.known.set(day, salt);
      if (!stored) {
        try {
          this.store.save(day, salt);
        } catch (error) {
          this.warn("could not save an earlier day's salt", { day, error: String(error) });
        }
      }
      return salt;
    }
    if (pending) this.giveUpPending();
    this.forgetOutside(keep);
    this.known.set(day, salt);
    this.unsaved = { day, until: dayStart(nowMs) + DAY_MS, salt: stored ? null : salt, keep, retryAt: nowMs, failures: 0 };
    this.save(nowMs);
    return salt;
  }

  private save(nowMs: number): void {
    const u = this.unsaved!;
    try {
      if (u.salt !== null) {
        this.store.save(u.day, u.salt);
        u.salt = null;
      }
      this.store.deleteOutside(u.keep.first, u.keep.last);
      this.purgedDay = u.until - DAY_MS;
      this.unsaved = null;
      if (u.failures > 0) this.warn('daily salt saved after failing', { day: u.day, failures: u.failures });
    } catch (error) {
      u.failures++;
      u.retryAt = nowMs + SALT_RETRY_MS;
      this.warn(
        u.salt !== null ? "could not save the day's salt: visitor ids go on from memory (a restart before it is saved would split the day's visitors)" : 'could not delete old salts',
        { day: u.day, error: String(error), retryInMs: SALT_RETRY_MS },
      );
    }
  }
}
