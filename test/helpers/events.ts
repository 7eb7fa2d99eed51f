/** @module Test helper: realistic canonical events made from a number, so a run is reproducible. */
import { blankEvent, type CanonicalEvent } from '../../src/ingest/event.ts';
import { uuidv7 } from '../../src/lib/uuid.ts';

export const T0 = Date.UTC(2026, 10, 1, 12, 0, 0);

export function makeEvent(i: number, over: Partial<CanonicalEvent> = {}): CanonicalEvent {
  const ts = T0 + i * 10;
  const e = blankEvent(uuidv7(ts), new Date(ts).toISOString(), 'prisme', 'pageview');
  e.websiteId = over.websiteId ?? '0b9d3c52-7a57-4a0e-9f1e-2d2b6f1c0001';
  e.url = `https://www.example.com/page/${i % 50}?utm_source=news`;
  e.hostname = 'www.example.com';
  e.path = `/page/${i % 50}`;
  e.query = 'utm_source=news';
  e.referrerDomain = i % 3 ? 'direct' : 'news.ycombinator.com';
  e.status = 200;
  e.visitorId = `prisme_${(i % 997).toString(16).toUpperCase()}`;
  e.sessionId = uuidv7(ts - 1000);
  e.browser = 'Chrome';
  e.browserVersion = '131.0.0.0';
  e.os = 'Windows';
  e.osVersion = '10';
  e.device = 'desktop';
  e.country = 'US';
  e.utmSource = 'news';
  e.properties = i % 5 === 0 ? { plan: 'pro', n: i, ok: true, nested: { a: [1, 2] } } : null;
  return { ...e, ...over };
}

/** A value JSON.stringify cannot write: nested deeper than the engine's stack allows. */
export function tooDeep(levels = 100_000): unknown {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = [v];
  return v;
}
