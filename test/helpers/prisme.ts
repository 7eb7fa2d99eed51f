/** @module Test helper: a Prisme-configured in-process app and request builders modelled on upstream's test utils. */
import type { CanonicalEvent } from '../../src/ingest/event.ts';
import { issueToken } from '../../src/accounts/login.ts';
import { newWriteKey } from '../../src/accounts/secrets.ts';
import { testApp } from './test-app.ts';

export const ORIGIN = 'http://mywebsite.localhost';
export const SITE = 'http://mywebsite.localhost';
export const WINDOWS_CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
export const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';

let ipCounter = 0;
/** A fresh public-looking address per call (upstream's randomIpWithSession). */
export function randomIp(): string {
  ipCounter++;
  return `203.0.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;
}

export function prismeApp(extra: string[] = [], over: Parameters<typeof testApp>[1] = {}) {
  const t = testApp(['--trust-proxy', '--origins', 'mywebsite.localhost,foo.mywebsite.localhost', '--events-timeout', '100ms', ...extra], over);
  const post = (path: string, headers: Record<string, string>, body?: string) =>
    t.request(path, { method: 'POST', headers, body });
  const get = (path: string, headers: Record<string, string> = {}) => t.request(path, { headers });

  /** Headers for a browser on `ip` sending from ORIGIN. */
  const browser = (ip: string, more: Record<string, string> = {}) => ({ origin: ORIGIN, 'x-forwarded-for': ip, 'user-agent': WINDOWS_CHROME, ...more });

  const pageview = (ip: string, page: string, more: Record<string, string> = {}) =>
    post('/api/v1/events/pageviews', browser(ip, { 'x-prisme-referrer': page, ...more }));

  // The website whose domain covers the test pages, and an admin to export it.
  const now = t.clock();
  const adminId = t.meta.users.create({ id: crypto.randomUUID(), username: 'admin', passwordHash: 'unused', role: 'admin' }, now).id;
  const website = t.meta.websites.create({ id: crypto.randomUUID(), name: 'My website', domain: 'mywebsite.localhost', shareId: null, userId: adminId, teamId: null, createdBy: adminId, writeKey: newWriteKey() }, now);
  const adminAuth = `Bearer ${issueToken({ meta: t.meta, passwords: t.deps.passwords!, clock: t.clock }, adminId)}`;

  /** Flushes the buffer and returns the website's events through the canonical export (NDJSON), oldest first. */
  const stored = async (): Promise<CanonicalEvent[]> => {
    await t.buffer.flush();
    const res = await t.request(`/api/websites/${website.id}/export?format=ndjson`, { headers: { authorization: adminAuth } });
    if (res.status !== 200) throw new Error(`export answered ${res.status}: ${await res.text()}`);
    const text = await res.text();
    return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as CanonicalEvent);
  };
  /**
   * Resolves once `n` events wait for their session: an event sent "before its pageview" has
   * reached the wait only after its body was read, so a test sends the pageview after this.
   * Turns of the event loop, no timer; throws if they never get there.
   */
  const untilWaiting = async (n = 1): Promise<void> => {
    for (let i = 0; i < 1000; i++) {
      if (t.deps.prisme.sessions.stats().waiters >= n) return;
      await new Promise((r) => setImmediate(r));
    }
    throw new Error(`no event is waiting for its session (want ${n})`);
  };
  return { ...t, post, get, browser, pageview, stored, website, adminAuth, untilWaiting };
}
