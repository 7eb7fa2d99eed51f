import { describe, expect, it } from 'bun:test';
import { blankEvent } from '../ingest/event.ts';
import type { EventStore } from '../store/event-store.ts';
import { EXPORT_RATE, exportLines, exportResponse } from './export-stream.ts';
import { CSV_HEADER, csvLine, ndjsonLine } from './event-lines.ts';

describe('export streams', () => {
  it('releases the store iterator when the client goes away mid-stream', async () => {
    let released = false;
    async function* events() {
      try {
        for (let i = 0; ; i++) yield blankEvent(`id${i}`, '2026-01-01T00:00:00.000Z', 'prisme', 'pageview');
      } finally {
        released = true;
      }
    }
    const store = { scan: () => events() } as unknown as EventStore;
    const res = exportResponse(exportLines(store, {}, 'csv'), 'csv', 'x.csv');
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel();
    expect(released).toBe(true);
  });

  it('gives up an export whose client takes under the minimum on average, by a timer too when it pulls nothing, gives its slot back once, and spares a fast client that stalls once', async () => {
    let now = 0;
    async function* lines(done: { returned: boolean }) {
      try {
        for (let i = 0; ; i++) yield `${'x'.repeat(1000)} ${i}\n`;
      } finally {
        done.returned = true;
      }
    }
    const rate = { windowMs: 60_000, minBytes: 1024 * 1024, checkMs: 1, now: () => now };
    // A trickle: one 64 KB chunk, then a minute of nothing; the timer cuts it without a pull.
    let released = 0;
    const slow = { returned: false };
    const reader = exportResponse(lines(slow), 'ndjson', 'x', () => void released++, rate).body!.getReader();
    expect((await reader.read()).value!.length).toBeGreaterThan(60_000);
    now += 61_000;
    await Bun.sleep(20);
    // Cut by the timer, before any further read asked for a chunk.
    expect([released, slow.returned]).toEqual([1, true]);
    await expect(reader.read()).rejects.toThrow('export read too slowly');
    expect(released).toBe(1);
    // 40 chunks (2.6 MB) in the first 40 s, one more at 61 s, then a 61 s stall: 2.7 MB in
    // 122 s is over 1 MiB a minute on average (a fixed window would see 64 KB in the last one).
    now = 0;
    const fast = exportResponse(lines({ returned: false }), 'ndjson', 'x', () => {}, rate).body!.getReader();
    for (let i = 0; i < 40; i++) {
      now += 1_000;
      expect((await fast.read()).done).toBe(false);
    }
    now += 21_000;
    expect((await fast.read()).done).toBe(false);
    now += 61_000;
    await Bun.sleep(20);
    expect((await fast.read()).done).toBe(false);
    await fast.cancel();
  });

  it('cuts an export whose caller may no longer read it, or whose check fails, giving its slot and the store back once', async () => {
    for (const check of ['refuses', 'throws'] as const) {
      const state = { returned: false };
      async function* lines() {
        try {
          for (let i = 0; ; i++) yield `${'x'.repeat(1000)} ${i}\n`;
        } finally {
          state.returned = true;
        }
      }
      let calls = 0;
      // Allowed for the first chunk; then refused, or the check itself fails (the database busy).
      const allowed = () => {
        if (++calls === 1) return true;
        if (check === 'throws') throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
        return false;
      };
      let released = 0;
      const reader = exportResponse(lines(), 'ndjson', 'x', () => void released++, EXPORT_RATE, allowed).body!.getReader();
      expect((await reader.read()).value!.length).toBeGreaterThan(60_000);
      await expect(reader.read()).rejects.toThrow('the caller may no longer read this export');
      expect([check, released, state.returned]).toEqual([check, 1, true]);
    }
  });

  it("takes NDJSON lines from the store when it writes them itself, and formats scanned events otherwise", async () => {
    const e = blankEvent('id1', '2026-01-01T00:00:00.000Z', 'pixel', 'pixel');
    async function* one<T>(v: T) {
      yield v;
    }
    const scanning = { scan: () => one(e) } as unknown as EventStore;
    const writing = { scan: () => one(e), scanNdjson: () => one('{"from":"store"}\n') } as unknown as EventStore;
    const text = (lines: AsyncIterable<string>, format: 'ndjson' | 'csv') => exportResponse(lines, format, 'x').text();
    expect(await text(exportLines(scanning, {}, 'ndjson'), 'ndjson')).toBe(ndjsonLine(e));
    expect(await text(exportLines(writing, {}, 'ndjson'), 'ndjson')).toBe('{"from":"store"}\n');
    expect(await text(exportLines(writing, {}, 'csv'), 'csv')).toBe(CSV_HEADER + csvLine(e));
  });
});
