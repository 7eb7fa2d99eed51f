/** @module (salt, UA, IP, host) into Prisme device ids and daily visitor ids, and the keeper of the stored daily salt. */
import type { Clock } from '../lib/clock.ts';

const enc = new TextEncoder();

/**
 * The bytes to hash are written into one reused scratch buffer (encodeInto, no per-call
 * allocations): three encode() calls and a concat were ~2 µs of every Prisme hit.
 */
let scratch = new Uint8Array(4096);

function hashParts(prefix: Uint8Array, strings: string[], suffix?: Uint8Array): bigint {
  // UTF-8 needs at most 3 bytes per UTF-16 unit.
  let need = prefix.length + (suffix?.length ?? 0);
  for (const s of strings) need += s.length * 3;
  if (need > scratch.length) scratch = new Uint8Array(need * 2);
  scratch.set(prefix, 0);
  let at = prefix.length;
  for (const s of strings) at += enc.encodeInto(s, scratch.subarray(at)).written;
  if (suffix) {
    scratch.set(suffix, at);
    at += suffix.length;
  }
  return Bun.hash.xxHash64(scratch.subarray(0, at));
}

/** The low 53 bits of a device id: a plain number keys a Map several times faster than a bigint. */
export function deviceKey(device: bigint): number {
  return Number(device & 0x1f_ffff_ffff_ffffn);
}

/**
 * xxHash64(processSalt ‖ UA ‖ IP ‖ host), as Prisme. The salt lives as long as the process, so the
 * id identifies a device for session matching only and is never stored.
 */
export function deviceId(processSalt: Uint8Array, ua: string, ip: string, host: string): bigint {
  return hashParts(processSalt, [ua, ip, host]);
}

/**
 * `prisme_` + upper-case hex (no padding) of xxHash64(dailySalt ‖ UA ‖ IP ‖ host ‖ deviceId as
 * 8 little-endian bytes). The daily salt rotates at UTC midnight, so the id cannot follow a
 * visitor across days.
 */
export function visitorId(dailySalt: Uint8Array, ua: string, ip: string, host: string, device: bigint): string {
  const le = new Uint8Array(8);
  new DataView(le.buffer).setBigUint64(0, BigInt.asUintN(64, device), true);
  const h = hashParts(dailySalt, [ua, ip, host], le);
  return 'prisme_' + h.toString(16).toUpperCase();
}

/** 16 random bytes for the process-lifetime device-id salt (Prisme's size). */
export function newProcessSalt(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(16));
}

/** Where daily salts persist (a table in the meta store); days are `YYYY-MM-DD` in UTC. */
export interface SaltStore {
  load(day: string): Uint8Array | null;
  save(day: string, salt: Uint8Array): void;
  /** Deletes every salt of a day strictly before `day`. */
  deleteBefore(day: string): void;
}

const DAY_MS = 86_400_000;
export const SALT_BYTES = 32;

export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * Hands out the salt of the current UTC day: loaded from the store (so a restart does not split
 * the day's visitors in two), else created and saved. When a day starts, salts older than
 * yesterday are deleted: yesterday's is kept for events straddling midnight, nothing older
 * is needed, and deleting it makes old visitor ids unlinkable.
 */
export class SaltKeeper {
  // At most two entries (today and yesterday), pruned at each day change.
  private readonly known = new Map<string, Uint8Array>();
  /** The current day's bounds and salt: the hot path compares two numbers instead of formatting a date. */
  private current: { from: number; to: number; salt: Uint8Array } | null = null;

  constructor(
    private readonly store: SaltStore,
    private readonly clock: Clock,
  ) {}

  /** The salt for the UTC day containing `nowMs` (default: the injected clock's now). */
  saltFor(nowMs: number = this.clock()): Uint8Array {
    const c = this.current;
    if (c && nowMs >= c.from && nowMs < c.to) return c.salt;
    const salt = this.saltForDay(nowMs);
    const from = nowMs - (nowMs % DAY_MS);
    this.current = { from, to: from + DAY_MS, salt };
    return salt;
  }

  private saltForDay(nowMs: number): Uint8Array {
    const day = utcDay(nowMs);
    const cached = this.known.get(day);
    if (cached) return cached;
    let salt = this.store.load(day);
    if (!salt) {
      salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
      this.store.save(day, salt);
    }
    const yesterday = utcDay(Date.parse(day) - DAY_MS);
    this.store.deleteBefore(yesterday);
    for (const d of this.known.keys()) if (d < yesterday) this.known.delete(d);
    this.known.set(day, salt);
    return salt;
  }
}
