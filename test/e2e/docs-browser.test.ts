import { afterAll, beforeAll, expect, it } from 'bun:test';
import type { Browser } from 'playwright-core';
import { browserDescribe, launchChromium, tryItOut } from '../helpers/browser.ts';
import { startBinary, type Running } from '../helpers/binary.ts';

// In CI the browser is installed by .ci/run, so its absence is a failure there, a skip elsewhere.
const run = browserDescribe('docs-browser');

run('Swagger UI from the compiled binary in headless Chromium', () => {
  let ff: Running;
  let browser: Browser;

  beforeAll(async () => {
    ff = await startBinary();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    if (ff) expect(await ff.stop()).toBe(0);
  });

  it('renders the operations with no request leaving the Footfall origin, and Try it out on the healthcheck gets 200', async () => {
    const origin = new URL(ff.url).origin;
    const context = await browser.newContext();
    const foreign: string[] = [];
    // The browser's network is restricted to the Footfall origin: any CDN request is recorded and fails.
    await context.route('**/*', (route) => {
      const u = route.request().url();
      if (u.startsWith(origin + '/')) return route.continue();
      foreign.push(u);
      return route.abort();
    });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    await page.goto(`${ff.url}/docs`);
    await page.waitForSelector('.opblock', { timeout: 20_000 });
    expect(await page.locator('.opblock').count()).toBeGreaterThan(2);
    expect(await page.locator('.info .title').innerText()).toContain('Footfall');

    const { status } = await tryItOut(page, 'operations-Health-getApiV1Healthcheck');
    expect(status).toStartWith('200');

    expect(foreign).toEqual([]);
    expect(pageErrors).toEqual([]);
    await context.close();
  }, 30_000);
});
