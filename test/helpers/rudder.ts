/** @module Test helper: an in-process app with one website and its write key, and RudderStack request builders. */
import type { CanonicalEvent } from '../../src/ingest/event.ts';
import { testApp } from './test-app.ts';

export const WRITE_KEY = 'wk_test_0123456789abcdef';
export const WEBSITE_ID = '6f3b0e0c-3c1e-4b8e-9f0a-0a1b2c3d4e5f';

export function rudderApp(argv: string[] = [], over: Parameters<typeof testApp>[1] = {}) {
  const t = testApp(['--trust-proxy', ...argv], over);
  const now = t.clock();
  t.meta.websites.create({ id: WEBSITE_ID, name: 'Test site', domain: 'shop.example', shareId: null, userId: null, teamId: null, createdBy: null, writeKey: WRITE_KEY }, now);
  const stored = async (): Promise<CanonicalEvent[]> => {
    await t.buffer.flush();
    const out: CanonicalEvent[] = [];
    for await (const e of t.events.scan({})) out.push(e);
    return out;
  };
  const pixel = (type: 'page' | 'track', query: string, headers: Record<string, string> = {}) => t.request(`/pixel/v1/${type}?${query}`, { headers });
  const auth = (key = WRITE_KEY) => 'Basic ' + btoa(`${key}:`);
  const api = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    t.request(`/v1/${path}`, { method: 'POST', headers: { authorization: auth(), 'content-type': 'application/json', ...headers }, body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body) });
  return { ...t, stored, pixel, api, auth };
}
