/**
 * @module The realistic request mix as a RequestSource: virtual visitors (address, UA) whose
 * Prisme sessions navigate (landing pageview → custom events on the current page → next pages,
 * never a reload), RudderStack AMP pixel hits with the write key, Umami pixel hits with the slug.
 * Thousands of UAs with a Zipf skew, a distinct client address per visitor through X-Forwarded-For.
 */
import type { RequestSource } from './load-driver.ts';
import { rng, userAgentCorpus, zipfIndex } from './ua-corpus.ts';

export const FAMILIES = ['pageview', 'custom', 'rudder', 'pixel'] as const;
export type Family = (typeof FAMILIES)[number];
export const DEFAULT_MIX: Record<Family, number> = { pageview: 70, custom: 15, rudder: 10, pixel: 5 };

/** "pageview=70,custom=15,rudder=10,pixel=5" → weights (missing families get 0). */
export function parseMix(text: string): Record<Family, number> {
  const out: Record<Family, number> = { pageview: 0, custom: 0, rudder: 0, pixel: 0 };
  const seen = new Set<string>();
  for (const part of text.split(',').map((s) => s.trim())) {
    const m = /^(\w+)=(\d+(?:\.\d+)?)$/.exec(part);
    if (!m || !(FAMILIES as readonly string[]).includes(m[1]!)) throw new Error(`--mix: "${part}" is not family=weight (families: ${FAMILIES.join(', ')})`);
    if (seen.has(m[1]!)) throw new Error(`--mix: ${m[1]} is given twice`);
    seen.add(m[1]!);
    out[m[1] as Family] = Number(m[2]);
  }
  if (!Object.values(out).some((w) => w > 0)) throw new Error('--mix: every weight is 0');
  return out;
}

/** Public-looking first octets (none private, loopback or reserved). */
const FIRST_OCTETS = [23, 31, 45, 62, 77, 81, 88, 91, 103, 109, 151, 176, 185, 188, 200, 212];
/** 16 × 256 × 256 × 250 distinct addresses; visitor k → address through a bijection. */
const SPACE = 16 * 256 * 256 * 250;
/** The most distinct client addresses `--addresses` may ask for. */
export const MAX_ADDRESSES = SPACE;
/**
 * Requests one visitor (one client address) sends before another takes its place: well under the
 * Prisme limiter's 60 a minute, so that a mix of custom events alone (which never end a visit)
 * is not rate limited on a target that trusts the proxy.
 */
export const MAX_VISITOR_REQUESTS = 30;
const MULT = 48_271; // coprime with SPACE (= 2^21 · 5^3), and k · MULT stays below 2^53

export function clientAddress(k: number): string {
  let x = (k * MULT) % SPACE;
  const a = FIRST_OCTETS[x % 16]!;
  x = Math.floor(x / 16);
  const b = x % 256;
  x = Math.floor(x / 256);
  const c = x % 256;
  x = Math.floor(x / 256);
  return `${a}.${b}.${c}.${1 + (x % 250)}`;
}

const PATHS = Array.from({ length: 60 }, (_, i) => (i === 0 ? '/' : `/${['blog', 'docs', 'pricing', 'about', 'shop'][i % 5]}/${i}`));
const REFS = ['https://www.google.com/', 'https://news.ycombinator.com/', 'https://t.co/abc', 'https://duckduckgo.com/', 'https://www.reddit.com/r/selfhosted/', 'https://www.bing.com/'];
const CUSTOM = ['signup', 'add_to_cart', 'video_play', 'newsletter', 'download'];
const RUDDER_EVENTS = ['Email Opened', 'Product Viewed', 'Add to Cart', 'Checkout Started', 'Newsletter Signup'];
const CAMPAIGNS = ['nov', 'dec', 'launch', 'weekly-42'];
const MAIL_REFS = ['https://mail.google.com/', 'https://outlook.live.com/', 'https://app.fastmail.com/'];

export interface MixTarget {
  /** Host header value. */
  host: string;
  /** The target URL's path ('' or '/prefix'): a Footfall behind a proxy that serves it under a path. */
  basePath?: string;
  /** The website's domain: pages are https://<domain>/…, Origin is https://<domain>. */
  domain: string;
  writeKey: string;
  slug: string;
}

interface Visitor {
  ip: string;
  ua: string;
  /** The page the session is on (after a 200), null before the landing pageview succeeded. */
  page: string | null;
  /** The page of the pageview in flight. */
  pending: string;
  views: number;
  /** Prisme requests sent (pageviews and custom events): the visit ends at MAX_VISITOR_REQUESTS. */
  sent: number;
  maxViews: number;
}

export class MixSource implements RequestSource {
  readonly families = FAMILIES;
  /** Distinct visitors started (each with its own client address until `addresses` wrap). */
  visitors = 0;
  private readonly visitor: (Visitor | null)[];
  private readonly cumulative: number[];
  /**
   * One random stream per connection, from the seed and the connection's index: a connection's
   * requests depend only on the seed and its own answers, not on how the connections' answers
   * interleave, so a seed replays each connection's sequence.
   */
  private readonly rs: (() => number)[];
  /** Visitors each connection has started: its next visitor's address follows from it. */
  private readonly started: number[];
  private readonly connections: number;
  private readonly uas: string[];
  private readonly uaHeader: string[];
  private readonly origin: string;
  private readonly site: string;
  private readonly hostLine: string;
  private readonly offset: number;
  private readonly base: string;

  constructor(private readonly t: MixTarget, o: { connections: number; mix: Record<Family, number>; addresses: number; seed: number; uaCount?: number; visitLength?: number }) {
    this.visitor = Array.from({ length: o.connections }, () => null);
    this.connections = o.connections;
    this.rs = Array.from({ length: o.connections }, (_, i) => rng((o.seed ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0));
    this.started = Array.from({ length: o.connections }, () => 0);
    const total = FAMILIES.reduce((a, f) => a + o.mix[f], 0);
    let acc = 0;
    this.cumulative = FAMILIES.map((f) => (acc += o.mix[f] / total));
    this.uas = userAgentCorpus(o.uaCount ?? 4000);
    this.uaHeader = this.uas.map((u) => `User-Agent: ${u}\r\n`);
    this.origin = `https://${t.domain}`;
    this.site = this.origin;
    this.hostLine = `Host: ${t.host}\r\n`;
    this.base = t.basePath ?? '';
    this.addresses = o.addresses;
    this.visitLength = o.visitLength ?? 5;
    // A run-specific start in the address space: a second run against the same server must not
    // land on a first run's sessions (its landing pageviews would be reloads, stored as nothing).
    this.offset = Math.floor(rng(o.seed ^ 0x5bd1e995)() * (SPACE - o.addresses));
  }
  private readonly addresses: number;
  /** Pageviews per visit: uniform in 1..visitLength (mean 3 by default). */
  private readonly visitLength: number;

  private pick<T>(r: () => number, xs: readonly T[]): T {
    return xs[Math.floor(r() * xs.length)]!;
  }

  private ua(r: () => number): number {
    return zipfIndex(r, this.uas.length);
  }

  private randomAddress(r: () => number): string {
    return clientAddress(this.offset + Math.floor(r() * this.addresses));
  }

  next(conn: number): { family: number; request: string } {
    const r = this.rs[conn]!;
    const u = r();
    let f = 0;
    while (u > this.cumulative[f]! && f < FAMILIES.length - 1) f++;
    if (f === 0 || f === 1) return this.prisme(conn, f === 1);
    if (f === 2) return { family: 2, request: this.rudder(r) };
    return { family: 3, request: this.pixel(r) };
  }

  answered(conn: number, family: number, status: number): void {
    if (family !== 0) return;
    const v = this.visitor[conn]!;
    if (status === 200) {
      v.page = v.pending;
      v.views++;
    } else if (v.page === null) {
      this.visitor[conn] = null;
    }
  }

  private newVisitor(conn: number): Visitor {
    const r = this.rs[conn]!;
    this.visitors++;
    // Connection i takes addresses i, i + N, i + 2N…: its own, whatever the others do.
    const k = (conn + this.connections * this.started[conn]!++) % this.addresses;
    const v: Visitor = { ip: clientAddress(this.offset + k), ua: this.uaHeader[this.ua(r)]!, page: null, pending: '', views: 0, sent: 0, maxViews: 1 + Math.floor(r() * this.visitLength) };
    this.visitor[conn] = v;
    return v;
  }

  /**
   * The visitor on this connection, if their visit goes on: a custom event may still be sent on
   * the visit's last page; a next pageview only while the visit has pages left. Either way a visit
   * ends at MAX_VISITOR_REQUESTS.
   */
  private ongoing(conn: number, custom: boolean): (Visitor & { page: string }) | null {
    const v = this.visitor[conn];
    if (!v || v.page === null || v.sent >= MAX_VISITOR_REQUESTS || (!custom && v.views >= v.maxViews)) return null;
    return v as Visitor & { page: string };
  }

  private prisme(conn: number, custom: boolean): { family: number; request: string } {
    const r = this.rs[conn]!;
    const going = this.ongoing(conn, custom);
    if (custom && going) {
      // A custom event on the page the session is on.
      going.sent++;
      const name = this.pick(r, CUSTOM);
      const body = `{"plan":"${this.pick(r, ['free', 'pro', 'team'])}","value":${Math.floor(r() * 100)},"currency":"EUR"}`;
      return {
        family: 1,
        request: `POST ${this.base}/api/v1/events/custom/${name} HTTP/1.1\r\n${this.hostLine}Origin: ${this.origin}\r\nX-Prisme-Referrer: ${this.site}${going.page}\r\n${going.ua}X-Forwarded-For: ${going.ip}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      };
    }
    let docRef = '';
    let page: string;
    let v: Visitor;
    // A custom event drawn when the visit cannot take one: this visitor's next pageview, or a new visitor's landing.
    const next = custom ? this.ongoing(conn, false) : going;
    if (next) {
      // Navigate: the document referrer is the page the session is on, the new page differs.
      v = next;
      const from = next.page;
      do page = this.pick(r, PATHS);
      while (page === from.split('?')[0]);
      docRef = `X-Prisme-Document-Referrer: ${this.site}${from}\r\n`;
    } else {
      v = this.newVisitor(conn);
      page = this.pick(r, PATHS);
      const u = r();
      if (u < 0.1) page += `?utm_source=newsletter&utm_medium=email&utm_campaign=${this.pick(r, CAMPAIGNS)}`;
      if (u > 0.55) docRef = `X-Prisme-Document-Referrer: ${this.pick(r, REFS)}\r\n`;
    }
    v.pending = page;
    v.sent++;
    return {
      family: 0,
      request: `POST ${this.base}/api/v1/events/pageviews HTTP/1.1\r\n${this.hostLine}Origin: ${this.origin}\r\nX-Prisme-Referrer: ${this.site}${page}\r\n${docRef}${v.ua}X-Forwarded-For: ${v.ip}\r\nContent-Length: 0\r\n\r\n`,
    };
  }

  private rudder(r: () => number): string {
    const i = this.ua(r);
    const p = `/amp/story-${Math.floor(r() * 40)}`;
    const q = `writeKey=${this.t.writeKey}&anonymousId=anon-${Math.floor(r() * 200_000)}` +
      '&context.library.name=RudderstackAMPSDK&context.library.version=1.0.0&context.platform=AMP&context.locale=en-US' +
      `&context.userAgent=${encodeURIComponent(this.uas[i]!)}&context.page.path=${encodeURIComponent(p)}` +
      `&context.page.url=${encodeURIComponent(`${this.site}${p}?utm_source=amp`)}&context.page.referrer=${encodeURIComponent(this.pick(r, REFS))}` +
      `&context.page.title=Story&context.screen.width=1280&context.screen.height=720&properties.price=${Math.floor(r() * 100)}`;
    const target = r() < 0.5 ? `${this.base}/pixel/v1/track?${q}&event=${encodeURIComponent(this.pick(r, RUDDER_EVENTS))}` : `${this.base}/pixel/v1/page?${q}&name=Story`;
    return `GET ${target} HTTP/1.1\r\n${this.hostLine}${this.uaHeader[i]}X-Forwarded-For: ${this.randomAddress(r)}\r\n\r\n`;
  }

  private pixel(r: () => number): string {
    const u = r();
    const pixel = `${this.base}/p/${this.t.slug}`;
    const path = u < 0.7 ? `${pixel}?utm_source=newsletter&utm_medium=email&utm_campaign=${this.pick(r, CAMPAIGNS)}` : pixel;
    const ref = u > 0.8 ? `Referer: ${this.pick(r, MAIL_REFS)}\r\n` : '';
    return `GET ${path} HTTP/1.1\r\n${this.hostLine}${this.uaHeader[this.ua(r)]}${ref}X-Forwarded-For: ${this.randomAddress(r)}\r\n\r\n`;
  }
}
