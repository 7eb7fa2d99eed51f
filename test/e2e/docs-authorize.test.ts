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
    ff = await startBinary([], { FOOTFALL_ADMIN_PASSWORD: 'swagger ui password' });
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
});
