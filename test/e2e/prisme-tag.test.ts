import { afterAll, beforeAll, expect, it } from 'bun:test';
import type { Browser, Page } from 'playwright-core';
import type { Server } from 'bun';
import { browserDescribe, customerSite, type CustomerSite } from '../helpers/browser.ts';
import type { Running } from '../helpers/binary.ts';

// In CI the browser is installed by .ci/run, so its absence is a failure there, a skip elsewhere.
const run = browserDescribe('prisme-tag');
const PASSWORD = 'prisme-tag-password';
const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

run("an existing Prisme tag (<script src=…/static/wa.js>) pointed at dist/footfall, in headless Chromium", () => {
  let w: CustomerSite;
  let ff: Running;
  let site: Server<unknown>;
  let browser: Browser;
  let pages: Map<string, string>;
  let websiteId: string;

  beforeAll(async () => {
    // The download link's file is the site's too.
    w = await customerSite(PASSWORD, (path) => (path.startsWith('/files/') ? new Response('file') : null));
    ({ ff, site, browser, pages } = w);
    // Its domain makes the site's origin one Footfall accepts (the port is not compared, as in Prisme).
    const res = await fetch(`${ff.url}/api/websites`, { method: 'POST', headers: { authorization: `Bearer ${w.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Tagged site', domain: '127.0.0.1' }) });
    websiteId = ((await res.json()) as { id: string }).id;
  });

  afterAll(async () => {
    if (w) expect(await w.close()).toBe(0);
  });

  const tag = (attrs = '') => `<script defer src="${ff.url}/static/wa.js" ${attrs}></script>`;

  /**
   * Opens a page, runs `act` on it, and returns what the page asked Footfall (method and path, in order) and
   * Footfall's answers (sorted), once `want` answers have come (a tag's fetch outlives nothing it is not awaited on).
   */
  async function visit(path: string, want: number, act: (page: Page) => Promise<void> = async () => {}) {
    // Headless Chromium says HeadlessChrome, a bot to Prisme (400, nothing stored): a visitor's browser does not.
    const context = await browser.newContext({ userAgent: CHROME });
    const asked: string[] = [];
    const answered: string[] = [];
    const problems: string[] = [];
    const ours = (url: string) => url.startsWith(ff.url);
    const failed: import('playwright-core').Request[] = [];
    const responded = new Set<import('playwright-core').Request>();
    // The tag never reads an answer's (empty) body, so a request can be "aborted" after it was answered.
    const unanswered = () => failed.filter((req) => !responded.has(req));
    context.on('request', (req) => {
      if (ours(req.url())) asked.push(`${req.method()} ${new URL(req.url()).pathname}`);
    });
    context.on('response', (res) => {
      if (!ours(res.url())) return;
      responded.add(res.request());
      answered.push(`${res.request().method()} ${new URL(res.url()).pathname} ${res.status()}`);
    });
    context.on('requestfailed', (req) => {
      if (ours(req.url())) failed.push(req);
    });
    const page = await context.newPage();
    page.on('pageerror', (e) => problems.push(String(e)));
    await page.goto(`${site.url.origin}${path}`);
    await page.waitForFunction(() => 'prisme' in globalThis);
    await act(page);
    for (let i = 0; i < 200 && answered.length + unanswered().length < want; i++) await Bun.sleep(50);
    await context.close();
    for (const req of unanswered()) problems.push(`${req.method()} ${req.url()}: ${req.failure()?.errorText}`);
    return { asked, answered: answered.toSorted(), problems };
  }

  const exported = (count: number) => w.exported(websiteId, count);

  it('records the pageview, a custom event, a pushState page, a file download and an outbound click, all in one session', async () => {
    pages.set('/docs/pricing', `<!doctype html><title>Pricing</title>${tag()}
      <a id="dl" href="/files/report.pdf?v=2" download>report</a> <a id="out" href="https://other.example/offer?ref=x">offer</a>`);
    const seen = await visit('/docs/pricing?utm_source=newsletter', 6, async (page) => {
      // Each step waits for Footfall's answer before the next: leaving the page (the outbound click) while a
      // request still waits for its CORS preflight cancels it — a page's own race, not the tag's.
      const step = async (path: string, act: () => Promise<unknown>) => {
        const answered = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith(path));
        await act();
        await answered;
      };
      await step('/custom/signup', () => page.evaluate(() => (globalThis as any).prisme.trigger('signup', { plan: 'pro', seats: 3 })));
      await step('/pageviews', () => page.evaluate(() => (globalThis as any).history.pushState({}, '', '/docs/next')));
      await step('/file-downloads', () => page.click('#dl'));
      await page.click('#out', { noWaitAfter: true });
    });
    // The outbound click is the last thing the page does: it leaves for the link, and the renderer calls its
    // request aborted though the browser delivers it (keepalive): the export below shows it stored.
    const leaving = (line: string) => line.includes('/outbound-links');
    expect(seen.problems.filter((p) => !(leaving(p) && p.endsWith('net::ERR_ABORTED')))).toEqual([]);
    expect(seen.asked).toEqual([
      'GET /static/wa.js',
      'POST /api/v1/events/pageviews',
      'POST /api/v1/events/custom/signup',
      'POST /api/v1/events/pageviews',
      'POST /api/v1/events/file-downloads',
      'POST /api/v1/events/outbound-links',
    ]);
    expect(seen.answered.filter((a) => !leaving(a))).toEqual([
      'GET /static/wa.js 200',
      'POST /api/v1/events/custom/signup 200',
      'POST /api/v1/events/file-downloads 200',
      'POST /api/v1/events/pageviews 200',
      'POST /api/v1/events/pageviews 200',
    ]);
    const events = await exported(5);
    const site127 = site.url.origin;
    const byType = (type: string) => events.filter((e) => e.type === type);
    expect(byType('pageview').map((e) => [e.path, e.referrer])).toEqual([
      ['/docs/pricing', null],
      ['/docs/next', `${site127}/docs/pricing?utm_source=newsletter`],
    ]);
    // The browser is named by its client hints (Sec-CH-UA: Chromium), which win over the User-Agent.
    expect(byType('pageview')[0]).toMatchObject({ source: 'prisme', hostname: site.url.host, utmSource: 'newsletter', status: 200, browser: 'Chromium', os: 'Linux' });
    expect(byType('custom')).toEqual([expect.objectContaining({ name: 'signup', path: '/docs/pricing', properties: { plan: 'pro', seats: 3 } })]);
    // Clicks are stored with their page; the link's query string is not sent, as Prisme's tag sends it.
    expect(byType('file-download')).toEqual([expect.objectContaining({ target: `${site127}/files/report.pdf`, path: '/docs/next' })]);
    expect(byType('outbound-link')).toEqual([expect.objectContaining({ target: 'https://other.example/offer', path: '/docs/next' })]);
    expect(new Set(events.map((e) => e.sessionId)).size).toBe(1);
  }, 30_000);

  it('with data-manual="true" sends no pageview by itself and exposes prisme.pageview; data-path and data-status are read', async () => {
    pages.set('/app', `<!doctype html>${tag('data-manual="true"')}`);
    pages.set('/missing', `<!doctype html>${tag('data-path="/not-found-page" data-status="404"')}`);
    const manual = await visit('/app', 2, async (page) => {
      expect(await page.evaluate(() => typeof (globalThis as any).prisme.pageview)).toBe('function');
      await page.evaluate(() => (globalThis as any).prisme.pageview({ path: '/virtual/step-1' }));
    });
    const missing = await visit('/missing', 2, async (page) => {
      expect(await page.evaluate(() => typeof (globalThis as any).prisme.pageview)).toBe('undefined');
    });
    const once = { asked: ['GET /static/wa.js', 'POST /api/v1/events/pageviews'], answered: ['GET /static/wa.js 200', 'POST /api/v1/events/pageviews 200'], problems: [] };
    expect([manual, missing]).toEqual([once, once]);
    const all = await exported(7);
    expect(all).toHaveLength(7);
    const paths = all.filter((e) => e.type === 'pageview').map((e) => [e.path, e.status]);
    expect(paths).toContainEqual(['/virtual/step-1', 200]);
    expect(paths).toContainEqual(['/not-found-page', 404]);
  }, 30_000);

  it('tracks once when a page has the same tag twice, both tags when they differ, and links of any scheme with a host, SVG links too', async () => {
    // The page keeps every click (capture phase, before the tag's listener sees the bubbling click).
    const stay = `<script>document.addEventListener('click', (e) => e.preventDefault(), true)</script>`;
    // The second copy as WordPress enqueues a theme's script: a version query, an attribute of its own.
    const wordpress = `<script defer src="${ff.url}/static/wa.js?ver=6.4" data-wp-strategy="defer"></script>`;
    pages.set('/twice', `<!doctype html>${stay}${tag()}${wordpress}
      <a id="ftp" href="ftp://files.example.com/pub/a.zip?x=1">ftp</a> <a id="mail" href="mailto:sales@example.com">mail</a>
      <svg width="50" height="20"><a id="svg" href="https://svg.example/about"><text x="0" y="15">svg</text></a></svg>
      <a id="pinged" href="https://other.example/" ping="${ff.url.toUpperCase()}/api/v1/events/outbound-links ${ff.url}0/look-alike https://elsewhere.example/p">pinged</a>`);
    let pings = '';
    const twice = await visit('/twice', 4, async (page) => {
      for (const id of ['#ftp', '#mail', '#svg text']) await page.click(id);
      pings = await page.evaluate(() => (globalThis as any).document.getElementById('pinged').ping);
    });
    // The tag counts this link's click itself, so its ping to Footfall goes (whatever the case); others stay.
    expect(pings).toBe(`${ff.url}0/look-alike https://elsewhere.example/p`);
    const posts = (seen: { asked: string[] }) => seen.asked.filter((a) => a.startsWith('POST'));
    expect(twice.problems).toEqual([]);
    expect(posts(twice)).toEqual(['POST /api/v1/events/pageviews', 'POST /api/v1/events/outbound-links', 'POST /api/v1/events/outbound-links']);
    const all = await exported(10);
    expect(all).toHaveLength(10);
    const targets = all.filter((e) => e.type === 'outbound-link' && e.path === '/twice').map((e) => e.target);
    expect(targets.toSorted()).toEqual(['ftp://files.example.com/pub/a.zip', 'https://svg.example/about']);
    expect(twice.asked.filter((a) => a.startsWith('GET /static/wa.js'))).not.toHaveLength(0);

    // An automatic tag, a manual one, the automatic one again: the two differing tags both run (as Prisme's
    // would), the repeated one once.
    pages.set('/two-tags', `<!doctype html>${tag('data-status="201"')}${tag('data-manual="true"')}${tag('data-status="201"')}`);
    const two = await visit('/two-tags', 2);
    expect(posts(two)).toEqual(['POST /api/v1/events/pageviews']);
  }, 30_000);

  it('sends nothing once the visitor opted out in localStorage, as Prisme\'s tag', async () => {
    pages.set('/private', `<!doctype html><script>localStorage.setItem('prismeAnalytics.tracking.enable', 'false')</script>${tag()}`);
    const seen = await visit('/private', 2, async (page) => {
      await page.evaluate(() => (globalThis as any).prisme.trigger('ignored', {}));
      // Asked after the trigger, so a request the tag made would be listed before this one.
      await page.evaluate((url) => fetch(`${url}/api/v1/healthcheck`, { mode: 'no-cors' }), ff.url);
    });
    expect(seen).toEqual({ asked: ['GET /static/wa.js', 'GET /api/v1/healthcheck'], answered: ['GET /api/v1/healthcheck 200', 'GET /static/wa.js 200'], problems: [] });
  }, 30_000);
});
