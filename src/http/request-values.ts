/** @module Turning a Request into the plain values handlers take: client address, bounded UTF-8 body. */
import type { Server } from 'bun';
import { clientIp, clientIpFromHeader, peersTrusted, type ClientIpPolicy } from './client-ip.ts';

/** What tells a request's TCP peer: Bun's server (a structural type, so tests can stand one in). */
export type PeerSource = Pick<Server<unknown>, 'requestIP'> | { requestIP(request: Request): { address: string } | null };

/**
 * The TCP peer; loopback for in-process requests (tests call app.handle with no server); '' when
 * the server knows none, as once the client has closed its socket: an unknown peer is no trusted
 * proxy, so a client that sends its request and hangs up at once cannot have its proxy header
 * believed (it counts as '', one client for every such request). (On a loopback listener whose
 * peers are all trusted, peersTrusted(), the peer is asked for only when the header names no
 * client: there, any local process's header counts.)
 */
function peerAddress(server: PeerSource | null | undefined, request: Request): string {
  if (!server) return '127.0.0.1';
  return server.requestIP(request)?.address ?? '';
}

/**
 * clientIp() for a request. When every peer is a trusted proxy (peersTrusted: a server on
 * loopback behind a proxy on the same machine), the peer is asked for only if the header names no
 * client: asking is a system call, ~3 µs of the request thread under load.
 */
export function requestClientIp(policy: ClientIpPolicy, server: PeerSource | null | undefined, request: Request): string {
  const header = policy.trustProxy ? request.headers.get(policy.header) : null;
  if (header && peersTrusted(policy)) {
    const named = clientIpFromHeader(policy, header);
    if (named !== null) return named;
  }
  return clientIp(policy, peerAddress(server, request), header);
}

/**
 * Why a body was not read: over its route's limit; over the bytes the bodies being read at once
 * may hold (BodyPool: answer 503, the client retries); its client went away mid-upload.
 */
export type BodyRefusal = 'too-large' | 'busy' | 'aborted';
export type BodyText = { ok: true; text: string } | { ok: false; error: BodyRefusal | 'invalid-utf8' };

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Lenient = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * Bytes that the bodies being read at once may hold together, per pool. A body is held whole
 * until read, so without a cap a client holding many slow uploads open (4 MiB each, trickled to
 * stay alive) grew memory by 4 MiB a connection: 500 of them from one address took 2 GB. Bytes
 * are charged as they arrive, not as declared, so connections that only announce a body hold
 * nothing; only a small body (SMALL_BODY_BYTES at most, read whole: readSmall) is charged its
 * announced size at once, and only while that fits under the cap, never into the reserve. The
 * management API has a pool of its own, so that an ingestion flood cannot keep an admin from
 * logging in.
 *
 * Past `maxBytes`, a `reserve` is kept for small bodies (up to SMALL_BODY_BYTES so far): a login,
 * a custom event, a single RudderStack call. Without it, ~17 connections trickling 1 MiB bodies
 * held the management pool and every login got 503; now that takes ~1,000 more, each holding a
 * small body open.
 */
export class BodyPool {
  private held = 0;
  constructor(readonly maxBytes: number, readonly reserve = 0) {}
  /**
   * Takes `n` more bytes of a body that has `bodyBytes` (these included), or refuses them (false)
   * when the pool would pass its cap: the reserve's too for a small body.
   */
  take(n: number, bodyBytes = Infinity): boolean {
    const cap = bodyBytes <= SMALL_BODY_BYTES ? this.maxBytes + this.reserve : this.maxBytes;
    if (this.held + n > cap) return false;
    this.held += n;
    return true;
  }
  give(n: number): void {
    this.held -= n;
  }
  get bytes(): number {
    return this.held;
  }
}

/** Bodies up to this size may use their pool's reserve. */
export const SMALL_BODY_BYTES = 4096;
export const BODY_BUDGET_BYTES = 64 * 1024 * 1024;
/** Every ingestion API's bodies (Prisme, RudderStack). */
export const INGEST_BODIES = new BodyPool(BODY_BUDGET_BYTES, 8 * 1024 * 1024);
/** The management API's bodies (each at most 1 MiB). */
export const MANAGEMENT_BODIES = new BodyPool(16 * 1024 * 1024, 4 * 1024 * 1024);

/**
 * Reads the body as UTF-8, refusing more than `max` bytes whether or not Content-Length was
 * declared (bodies are counted as they arrive, never buffered past the limit). Strict by default
 * (invalid UTF-8 is an error); `lenient` reads each invalid byte as U+FFFD, as Go's JSON decoder
 * does.
 */
export async function readBody(request: Request, max: number, lenient = false, pool: BodyPool = INGEST_BODIES): Promise<BodyText> {
  const bytes = await readBytes(request, max, pool);
  if (typeof bytes === 'string') return { ok: false, error: bytes };
  const text = decodeUtf8(bytes, lenient);
  return text === null ? { ok: false, error: 'invalid-utf8' } : { ok: true, text };
}

/**
 * The body's bytes, or why not: 'too-large' past `max` (declared, or counted as they arrive);
 * 'busy' when the bodies being read in `pool` would pass its cap; 'aborted' when the client went
 * away mid-body. Each chunk is charged to the pool as it arrives and given back once read; a
 * small body of a declared length is read whole and charged at once (readSmall).
 * `mayUseReserve` false: the bytes are compressed, so the pool's reserve for small bodies is not theirs.
 */
export async function readBytes(request: Request, max: number, pool: BodyPool = INGEST_BODIES, mayUseReserve = true): Promise<Uint8Array | BodyRefusal> {
  const declaredText = request.headers.get('content-length');
  // A list of identical lengths ("55, 55", which Bun passes on) is left to the count below.
  const declared = declaredText === null ? NaN : Number(declaredText);
  if (declared > max) return 'too-large';
  if (declared === 0 || !request.body) return EMPTY;
  // Read whole while its announced size fits under the pool's cap: past it, the reserve for small
  // bodies is charged only bytes that came, or connections that only announce one would fill it.
  // (Bun answers 400 itself to a Content-Length beside a Transfer-Encoding; checked again here, as
  // the length is all that is charged for what request.bytes() reads.)
  if (declared <= SMALL_BODY_BYTES && Number.isInteger(declared) && pool.bytes + declared <= pool.maxBytes && request.headers.get('transfer-encoding') === null) {
    return readSmall(request, declared, pool);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of request.body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > max) return 'too-large';
      // A body is small by what has arrived and what it announced; a compressed one
      // (`mayUseReserve` false) never is, as a few KiB of gzip can inflate to megabytes.
      if (!pool.take(chunk.byteLength, mayUseReserve ? Math.max(size, declared > 0 ? declared : 0) : Infinity)) return 'busy';
      chunks.push(chunk);
    }
  } catch (e) {
    // The client went away mid-body; anything else is a fault of ours, reported as one.
    if (request.signal.aborted || (e as Error)?.name === 'AbortError') return 'aborted';
    throw e;
  } finally {
    // What this body took: exactly the chunks it kept.
    for (const c of chunks) pool.give(c.byteLength);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

const EMPTY = new Uint8Array(0);

/**
 * A small body of a declared length (HTTP/1.1 framing: exactly that many bytes), read whole by
 * Bun instead of chunk by chunk through a stream: a reader, a promise per chunk and the stream
 * itself cost ~30 µs of the request thread (`/v1/track` with ~1 KB bodies: 78 → 44 µs a call),
 * where most ingestion bodies (an event, a RudderStack call, a login) are a few hundred bytes
 * and have arrived with their headers. Its announced size is charged to the pool at once, not as
 * it arrives: at most SMALL_BODY_BYTES, and never into the reserve.
 */
async function readSmall(request: Request, declared: number, pool: BodyPool): Promise<Uint8Array | BodyRefusal> {
  pool.take(declared); // fits: readBytes checked
  try {
    return await request.bytes();
  } catch (e) {
    if (request.signal.aborted || (e as Error)?.name === 'AbortError') return 'aborted';
    throw e;
  } finally {
    pool.give(declared);
  }
}

/** UTF-8 bytes → text, a BOM kept (JSON then refuses it, as Go does); null for invalid UTF-8 unless `lenient` (U+FFFD). */
export function decodeUtf8(bytes: Uint8Array, lenient: boolean): string | null {
  try {
    return (lenient ? utf8Lenient : utf8).decode(bytes);
  } catch {
    return null;
  }
}

/**
 * What a request's headers take (names, values, a little per line): up to 512 KiB. Counted for
 * requests held while they wait (prisme-sessions.ts), walked only then.
 */
export function headerBytes(h: Headers): number {
  let n = 0;
  for (const [k, v] of h) n += k.length + v.length + 4;
  return n;
}

/**
 * A request without a Host (HTTP/1.0, as a load balancer's health check sends it) or with an
 * empty one reaches us with a URL that is only its path: the base stands in for the host.
 */
export const URL_BASE = 'http://localhost';

/** A request URL with a host: one that arrived as only its path gets URL_BASE's. */
export function absoluteUrl(url: string): string {
  return url.charCodeAt(0) === 0x2f ? URL_BASE + url : url;
}

/**
 * The path of a request URL as received (percent-escapes kept): no URL object on the hot path.
 * Cut at a `#`, as fasthttp cuts Prisme's paths (a request line carries no fragment, but one sent
 * anyway is not part of the path there). Bun's router takes `/x#y` as a path of its own, which no
 * route has: see hasFragment().
 */
export function pathOf(url: string): string {
  const from = url.charCodeAt(0) === 0x2f ? 0 : url.indexOf('/', url.indexOf('//') + 2);
  if (from < 0) return '/';
  let to = url.indexOf('?', from);
  if (to < 0) to = url.length;
  const hash = url.indexOf('#', from);
  return url.slice(from, hash >= 0 && hash < to ? hash : to);
}

/**
 * Whether the request line held a `#` in its path. Such a request reaches no route (Bun's router
 * matches the whole text); Go's router (RudderStack) takes it as another path, 404, and so does
 * Footfall under /api/, where a 405 for the path before the `#` would name methods that the
 * request itself used.
 */
export function hasFragment(url: string): boolean {
  const hash = url.indexOf('#');
  if (hash < 0) return false;
  const query = url.indexOf('?');
  return query < 0 || hash < query;
}

/** Whether the URL's path ends with `/`. Prisme's and RudderStack's routers are strict: that is another path. */
export function endsWithSlash(url: string): boolean {
  let to = url.indexOf('?');
  if (to < 0) to = url.length;
  const hash = url.indexOf('#');
  if (hash >= 0 && hash < to) to = hash;
  return url.charCodeAt(to - 1) === 0x2f;
}

/** A header or query that is not UTF-8 text: the route answers 400, as for any input it cannot read. */
export class NotUtf8Error extends Error {
  constructor(readonly where: string) {
    super(`${where} is not UTF-8`);
  }
}

const NON_ASCII = /[^\x00-\x7f]/;

/**
 * A header's value as text. Bun hands a header's bytes over one per character (Latin-1), so a
 * value with bytes over 0x7f is read again as the UTF-8 the client sent (`café` arrives as
 * `cafÃ©`); one that is not UTF-8 throws NotUtf8Error. ASCII values, nearly all, pass untouched.
 */
export function headerText(h: Headers, name: string): string | null {
  const v = h.get(name);
  if (v === null || !NON_ASCII.test(v)) return v;
  const text = decodeUtf8(Buffer.from(v, 'latin1'), false);
  if (text === null) throw new NotUtf8Error(`header ${name}`);
  return text;
}

/** headerText(), except that a value which is not UTF-8 is kept as its bytes read one per character (for a hit never refused for a header). */
export function headerTextOrBytes(h: Headers, name: string): string | null {
  try {
    return headerText(h, name);
  } catch {
    return h.get(name);
  }
}

/** A percent-escape of a byte over 0x7f: only these can make a query invalid UTF-8. */
const HIGH_ESCAPE = /%[89a-f][0-9a-f]/i;
/** A `%` that does not start an escape: kept as a literal `%` by URLSearchParams, so by the check too. */
const LONE_PERCENT = /%(?![0-9a-f]{2})/gi;

/** The query of a request URL as sent, without its `?` and any fragment; '' when there is none. */
export function queryText(url: string): string {
  const from = url.indexOf('?');
  if (from < 0) return '';
  const hash = url.indexOf('#', from);
  return url.slice(from + 1, hash < 0 ? url.length : hash);
}

/**
 * The query of a request URL as parameters, like `new URL(url).searchParams`, except that
 * percent-escapes which decode to invalid UTF-8 (`?referrer=…%FF`) throw NotUtf8Error rather
 * than being read as U+FFFD. (Bun has already turned raw invalid bytes in the request line into
 * an escaped U+FFFD, so those are beyond telling.) Every separator is ASCII, so the whole query
 * decodes as UTF-8 exactly when each of its keys and values does.
 */
export function strictSearchParams(url: string): URLSearchParams {
  const query = queryText(url);
  if (HIGH_ESCAPE.test(query)) {
    try {
      decodeURIComponent(query.replace(LONE_PERCENT, '%25'));
    } catch {
      throw new NotUtf8Error('query');
    }
  }
  return new URLSearchParams(query);
}
