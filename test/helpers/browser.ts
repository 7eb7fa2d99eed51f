/** @module Test helper: Debian's headless Chromium through playwright-core (no browser download), and whether tests may run without it. */
import { describe } from 'bun:test';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

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
