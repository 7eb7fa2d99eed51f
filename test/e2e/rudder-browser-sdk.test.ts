import { afterAll, beforeAll, expect, it } from 'bun:test';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { browserDescribe, customerSite, type CustomerSite } from '../helpers/browser.ts';
import type { Server } from 'bun';
import { ROOT, type Running } from '../helpers/binary.ts';

// In CI the browser is installed by .ci/run, so its absence is a failure there, a skip elsewhere.
const run = browserDescribe('rudder-browser-sdk');

// The SDK's "bundled" build carries its plugins (XhrQueue, BeaconQueue, storage…); the default build
// imports them from cdn.rudderlabs.com at load() and delivers nothing without it.
const SDK_BUNDLE = join(ROOT, 'node_modules/@rudderstack/analytics-js/dist/npm/modern/bundled/umd/index.js');
const PASSWORD = 'browser-sdk-password';

/** The customer's page: loads the SDK from its own origin and points it at Footfall for both the config and the data plane. */
function pageHtml(writeKey: string, footfallUrl: string, extra: Record<string, unknown>): string {
  // What the README tells operators to pass; nothing here may make the browser leave the two origins.
  const options = { configUrl: footfallUrl, loadIntegration: false, polyfillIfRequired: false, logLevel: 'WARN', ...extra };
  return `<!doctype html><html><head><title>Pricing</title><script src="/rsa.js"></script></head><body><script>
window.rudder = new rudderanalytics.RudderAnalytics();
window.rudder.load(${JSON.stringify(writeKey)}, ${JSON.stringify(footfallUrl)}, ${JSON.stringify(options)});
window.rudder.identify('browser-user-1', { plan: 'pro' });
window.rudder.track('Order Completed', { revenue: 42.5, items: 2 });
window.rudder.page('Docs', 'Pricing', { section: 'plans' });
</script></body></html>`;
}

run('the official RudderStack browser SDK (@rudderstack/analytics-js) against dist/footfall in headless Chromium', () => {
  let w: CustomerSite;
  let ff: Running;
  let site: Server<unknown>;
  let browser: Browser;
  let token: string;
  let pages: Map<string, string>;

  beforeAll(async () => {
    w = await customerSite(PASSWORD, (path) => (path === '/rsa.js' ? new Response(Bun.file(SDK_BUNDLE), { headers: { 'content-type': 'text/javascript' } }) : null));
    ({ ff, site, browser, token, pages } = w);
  });

  afterAll(async () => {
    if (w) expect(await w.close()).toBe(0);
  });

  async function createWebsite(name: string): Promise<{ id: string; writeKey: string }> {
    const res = await fetch(`${ff.url}/api/websites`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ name, domain: '127.0.0.1' }) });
    return (await res.json()) as { id: string; writeKey: string };
  }

  /** Opens the page and waits until Footfall has answered every request in `want` (the SDK reports no delivery itself). */
  async function visit(path: string, want: string[]) {
    const allowed = [new URL(ff.url).origin, site.url.origin];
    const context = await browser.newContext();
    const seen = { answered: [] as string[], failed: [] as string[], foreign: [] as string[], problems: [] as string[] };
    context.on('request', (req) => {
      if (!allowed.includes(new URL(req.url()).origin)) seen.foreign.push(req.url());
    });
    context.on('requestfailed', (req) => seen.failed.push(`${req.method()} ${req.url()}: ${req.failure()?.errorText}`));
    context.on('response', (res) => {
      if (res.url().startsWith(ff.url)) seen.answered.push(`${res.request().method()} ${new URL(res.url()).pathname} ${res.status()}`);
    });
    const page = await context.newPage();
    page.on('pageerror', (e) => seen.problems.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') seen.problems.push(`${m.type()}: ${m.text()}`);
    });
    const pageUrl = `${site.url.origin}${path}?utm_source=newsletter`;
    await page.goto(pageUrl);
    for (let i = 0; i < 200 && !want.every((w) => seen.answered.includes(w)); i++) await Bun.sleep(50);
    const anonymousId = await page.evaluate(() => (globalThis as unknown as { rudder: { getAnonymousId(): string } }).rudder.getAnonymousId());
    await context.close();
    return { pageUrl, anonymousId, seen: { ...seen, answered: seen.answered.toSorted() } };
  }

  const exported = (websiteId: string, count: number) => w.exported(websiteId, count);

  function expectTheThreeCalls(events: Record<string, any>[], anonymousId: string, pageUrl: string) {
    expect(events.map((e) => e.type).toSorted()).toEqual(['identify', 'page', 'track']);
    const byType = Object.fromEntries(events.map((e) => [e.type, e])) as Record<string, Record<string, any>>;
    for (const e of events) expect(e).toMatchObject({ source: 'rudder', anonymousId, url: pageUrl, path: new URL(pageUrl).pathname, hostname: '127.0.0.1', utmSource: 'newsletter' });
    expect(byType.identify).toMatchObject({ userId: 'browser-user-1' });
    expect(byType.track).toMatchObject({ name: 'Order Completed', userId: 'browser-user-1', properties: { revenue: 42.5, items: 2 } });
    expect(byType.page).toMatchObject({ name: 'Pricing', properties: { section: 'plans', category: 'Docs' } });
    expect(byType.track!.payload.context.library.name).toBe('RudderLabs JavaScript SDK');
    expect(byType.track!.sessionId).toEqual(expect.any(String));
  }

  it('loads its source config from Footfall and delivers identify, track and page by XHR, cross-origin; the export shows them', async () => {
    const website = await createWebsite('Browser SDK site');
    pages.set('/pricing', pageHtml(website.writeKey, ff.url, {}));
    const want = ['GET /sourceConfig/ 200', 'POST /v1/identify 200', 'POST /v1/page 200', 'POST /v1/track 200'];
    const { pageUrl, anonymousId, seen } = await visit('/pricing', want);
    expect(seen).toEqual({ answered: want, failed: [], foreign: [], problems: [] });
    expect(anonymousId).toMatch(/^[0-9a-f-]{36}$/);
    expectTheThreeCalls(await exported(website.id, 3), anonymousId, pageUrl);
  }, 30_000);

  it('delivers the same calls in one sendBeacon batch with useBeacon', async () => {
    const website = await createWebsite('Browser SDK beacon site');
    pages.set('/pricing-beacon', pageHtml(website.writeKey, ff.url, { useBeacon: true, beaconQueueOptions: { flushQueueInterval: 100 } }));
    const want = ['GET /sourceConfig/ 200', 'POST /beacon/v1/batch 200'];
    const { pageUrl, anonymousId, seen } = await visit('/pricing-beacon', want);
    expect(seen).toEqual({ answered: want, failed: [], foreign: [], problems: [] });
    expectTheThreeCalls(await exported(website.id, 3), anonymousId, pageUrl);
  }, 30_000);
});
