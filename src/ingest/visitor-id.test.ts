import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'bun:test';
import { manualClock } from '../lib/clock.ts';
import { SALT_RETRY_MS, SaltKeeper, type SaltStore, deviceId, prismeHex, utcDay, visitorId } from './visitor-id.ts';

const salt = new Uint8Array(16).fill(7);
const UA = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0';

/** An in-memory store that records what the keeper asked of it. */
function memoryStore(): SaltStore & { days: Map<string, Uint8Array>; deletes: string[] } {
  const days = new Map<string, Uint8Array>();
  const deletes: string[] = [];
  return {
    days,
    deletes,
    load: (d) => days.get(d) ?? null,
    save: (d, s) => void days.set(d, s),
    deleteOutside: (first, last) => {
      deletes.push(`${first}..${last}`);
      for (const k of [...days.keys()]) if (k < first || k > last) days.delete(k);
    },
  };
}

function failWrite(): never {
  throw new Error('SQLITE_BUSY: database is locked');
}

describe('deviceId', () => {
  it('is xxHash64 of salt, UA, IP and host, a NUL between each two', () => {
    const bytes = new Uint8Array([...salt, ...new TextEncoder().encode(UA + '\0' + '1.2.3.4' + '\0' + 'example.com')]);
    expect(deviceId(salt, UA, '1.2.3.4', 'example.com')).toBe(Bun.hash.xxHash64(bytes));
  });

  it('changes with any input and with the salt', () => {
    const base = deviceId(salt, UA, '1.2.3.4', 'example.com');
    expect(deviceId(salt, UA, '1.2.3.5', 'example.com')).not.toBe(base);
    expect(deviceId(salt, UA, '1.2.3.4', 'example.org')).not.toBe(base);
    expect(deviceId(new Uint8Array(16), UA, '1.2.3.4', 'example.com')).not.toBe(base);
  });
});

describe('visitorId', () => {
  it('is prisme_ plus the upper-case unpadded hex of the first 8 bytes of HMAC-SHA256 keyed by the daily salt over UA, IP and host, so no address can be found from it without the salt', () => {
    const daily = new Uint8Array(32).fill(5);
    for (const ua of [UA, 'Mozilla/5.0 (Linux; Android 14; Téléphone 😀)']) {
      const mac = createHmac('sha256', daily).update(ua + '\0' + '1.2.3.4' + '\0' + 'example.com', 'utf8').digest();
      const id = visitorId(daily, ua, '1.2.3.4', 'example.com');
      expect(id).toBe('prisme_' + mac.readBigUInt64BE(0).toString(16).toUpperCase());
      expect(id).toMatch(/^prisme_[0-9A-F]{1,16}$/);
    }
  });

  it('keeps the fields apart: a UA ending in a digit and an address starting with it make two ids', () => {
    const daily = new Uint8Array(32).fill(6);
    expect(visitorId(daily, 'UA1', '2.3.4.5', 'example.com')).not.toBe(visitorId(daily, 'UA', '12.3.4.5', 'example.com'));
    expect(deviceId(salt, 'UA1', '2.3.4.5', 'example.com')).not.toBe(deviceId(salt, 'UA', '12.3.4.5', 'example.com'));
  });

  it('differs between two days for the same device', () => {
    expect(visitorId(new Uint8Array(32).fill(1), UA, '1.2.3.4', 'example.com')).not.toBe(visitorId(new Uint8Array(32).fill(2), UA, '1.2.3.4', 'example.com'));
  });

  it('does not depend on the process-lifetime device salt, so a restart keeps the day\'s ids', () => {
    const daily = new Uint8Array(32).fill(3);
    // Two processes: two device salts, two device ids for the same visitor…
    expect(deviceId(new Uint8Array(16).fill(1), UA, '1.2.3.4', 'example.com')).not.toBe(deviceId(new Uint8Array(16).fill(2), UA, '1.2.3.4', 'example.com'));
    // …and one visitor id, computed between two device ids' hashes (the scratch buffer is shared).
    const first = visitorId(daily, UA, '1.2.3.4', 'example.com');
    deviceId(new Uint8Array(16).fill(9), UA, '1.2.3.4', 'example.com');
    expect(visitorId(daily, UA, '1.2.3.4', 'example.com')).toBe(first);
  });
});

describe('prismeHex', () => {
  it('writes prisme_ and the upper-case hex of the hash without leading zeros, as toString(16) does', () => {
    const samples = [0n, 1n, 0xfn, 0x10n, 0xabcn, 0x0f00000000000000n, 0xffffffffffffffffn, 0x8000000000000000n];
    for (let i = 0; i < 2000; i++) samples.push(BigInt.asUintN(64, BigInt(Math.floor(Math.random() * 2 ** 53)) << BigInt(i % 12)));
    for (const h of samples) expect(prismeHex(h)).toBe('prisme_' + h.toString(16).toUpperCase());
  });
});

describe('SaltKeeper', () => {
  it('hands out one 32-byte salt per UTC day and saves it on first use', () => {
    const clock = manualClock(Date.UTC(2026, 0, 2, 0, 0, 1));
    const store = memoryStore();
    const keeper = new SaltKeeper(store, clock);
    const a = keeper.saltFor();
    clock.advance(23 * 3_600_000);
    expect(keeper.saltFor()).toBe(a);
    expect(a.length).toBe(32);
    expect([...store.days.keys()]).toEqual(['2026-01-02']);
  });

  it('makes a new salt the next day and deletes the day before yesterday', () => {
    const clock = manualClock(Date.UTC(2026, 0, 1, 12));
    const store = memoryStore();
    const keeper = new SaltKeeper(store, clock);
    const d1 = keeper.saltFor();
    clock.advance(86_400_000);
    const d2 = keeper.saltFor();
    expect(d2).not.toEqual(d1);
    expect([...store.days.keys()]).toEqual(['2026-01-01', '2026-01-02']);
    clock.advance(86_400_000);
    keeper.saltFor();
    expect([...store.days.keys()]).toEqual(['2026-01-02', '2026-01-03']);
    expect(store.deletes.at(-1)).toBe('2026-01-02..2026-01-04');
  });

  it('gives the same salt after a restart with the same store', () => {
    const clock = manualClock(Date.UTC(2026, 5, 30, 8));
    const store = memoryStore();
    const before = new SaltKeeper(store, clock).saltFor();
    clock.advance(60_000);
    expect(new SaltKeeper(store, clock).saltFor()).toEqual(before);
  });

  it('goes on with the salt from memory when the store cannot save it, and saves that same salt on a later call once 30 s have passed', () => {
    const clock = manualClock(Date.UTC(2026, 2, 3, 0, 0, 5));
    const store = memoryStore();
    let broken = true;
    let attempts = 0;
    const flaky: SaltStore = {
      ...store,
      save: (d, salt) => {
        attempts++;
        if (broken) throw new Error('SQLITE_BUSY: database is locked');
        store.save(d, salt);
      },
    };
    const warnings: string[] = [];
    const keeper = new SaltKeeper(flaky, clock, (msg) => warnings.push(msg));
    const salt = keeper.saltFor();
    expect(attempts).toBe(1);
    expect(warnings).toEqual([expect.stringContaining("could not save the day's salt")]);
    clock.advance(SALT_RETRY_MS - 1);
    expect(keeper.saltFor()).toBe(salt);
    expect(attempts).toBe(1); // not retried on every hit
    clock.advance(1);
    expect(keeper.saltFor()).toBe(salt);
    expect(attempts).toBe(2);
    broken = false;
    clock.advance(SALT_RETRY_MS);
    expect(keeper.saltFor()).toBe(salt);
    expect(store.days.get('2026-03-03')).toBe(salt);
    expect(warnings.at(-1)).toBe('daily salt saved after failing');
    clock.advance(SALT_RETRY_MS);
    keeper.saltFor();
    expect(attempts).toBe(3);
  });

  it("keeps a day's unsaved salt pending when a hit stamped the day before comes in, and says so when a day ends with its salt unsaved", () => {
    const clock = manualClock(Date.UTC(2026, 2, 3, 0, 0, 5));
    const store = memoryStore();
    let broken = true;
    const flaky: SaltStore = { ...store, save: (d, salt) => (broken ? (() => { throw new Error('SQLITE_BUSY'); })() : store.save(d, salt)) };
    const warnings: string[] = [];
    const keeper = new SaltKeeper(flaky, clock, (msg) => warnings.push(msg));
    const today = keeper.saltFor();
    keeper.saltFor(Date.UTC(2026, 2, 2, 23, 59, 59)); // a hit stamped before midnight, its day new to the keeper
    broken = false;
    clock.advance(SALT_RETRY_MS);
    expect(keeper.saltFor()).toBe(today);
    expect(store.days.get('2026-03-03')).toBe(today);
    // A day whose salt is never saved: the next day's start says it gave up, and tries that day's once.
    broken = true;
    let saves = 0;
    const counting: SaltStore = { ...flaky, save: (d, salt) => (saves++, flaky.save(d, salt)) };
    const next = new SaltKeeper(counting, clock, (msg) => warnings.push(msg));
    clock.advance(86_400_000);
    next.saltFor();
    clock.advance(86_400_000);
    saves = 0;
    next.saltFor();
    expect(saves).toBe(1);
    expect(warnings).toContain("gave up saving a day's salt: the day is over");
  });

  it("retries the delete of old salts too when it fails, so they do not outlive their day", () => {
    const clock = manualClock(Date.UTC(2026, 2, 1, 12));
    const store = memoryStore();
    const keeper = new SaltKeeper(store, clock);
    keeper.saltFor();
    clock.advance(86_400_000);
    keeper.saltFor();
    let broken = true;
    const failingDeletes: SaltStore = {
      ...store,
      deleteOutside: (first, last) => {
        if (broken) throw new Error('SQLITE_BUSY: database is locked');
        store.deleteOutside(first, last);
      },
    };
    // A restart on the third day, with the database busy: the first of March's salt stays until the retry.
    const restarted = new SaltKeeper(failingDeletes, clock);
    clock.advance(86_400_000);
    restarted.saltFor();
    expect([...store.days.keys()]).toEqual(['2026-03-01', '2026-03-02', '2026-03-03']);
    broken = false;
    clock.advance(SALT_RETRY_MS);
    restarted.saltFor();
    expect([...store.days.keys()]).toEqual(['2026-03-02', '2026-03-03']);
  });

  it('names days in UTC', () => {
    expect(utcDay(Date.UTC(2026, 0, 1, 23, 59, 59, 999))).toBe('2026-01-01');
  });

  it('deletes the salts of days no longer kept without waiting for a hit, once per day', () => {
    const clock = manualClock(Date.UTC(2026, 2, 1, 12));
    const store = memoryStore();
    store.days.set('2026-02-20', salt);
    store.days.set('2026-02-28', salt);
    store.days.set('2026-03-01', salt);
    const keeper = new SaltKeeper(store, clock);
    keeper.purge();
    expect([...store.days.keys()]).toEqual(['2026-02-28', '2026-03-01']);
    keeper.purge();
    expect(store.deletes).toEqual(['2026-02-28..2026-03-02']);
    // A quiet site: no hit for two days, and still only yesterday's salt may stay.
    clock.advance(2 * 86_400_000);
    keeper.purge();
    expect([...store.days.keys()]).toEqual([]);
    expect(store.deletes).toEqual(['2026-02-28..2026-03-02', '2026-03-02..2026-03-04']);
  });

  it("does not keep a day's salt made while the clock ran far ahead, once the clock is put right", () => {
    const clock = manualClock(Date.UTC(2030, 2, 16, 12));
    const store = memoryStore();
    const keeper = new SaltKeeper(store, clock);
    keeper.saltFor();
    clock.set(Date.UTC(2031, 5, 1, 12));
    keeper.saltFor();
    expect([...store.days.keys()]).toEqual(['2031-06-01']);
    clock.set(Date.UTC(2030, 2, 16, 12, 5));
    keeper.purge();
    expect([...store.days.keys()]).toEqual([]);
    keeper.saltFor();
    expect([...store.days.keys()]).toEqual(['2030-03-16']);
  });

  it("keeps tomorrow's salt for a clock stepped back over midnight", () => {
    const clock = manualClock(Date.UTC(2026, 2, 2, 0, 0, 20));
    const store = memoryStore();
    const keeper = new SaltKeeper(store, clock);
    const today = keeper.saltFor();
    clock.set(Date.UTC(2026, 2, 1, 23, 59, 40));
    keeper.saltFor();
    keeper.purge();
    clock.set(Date.UTC(2026, 2, 2, 0, 0, 21));
    expect(keeper.saltFor()).toBe(today);
    expect(store.days.get('2026-03-02')).toBe(today);
  });

  it("retries a day's pending delete from purge() when it is due, so old salts go with no further hit", () => {
    const clock = manualClock(Date.UTC(2026, 2, 1, 12));
    const store = memoryStore();
    store.days.set('2026-02-28', salt);
    let broken = false;
    const flaky: SaltStore = { ...store, deleteOutside: (first, last) => (broken ? failWrite() : store.deleteOutside(first, last)) };
    const keeper = new SaltKeeper(flaky, clock);
    keeper.purge();
    clock.set(Date.UTC(2026, 2, 2, 0, 0, 1));
    broken = true;
    keeper.saltFor();
    broken = false;
    keeper.purge();
    expect([...store.days.keys()]).toEqual(['2026-02-28', '2026-03-02']);
    clock.advance(SALT_RETRY_MS);
    keeper.purge();
    expect([...store.days.keys()]).toEqual(['2026-03-02']);
  });

  it("gives up a pending save made while the clock ran a year ahead once it is put right, so salts do not pile up", () => {
    const clock = manualClock(Date.UTC(2031, 5, 1, 12));
    const store = memoryStore();
    let broken = true;
    const flaky: SaltStore = { ...store, deleteOutside: (first, last) => (broken ? failWrite() : store.deleteOutside(first, last)) };
    const keeper = new SaltKeeper(flaky, clock);
    keeper.saltFor();
    broken = false;
    clock.set(Date.UTC(2030, 2, 16, 12));
    for (let day = 0; day < 10; day++) {
      keeper.saltFor();
      keeper.purge();
      clock.advance(86_400_000);
    }
    keeper.purge();
    expect(store.days.size).toBeLessThanOrEqual(3);
    expect([...store.days.keys()].every((d) => d.startsWith('2030-03-2'))).toBe(true);
  });

  it('waits SALT_RETRY_MS after a failed purge before trying again, and warns once per outage', () => {
    const clock = manualClock(Date.UTC(2026, 2, 1, 12));
    const store = memoryStore();
    let tries = 0;
    let broken = true;
    const warnings: string[] = [];
    const flaky: SaltStore = { ...store, deleteOutside: (first, last) => (tries++, broken ? failWrite() : store.deleteOutside(first, last)) };
    const keeper = new SaltKeeper(flaky, clock, (msg) => warnings.push(msg));
    for (let i = 0; i < 6; i++) {
      keeper.purge();
      clock.advance(10_000);
    }
    expect(tries).toBe(2);
    broken = false;
    clock.advance(SALT_RETRY_MS);
    keeper.purge();
    expect(tries).toBe(3);
    expect(warnings).toEqual(['could not delete old salts; trying again every 30 s', 'old salts deleted after failing']);
  });

  it('gives the hits of a clock before 1970 the salt of their own day', () => {
    const clock = manualClock(Date.UTC(1969, 11, 31, 23, 59, 55));
    const store = memoryStore();
    const keeper = new SaltKeeper(store, clock);
    const before = keeper.saltFor();
    expect([...store.days.keys()]).toEqual(['1969-12-31']);
    clock.advance(10_000);
    expect(keeper.saltFor()).not.toBe(before);
    expect([...store.days.keys()]).toEqual(['1969-12-31', '1970-01-01']);
  });
});
