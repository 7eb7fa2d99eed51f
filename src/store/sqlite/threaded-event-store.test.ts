import { describe, expect, it } from 'bun:test';
import { tempDir } from '../../../test/helpers/temp-dir.ts';
import { join } from 'node:path';
import { materialisingSink } from '../../buffer/materialising-sink.ts';
import type { CanonicalEvent } from '../../ingest/event.ts';
import type { PendingEvent } from '../../ingest/pending-event.ts';
import type { RudderPixelHit } from '../../ingest/rudder-pixel-hit.ts';
import type { UmamiPixelHit } from '../../ingest/pixel-hit.ts';
import { makeEvent, tooDeep } from '../../../test/helpers/events.ts';
import { openDatabase } from './open-database.ts';
import { SqliteEventStore } from './sqlite-event-store.ts';
import { sourceWorkerUrls, ThreadedSqliteEventStore } from './threaded-event-store.ts';

const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

const hit = (type: 'page' | 'track', query: string, i: number): RudderPixelHit => ({
  deferred: 'rudder-pixel', type, query, nowMs: Date.UTC(2026, 10, 26, 3, 0, i), websiteId: 'w1', requestIp: '8.8.8.0', keepIp: false, userAgent: CHROME,
  geo: { country: 'US', region: null, city: null },
});

const umami = (userAgent: string, i: number): UmamiPixelHit => ({
  deferred: 'umami-pixel', pixelId: 'p1', url: 'https://collect.example/p/news-nov?utm_source=newsletter&utm_campaign=nov', referer: 'https://mail.example/inbox',
  userAgent, nowMs: Date.UTC(2026, 10, 26, 4, 0, i), visitorId: 'pixel_0123456789abcdef', sessionId: '01234567-89ab-8cde-8f01-23456789abcd', geo: { country: 'DE', region: null, city: null },
});
const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';

/**
 * Two events, six RudderStack pixel hits (three stored; an empty event, no id, one that breaks
 * its builder) and two Umami hits (one a bot).
 */
const batch = (): PendingEvent[] => [
  makeEvent(1),
  hit('page', `writeKey=k&anonymousId=a1&name=Home&context.page.url=${encodeURIComponent('https://shop.example/p?utm_source=amp')}`, 1),
  hit('track', `writeKey=k&anonymousId=a2&event=Email%20Opened&properties.price=9&context.userAgent=${encodeURIComponent(IPHONE)}`, 2),
  hit('track', 'writeKey=k&anonymousId=a3&event=', 3),
  hit('page', 'writeKey=k&name=NoId', 4),
  { ...hit('page', 'writeKey=k&anonymousId=a5', 5), query: null as unknown as string },
  hit('page', 'writeKey=k&userId=u6&messageId=m6', 6),
  umami(CHROME, 1),
  umami(GOOGLEBOT, 2),
  makeEvent(2),
];

async function stored(store: { scan: SqliteEventStore['scan'] }): Promise<CanonicalEvent[]> {
  const out: CanonicalEvent[] = [];
  for await (const e of store.scan({})) out.push(e);
  return out;
}

/** A deferred hit's event id and messageId are random per build; everything else must match. */
const comparable = (e: CanonicalEvent) => {
  const payload = e.payload ? { ...e.payload, messageId: e.payload.messageId === 'm6' ? 'm6' : 'random' } : null;
  return { ...e, id: e.source === 'prisme' ? e.id : 'random', payload };
};

describe('deferred pixel hits (RudderStack, Umami)', () => {
  it('are built by the writer thread exactly as on the request thread, drops counted by reason, the batch around them stored', async () => {
    const path = join(tempDir('footfall-threaded-'), 'footfall.db');
    const threaded = await ThreadedSqliteEventStore.open(path, openDatabase(path), sourceWorkerUrls());
    const local = new SqliteEventStore(openDatabase(':memory:'));
    const sink = materialisingSink(local);
    const expectedDrops = { 'empty-event': 1, 'missing-identity': 1, 'invalid-input': 1, bot: 1 };
    const items = batch();
    expect(await threaded.insertPending(items)).toEqual(expectedDrops);
    expect(await sink.insertPending(items)).toEqual(expectedDrops);
    const [there, here] = [await stored(threaded), await stored(local)];
    // scan() reads in time order: the two events (November 1st) come first.
    expect(there.map((e) => [e.source, e.type, e.name, e.anonymousId ?? e.userId])).toEqual([
      ['prisme', 'pageview', null, null],
      ['prisme', 'pageview', null, null],
      ['rudder', 'page', 'Home', 'a1'],
      ['rudder', 'track', 'Email Opened', 'a2'],
      ['rudder', 'page', null, 'u6'],
      ['pixel', 'pixel', null, null],
    ]);
    expect(there.map(comparable)).toEqual(here.map(comparable));
    expect(there[2]).toMatchObject({ utmSource: 'amp', browser: 'Chrome', country: 'US', timestamp: '2026-11-26T03:00:01.000Z' });
    expect(there[3]).toMatchObject({ os: 'iOS', device: 'mobile', properties: { price: '9' } });
    expect(there[3]!.payload).toMatchObject({ request_ip: '8.8.8.0', receivedAt: '2026-11-26T03:00:02.000Z', context: { userAgent: IPHONE } });
    expect(there[5]).toMatchObject({
      pixelId: 'p1', hostname: 'collect.example', path: '/p/news-nov', utmSource: 'newsletter', utmCampaign: 'nov', referrerDomain: 'mail.example',
      visitorId: 'pixel_0123456789abcdef', browser: 'Chrome', country: 'DE', timestamp: '2026-11-26T04:00:01.000Z',
    });
    await threaded.close();
  });

  it('a batch of events only reports no drops', async () => {
    const local = new SqliteEventStore(openDatabase(':memory:'));
    expect(await materialisingSink(local).insertPending([makeEvent(1)])).toBeNull();
    expect(await local.count()).toBe(1);
  });
});

describe('an event that cannot be serialised', () => {
  it('is left out and counted as invalid-input; the events around it are stored and the batch does not fail', async () => {
    const path = join(tempDir('footfall-threaded-'), 'footfall.db');
    const threaded = await ThreadedSqliteEventStore.open(path, openDatabase(path), sourceWorkerUrls());
    const items: PendingEvent[] = Array.from({ length: 40 }, (_, i) => makeEvent(i));
    items[17] = makeEvent(17, { properties: { deep: tooDeep() } });
    expect(await threaded.insertPending(items)).toEqual({ 'invalid-input': 1 });
    expect(await threaded.count()).toBe(39);
    // The next batch goes through as usual.
    expect(await threaded.insertPending([makeEvent(40)])).toBeNull();
    expect(await threaded.count()).toBe(40);
    await threaded.close();
  });
});

describe('ThreadedSqliteEventStore, batches behind a failed one', () => {
  it('writes none of the batches sent before a failure was known, and writes those sent after it', async () => {
    const path = join(tempDir('footfall-ordered-'), 'footfall.db');
    const db = openDatabase(path);
    const store = await ThreadedSqliteEventStore.open(path, db, sourceWorkerUrls());
    expect(store.ordered).toBe(true);
    try {
      // Every insert fails while the table is away; the writer tells the first failure from the
      // batches sent behind it, which it does not try.
      db.exec('ALTER TABLE events RENAME TO events_away');
      const sent = [1, 2, 3].map((i) => store.insertPending([makeEvent(i)]).then(() => 'written', (e: Error) => e.message));
      const outcomes = await Promise.all(sent);
      expect(outcomes[0]).toContain('no such table');
      expect(outcomes.slice(1)).toEqual(['not written: an earlier batch failed', 'not written: an earlier batch failed']);
      db.exec('ALTER TABLE events_away RENAME TO events');
      // Sent once the failure was known (a retry): written.
      await store.insertPending([makeEvent(4)]);
      expect(await store.count()).toBe(1);
    } finally {
      await store.close();
    }
  });
});
