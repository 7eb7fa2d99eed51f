/** @module Prisme hits as plain values (page URL text, headers, body, client address) → a canonical event or a 400 reason. */
import { blankEvent, putClient, putGeo, putUtm, type CanonicalEvent, type EventType } from './event.ts';
import type { DropReason } from './drop-reasons.ts';
import type { PrismeContext } from './prisme-context.ts';
import type { PrismeSession } from './prisme-sessions.ts';
import { MAX_URL_LENGTH, referrerDomain, type PageUrl } from './url.ts';
import type { ClientHints } from './user-agent.ts';
import { deviceId, deviceKey, visitorId as autoVisitorId } from './visitor-id.ts';
import { uuidv7 } from '../lib/uuid.ts';
import { isoTime } from '../lib/clock.ts';
import { jsonTooDeep } from '../lib/json-depth.ts';
import { readJsonObjectPrefix } from '../lib/json-object-prefix.ts';
import { compactJson, jsonNeedsExactText, keepExactText } from '../lib/exact-json.ts';

/** The client as every Prisme handler sees it. */
export interface PrismeClient {
  ip: string;
  userAgent: string;
  hints?: ClientHints;
}

export type PrismeResult =
  | {
      ok: true;
      event: CanonicalEvent | null;
      drop?: DropReason;
      location?: string;
      /**
       * A pageview's change to its sessions, for the caller to make once the event is taken (at
       * once when there is none): refused for a full buffer, it must leave the sessions as they
       * were, so that the client's retry is not read as a reload (planPageview).
       */
      commit?: () => void;
    }
  | { ok: false; reason: string; drop: DropReason };

const fail = (reason: string, drop: DropReason = 'invalid-input'): PrismeResult => ({ ok: false, reason, drop });

export interface PageviewInput {
  /** X-Prisme-Referrer (or `referrer` query), else Referer. */
  page: string | null;
  /** X-Prisme-Document-Referrer (or `document-referrer` query); empty = none. */
  documentReferrer: string | null;
  visitorId: string | null;
  status: string | null;
}

/** Why a URL given as `what` was refused: too long to read (MAX_URL_LENGTH), or not a URL Prisme takes. */
function urlProblem(raw: string | null, what: string): string {
  return raw && raw.length > MAX_URL_LENGTH ? `${what} over ${MAX_URL_LENGTH} characters` : `invalid ${what}`;
}

/** Prisme's pageview: checks in upstream order, then the session algorithm (upstream.md §3.4–3.5). */
export function prismePageview(ctx: PrismeContext, client: PrismeClient, input: PageviewInput): PrismeResult {
  const page = input.page ? ctx.parseUrl(input.page) : null;
  if (!page) return fail(urlProblem(input.page, '"Referer" or "X-Prisme-Referrer"'));
  const status = parseStatus(input.status);
  if (status === null) return fail('invalid pageview status');
  // Sessions keep the id for up to a day: bounded, so a header of any size (they may be 512 KiB) cannot fill memory.
  if (input.visitorId && input.visitorId.length > MAX_VISITOR_ID) return fail(`visitor id over ${MAX_VISITOR_ID} characters`);
  let referrer: PageUrl | null = null;
  if (input.documentReferrer) {
    referrer = ctx.parseUrl(input.documentReferrer);
    if (!referrer) return fail(urlProblem(input.documentReferrer, 'document referrer'));
  }
  const parsed = ctx.ua.parse(client.userAgent, client.hints);
  const device = deviceId(ctx.processSalt, client.userAgent, client.ip, page.host);
  const now = ctx.clock();
  const plan = ctx.sessions.planPageview({
    device: deviceKey(device),
    page,
    referrer,
    visitorId: input.visitorId || null,
    autoVisitorId: () => autoVisitorId(ctx.salts.saltFor(now), client.userAgent, client.ip, page.host),
    client: parsed,
    isBot: parsed.isBot,
    geo: () => ctx.geo.lookup(client.ip),
  });
  const outcome = plan.outcome;
  switch (outcome.kind) {
    case 'bot':
      return fail('bot session filtered', 'bot');
    case 'clone-nothing-stored':
      // A reload or a duplicated tab: Prisme answers 200 and stores nothing.
      return { ok: true, event: null, drop: 'duplicate-pageview', commit: plan.apply };
    default: {
      const e = sessionEvent(ctx, 'pageview', outcome.session, page, page.path, now);
      e.status = status;
      e.referrer = referrer?.href ?? null;
      e.referrerDomain = referrerDomain(referrer);
      return { ok: true, event: e, commit: plan.apply };
    }
  }
}

/** Longest X-Prisme-Visitor-Id (or `visitor-id`) taken: ids are UUIDs or hashes, far shorter. */
export const MAX_VISITOR_ID = 256;

/** Decimal 0–65535 as Go's ParseUint(s, 10, 16) reads it (leading zeros too); absent or empty means 200. */
function parseStatus(s: string | null): number | null {
  if (s === null || s === '') return 200;
  if (!/^\d+$/.test(s)) return null;
  const n = Number(s);
  return n <= 65535 ? n : null;
}

/**
 * A custom event's properties, read only once its session is found: upstream checks the page,
 * waits for the session and only then reads the properties (customBodyProperties / noscriptProps).
 */
export type PropertiesReader = () => { ok: true; properties: Record<string, unknown> } | { ok: false; reason: string };

/** The custom event's name, page and properties. */
export function prismeCustom(
  ctx: PrismeContext,
  client: PrismeClient,
  input: { name: string; page: string | null; properties: PropertiesReader; heldBytes?: () => number },
): PrismeResult | Promise<PrismeResult> {
  const page = input.page ? ctx.parseUrl(input.page) : null;
  if (!page) return fail(urlProblem(input.page, '"Referer" or "X-Prisme-Referrer"'));
  const device = deviceKey(deviceId(ctx.processSalt, client.userAgent, client.ip, page.host));
  const custom = (session: Readonly<PrismeSession> | null): PrismeResult => {
    if (!session) return fail('session not found', 'no-session');
    const props = input.properties();
    if (!props.ok) return fail(props.reason);
    const e = sessionEvent(ctx, 'custom', session, page, page.path, ctx.clock());
    e.name = input.name;
    e.properties = props.properties;
    return { ok: true, event: e };
  };
  // Usually the pageview came first: answer at once; else wait for it (up to the events timeout).
  const now = ctx.sessions.findSession(device, page.path);
  // A wait holds the request and its body (up to 4 MiB): the store caps what waits hold together.
  return now ? custom(now) : ctx.sessions.waitForSession(device, page.path, ctx.eventsTimeoutMs, () => input.heldBytes?.() ?? 0).then(custom);
}

/**
 * Prisme master: a custom event that declares a body (a non-zero Content-Length, or a chunked
 * one, even if it turns out empty) must declare exactly `application/json` (checked before
 * anything else).
 */
export function customBodyTypeOk(contentType: string | null, declaresBody: boolean): boolean {
  return !declaresBody || contentType === 'application/json';
}

/**
 * A JSON custom-event body → its top-level properties, as Prisme master reads them: no body is
 * `{}`; else the body must start with an object (primitives and arrays are refused), whose names
 * do not repeat; what follows its closing brace is not read.
 */
export function customBodyProperties(body: string): ReturnType<PropertiesReader> {
  if (body.length === 0) return { ok: true, properties: {} };
  const r = readJsonObjectPrefix(body);
  if (r.ok) return { ok: true, properties: r.value };
  return { ok: false, reason: r.reason === 'not a JSON object' ? 'body must be a JSON object' : r.reason === 'malformed JSON' ? 'malformed JSON body' : r.reason };
}

/** Noscript custom props: every `prop-<name>` parameter; each value must be JSON text. First value of a name wins. */
export function noscriptProps(params: URLSearchParams): { ok: true; properties: Record<string, unknown> } | { ok: false; reason: string } {
  const properties: Record<string, unknown> = {};
  /** Values whose numbers need their text (exact-json.ts), compacted, by name. */
  let exactTexts: Map<string, string> | null = null;
  for (const [k, v] of params) {
    if (!k.startsWith('prop-') || k.length === 5) continue;
    const name = k.slice(5);
    if (jsonTooDeep(v)) return { ok: false, reason: `property ${name} is nested too deeply` };
    let parsed: unknown;
    try {
      parsed = JSON.parse(v);
    } catch {
      return { ok: false, reason: `property ${name} is not a JSON value` };
    }
    // defineProperty: a plain assignment to `__proto__` would set the prototype, not a property.
    if (!Object.hasOwn(properties, name)) {
      Object.defineProperty(properties, name, { value: parsed, enumerable: true, writable: true, configurable: true });
      // Kept as its text, a value keeps all of it, repeated names inside included: Prisme stores each value's text as given.
      if (jsonNeedsExactText(v)) (exactTexts ??= new Map()).set(name, compactJson(v));
    }
  }
  if (exactTexts) {
    const texts = exactTexts;
    keepExactText(properties, `{${Object.keys(properties).map((k) => `${JSON.stringify(k)}:${texts.get(k) ?? JSON.stringify(properties[k])}`).join(',')}}`);
  }
  return { ok: true, properties };
}

export type ClickKind = 'file-download' | 'outbound-link';

/**
 * File downloads and outbound links. Normal mode: page from headers, body = absolute target URL.
 * Ping mode (`<a ping>`, body `PING`): page = Ping-From, target = Ping-To, and the session may be
 * found on the site root instead of the page (Prisme retries with `/`).
 */
export async function prismeClick(
  ctx: PrismeContext,
  client: PrismeClient,
  kind: ClickKind,
  input: { page: string | null; target: string | null; ping: boolean; retryRoot?: boolean; heldBytes?: () => number },
): Promise<PrismeResult> {
  const page = input.page ? ctx.parseUrl(input.page) : null;
  if (!page) return fail(urlProblem(input.page, input.ping ? '"Ping-From"' : '"Referer" or "X-Prisme-Referrer"'));
  const target = input.target ? ctx.parseUrl(input.target) : null;
  if (!target) return fail(urlProblem(input.target, input.ping ? '"Ping-To"' : 'target URL'));
  if (kind === 'outbound-link' && target.host === page.host) return fail('internal link');
  const device = deviceKey(deviceId(ctx.processSalt, client.userAgent, client.ip, page.host));
  let session: Readonly<PrismeSession> | null;
  let path = page.path;
  const held = () => target.href.length + (input.heldBytes?.() ?? 0);
  if (input.ping || input.retryRoot) {
    const hit = await ctx.sessions.waitForSessionOrRoot(device, page, ctx.eventsTimeoutMs, held);
    session = hit?.session ?? null;
    if (hit) path = hit.path;
  } else {
    session = await ctx.sessions.waitForSession(device, page.path, ctx.eventsTimeoutMs, held);
  }
  if (!session) return fail('session not found', 'no-session');
  const e = sessionEvent(ctx, kind, session, page, path, ctx.clock());
  e.target = target.href;
  return { ok: true, event: e, location: target.href };
}

/** An event carrying the session's identity, client, location and UTM, for `page` at `path`. */
function sessionEvent(ctx: PrismeContext, type: EventType, s: Readonly<PrismeSession>, page: PageUrl, path: string, now: number): CanonicalEvent {
  const e = blankEvent(uuidv7(now), isoTime(now), 'prisme', type);
  e.websiteId = ctx.origins.websiteFor(page.host);
  e.url = page.href;
  e.hostname = page.host;
  e.path = path;
  e.query = page.query || null;
  e.referrerDomain = s.referrerDomain;
  e.visitorId = s.visitorId;
  e.sessionId = s.sessionId;
  putClient(e, s.client);
  putGeo(e, s.geo);
  putUtm(e, s);
  return e;
}
