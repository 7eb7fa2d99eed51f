/** @module Prisme routes (JS and noscript): requests → gate → plain handler values → write buffer → upstream's answers. */
import { Elysia } from 'elysia';
import type { Server } from 'bun';
import type { SubmitOutcome, WriteBuffer } from '../buffer/write-buffer.ts';
import type { DropCounter } from '../ingest/drop-reasons.ts';
import type { PrismeContext } from '../ingest/prisme-context.ts';
import { customBodyProperties, customBodyTypeOk, noscriptProps, prismeClick, prismeCustom, prismePageview, type PrismeClient, type PrismeResult } from '../ingest/prisme-hits.ts';
import { clientHintsFrom } from '../ingest/user-agent.ts';
import type { Limiter } from '../limit/limiter.ts';
import type { ClientIpPolicy } from './client-ip.ts';
import { PRISME_GIF } from './gifs.ts';
import { prismeAnswer, runGate } from './prisme-gate.ts';
import { endsWithSlash, headerBytes, headerText, NotUtf8Error, pathOf, readBody, requestClientIp, strictSearchParams, type BodyRefusal } from './request-values.ts';
import { prismeDocs } from './prisme-docs.ts';
import { headerSafeUrl } from '../lib/header-safe-url.ts';

export interface PrismeRouteDeps {
  prisme: PrismeContext;
  limiter: Limiter | null;
  ipPolicy: ClientIpPolicy;
  buffer: WriteBuffer;
  drops: DropCounter;
  /** Lower-cased request-id header when trust-proxy is on, else null (prisme-gate.ts). */
  requestIdHeader: string | null;
}

/** Prisme's (fiber's) default body limit. */
export const PRISME_MAX_BODY = 4 * 1024 * 1024;

const JS_PREFIX = '/api/v1/events/';
const NOSCRIPT_PREFIX = '/api/v1/noscript/events/';
const KNOWN_JS = /^\/api\/v1\/events\/(pageviews|file-downloads|outbound-links|custom\/[^/]+)$/;
const KNOWN_NOSCRIPT = /^\/api\/v1\/noscript\/events\/(pageviews|outbound-links|custom\/[^/]+)$/;

type Ctx = { request: Request; server: Server<unknown> | null; params?: Record<string, string> };

export function prismeRoutes(d: PrismeRouteDeps) {
  const gateDeps = { limiter: d.limiter, origins: d.prisme.origins, drops: d.drops, requestIdHeader: d.requestIdHeader };

  /** Request → client values, after the gate; `null` when the gate already answered. */
  type Entered = { response: Response } | { response?: undefined; headers: Headers; client: PrismeClient };
  const enter = (c: Ctx, noscript: boolean): Entered => {
    // The body limit sits in front of everything, as fiber's does.
    if (Number(c.request.headers.get('content-length')) > PRISME_MAX_BODY) {
      d.drops.add('invalid-input');
      return { response: prismeAnswer(413, new Headers({ server: 'prisme' }), 'body over 4 MiB') };
    }
    const ip = requestClientIp(d.ipPolicy, c.server, c.request);
    const gate = runGate(gateDeps, c.request, ip, noscript);
    if (!gate.pass) return { response: gate.response };
    const h = c.request.headers;
    const client: PrismeClient = { ip, userAgent: h.get('user-agent') ?? '', hints: clientHintsFrom(h) };
    return { headers: gate.headers, client };
  };

  /**
   * Stores the event (if any) and says how that went; a full buffer is counted as a drop (a late
   * durable ack is not: the event stays queued). Synchronous unless the write buffer makes the
   * request wait (durable acks).
   */
  const store = (r: PrismeResult & { ok: true }): SubmitOutcome | Promise<SubmitOutcome> => {
    if (!r.event) {
      r.commit?.();
      return 'ok';
    }
    const outcome = d.buffer.submit(r.event);
    // Taken (a durable ack's promise is taken too, only not yet committed): the pageview's session
    // change stands. Refused: the sessions stay as they were, for the client's retry.
    if (outcome !== 'full') r.commit?.();
    return outcome instanceof Promise ? outcome.then(counted) : counted(outcome);
  };
  const counted = (outcome: SubmitOutcome): SubmitOutcome => {
    if (outcome === 'full') d.drops.add('buffer-full');
    return outcome;
  };

  /** JS API answer: 200 empty, 400 + reason, 503 + Retry-After when the buffer is full. */
  const answerJs = (headers: Headers, r: PrismeResult): Response | Promise<Response> => {
    if (!r.ok) {
      d.drops.add(r.drop);
      return prismeAnswer(400, headers, r.reason);
    }
    if (r.drop) d.drops.add(r.drop);
    const ok = store(r);
    return ok instanceof Promise ? ok.then((v) => storedAnswer(headers, v)) : storedAnswer(headers, ok);
  };
  const storedAnswer = (headers: Headers, outcome: SubmitOutcome): Response => {
    if (outcome === 'ok') return prismeAnswer(200, headers);
    headers.set('retry-after', '1');
    return prismeAnswer(503, headers, outcome === 'full' ? 'buffer full' : 'not stored in time (durable acks): the database is not taking writes');
  };

  /** Noscript answer: the GIF whatever the outcome (400 on errors); a full buffer still gets its GIF, the drop is counted. */
  const answerGif = async (headers: Headers, r: PrismeResult): Promise<Response> => {
    headers.set('content-type', 'image/gif');
    if (!r.ok) {
      d.drops.add(r.drop);
      return prismeAnswer(400, headers, r.reason, PRISME_GIF);
    }
    if (r.drop) d.drops.add(r.drop);
    await store(r);
    return prismeAnswer(200, headers, undefined, PRISME_GIF);
  };

  /**
   * Runs a handler past the gate. A header or query it reads that is not UTF-8 (headerText,
   * strictSearchParams) is answered 400 with the gate's headers, and the GIF for noscript pages
   * and custom events, as every other unreadable input.
   */
  const orNotUtf8 = (headers: Headers, gif: boolean, run: () => Response | Promise<Response>): Response | Promise<Response> => {
    const refuse = (err: unknown): Response => {
      if (!(err instanceof NotUtf8Error)) throw err;
      d.drops.add('invalid-input');
      if (gif) headers.set('content-type', 'image/gif');
      return prismeAnswer(400, headers, err.message, gif ? PRISME_GIF : null);
    };
    try {
      const r = run();
      return r instanceof Promise ? r.catch(refuse) : r;
    } catch (err) {
      return refuse(err);
    }
  };

  /** A non-zero Content-Length, or none with a body: chunked (fasthttp's ContentLength() != 0). */
  const declaresBody = (request: Request) => {
    const length = request.headers.get('content-length');
    return length === null ? request.body !== null : Number(length) !== 0;
  };

  const page = (h: Headers) => headerText(h, 'x-prisme-referrer') || headerText(h, 'referer');

  const pageview = (request: Request, e: { headers: Headers; client: PrismeClient }) => {
    const h = request.headers;
    return answerJs(e.headers, prismePageview(d.prisme, e.client, {
      page: page(h),
      documentReferrer: headerText(h, 'x-prisme-document-referrer'),
      visitorId: headerText(h, 'x-prisme-visitor-id'),
      status: h.get('x-prisme-status'),
    }));
  };
  const qs = (request: Request) => strictSearchParams(request.url);
  /** What a request held while its event waits for the pageview takes besides what the event keeps: its URL, headers and body. */
  const held = (request: Request, body = '') => () => request.url.length + headerBytes(request.headers) + body.length;

  function jsPageview(c: Ctx): Response | Promise<Response> {
    const e = enter(c, false);
    if (e.response) return e.response;
    const request = c.request;
    // The body is ignored. A declared one was checked against the limit in enter(); an
    // undeclared (chunked) one still has to be counted as it arrives.
    if (request.headers.get('content-length') === null && request.body !== null) {
      return readBody(request, PRISME_MAX_BODY).then((body) => (!body.ok && body.error !== 'invalid-utf8' ? unreadBody(body.error, e.headers) : orNotUtf8(e.headers, false, () => pageview(request, e))));
    }
    return orNotUtf8(e.headers, false, () => pageview(request, e));
  }

  async function jsCustom(c: Ctx, name: string): Promise<Response> {
    const e = enter(c, false);
    if (e.response) return e.response;
    const body = await prismeBody(c.request, e.headers);
    if (body instanceof Response) return body;
    if (!customBodyTypeOk(c.request.headers.get('content-type'), declaresBody(c.request))) {
      d.drops.add('invalid-input');
      return prismeAnswer(400, e.headers, 'content type must be application/json');
    }
    const heldBytes = held(c.request, body.text);
    return orNotUtf8(e.headers, false, () => {
      const r = prismeCustom(d.prisme, e.client, { name, page: page(c.request.headers), properties: () => customBodyProperties(body.text), heldBytes });
      return r instanceof Promise ? r.then((v) => answerJs(e.headers, v)) : answerJs(e.headers, r);
    });
  }

  async function noscriptPageview(c: Ctx): Promise<Response> {
    const e = enter(c, true);
    if (e.response) return e.response;
    return orNotUtf8(e.headers, true, () => {
      const q = qs(c.request);
      const h = c.request.headers;
      return answerGif(e.headers, prismePageview(d.prisme, e.client, {
        page: q.get('referrer') || page(h),
        // The header is ignored here, as upstream: only the query parameter counts.
        documentReferrer: q.get('document-referrer'),
        visitorId: q.get('visitor-id'),
        status: q.get('status'),
      }));
    });
  }

  async function noscriptCustom(c: Ctx, name: string): Promise<Response> {
    const e = enter(c, true);
    if (e.response) return e.response;
    return orNotUtf8(e.headers, true, async () => {
      const q = qs(c.request);
      return answerGif(e.headers, await prismeCustom(d.prisme, e.client, { name, page: q.get('referrer') || page(c.request.headers), properties: () => noscriptProps(q), heldBytes: held(c.request) }));
    });
  }

  async function noscriptOutbound(c: Ctx): Promise<Response> {
    const e = enter(c, true);
    if (e.response) return e.response;
    return orNotUtf8(e.headers, false, async () => {
      const q = qs(c.request);
      const r = await prismeClick(d.prisme, e.client, 'outbound-link', { page: q.get('referrer') || page(c.request.headers), target: q.get('url'), ping: false, retryRoot: true, heldBytes: held(c.request) });
      if (!r.ok) {
        d.drops.add(r.drop);
        return prismeAnswer(400, e.headers, r.reason);
      }
      // The visitor is on their way out: send them on even when the buffer is full (the drop is counted).
      await store(r);
      // The target is kept as normalised; the header takes it percent-encoded (a 500 otherwise).
      e.headers.set('location', headerSafeUrl(r.location!));
      return prismeAnswer(302, e.headers);
    });
  }

  /**
   * Any request under the two prefixes, by its path read as upstream's router reads it: without
   * regard to case (`/API/V1/EVENTS/PAGEVIEWS` is the pageview route), a trailing slash making
   * it another path, and a custom event's name as received (not URL-decoded). Elysia routes the
   * usual lower-case paths straight to the same handlers; this takes the rest. The prefix itself
   * is under it too (`/api/v1/events`: fiber's `/api/v1/events/*` takes it), so it passes the
   * chain before its 404.
   */
  function dispatch(c: Ctx): Response | Promise<Response> | null {
    const path = pathOf(c.request.url);
    const lower = path.toLowerCase();
    const noscript = lower.startsWith(NOSCRIPT_PREFIX) || lower === NOSCRIPT_PREFIX.slice(0, -1);
    if (!noscript && !lower.startsWith(JS_PREFIX) && lower !== JS_PREFIX.slice(0, -1)) return null;
    // '' for the prefix itself: no route of its own.
    const rest = lower.slice(noscript ? NOSCRIPT_PREFIX.length : JS_PREFIX.length);
    const method = c.request.method;
    const custom = rest.startsWith('custom/') && rest.length > 7 && !rest.includes('/', 7);
    const name = () => path.slice((noscript ? NOSCRIPT_PREFIX.length : JS_PREFIX.length) + 7);
    if (noscript) {
      if (method === 'GET' || method === 'HEAD') {
        if (rest === 'pageviews') return noscriptPageview(c);
        if (rest === 'outbound-links') return noscriptOutbound(c);
        if (custom) return noscriptCustom(c, name());
      }
    } else if (method === 'POST') {
      if (rest === 'pageviews') return jsPageview(c);
      if (rest === 'file-downloads') return click(c, 'file-download');
      if (rest === 'outbound-links') return click(c, 'outbound-link');
      if (custom) return jsCustom(c, name());
    }
    return fallback(c, noscript);
  }

  /** Elysia matched a route: a path with a trailing slash or a custom name is still dispatch()'s to read. */
  const exact = (c: Ctx, handle: (c: Ctx) => Response | Promise<Response>): Response | Promise<Response> =>
    endsWithSlash(c.request.url) ? fallback(c, pathOf(c.request.url).toLowerCase().startsWith(NOSCRIPT_PREFIX)) : handle(c);
  const named = (c: Ctx) => dispatch(c)!;

  const routes = new Elysia({ name: 'prisme-events' })
    .post('/api/v1/events/pageviews', ({ request, server }) => exact({ request, server }, jsPageview), { parse: 'none', detail: prismeDocs.pageview })
    .post('/api/v1/events/custom/:name', ({ request, server }) => named({ request, server }), { parse: 'none', detail: prismeDocs.custom })
    .post('/api/v1/events/file-downloads', ({ request, server }) => exact({ request, server }, (c) => click(c, 'file-download')), { parse: 'none', detail: prismeDocs.fileDownload })
    .post('/api/v1/events/outbound-links', ({ request, server }) => exact({ request, server }, (c) => click(c, 'outbound-link')), { parse: 'none', detail: prismeDocs.outboundLink })
    .get('/api/v1/noscript/events/pageviews', ({ request, server }) => exact({ request, server }, noscriptPageview), { detail: prismeDocs.noscriptPageview })
    .get('/api/v1/noscript/events/custom/:name', ({ request, server }) => named({ request, server }), { detail: prismeDocs.noscriptCustom })
    .get('/api/v1/noscript/events/outbound-links', ({ request, server }) => exact({ request, server }, noscriptOutbound), { detail: prismeDocs.noscriptOutbound })
    // Everything else under the prefixes passes the same chain first, then 405 (known path) or 404.
    .all('/api/v1/events/*', ({ request, server }) => dispatch({ request, server })!, { parse: 'none', detail: { hide: true } })
    .all('/api/v1/noscript/events/*', ({ request, server }) => dispatch({ request, server })!, { parse: 'none', detail: { hide: true } });
  return { routes, dispatch };

  /** The body as UTF-8 text, or the answer to give: 413 over 4 MiB, 400 when not UTF-8. */
  async function prismeBody(request: Request, headers: Headers): Promise<{ text: string } | Response> {
    const body = await readBody(request, PRISME_MAX_BODY);
    if (body.ok) return body;
    if (body.error !== 'invalid-utf8') return unreadBody(body.error, headers);
    d.drops.add('invalid-input');
    return prismeAnswer(400, headers, 'body is not UTF-8');
  }

  /** A body not read: 413 over 4 MiB; 503 while too many bodies are being read; 400 for one its client abandoned. */
  function unreadBody(why: BodyRefusal, headers: Headers): Response {
    if (why === 'busy') {
      d.drops.add('bodies-busy');
      headers.set('retry-after', '1');
      return prismeAnswer(503, headers, 'too many bodies being read');
    }
    d.drops.add('invalid-input');
    return why === 'too-large' ? prismeAnswer(413, headers, 'body over 4 MiB') : prismeAnswer(400, headers, 'body not received whole');
  }

  async function click(c: Ctx, kind: 'file-download' | 'outbound-link'): Promise<Response> {
    const e = enter(c, false);
    if (e.response) return e.response;
    const body = await prismeBody(c.request, e.headers);
    if (body instanceof Response) return body;
    const h = c.request.headers;
    const ping = body.text === 'PING';
    // A wait holds the body too: the target is cut from it.
    const heldBytes = held(c.request, body.text);
    return orNotUtf8(e.headers, false, async () => answerJs(e.headers, await prismeClick(d.prisme, e.client, kind, ping
      ? { page: headerText(h, 'ping-from'), target: headerText(h, 'ping-to'), ping: true, heldBytes }
      : { page: page(h), target: body.text, ping: false, heldBytes })));
  }

  function fallback(c: Ctx, noscript: boolean): Response {
    const e = enter(c, noscript);
    if (e.response) return e.response;
    const path = pathOf(c.request.url).toLowerCase();
    const known = (noscript ? KNOWN_NOSCRIPT : KNOWN_JS).test(path);
    // Not stored, so counted, as every hit answered without an event.
    d.drops.add('invalid-input');
    return prismeAnswer(known ? 405 : 404, e.headers, known ? 'method not allowed' : 'not found');
  }
}
