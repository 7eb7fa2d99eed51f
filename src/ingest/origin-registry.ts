/** @module The Prisme origin registry: configured origins + website domains → "is this Origin allowed, and for which website?". */

/** Prisme master: origins longer than this never match. */
const MAX_ORIGIN = 256;
const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const HOST_RE = new RegExp(`^(?:${LABEL})(?:\\.${LABEL})*$|^\\[[0-9a-f:.]+\\]$|^\\d{1,3}(?:\\.\\d{1,3}){3}$`);

const IPV4_RE = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/**
 * Whether pages on `host` count under a website whose domain is `parent` though not equal to it:
 * the parent relation websiteFor walks — a name of two labels or more that `host` ends with after
 * a dot, `host` not an address (`com` covers nothing, `0.1` no address).
 */
export function isParentDomain(parent: string, host: string): boolean {
  return parent.includes('.') && host.endsWith('.' + parent) && !IPV4_RE.test(host);
}

/**
 * Validates one configured entry: a host name, or `*.` followed by a name with at least one dot
 * (`*.example.com`, not `*.com`). Returns the normalised entry or null (Prisme master's rules:
 * `.com`, `foo..fr`, `**.foo.fr`, `*foo.fr` are all refused).
 */
export function parseOriginEntry(entry: string): { exact: string } | { suffix: string } | null {
  const e = entry.trim().toLowerCase();
  if (e.startsWith('*.')) {
    const rest = e.slice(2);
    return rest.includes('.') && HOST_RE.test(rest) ? { suffix: '.' + rest } : null;
  }
  return HOST_RE.test(e) ? { exact: e } : null;
}

/** A website's `domain` as typed by a user (`https://Example.com:8080/x`) → the host Prisme compares (`example.com`). */
export function domainHost(domain: string): string | null {
  let d = domain.trim().toLowerCase();
  d = d.replace(/^[a-z][a-z0-9+.-]*:\/\//, '');
  d = d.split(/[/?#]/, 1)[0]!;
  const at = d.lastIndexOf('@');
  if (at >= 0) d = d.slice(at + 1);
  if (d.startsWith('[')) {
    // An IPv6 address, as a URL parser reads it (`[0:0::1]:8080` → `[::1]`; `[:]`, `[1.2.3.4]` refused),
    // but without the leniencies it has for whole URLs (a backslash as a slash, white space dropped).
    if (/[\\\s]/.test(d)) return null;
    try {
      d = new URL(`http://${d}`).hostname;
    } catch {
      return null;
    }
  } else d = d.replace(/:\d*$/, '');
  return d && HOST_RE.test(d) ? d : null;
}

/** An `Origin` header value → the host looked up: strip `https://` or else `http://`, then the port (Prisme). */
export function originHost(origin: string): string | null {
  if (!origin || origin.length > MAX_ORIGIN || origin === 'null') return null;
  let o = origin;
  if (o.startsWith('https://')) o = o.slice(8);
  else if (o.startsWith('http://')) o = o.slice(7);
  const colon = o.lastIndexOf(':');
  if (colon >= 0 && !o.endsWith(']')) o = o.slice(0, colon);
  return o.toLowerCase();
}

export class OriginRegistry {
  private readonly staticExact = new Set<string>();
  private readonly staticSuffixes: string[] = [];
  /** Website domain host → website id. Replaced whole on every website change. */
  private websites = new Map<string, string>();

  /** Throws listing every invalid entry (config problems are reported at boot). */
  constructor(configured: readonly string[]) {
    const bad: string[] = [];
    for (const c of configured) {
      const p = parseOriginEntry(c);
      if (!p) bad.push(c);
      else if ('exact' in p) this.staticExact.add(p.exact);
      else this.staticSuffixes.push(p.suffix);
    }
    if (bad.length) throw new Error(`invalid origins: ${bad.map((b) => JSON.stringify(b)).join(', ')}`);
  }

  /** Called at start and whenever a website is created, changed or deleted: no restart needed. */
  setWebsites(list: readonly { id: string; domain: string | null }[]): void {
    const next = new Map<string, string>();
    for (const w of list) {
      const host = w.domain ? domainHost(w.domain) : null;
      if (host && !next.has(host)) next.set(host, w.id);
    }
    this.websites = next;
  }

  /**
   * Whether an Origin header value is registered: a configured origin (exact, or under a `*.`
   * wildcard), or a website's domain, with or without `www.` (a site set up as `example.com` is
   * served from `www.example.com` too). Other subdomains take `--origins *.example.com`: a
   * website on a shared suffix (`github.io`, `co.uk`) must not open every site under it.
   */
  allows(origin: string | null): boolean {
    const host = origin === null ? null : originHost(origin);
    if (!host) return false;
    if (this.staticExact.has(host) || this.websites.has(host)) return true;
    for (const s of this.staticSuffixes) if (host.endsWith(s)) return true;
    return host.startsWith('www.') && this.websites.has(host.slice(4));
  }

  /**
   * The configured origins (`--origins`) whose pages no website's domain covers: their events are
   * stored under no website (GET /api/events/unassigned/export), which start-up warns about.
   */
  uncovered(): string[] {
    return [...[...this.staticExact].filter((h) => this.websiteFor(h) === null), ...this.staticSuffixes.filter((s) => this.websiteFor(s.slice(1)) === null).map((s) => '*' + s)];
  }

  /**
   * The website a page belongs to: the one whose domain is the page's host or its closest parent
   * (`blog.shop.example` → `shop.example`), so a website covers its subdomains; null when none.
   */
  websiteFor(host: string): string | null {
    // A page's host comes lower-cased from parsePageUrl; only a port needs cutting then.
    let h = host.toLowerCase();
    if (h.includes(':')) h = h.replace(/:\d+$/, '');
    // A fully qualified name's root dot (`shop.example.`) names the same host.
    if (h.endsWith('.')) h = h.slice(0, -1);
    // An address has no parents (10.0.0.1 is not under a website `0.1`).
    if (IPV4_RE.test(h)) return this.websites.get(h) ?? null;
    for (;;) {
      const id = this.websites.get(h);
      if (id !== undefined) return id;
      const dot = h.indexOf('.');
      if (dot < 0 || h.indexOf('.', dot + 1) < 0) return null;
      h = h.slice(dot + 1);
    }
  }
}
