/** @module Test helper: a Prisme-configured in-process app and request builders modelled on upstream's test utils. */
import type { CanonicalEvent } from '../../src/ingest/event.ts';
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

export function prismeApp(extra: string[] = []) {
  const t = testApp(['--trust-proxy', '--origins', 'mywebsite.localhost,foo.mywebsite.localhost', '--events-timeout', '100ms', ...extra]);
  const post = (path: string, headers: Record<string, string>, body?: string) =>
    t.request(path, { method: 'POST', headers, body });
  const get = (path: string, headers: Record<string, string> = {}) => t.request(path, { headers });

  /** Headers for a browser on `ip` sending from ORIGIN. */
  const browser = (ip: string, more: Record<string, string> = {}) => ({ origin: ORIGIN, 'x-forwarded-for': ip, 'user-agent': WINDOWS_CHROME, ...more });

  const pageview = (ip: string, page: string, more: Record<string, string> = {}) =>
    post('/api/v1/events/pageviews', browser(ip, { 'x-prisme-referrer': page, ...more }));

  /** Flushes the buffer and returns every stored event, oldest first. */
  const stored = async (): Promise<CanonicalEvent[]> => {
    await t.buffer.flush();
    const out: CanonicalEvent[] = [];
    for await (const e of t.events.scan({})) out.push(e);
    return out;
  };
  return { ...t, post, get, browser, pageview, stored };
}
