/** @module Test helper: an in-process app with the accounts world, JSON request builders and a pixel's hits read back through the canonical export. */
import type { CanonicalEvent } from '../../src/ingest/event.ts';
import { accountsWorld } from './accounts-fixture.ts';
import { testApp } from './test-app.ts';

export const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
export const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';

export interface PixelJson {
  id: string;
  name: string;
  slug: string;
  userId: string | null;
  teamId: string | null;
  createdAt: string;
  updatedAt: string;
  deletedAt: string | null;
}

export async function pixelApp(argv: string[] = []) {
  const t = testApp(['--trust-proxy', ...argv]);
  const w = await accountsWorld(t.meta, t.deps.passwords!, t.clock);
  const send = (method: string, path: string, body?: unknown, authorization = w.auth.owner) =>
    t.request(path, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(authorization ? { authorization } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  /** Creates a pixel through the API as `owner` and returns its JSON (throws unless 200). */
  const create = async (body: Record<string, unknown>, authorization = w.auth.owner): Promise<PixelJson> => {
    const res = await send('POST', '/api/pixels', body, authorization);
    if (res.status !== 200) throw new Error(`create answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as PixelJson;
  };
  /** A browser on `ip` fetching the pixel image. */
  const hit = (slugAndQuery: string, headers: Record<string, string> = {}, ip = '203.0.113.7') =>
    t.request(`/p/${slugAndQuery}`, { headers: { 'user-agent': CHROME, 'x-forwarded-for': ip, ...headers } });
  /** Flushes the buffer and returns the pixel's hits through the export (NDJSON), as an admin so deleted pixels work too. */
  const stored = async (pixelId: string): Promise<CanonicalEvent[]> => {
    await t.buffer.flush();
    const res = await send('GET', `/api/pixels/${pixelId}/export`, undefined, w.auth.admin);
    if (res.status !== 200) throw new Error(`export answered ${res.status}: ${await res.text()}`);
    return (await res.text()).split('\n').filter(Boolean).map((l) => JSON.parse(l) as CanonicalEvent);
  };
  return { ...t, w, send, create, hit, stored };
}
