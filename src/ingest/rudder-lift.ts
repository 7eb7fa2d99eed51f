/** @module A mapped RudderStack message → the canonical event columns it carries (strings or null). */
import type { JsonObject } from './sjson-path.ts';

export interface RudderFields {
  anonymousId: string | null;
  userId: string | null;
  /** page: `name`; track: `event` */
  name: string | null;
  url: string | null;
  path: string | null;
  referrer: string | null;
  title: string | null;
  /** from `url` */
  hostname: string | null;
  /** from `url`, without the `?`; null when empty */
  query: string | null;
  properties: JsonObject | null;
  userAgent: string | null;
  event: string | null;
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function obj(v: unknown): JsonObject | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as JsonObject) : null;
}

/**
 * Values are strings in a pixel message, but a query can turn any of them into an object or
 * array (`context.page.url.0=x`); such a value is not a column value and reads as null.
 */
export function liftRudderFields(message: JsonObject): RudderFields {
  const context = obj(message.context);
  const page = obj(context?.page);
  const properties = obj(message.properties);
  // The pixel docs allow page basics under context.page.* or properties.*; upstream copies
  // neither way, so we read context.page first (what the AMP SDK sends), then properties.
  const pick = (k: string): string | null => str(page?.[k]) ?? str(properties?.[k]);
  const url = pick('url');
  let hostname: string | null = null;
  let query: string | null = null;
  if (url !== null) {
    const u = URL.parse(url);
    if (u) {
      hostname = u.hostname || null;
      query = u.search.length > 1 ? u.search.slice(1) : null;
    }
  }
  const event = str(message.event);
  return {
    anonymousId: str(message.anonymousId),
    userId: str(message.userId),
    name: message.type === 'track' ? event : str(message.name),
    url,
    path: pick('path'),
    referrer: pick('referrer'),
    title: pick('title'),
    hostname,
    query,
    properties,
    userAgent: str(context?.userAgent),
    event,
  };
}
