import { afterAll, beforeAll, expect, it } from 'bun:test';
import type { Browser } from 'playwright-core';
import { browserDescribe, launchChromium, tryItOut } from '../helpers/browser.ts';
import { startBinary, type Running } from '../helpers/binary.ts';

// In CI the browser is installed by .ci/run, so its absence is a failure there, a skip elsewhere.
const run = browserDescribe('docs-authorize');

run("Swagger UI's Authorize and Try it out against the compiled binary", () => {
  let ff: Running;
  let browser: Browser;

  beforeAll(async () => {
    // Durable acks: a hit's answer leaves once it is committed, so an export right after shows it.
    ff = await startBinary(['--ack', 'durable'], { FOOTFALL_ADMIN_PASSWORD: 'swagger ui password' });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    if (ff) expect(await ff.stop()).toBe(0);
  });

  it('sends the bearer token entered in Authorize, so GET /api/me answers 200 with the user', async () => {
    const login = await fetch(`${ff.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'swagger ui password' }),
    });
    const { token } = (await login.json()) as { token: string };
    const page = await browser.newPage();
    await page.goto(`${ff.url}/docs`);
    await page.waitForSelector('.opblock', { timeout: 20_000 });

    await page.locator('.btn.authorize').first().click();
    const bearer = page.locator('.modal-ux .auth-container').filter({ hasText: 'bearer' }).first();
    await bearer.locator('input').first().fill(token);
    await bearer.locator('button.authorize').click();
    await page.locator('.modal-ux button.btn-done, .modal-ux .close-modal').first().click();

    const { status, op } = await tryItOut(page, 'operations-Users-getApiMe');
    expect(status).toStartWith('200');
    expect(await op.locator('.live-responses-table .microlight').first().innerText()).toContain('"username": "admin"');
    await page.close();
  }, 30_000);

  it('answers "Try it out" on /p/{slug} with the GIF but stores no hit, counting it as docs-try-out', async () => {
    const login = await fetch(`${ff.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'swagger ui password' }),
    });
    const auth = { authorization: `Bearer ${((await login.json()) as { token: string }).token}`, 'content-type': 'application/json' };
    const created = await fetch(`${ff.url}/api/pixels`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'Docs pixel', slug: 'docs-try-out-pixel' }) });
    const pixel = (await created.json()) as { id: string };
    const page = await browser.newPage();
    await page.goto(`${ff.url}/docs`);
    await page.waitForSelector('.opblock', { timeout: 20_000 });

    const { status } = await tryItOut(page, 'operations-Pixels-getPBySlug', { slug: 'docs-try-out-pixel' });
    expect(status).toStartWith('200');
    await page.close();
    // The same URL fetched as an image is a hit.
    expect((await fetch(`${ff.url}/p/docs-try-out-pixel`, { headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0' } })).status).toBe(200);

    const metrics = (await (await fetch(`${ff.url}/api/metrics`, { headers: auth })).json()) as { drops: Record<string, number> };
    expect(metrics.drops['docs-try-out']).toBe(1);
    const lines = (await (await fetch(`${ff.url}/api/pixels/${pixel.id}/export`, { headers: auth })).text()).split('\n').filter(Boolean);
    expect(lines.map((l) => (JSON.parse(l) as { browser: string }).browser)).toEqual(['Firefox']);
  }, 30_000);
});
