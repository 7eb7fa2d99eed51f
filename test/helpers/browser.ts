/** @module Test helper: Debian's headless Chromium through playwright-core (no browser download), and whether tests may run without it. */
import { describe } from 'bun:test';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import type { Server } from 'bun';
import { startBinary, type Running } from './binary.ts';

export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

/** `describe`, or `describe.skip` with a warning when Chromium is missing outside CI (CI installs it, so there it must run). */
export function browserDescribe(name: string): typeof describe | typeof describe.skip {
  if (CHROMIUM || process.env.CI) return describe;
  console.warn(`${name}: Debian chromium not installed; skipping (apt-get install chromium)`);
  return describe.skip;
}

/** Flags that keep Chromium from reaching out on its own (updates, sync, background networking). */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM ?? '/usr/bin/chromium', args: [...CHROMIUM_ARGS, ...extraArgs] });
}

/** Swagger UI's "Try it out" → "Execute" on one operation, its parameters filled in by name; returns the live response's status text. */
export async function tryItOut(page: import('playwright-core').Page, operationId: string, params: Record<string, string> = {}): Promise<{ status: string; op: import('playwright-core').Locator }> {
  const op = page.locator(`#${operationId}`);
  await op.locator('.opblock-summary').click();
  await op.locator('button.try-out__btn').click();
  for (const [name, value] of Object.entries(params)) await op.locator(`tr[data-param-name="${name}"] input`).fill(value);
  await op.locator('button.execute').click();
  const status = op.locator('.live-responses-table tbody .response-col_status').first();
  await status.waitFor({ timeout: 10_000 });
  return { status: (await status.innerText()).trim(), op };
}

/** The compiled binary with an admin signed in, a customer's site on another port, and Chromium that reaches only loopback. */
export interface CustomerSite {
  ff: Running;
  /** The admin's login token. */
  token: string;
  /** The site's pages by path (HTML); tests add theirs. */
  pages: Map<string, string>;
  site: Server<unknown>;
  browser: Browser;
  /** A website's export (NDJSON, parsed), polled until it holds `count` events (the write buffer flushes every 250 ms). */
  exported(websiteId: string, count: number): Promise<Record<string, any>[]>;
  /** Closes the browser and the site, stops the binary; its exit status. */
  close(): Promise<number>;
}

/**
 * Starts the world a browser test of a tag or SDK needs. The site is another origin than Footfall (another
 * port), so every call the page makes to Footfall is cross-origin; `serve` answers the site's own assets
 * (null: the pages, else 404). Nothing is intercepted (Playwright would answer CORS preflights itself, and
 * Footfall's must be the ones the browser obeys): everything but loopback goes to a closed proxy port.
 */
export async function customerSite(password: string, serve: (path: string) => Response | null = () => null): Promise<CustomerSite> {
  const ff = await startBinary([], { FOOTFALL_ADMIN_PASSWORD: password });
  const login = await fetch(`${ff.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) });
  const token = ((await login.json()) as { token: string }).token;
  const pages = new Map<string, string>();
  const site = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch(req) {
      const path = new URL(req.url).pathname;
      const own = serve(path);
      if (own) return own;
      if (path === '/favicon.ico') return new Response(null, { status: 204 });
      const html = pages.get(path);
      return html ? new Response(html, { headers: { 'content-type': 'text/html; charset=utf-8' } }) : new Response('not found', { status: 404 });
    },
  });
  const browser = await launchChromium(['--proxy-server=http://127.0.0.1:9']);
  return {
    ff, token, pages, site, browser,
    async exported(websiteId, count) {
      let events: Record<string, any>[] = [];
      for (let i = 0; i < 100 && events.length < count; i++) {
        if (i) await Bun.sleep(100);
        const text = await (await fetch(`${ff.url}/api/websites/${websiteId}/export`, { headers: { authorization: `Bearer ${token}` } })).text();
        events = text.trim() ? text.trim().split('\n').map((l) => JSON.parse(l)) : [];
      }
      return events;
    },
    async close() {
      await browser.close();
      site.stop(true);
      return ff.stop();
    },
  };
}
