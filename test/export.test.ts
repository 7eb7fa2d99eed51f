import { describe, expect, it } from 'bun:test';
import { testApp } from './helpers/test-app.ts';
import { prismeApp, randomIp, SITE } from './helpers/prisme.ts';
import { issueToken } from '../src/accounts/login.ts';
import { accountsWorld } from './helpers/accounts-fixture.ts';
import { blankEvent, EVENT_FIELDS, type CanonicalEvent } from '../src/ingest/event.ts';
import type { SqliteEventStore } from '../src/store/sqlite/sqlite-event-store.ts';

const BIG = 200_000;
const SMALL = 20_000;
const T0 = Date.UTC(2026, 2, 1);

/** Event `i` of a website, rebuilt identically on demand, so the test never holds 200k events in memory. */
function eventAt(websiteId: string, i: number): CanonicalEvent {
  const ts = T0 + i * 7;
  const e = blankEvent(`01900000-0000-7000-8000-${i.toString(16).padStart(12, '0')}`, new Date(ts).toISOString(), 'prisme', 'pageview');
  e.websiteId = websiteId;
  e.url = `https://shop.example/p/${i % 97}?q=${i % 3 ? 'a,b' : 'x'}`;
  e.hostname = 'shop.example';
  e.path = `/p/${i % 97}`;
  e.query = i % 3 ? 'q=a,b' : 'q=x';
  e.name = i % 11 === 0 ? `He said "hi",\nthen left` : i % 13 === 0 ? '' : null;
  e.status = i % 5 ? 200 : 404;
  e.visitorId = `prisme_${(i % 4096).toString(16).toUpperCase()}`;
  e.browser = 'Firefox';
  e.country = i % 2 ? 'DE' : 'FR';
  e.city = i % 17 === 0 ? 'Zürich' : null;
  e.properties = i % 4 === 0 ? { plan: 'pro', n: i, tags: ['a', 'b,c'], quote: 'say "x"' } : null;
  e.payload = i % 9 === 0 ? { type: 'track', event: 'Buy', properties: { price: '9.99' } } : null;
  return e;
}

/** The expected NDJSON object: EVENT_FIELDS in order, built independently of the exporter. */
function expectedJson(e: CanonicalEvent): string {
  return JSON.stringify(Object.fromEntries(EVENT_FIELDS.map((f) => [f, e[f]])));
}

/** Expected CSV field values (null stays null: an unquoted empty field). */
function expectedCsv(e: CanonicalEvent): (string | null)[] {
  return EVENT_FIELDS.map((f) => {
    const v = e[f];
    return v === null ? null : typeof v === 'object' ? JSON.stringify(v) : String(v);
  });
}

/** An RFC 4180 reader fed chunk by chunk, independent of the exporter's writer; unquoted empty fields read as null. */
function csvReader(onRecord: (fields: (string | null)[]) => void) {
  let field = '';
  let quoted = false;
  let inQuotes = false;
  let afterQuote = false;
  let fields: (string | null)[] = [];
  const endField = () => {
    fields.push(quoted || field !== '' ? field : null);
    field = '';
    quoted = false;
    afterQuote = false;
  };
  let pendingCr = false;
  return (chunk: string) => {
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (inQuotes) {
        if (c === '"') {
          inQuotes = false;
          afterQuote = true;
        } else field += c;
        continue;
      }
      if (pendingCr) {
        pendingCr = false;
        if (c !== '\n') throw new Error('bare CR outside quotes');
        endField();
        onRecord(fields);
        fields = [];
        continue;
      }
      if (c === '"') {
        if (afterQuote) field += '"'; // doubled quote inside a quoted field
        else if (field !== '') throw new Error('quote inside an unquoted field');
        inQuotes = true;
        quoted = true;
        afterQuote = false;
      } else if (c === ',') endField();
      else if (c === '\r') pendingCr = true;
      else if (c === '\n') throw new Error('bare LF outside quotes');
      else {
        if (afterQuote) throw new Error('text after a closing quote');
        field += c;
      }
    }
  };
}

async function streamLines(res: Response, onText: (s: string) => void, every: number, sample: () => void): Promise<void> {
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let bytes = 0;
  let next = every;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    onText(dec.decode(value, { stream: true }));
    if (bytes >= next) {
      sample();
      next += every;
    }
  }
  onText(dec.decode());
}

function heapSampler() {
  Bun.gc(true);
  const base = process.memoryUsage();
  let peakHeap = 0;
  let peakRss = 0;
  return {
    sample() {
      Bun.gc(true);
      const m = process.memoryUsage();
      peakHeap = Math.max(peakHeap, m.heapUsed - base.heapUsed);
      peakRss = Math.max(peakRss, m.rss - base.rss);
    },
    get peakHeapMb() {
      return peakHeap / 2 ** 20;
    },
    get peakRssMb() {
      return peakRss / 2 ** 20;
    },
  };
}

describe('website export', () => {
  it(`streams ${BIG.toLocaleString('en')} events as NDJSON and CSV, line for line what was stored, in memory that does not grow with the count`, async () => {
    const { request, meta, deps, clock, events } = testApp();
    const w = await accountsWorld(meta, deps.passwords!, clock);
    const small = meta.websites.create({ id: crypto.randomUUID(), name: 'Small', domain: null, shareId: null, userId: w.ids.owner, teamId: null, createdBy: w.ids.owner, writeKey: 'k-small' }, clock()).id;
    const store = events as SqliteEventStore;
    const t0 = performance.now();
    for (let from = 0; from < BIG; from += 10_000) {
      const batch: CanonicalEvent[] = [];
      for (let i = from; i < from + 10_000; i++) batch.push(eventAt(w.ownWebsiteId, i));
      if (from < SMALL) for (let i = from; i < from + 10_000; i++) batch.push(eventAt(small, i));
      store.insertBatchSync(batch);
    }
    const insertMs = performance.now() - t0;

    // NDJSON of the big website, checked line by line.
    const heapBig = heapSampler();
    let n = 0;
    let bad = 0;
    let rest = '';
    let t = performance.now();
    const nd = await request(`/api/websites/${w.ownWebsiteId}/export`, { headers: { authorization: w.auth.owner! } });
    expect(nd.status).toBe(200);
    expect(nd.headers.get('content-type')).toStartWith('application/x-ndjson');
    expect(nd.headers.get('content-disposition')).toBe(`attachment; filename="footfall-website-${w.ownWebsiteId}.ndjson"`);
    await streamLines(
      nd,
      (s) => {
        const lines = (rest + s).split('\n');
        rest = lines.pop()!;
        for (const line of lines) {
          if (JSON.stringify(JSON.parse(line)) !== expectedJson(eventAt(w.ownWebsiteId, n))) bad++;
          n++;
        }
      },
      4 * 2 ** 20,
      () => heapBig.sample(),
    );
    const ndjsonMs = performance.now() - t;
    expect(rest).toBe('');
    expect(bad).toBe(0);
    expect(n).toBe(BIG);

    // The same export of a website with a tenth of the events, for comparison.
    const heapSmall = heapSampler();
    let m = 0;
    await streamLines(
      await request(`/api/websites/${small}/export`, { headers: { authorization: w.auth.owner! } }),
      (s) => void (m += s.split('\n').length - 1),
      4 * 2 ** 20,
      () => heapSmall.sample(),
    );
    expect(m).toBe(SMALL);

    // CSV of the big website, read back with an independent RFC 4180 reader.
    t = performance.now();
    const csv = await request(`/api/websites/${w.ownWebsiteId}/export?format=csv&startAt=${T0}&endAt=${T0 + BIG * 7}`, { headers: { authorization: w.auth.owner! } });
    expect(csv.headers.get('content-type')).toStartWith('text/csv');
    expect(csv.headers.get('content-disposition')).toBe(`attachment; filename="footfall-website-${w.ownWebsiteId}-20260301_20260301.csv"`);
    let rows = -1;
    let csvBad = 0;
    const feed = csvReader((fields) => {
      if (rows === -1) expect(fields).toEqual([...EVENT_FIELDS]);
      else if (JSON.stringify(fields) !== JSON.stringify(expectedCsv(eventAt(w.ownWebsiteId, rows)))) csvBad++;
      rows++;
    });
    await streamLines(csv, feed, Infinity, () => {});
    const csvMs = performance.now() - t;
    expect(csvBad).toBe(0);
    expect(rows).toBe(BIG);

    console.log(
      `export: inserted ${BIG + SMALL} in ${insertMs.toFixed(0)} ms; NDJSON ${BIG} lines in ${ndjsonMs.toFixed(0)} ms (checked), CSV in ${csvMs.toFixed(0)} ms (parsed+checked); ` +
        `peak heap growth ${heapBig.peakHeapMb.toFixed(1)} MB for ${BIG} vs ${heapSmall.peakHeapMb.toFixed(1)} MB for ${SMALL}; peak RSS growth ${heapBig.peakRssMb.toFixed(1)} MB vs ${heapSmall.peakRssMb.toFixed(1)} MB`,
    );
    // 200k events are ~190 MB of NDJSON: an exporter that buffered would grow by far more than this.
    expect(heapBig.peakHeapMb).toBeLessThan(heapSmall.peakHeapMb + 8);
    expect(heapBig.peakHeapMb).toBeLessThan(24);
    // ~15 s alone; 45 s and more on a 2-core box shared with other work (the CSV check is most of it).
  }, 180_000);

  it('selects by inclusive time range and answers an empty export with just the CSV header', async () => {
    const { request, meta, deps, clock, events } = testApp();
    const w = await accountsWorld(meta, deps.passwords!, clock);
    await events.insertBatch(Array.from({ length: 10 }, (_, i) => eventAt(w.ownWebsiteId, i)));
    const text = await (await request(`/api/websites/${w.ownWebsiteId}/export?startAt=${T0 + 14}&endAt=${T0 + 35}`, { headers: { authorization: w.auth.owner! } })).text();
    expect(text.trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id)).toEqual([2, 3, 4, 5].map((i) => eventAt(w.ownWebsiteId, i).id));
    const empty = await (await request(`/api/websites/${w.teamWebsiteId}/export?format=csv`, { headers: { authorization: w.auth.admin! } })).text();
    expect(empty).toBe(EVENT_FIELDS.join(',') + '\r\n');
  });

  it('exports one instant when both bounds are the same (both are inclusive)', async () => {
    const { request, meta, deps, clock, events } = testApp();
    const w = await accountsWorld(meta, deps.passwords!, clock);
    await events.insertBatch(Array.from({ length: 5 }, (_, i) => eventAt(w.ownWebsiteId, i)));
    const res = await request(`/api/websites/${w.ownWebsiteId}/export?startAt=${T0 + 14}&endAt=${T0 + 14}`, { headers: { authorization: w.auth.owner! } });
    expect(res.status).toBe(200);
    expect((await res.text()).trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id)).toEqual([eventAt(w.ownWebsiteId, 2).id]);
  });

  it('answers 400, never 500, to a time bound outside what a date can hold or below zero', async () => {
    const { request, meta, deps, clock } = testApp();
    const w = await accountsWorld(meta, deps.passwords!, clock);
    for (const q of ['startAt=99999999999999999999', 'endAt=8640000000000001', 'startAt=-1']) {
      const res = await request(`/api/websites/${w.ownWebsiteId}/export?${q}`, { headers: { authorization: w.auth.owner! } });
      expect(res.status).toBe(400);
      const field = q.slice(0, q.indexOf('='));
      expect(((await res.json()) as { error: { properties: Record<string, unknown> } }).error.properties).toHaveProperty(field);
    }
    const last = await request(`/api/websites/${w.ownWebsiteId}/export?endAt=8640000000000000`, { headers: { authorization: w.auth.owner! } });
    expect(last.status).toBe(200);
    expect(last.headers.get('content-disposition')).toContain('-start_2757600913.ndjson');
  });
});

describe('the export query', () => {
  it('refuses a bound that is not plain decimal digits, a parameter given twice or as an array, rather than widening the export', async () => {
    const { request, meta, deps, clock, events } = testApp();
    const w = await accountsWorld(meta, deps.passwords!, clock);
    await events.insertBatch(Array.from({ length: 5 }, (_, i) => eventAt(w.ownWebsiteId, i)));
    for (const [q, says] of [
      ['startAt[]=9999999999999', 'startAt takes one value, not startAt[]'],
      ['startAt=0x10', 'startAt must be milliseconds since the epoch in decimal digits, got "0x10"'],
      ['endAt=%2B1', 'endAt must be milliseconds since the epoch in decimal digits, got "+1"'],
      ['startAt=1e3', 'startAt must be milliseconds since the epoch in decimal digits, got "1e3"'],
      ['startAt=%201', 'startAt must be milliseconds since the epoch in decimal digits, got " 1"'],
      ['format=ndjson&format=csv', 'format is given 2 times'],
      ['startAt=1&startAt=2', 'startAt is given 2 times'],
    ] as const) {
      for (const path of [`/api/websites/${w.ownWebsiteId}/export`, `/api/pixels/${w.ownPixelId}/export`, '/api/events/unassigned/export']) {
        const res = await request(`${path}?${q}`, { headers: { authorization: w.auth.admin! } });
        expect([q, path, res.status]).toEqual([q, path, 400]);
        expect(((await res.json()) as { error: { message: string } }).error.message).toBe(says);
      }
    }
    const plain = await request(`/api/websites/${w.ownWebsiteId}/export?startAt=${T0}&endAt=${T0 + 14}&format=ndjson&other=1`, { headers: { authorization: w.auth.owner! } });
    expect((await plain.text()).trim().split('\n')).toHaveLength(3);
  });
});

describe('how many exports stream at once', () => {
  it('streams at most two per user and four in all, answers 503 with Retry-After past that, and gives a slot back when an export ends or its client goes away', async () => {
    const { request, meta, deps, clock, events } = testApp();
    const w = await accountsWorld(meta, deps.passwords!, clock);
    // More than one chunk of NDJSON: an export not read stays open.
    await events.insertBatch(Array.from({ length: 2000 }, (_, i) => eventAt(w.ownWebsiteId, i)));
    const exp = (who: 'admin' | 'owner' | 'teamOwner', path = `/api/websites/${w.ownWebsiteId}/export`) => request(path, { headers: { authorization: w.auth[who]! } });
    const a1 = await exp('admin');
    const a2 = await exp('admin');
    expect([a1.status, a2.status]).toEqual([200, 200]);
    // Every export route takes from the same slots.
    const a3 = await exp('admin', `/api/pixels/${w.ownPixelId}/export`);
    expect((await exp('admin', '/api/events/unassigned/export')).status).toBe(503);
    expect([a3.status, a3.headers.get('retry-after')]).toEqual([503, '5']);
    expect(((await a3.json()) as { error: { message: string } }).error.message).toStartWith('you have 2 exports streaming, the most one user may');
    const o1 = await exp('owner');
    const o2 = await exp('owner');
    expect([o1.status, o2.status]).toEqual([200, 200]);
    const t1 = await exp('teamOwner', `/api/websites/${w.teamWebsiteId}/export`);
    expect(t1.status).toBe(503);
    expect(((await t1.json()) as { error: { message: string } }).error.message).toStartWith('4 exports are streaming, the most at once');
    // One client goes away, another reads its export to the end: both slots come back.
    await a1.body!.cancel();
    expect((await o1.text()).split('\n')).toHaveLength(2001);
    const a4 = await exp('admin');
    const t2 = await exp('teamOwner', `/api/websites/${w.teamWebsiteId}/export`);
    expect([a4.status, t2.status]).toEqual([200, 200]);
    for (const r of [a2, o2, a4, t2]) await r.body!.cancel();
    // HEAD answers the headers and streams nothing: it holds no slot.
    for (let i = 0; i < 5; i++) expect((await request(`/api/websites/${w.ownWebsiteId}/export`, { method: 'HEAD', headers: { authorization: w.auth.admin! } })).status).toBe(200);
    const after = [await exp('admin'), await exp('admin')];
    expect(await Promise.all(after.map(async (r) => [r.status, r.status === 200 ? '' : await r.text()]))).toEqual([[200, ''], [200, '']]);
    for (const r of after) await r.body!.cancel();
  });
});

describe('an export under way', () => {
  /** Reads an export to its end; its lines, or the error that cut it and the lines before it. */
  async function readAll(res: Response): Promise<{ lines: number; error: string | null }> {
    const reader = res.body!.getReader();
    let lines = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return { lines, error: null };
        for (const b of value) if (b === 10) lines++;
      }
    } catch (e) {
      return { lines, error: (e as Error).message };
    }
  }

  it('is cut short once its caller logs out, has its API key revoked, loses the team that let it view, or is no longer an admin; a caller still allowed reads to the end', async () => {
    const { request, meta, deps, clock, events } = testApp();
    const w = await accountsWorld(meta, deps.passwords!, clock);
    // ~1 MB of NDJSON: many chunks of ~64 KB.
    await events.insertBatch(Array.from({ length: 2000 }, (_, i) => eventAt(w.ownWebsiteId, i)));
    await events.insertBatch(Array.from({ length: 2000 }, (_, i) => eventAt(w.teamWebsiteId, i)));
    await events.insertBatch(Array.from({ length: 2000 }, (_, i) => ({ ...eventAt(w.ownWebsiteId, i), id: crypto.randomUUID(), websiteId: null })));
    /** Starts an export, reads its first chunk, makes the change, and reads on. */
    const exportThen = async (who: keyof typeof w.auth, path: string, change: () => unknown) => {
      const res = await request(path, { headers: { authorization: w.auth[who]! } });
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      const first = await reader.read();
      expect(first.done).toBe(false);
      await change();
      reader.releaseLock();
      const rest = await readAll(res);
      return { ...rest, lines: rest.lines + (first.value as Uint8Array).filter((b) => b === 10).length };
    };
    const own = `/api/websites/${w.ownWebsiteId}/export`;
    const cut = { lines: expect.any(Number), error: 'the caller may no longer read this export' };

    const untouched = await exportThen('owner', own, () => {});
    expect(untouched).toEqual({ lines: 2000, error: null });

    const loggedOut = await exportThen('owner', own, async () => expect((await request('/api/auth/logout', { method: 'POST', headers: { authorization: w.auth.owner! } })).status).toBe(200));
    expect(loggedOut).toEqual(cut);
    expect(loggedOut.lines).toBeLessThan(2000);

    const keyRevoked = await exportThen('apiKey', own, () => meta.apiKeys.revoke(w.apiKeyId, clock()));
    expect(keyRevoked).toEqual(cut);

    const leftTeam = await exportThen('teamMember', `/api/websites/${w.teamWebsiteId}/export`, () => meta.members.remove(w.teamId, w.ids.teamMember));
    expect(leftTeam).toEqual(cut);

    const demoted = await exportThen('admin', '/api/events/unassigned/export', () => meta.users.update(w.ids.admin, { role: 'user' }, clock()));
    expect(demoted).toEqual(cut);
    expect(demoted.lines).toBeLessThan(2000);
  });
});

describe('export of the events of no website', () => {
  it('gives an admin the Prisme events of a host only --origins lists (as a Prisme deployment is set up), and nobody else', async () => {
    const p = prismeApp(['--origins', 'other.example']);
    const ip = randomIp();
    const other = (page: string) => p.post('/api/v1/events/pageviews', p.browser(ip, { origin: 'https://other.example', 'x-prisme-referrer': page }));
    expect((await other('https://other.example/pricing')).status).toBe(200);
    expect((await other('https://other.example/about')).status).toBe(200);
    // The website's own pageview, and a page whose FQDN root dot still names the website's host, are its own.
    expect((await p.pageview(randomIp(), `${SITE}/`)).status).toBe(200);
    expect((await p.pageview(randomIp(), 'http://mywebsite.localhost./dot')).status).toBe(200);
    expect((await p.stored()).map((e) => e.path)).toEqual(['/', '/dot']);

    const res = await p.request('/api/events/unassigned/export', { headers: { authorization: p.adminAuth } });
    expect([res.status, res.headers.get('content-disposition')]).toEqual([200, 'attachment; filename="footfall-unassigned-events.ndjson"']);
    const lines = (await res.text()).trimEnd().split('\n').map((l) => JSON.parse(l) as CanonicalEvent);
    expect(lines.map((e) => [e.hostname, e.path, e.websiteId])).toEqual([['other.example', '/pricing', null], ['other.example', '/about', null]]);
    const csv = await (await p.request('/api/events/unassigned/export?format=csv', { headers: { authorization: p.adminAuth } })).text();
    expect(csv.trimEnd().split('\r\n')).toHaveLength(3);

    const userId = p.meta.users.create({ id: crypto.randomUUID(), username: 'someone', passwordHash: 'unused', role: 'user' }, p.clock()).id;
    const user = `Bearer ${issueToken({ meta: p.meta, passwords: p.deps.passwords!, clock: p.clock }, userId)}`;
    for (const authorization of [user, 'Bearer nope', '']) {
      const denied = await p.request('/api/events/unassigned/export', { headers: { authorization } });
      expect([authorization.slice(0, 12), denied.status]).toEqual([authorization.slice(0, 12), 401]);
    }
    expect((await p.request('/api/events/unassigned/export?startAt=10&endAt=5', { headers: { authorization: p.adminAuth } })).status).toBe(400);
  });
});
