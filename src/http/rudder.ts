/** @module RudderStack routes: GET pixel endpoints (always the GIF) and the HTTP API the SDKs post to (Basic auth write key). */
import { Elysia } from 'elysia';
import type { Server } from 'bun';
import type { SubmitOutcome, WriteBuffer } from '../buffer/write-buffer.ts';
import type { DropCounter, DropReason } from '../ingest/drop-reasons.ts';
import type { CanonicalEvent } from '../ingest/event.ts';
import type { GeoReader } from '../ingest/geo.ts';
import { isRudderType, rudderCanonicalEvent, type RudderType } from '../ingest/rudder-event.ts';
import { queryFirstValue } from '../ingest/go-query.ts';
import { addServerFields, hasIdentity, messageClient, type PixelType } from '../ingest/rudder-message.ts';
import type { RudderPixelHit } from '../ingest/rudder-pixel-hit.ts';
import type { JsonObject } from '../ingest/sjson-path.ts';
import { clientHintsFrom, cutUserAgent, type UserAgentParser } from '../ingest/user-agent.ts';
import type { Clock } from '../lib/clock.ts';
import { truncateIp } from '../lib/ip.ts';
import type { ClientIpPolicy } from './client-ip.ts';
import { isDocsTryOut } from './docs-try-out.ts';
import { RUDDER_GIF } from './gifs.ts';
import { endsWithSlash, hasFragment, pathOf, requestClientIp } from './request-values.ts';
import { rudderDocs } from './rudder-docs.ts';
import { corsHeaders, preflight, refusal, text } from './rudder-responses.ts';
import { readJsonBody } from './rudder-body.ts';
import { nextTurn } from '../lib/next-turn.ts';

export interface RudderRouteDeps {
  /** Write key → website id, or null when no website has it. */
  websiteForWriteKey(key: string): string | null;
  ua: UserAgentParser;
  geo: GeoReader;
  clock: Clock;
  ipPolicy: ClientIpPolicy;
  buffer: WriteBuffer;
  drops: DropCounter;
  keepIp: boolean;
}

type Ctx = { request: Request; server: Server<unknown> | null };

/**
 * "Basic base64(writeKey:)" → the write key, or null (rudder: "failed to read writekey from
 * header"), as Go's Request.BasicAuth reads the header: the scheme word in any case followed by
 * exactly one space, standard padded base64, a colon in the decoded text.
 */
export function basicAuthUser(header: string | null): string | null {
  if (!header || header.length < 6 || header.slice(0, 6).toLowerCase() !== 'basic ') return null;
  const b64 = header.slice(6);
  if (!STD_BASE64.test(b64)) return null;
  const decoded = Buffer.from(b64, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  const user = decoded.slice(0, colon);
  return user === '' ? null : user;
}
const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The first of several Authorization headers, as Go's Header.Get gives it: Bun joins them with
 * `, `, so the text before the first `, ` (a Basic credential holds neither a comma nor a space).
 * A lone comma stays, and is refused as Go refuses it (`Basic a2V5Og==,`); one header that holds
 * `, ` itself (`Basic a2V5Og==, junk`) cannot be told from two, and reads as its first part.
 */
export function firstAuthorization(header: string | null): string | null {
  if (header === null) return null;
  const joint = header.indexOf(', ');
  return joint < 0 ? header : header.slice(0, joint);
}

const GIF_NO_ORIGIN = new Headers({ vary: 'Origin', 'content-type': 'image/gif' });

/** Types the gateway takes without anonymousId or userId (isNonIdentifiable: extract and rETL events). */
const ID_FREE_TYPES: ReadonlySet<unknown> = new Set(['extract', 'record']);

/** Messages of a batch built between two turns of the event loop (~3–4 ms of work). */
const BATCH_SLICE = 1000;

export function rudderRoutes(d: RudderRouteDeps) {
  const storedIp = (ip: string) => (d.keepIp ? ip : truncateIp(ip));

  /** Always the GIF; synchronous unless the write buffer makes the request wait (durable acks). */
  function pixel(c: Ctx, type: PixelType): Response | Promise<Response> {
    // chi routes GET only (HEAD is 405 there), and a trailing slash is another path (404).
    if (c.request.method !== 'GET' || endsWithSlash(c.request.url)) return notAllowed(c.request);
    // <img> requests carry no Origin: their headers are always the same, built once.
    const headers = c.request.headers.has('origin') ? { ...corsHeaders(c.request), 'content-type': 'image/gif' } : GIF_NO_ORIGIN;
    const gif = () => new Response(RUDDER_GIF, { status: 200, headers });
    let stored: SubmitOutcome | Promise<SubmitOutcome> | null;
    try {
      stored = pixelHit(c, type);
    } catch {
      // Whatever happens, the client gets the GIF (upstream writes it in a deferred step).
      d.drops.add('invalid-input');
      return gif();
    }
    if (stored instanceof Promise) return stored.then((s) => (countFull(s), gif()), () => (d.drops.add('invalid-input'), gif()));
    countFull(stored);
    return gif();
  }
  const countFull = (s: SubmitOutcome | null) => s === 'full' && d.drops.add('buffer-full');

  /**
   * The hit handed to the buffer (its answer), or null when it is not stored (the reason
   * counted). Only the write key is read here; the writer thread maps the query and builds the
   * event, dropping (and counting) an empty track event or a hit without an id.
   */
  function pixelHit({ request, server }: Ctx, type: PixelType): SubmitOutcome | Promise<SubmitOutcome> | null {
    const url = request.url;
    const q = url.indexOf('?');
    const query = q >= 0 ? url.slice(q + 1) : '';
    const writeKey = basicAuthName(queryFirstValue(query, 'writeKey'));
    if (!writeKey) return drop('unknown-write-key');
    const websiteId = d.websiteForWriteKey(writeKey);
    if (!websiteId) return drop('unknown-write-key');
    if (isDocsTryOut(request.headers)) return drop('docs-try-out');
    const ip = requestClientIp(d.ipPolicy, server, request);
    const hit: RudderPixelHit = {
      deferred: 'rudder-pixel', type, query, nowMs: d.clock(), websiteId, requestIp: storedIp(ip), keepIp: d.keepIp,
      userAgent: cutUserAgent(request.headers.get('user-agent') ?? ''), hints: clientHintsFrom(request.headers), geo: d.geo.lookup(ip),
    };
    return d.buffer.submit(hit);
  }
  const drop = (reason: DropReason): null => (d.drops.add(reason), null);

  /**
   * A write key from a query as the gateway ends up reading it: the pixel and beacon handlers put
   * it in a Basic auth header (SetBasicAuth(key, "")), which BasicAuth() then cuts at its first
   * `:`. So `K:junk` is the key `K`, and `:junk` none.
   */
  function basicAuthName(key: string | undefined): string | undefined {
    if (!key) return undefined;
    const colon = key.indexOf(':');
    return colon < 0 ? key : key.slice(0, colon);
  }

  /** The HTTP API: auth → body (size, gzip, UTF-8, JSON) → identity of every message → all stored or none. */
  function api(c: Ctx, type: RudderType | 'batch'): Promise<Response> {
    if (endsWithSlash(c.request.url)) return Promise.resolve(notAllowed(c.request));
    const key = basicAuthUser(firstAuthorization(c.request.headers.get('authorization')));
    if (key !== null) return ingest(c, type, key);
    // Counted as one hit: the body, and so the number of messages, is not read.
    return Promise.resolve(refusal('no-write-key-header', corsHeaders(c.request), d.drops));
  }

  /** navigator.sendBeacon cannot set headers: rudder-server's beacon interceptor takes the write key from the query, then hands over to the batch handler. */
  function beacon(c: Ctx): Promise<Response> {
    if (endsWithSlash(c.request.url)) return Promise.resolve(notAllowed(c.request));
    // As Go reads a query: a pair holding a `;` or a bad escape is skipped, the first value wins.
    const url = c.request.url;
    const q = url.indexOf('?');
    const given = q < 0 ? undefined : queryFirstValue(url.slice(q + 1), 'writeKey');
    const key = basicAuthName(given);
    if (key) return ingest(c, 'batch', key);
    return Promise.resolve(refusal(given ? 'no-write-key-header' : 'no-write-key-query', corsHeaders(c.request), d.drops));
  }

  async function ingest({ request, server }: Ctx, type: RudderType | 'batch', key: string): Promise<Response> {
    const cors = corsHeaders(request);
    const websiteId = d.websiteForWriteKey(key);
    if (!websiteId) return refusal('invalid-write-key', cors, d.drops);
    const body = await readJsonBody(request, type === 'batch');
    if (body === 'too-large' || body === 'busy' || body === 'invalid') return refusal(body === 'invalid' ? 'invalid-json' : body, cors, d.drops);
    let messages: { type: RudderType; message: JsonObject }[];
    if (type === 'batch') {
      // gjson's `batch` as an array: any other value (an object, a string, a number) is a batch of
      // one; missing or null is empty.
      const raw = isObject(body) ? body.batch : undefined;
      const batch = Array.isArray(raw) ? raw : raw === undefined || raw === null ? [] : [raw];
      if (batch.length === 0) return refusal('empty-batch', cors, d.drops);
      // Message by message, as the gateway reads them, so that the first one wrong says why:
      // not an object, then no id (but for the types the gateway lets go without one).
      for (const m of batch) {
        if (!isObject(m)) return refusal('not-rudder-event', cors, d.drops, batch.length);
        if (!hasIdentity(m) && !ID_FREE_TYPES.has(m.type)) return refusal('no-identity', cors, d.drops, batch.length);
      }
      // Then Footfall's own rule, once the gateway's checks have passed: a message is stored as
      // one of the six call types (its canonical `type`), where rudder-server takes any.
      if (!batch.every((m) => isRudderType((m as JsonObject).type))) return refusal('not-rudder-event', cors, d.drops, batch.length);
      messages = (batch as JsonObject[]).map((m) => ({ type: m.type as RudderType, message: m }));
    } else {
      // sjson sets `type` on an object, replaces a bare value by {"type":…}, and fails on an array.
      if (Array.isArray(body)) return refusal('not-rudder-event', cors, d.drops);
      const message: JsonObject = isObject(body) ? body : {};
      message.type = type;
      if (!hasIdentity(message)) return refusal('no-identity', cors, d.drops);
      messages = [{ type, message }];
    }
    const full = () => refusal('buffer-full', cors, d.drops, messages.length);
    // Room is held before the work of building the events (a batch of 80k tiny messages makes
    // ~0.3 s of it): one that does not fit is refused first, and batches built at the same time
    // never hold more than the buffer takes.
    const count = messages.length;
    if (!d.buffer.hold(count)) return full();
    let events: CanonicalEvent[];
    try {
      events = await buildInSlices(request, server, messages, websiteId);
    } catch (e) {
      d.buffer.release(count);
      throw e;
    }
    // The key is asked again: reading the body and building took time (a slow upload, minutes), and
    // a key rotated or a website deleted meanwhile stops working at once, for requests in flight too.
    if (d.websiteForWriteKey(key) !== websiteId) {
      d.buffer.release(count);
      return refusal('invalid-write-key', cors, d.drops, count);
    }
    const r = d.buffer.submitAll(events, count);
    const outcome = r instanceof Promise ? await r : r;
    if (outcome === 'full') return full();
    // Durable acks whose batch did not commit in time: not acknowledged (it stays queued), retry.
    if (outcome === 'late') return refusal('late', cors, d.drops);
    return text(200, 'OK', cors);
  }

  /** A turn of the event loop between slices: other requests are answered while a big batch is built. */
  async function buildInSlices(request: Request, server: Ctx['server'], messages: { type: RudderType; message: JsonObject }[], websiteId: string): Promise<CanonicalEvent[]> {
    const now = d.clock();
    const ip = requestClientIp(d.ipPolicy, server, request);
    const events: CanonicalEvent[] = [];
    // Read once for the whole batch: every message came with the same request.
    const userAgent = request.headers.get('user-agent') ?? '';
    const hints = clientHintsFrom(request.headers);
    const geo = d.geo.lookup(ip);
    for (let i = 0; i < messages.length; i++) {
      if (i > 0 && i % BATCH_SLICE === 0) await nextTurn();
      const { type: t, message } = messages[i]!;
      addServerFields(message, { nowMs: now, requestIp: storedIp(ip), keepIp: d.keepIp });
      events.push(rudderCanonicalEvent(t, message, { websiteId, nowMs: now, client: messageClient(d.ua, message, userAgent, hints), geo }));
    }
    return events;
  }

  const app = new Elysia({ name: 'rudder' })
    .get('/pixel/v1/page', ({ request, server }) => pixel({ request, server }, 'page'), { detail: rudderDocs.pixel('page') })
    .get('/pixel/v1/track', ({ request, server }) => pixel({ request, server }, 'track'), { detail: rudderDocs.pixel('track') })
    // Other methods: CORS preflight first (rs/cors sits in front of the router), then chi's 405.
    .all('/pixel/v1/*', ({ request }) => preflight(request) ?? notAllowed(request), { parse: 'none', detail: { hide: true } });
  for (const t of ['identify', 'track', 'page', 'screen', 'group', 'alias', 'batch'] as const)
    app.post(`/v1/${t}`, ({ request, server }) => api({ request, server }, t), { parse: 'none', detail: rudderDocs.api(t) });
  return app
    .all('/v1/*', ({ request }) => preflight(request) ?? notAllowed(request), { parse: 'none', detail: { hide: true } })
    .post('/beacon/v1/batch', ({ request, server }) => beacon({ request, server }), { parse: 'none', detail: rudderDocs.beacon() })
    .all('/beacon/v1/*', ({ request }) => preflight(request) ?? notAllowed(request), { parse: 'none', detail: { hide: true } });
}

/**
 * What the catch-all routes under /pixel/v1/, /v1/ and /beacon/v1/ answer, for a request no
 * route took: one without a Host arrives as a bare path, which Elysia's fallback router
 * misreads (app.ts); null when the path is not RudderStack's.
 */
export function rudderUnmatched(request: Request): Response | null {
  const path = pathOf(request.url);
  if (!path.startsWith('/pixel/v1/') && !path.startsWith('/v1/') && !path.startsWith('/beacon/v1/')) return null;
  return preflight(request) ?? notAllowed(request);
}

function notAllowed(request: Request): Response {
  const path = pathOf(request.url);
  // chi routes the whole path, a `#` and what follows too: no route has one.
  const known = !hasFragment(request.url) && (/^\/pixel\/v1\/(page|track)$/.test(path) || /^\/v1\/(identify|track|page|screen|group|alias|batch)$/.test(path) || path === '/beacon/v1/batch');
  if (!known) return text(404, '404 page not found', corsHeaders(request));
  return new Response(null, { status: 405, headers: { ...corsHeaders(request), allow: path.startsWith('/pixel/') ? 'GET' : 'POST' } });
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
