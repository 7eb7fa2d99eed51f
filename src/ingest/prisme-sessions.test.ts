import { describe, expect, it } from 'bun:test';
import { manualClock } from '../lib/clock.ts';
import { isUuid } from '../lib/uuid.ts';
import { type DeviceKey, type PageviewInput, type PageviewOutcome, type PrismeSession, PrismeSessionStore, sessionBytes } from './prisme-sessions.ts';
import type { ParsedUserAgent } from './user-agent.ts';
import { parsePageUrl } from './url.ts';
import { flatText, heapKept } from '../../test/helpers/retained.ts';

const FRANCE = Object.freeze({ country: 'FR', region: 'IDF', city: 'Paris' });
const CLIENT: ParsedUserAgent = {
  browser: 'Firefox', browserVersion: '120.0', os: 'Linux', osVersion: null, device: 'desktop', isBot: false,
};
const SITE = 'https://mywebsite.localhost';
const HOUR = 3_600_000;

function url(s: string) {
  const u = parsePageUrl(s.startsWith('/') ? SITE + s : s);
  if (!u) throw new Error(`bad test URL ${s}`);
  return u;
}

function setup(opts: { maxDevices?: number; maxSessionsPerDevice?: number; maxSessions?: number; maxBytes?: number; maxWaiters?: number; maxWaiterBytes?: number } = {}) {
  const clock = manualClock();
  const store = new PrismeSessionStore({ clock, maxDevices: opts.maxDevices ?? 100, ...opts });
  /** One pageview on `path`, with `ref` as document referrer (a path on the same site, a full URL, or none), its change applied. */
  const view = (path: string, ref?: string, extra: Partial<PageviewInput> = {}): PageviewOutcome => {
    const plan = store.planPageview({
      device: 1n,
      page: url(path),
      referrer: ref === undefined ? null : url(ref),
      visitorId: null,
      autoVisitorId: () => 'prisme_ABC',
      client: CLIENT,
      isBot: false,
      geo: () => FRANCE,
      ...extra,
    });
    plan.apply();
    return plan.outcome;
  };
  return { clock, store, view };
}

function session(o: PageviewOutcome) {
  if (o.kind !== 'new' && o.kind !== 'moved') throw new Error(`expected a stored session, got ${o.kind}`);
  return o.session;
}

describe('PrismeSessionStore pageviews (session_test.ts cases)', () => {
  it('follows a multi-page session through versions 1, 2, 3 with one id and visitor', () => {
    const { view } = setup();
    const v1 = view('/');
    const v2 = view('/foo', '/');
    const v3 = view('/bar', '/foo');
    expect([v1.kind, v2.kind, v3.kind]).toEqual(['new', 'moved', 'moved']);
    expect([session(v1).pageviews, session(v2).pageviews, session(v3).pageviews]).toEqual([1, 2, 3]);
    expect(session(v3).sessionId).toBe(session(v1).sessionId);
    expect(session(v3).visitorId).toBe('prisme_ABC');
    expect(session(v3).latestPath).toBe('/bar');
    // No document referrer: a new session for the same visitor.
    const again = session(view('/baz'));
    expect(again.sessionId).not.toBe(session(v1).sessionId);
    expect([again.pageviews, again.visitorId]).toEqual([1, 'prisme_ABC']);
  });

  it('does not store a reload of the landing page', () => {
    const { view, store } = setup();
    session(view('/'));
    expect(view('/').kind).toBe('clone-nothing-stored');
    expect(view('/', 'https://www.example.com/').kind).toBe('clone-nothing-stored');
    expect(store.stats().sessions).toBe(3);
  });

  it('does not store a reload of an inner page', () => {
    const { view } = setup();
    view('/');
    view('/foo', '/');
    expect(view('/foo', '/').kind).toBe('clone-nothing-stored');
  });

  it('lets two tabs diverge with different ids, each at version 2 then 3', () => {
    const { view } = setup();
    const first = session(view('/'));
    expect(view('/').kind).toBe('clone-nothing-stored'); // duplicated tab
    const tabA = session(view('/foo', '/'));
    const tabB = session(view('/bar', '/'));
    expect(tabA.sessionId).toBe(first.sessionId);
    expect(tabB.sessionId).not.toBe(tabA.sessionId);
    expect(isUuid(tabB.sessionId)).toBe(true);
    expect([tabA.pageviews, tabB.pageviews]).toEqual([2, 2]);
    expect(session(view('/foo2', '/foo')).pageviews).toBe(3);
    expect(session(view('/bar2', '/bar')).pageviews).toBe(3);
  });

  it('starts a new session when a page forks from one the session already left', () => {
    const { view } = setup();
    const s = session(view('/'));
    view('/foo', '/');
    expect(session(view('/bar', '/foo')).pageviews).toBe(3);
    const fork = view('/baz', '/foo');
    expect(fork.kind).toBe('new');
    expect(session(fork).pageviews).toBe(1);
    expect(session(fork).sessionId).not.toBe(s.sessionId);
    expect(session(fork).referrerDomain).toBe('mywebsite.localhost');
  });

  it('lets different sessions join a common page, each at version 2', () => {
    const { view, store } = setup();
    const a = session(view('/a'));
    const b = session(view('/b'));
    const ja = session(view('/common', '/a'));
    const jb = session(view('/common', '/b'));
    expect([ja.sessionId, jb.sessionId]).toEqual([a.sessionId, b.sessionId]);
    expect([ja.pageviews, jb.pageviews]).toEqual([2, 2]);
    expect(store.findSession(1n, '/common')?.sessionId).toBe(a.sessionId);
  });

  it('gives events on a page two sessions moved to the session that moved there first, as Prisme keeps moved sessions last', () => {
    const { view, store } = setup();
    session(view('/a'));
    const b = session(view('/b'));
    const c = session(view('/c'));
    expect(session(view('/d', '/b')).sessionId).toBe(b.sessionId);
    // /a's session was made first, but the /b session reached /d first: Prisme's list is [/c, /b→/d, /a→/d].
    session(view('/d', '/a'));
    expect(store.findSession(1n, '/d')?.sessionId).toBe(b.sessionId);
    expect(session(view('/e', '/d')).sessionId).toBe(b.sessionId);
    expect(store.findSession(1n, '/c')?.sessionId).toBe(c.sessionId);
  });
});

describe('PrismeSessionStore session contents', () => {
  it('records referrer domain, UTM, client and country on a new session', () => {
    const { view } = setup();
    const s = session(view('/?utm_source=news&utm_medium=e+mail&utm_id=7', 'https://www.example.com/x'));
    expect(s).toMatchObject({
      referrerDomain: 'www.example.com', utmSource: 'news', utmMedium: 'e mail', utmCampaign: null,
      client: CLIENT, geo: FRANCE, pageviews: 1,
    });
    expect(session(view('/p')).referrerDomain).toBe('direct');
  });

  it('uses a supplied visitor id and replaces it when a later pageview supplies another', () => {
    const { view } = setup();
    expect(session(view('/', undefined, { visitorId: 'user-1' })).visitorId).toBe('user-1');
    expect(session(view('/foo', '/')).visitorId).toBe('user-1');
    expect(session(view('/bar', '/foo', { visitorId: 'user-2' })).visitorId).toBe('user-2');
  });

  it('filters bots only where a new session would be created', () => {
    const { view } = setup();
    expect(view('/', undefined, { isBot: true }).kind).toBe('bot');
    expect(view('/x', '/nowhere', { isBot: true }).kind).toBe('bot');
    session(view('/'));
    expect(view('/foo', '/', { isBot: true }).kind).toBe('moved');
    expect(view('/foo', undefined, { isBot: true }).kind).toBe('bot');
  });

  it('hands out snapshots that later pageviews do not change', () => {
    const { view } = setup();
    const s1 = session(view('/'));
    view('/foo', '/');
    expect([s1.latestPath, s1.pageviews]).toEqual(['/', 1]);
  });

  it('keeps bigint and string device keys apart', () => {
    const { view, store } = setup();
    view('/', undefined, { device: 5n });
    expect(store.findSession('5', '/')).toBeNull();
    expect(store.findSession(5n, '/')).not.toBeNull();
  });
});

describe('PrismeSessionStore bounds and expiry', () => {
  it('forgets a session after 24 hours without a pageview', () => {
    const { view, store, clock } = setup();
    const s = session(view('/'));
    clock.advance(24 * HOUR - 1);
    expect(store.findSession(1n, '/')?.sessionId).toBe(s.sessionId);
    clock.advance(1);
    expect(store.findSession(1n, '/')).toBeNull();
    const next = view('/foo', '/');
    expect(next.kind).toBe('new');
    // Adding a session to the device already dropped its expired one.
    expect(store.stats().sessions).toBe(1);
    expect(store.sweep()).toEqual({ sessionsRemoved: 0, devicesRemoved: 0 });
  });

  it('counts activity from the last pageview, not the first', () => {
    const { view, store, clock } = setup();
    view('/');
    clock.advance(20 * HOUR);
    view('/foo', '/');
    clock.advance(20 * HOUR);
    expect(store.findSession(1n, '/foo')?.pageviews).toBe(2);
  });

  it('removes devices whose sessions all expired when swept', () => {
    const { view, store, clock } = setup();
    view('/', undefined, { device: 'a' });
    view('/', undefined, { device: 'b' });
    clock.advance(25 * HOUR);
    expect(store.sweep()).toEqual({ sessionsRemoved: 2, devicesRemoved: 2 });
    expect(store.stats()).toEqual({ devices: 0, sessions: 0, waiters: 0, bytes: 0, waiterBytes: 0 });
  });

  it('keeps at most the configured sessions per device, dropping the longest idle', () => {
    const { view, store, clock } = setup({ maxSessionsPerDevice: 3 });
    for (const p of ['/p0', '/p1', '/p2', '/p3']) {
      view(p);
      clock.advance(1000);
    }
    expect(store.stats().sessions).toBe(3);
    expect(store.findSession(1n, '/p0')).toBeNull();
    expect(store.findSession(1n, '/p3')).not.toBeNull();
  });

  it('adds no copy for a reload once the device is full, so the visit keeps its own session for its next page', () => {
    const { view, store, clock } = setup({ maxSessionsPerDevice: 3 });
    const landing = session(view('/'));
    // A page reloaded again and again: each reload is a copy until the device is full.
    for (let i = 0; i < 5; i++) {
      clock.advance(1000);
      expect(view('/').kind).toBe('clone-nothing-stored');
    }
    expect(store.stats().sessions).toBe(3);
    // The landing session, idle the longest, is still the one on '/': the next page joins it.
    expect(store.findSession(1n, '/')?.sessionId).toBe(landing.sessionId);
    clock.advance(1000);
    expect(session(view('/next', '/')).sessionId).toBe(landing.sessionId);
  });

  it('makes room for a new visit on a full device by dropping its longest idle session', () => {
    const { view, store, clock } = setup({ maxSessionsPerDevice: 3 });
    view('/');
    for (let i = 0; i < 2; i++) {
      clock.advance(1000);
      view('/');
    }
    clock.advance(1000);
    const fresh = session(view('/landing', 'https://search.example/'));
    expect(store.stats().sessions).toBe(3);
    expect(store.findSession(1n, '/landing')?.sessionId).toBe(fresh.sessionId);
  });

  it('holds 64 sessions per device by default', () => {
    const { view, store } = setup();
    for (let i = 0; i < 70; i++) view(`/p${i}`);
    expect(store.stats().sessions).toBe(64);
  });

  it('holds at most 4 sessions per device on average: forking devices cannot multiply the device cap by the per-device one', () => {
    const { view, store } = setup({ maxDevices: 10, maxSessionsPerDevice: 8 });
    // Ten devices each forking 8 sessions would hold 80 with the per-device cap alone.
    for (let d = 1n; d <= 10n; d++) for (let i = 0; i < 8; i++) view(`/p${i}`, undefined, { device: d });
    const { sessions, devices } = store.stats();
    expect(sessions).toBeLessThanOrEqual(40);
    expect(sessions).toBeGreaterThanOrEqual(32);
    // The device in use keeps its sessions; the least recently active ones went first.
    expect(store.findSession(10n, '/p7')).not.toBeNull();
    expect(store.findSession(1n, '/p0')).toBeNull();
    expect(devices).toBeLessThanOrEqual(5);
  });

  it('never forgets the device it has just served to make room under the total', () => {
    const { view, store } = setup({ maxDevices: 1000, maxSessionsPerDevice: 64 });
    view('/a0', undefined, { device: 0n });
    // 62 other devices fill the total (4,000) with 64 sessions each; device 0 has not aged out of the newest half.
    for (let d = 1n; d <= 62n; d++) for (let i = 0; i < 64; i++) view(`/b${i}`, undefined, { device: d });
    for (let i = 1; i < 40; i++) {
      view(`/a${i}`, undefined, { device: 0n });
      expect(store.findSession(0n, `/a${i}`)).not.toBeNull();
    }
    expect(store.findSession(1n, '/b0')).toBeNull();
  });

  it('keeps its session count and bytes equal to what it holds through moves, evictions, per-device drops and sweeps', () => {
    const { view, store, clock } = setup({ maxDevices: 3, maxSessionsPerDevice: 5, maxSessions: 12, maxBytes: 4000 });
    for (let i = 0; i < 300; i++) {
      // Paths of many lengths; every other pageview moves a session on from its previous page.
      const path = `/p${i % 9}${'x'.repeat((i * 37) % 500)}`;
      view(path, i % 2 ? `/p${(i - 1) % 9}${'x'.repeat(((i - 1) * 37) % 500)}` : undefined, { device: BigInt(i % 7) });
      clock.advance(i % 5 === 0 ? 25 * HOUR : 1000);
      if (i % 50 === 0) store.sweep();
      const counted = (store as unknown as { devices: { keys(): Iterable<DeviceKey>; peek(k: DeviceKey): PrismeSession[] } }).devices;
      let held = 0;
      let bytes = 0;
      for (const k of counted.keys()) for (const s of counted.peek(k)) held++, (bytes += sessionBytes(s));
      expect(store.stats()).toMatchObject({ sessions: held, bytes });
      expect(held).toBeLessThanOrEqual(12);
      expect(bytes).toBeLessThanOrEqual(4000);
    }
  });

  it('keeps no view on a long landing URL through the short UTM values, path and referrer host it keeps', () => {
    const { view, store } = setup({ maxDevices: 1000 });
    // 500 landings on 8 KB URLs: 4 MB if the sessions kept the URLs alive.
    const kept = heapKept(() => {
      for (let d = 0; d < 500; d++) {
        const page = flatText(`${SITE}/p${d}?utm_source=news&utm_campaign=c${d}&pad=`, 8000);
        const ref = flatText(`https://r${d}.example/?pad=`, 8000);
        view(page, ref, { device: BigInt(d) });
      }
    });
    expect(store.stats().sessions).toBe(500);
    expect(store.findSession(7n, '/p7')).toMatchObject({ utmSource: 'news', utmCampaign: 'c7', referrerDomain: 'r7.example' });
    expect(kept).toBeLessThan(2_000_000);
  });

  it('forgets the least recently active devices once their sessions hold more than the byte cap, never the device in use', () => {
    const { view, store } = setup({ maxDevices: 1000, maxBytes: 200_000 });
    const long = (d: number) => `/${d}/${'a'.repeat(8000)}?utm_source=${'s'.repeat(100)}`;
    for (let d = 0; d < 100; d++) view(long(d), undefined, { device: BigInt(d) });
    // ~8.4 KB a session: the count caps (1000 devices, 4000 sessions) never come near.
    const { devices, bytes } = store.stats();
    expect(bytes).toBeLessThanOrEqual(200_000);
    expect(devices).toBeGreaterThan(20);
    expect(devices).toBeLessThan(25);
    expect(store.findSession(99n, parsePageUrl(SITE + long(99))!.path)).not.toBeNull();
    expect(store.findSession(0n, parsePageUrl(SITE + long(0))!.path)).toBeNull();
    // One device alone over the cap is kept: it is the one in use.
    const { store: small, view: viewSmall } = setup({ maxBytes: 1000 });
    viewSmall(long(1));
    expect(small.stats()).toMatchObject({ devices: 1, sessions: 1 });
  });

  it('evicts the least recently active device beyond the device cap', () => {
    const { view, store } = setup({ maxDevices: 2 });
    const devices: DeviceKey[] = [1n, 2n, 3n];
    view('/', undefined, { device: devices[0] });
    view('/', undefined, { device: devices[1] });
    store.findSession(1n, '/'); // touch device 1: device 2 becomes the oldest
    view('/', undefined, { device: devices[2] });
    expect(store.stats().devices).toBe(2);
    expect(store.findSession(2n, '/')).toBeNull();
    expect(store.findSession(1n, '/')).not.toBeNull();
  });
});

describe('PrismeSessionStore waiting events', () => {
  it('answers at once when the session already exists', async () => {
    const { view, store } = setup();
    const s = session(view('/'));
    expect((await store.waitForSession(1n, '/', 10))?.sessionId).toBe(s.sessionId);
  });

  it('resolves a waiting event as soon as a concurrent pageview creates its session', async () => {
    const { view, store } = setup();
    const started = performance.now();
    const waiting = store.waitForSession(1n, '/foo', 2000);
    expect(store.stats().waiters).toBe(1);
    await Bun.sleep(5);
    const s = session(view('/foo'));
    const got = await waiting;
    expect(got?.sessionId).toBe(s.sessionId);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(store.stats().waiters).toBe(0);
  });

  it('resolves a waiting event when a session moves onto its page', async () => {
    const { view, store } = setup();
    const s = session(view('/'));
    const waiting = store.waitForSession(1n, '/next', 2000);
    view('/next', '/');
    expect((await waiting)?.pageviews).toBe(2);
    expect((await store.waitForSession(1n, '/next', 0))?.sessionId).toBe(s.sessionId);
  });

  it('answers null after the timeout when no session comes', async () => {
    const { view, store } = setup();
    view('/other');
    const started = performance.now();
    expect(await store.waitForSession(1n, '/foo', 20)).toBeNull();
    expect(performance.now() - started).toBeGreaterThanOrEqual(15);
    expect(store.stats().waiters).toBe(0);
  });

  it('answers null at once when too many events are already waiting', async () => {
    const { store } = setup({ maxWaiters: 1 });
    const first = store.waitForSession(1n, '/a', 1000);
    expect(await store.waitForSession(1n, '/b', 1000)).toBeNull();
    store.close();
    expect(await first).toBeNull();
  });

  it('once closed (shutdown) answers the waiting events null, and a later one at once, but still finds a session that is there', async () => {
    const { view, store } = setup();
    const waiting = store.waitForSession(1n, '/a', 60_000);
    store.close();
    expect(await waiting).toBeNull();
    const started = performance.now();
    expect(await store.waitForSession(1n, '/b', 60_000)).toBeNull();
    expect(performance.now() - started).toBeLessThan(1_000);
    view('/c');
    expect((await store.waitForSession(1n, '/c', 60_000))?.latestPath).toBe('/c');
    expect(store.stats().waiters).toBe(0);
  });

  it('answers null at once when what waiting events hold would pass the byte cap, and frees it when they are answered', async () => {
    const { view, store } = setup({ maxWaiterBytes: 64 * 1024 });
    const first = store.waitForSession(1n, '/a', 1000, () => 60_000);
    expect(store.stats().waiters).toBe(1);
    expect(await store.waitForSession(1n, '/b', 1000, () => 10_000)).toBeNull();
    view('/a');
    expect((await first)?.latestPath).toBe('/a');
    expect(store.stats()).toMatchObject({ waiters: 0, waiterBytes: 0 });
    // With nothing waiting, one event may wait whatever it holds.
    const again = store.waitForSession(1n, '/b', 1000, () => 100_000);
    expect(store.stats().waiters).toBe(1);
    expect(await store.waitForSession(1n, '/c', 1000, () => 10)).toBeNull();
    store.close();
    expect(await again).toBeNull();
  });

  it('retries a ping with the site root and reports which path matched', async () => {
    const { view, store } = setup();
    const s = session(view('/'));
    const hit = await store.waitForSessionOrRoot(1n, url('/foo?x=1'), 10);
    expect(hit?.path).toBe('/');
    expect(hit?.session.sessionId).toBe(s.sessionId);
    expect(await store.waitForSessionOrRoot(2n, url('/foo'), 10)).toBeNull();
  });

  it('wakes a ping waiting on page or root when the root session appears', async () => {
    const { view, store } = setup();
    const waiting = store.waitForSessionOrRoot(1n, url('/foo'), 2000);
    view('/');
    expect((await waiting)?.path).toBe('/');
    expect(store.stats().waiters).toBe(0);
  });
});
