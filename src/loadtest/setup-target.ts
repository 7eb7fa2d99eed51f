/** @module The load tool's management calls: setupTarget (log in, make or find the website and pixel it loads) and the server's counters --ack-check reads. */
import type { MixTarget } from './mix.ts';

/**
 * How long a management call of the setup or read-back may wait for its answer to begin before
 * the tool gives up on it. Not its body: an export of millions of events streams for longer.
 */
const API_TIMEOUT_MS = 15_000;

export async function api(base: string, path: string, init: RequestInit & { token?: string } = {}): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const answerBegun = new AbortController();
  const timer = setTimeout(() => answerBegun.abort(new Error(`no answer within ${API_TIMEOUT_MS / 1000} s`)), API_TIMEOUT_MS);
  const signal = init.signal ? AbortSignal.any([init.signal, answerBegun.signal]) : answerBegun.signal;
  try {
    return await fetch(base + path, { ...init, headers, signal });
  } catch (e) {
    const why = signal.aborted && signal.reason instanceof Error ? signal.reason.message : (e as Error).message;
    throw new Error(`${init.method ?? 'GET'} ${base}${path}: ${why}`);
  } finally {
    clearTimeout(timer);
  }
}

/** An answer's body for an error line: short, on one line (a proxy's HTML error page is not dumped whole). */
async function bodySnippet(r: Response): Promise<string> {
  const text = (await r.text().catch(() => '')).replace(/\s+/g, ' ').trim();
  return text.length > 160 ? `${text.slice(0, 160)}…` : text;
}

/** A JSON answer with the fields the setup needs, or an error saying the target does not answer as Footfall does. */
async function footfallJson<T>(r: Response, what: string, fields: (keyof T & string)[]): Promise<T> {
  const body = (await r.json().catch(() => null)) as Record<string, unknown> | null;
  const missing = fields.filter((f) => typeof body?.[f] !== 'string' || body[f] === '');
  if (!body || missing.length) throw new Error(`${what} answered 200 without ${missing.join(', ') || 'a JSON body'}: is the target a Footfall?`);
  return body as T;
}

export interface SetupResult extends MixTarget {
  token: string;
  websiteId: string;
  pixelId: string;
}

/**
 * Logs in and creates a fresh website (its domain is the run's, so its export holds only this run)
 * and pixel. With `readsCounters` (--ack-check), first makes sure this user may read the server's
 * drop counters, so that a run that could not be checked leaves nothing behind.
 */
export async function setupTarget(target: string, username: string, password: string, tag: string, readsCounters = false, signal?: AbortSignal): Promise<SetupResult> {
  const login = await api(target, '/api/auth/login', { method: 'POST', body: JSON.stringify({ username, password }), signal });
  if (login.status !== 200) {
    const hint = password === '' ? ' (no password given: --password or FOOTFALL_ADMIN_PASSWORD)' : '';
    throw new Error(`login as ${username} at ${target} answered ${login.status}${hint}: ${await bodySnippet(login)}`);
  }
  const { token } = await footfallJson<{ token: string }>(login, 'login', ['token']);
  if (readsCounters) {
    await countersOrThrow(target, token, signal, ACK_CHECK_NEEDS_ADMIN);
  }
  const domain = `load-${tag}.bench.example`;
  const w = await api(target, '/api/websites', { method: 'POST', token, body: JSON.stringify({ name: `load ${tag}`, domain }), signal });
  if (w.status !== 200) throw new Error(`creating the run's website answered ${w.status}: ${await bodySnippet(w)}`);
  const site = await footfallJson<{ id: string; writeKey: string }>(w, 'creating the website', ['id', 'writeKey']);
  const slug = `load-${tag}`;
  const p = await api(target, '/api/pixels', { method: 'POST', token, body: JSON.stringify({ name: slug, slug }), signal });
  if (p.status !== 200) throw new Error(`creating the run's pixel answered ${p.status}: ${await bodySnippet(p)}`);
  const pixel = await footfallJson<{ id: string }>(p, 'creating the pixel', ['id']);
  const u = new URL(target);
  return { host: u.host, basePath: u.pathname.replace(/\/+$/, ''), domain, writeKey: site.writeKey, slug, token, websiteId: site.id, pixelId: pixel.id };
}

export interface ServerCounters {
  drops: Record<string, number>;
  /** Events in the target's write buffer, not yet stored. */
  waiting: number;
  /** Durable acks not given in time (answered 503, the events written later); 0 from a server that does not say. */
  lateAcks: number;
}

/** The server's counters (drops by reason, its write buffer), or why they cannot be read (admins only). */
export async function serverCounters(target: string, token: string, signal?: AbortSignal): Promise<ServerCounters | string> {
  const res = await api(target, '/api/metrics', { token, signal });
  if (res.status !== 200) return `/api/metrics answered ${res.status}`;
  const m = (await res.json().catch(() => null)) as { drops?: Record<string, number>; buffer?: { waiting?: number; lateAcks?: number } } | null;
  if (!m?.drops || typeof m.buffer?.waiting !== 'number') return '/api/metrics did not answer as Footfall does';
  return { drops: m.drops, waiting: m.buffer.waiting, lateAcks: typeof m.buffer.lateAcks === 'number' ? m.buffer.lateAcks : 0 };
}

/** The server's counters, or an error saying why not (`explain` words it for the caller). */
export async function countersOrThrow(target: string, token: string, signal?: AbortSignal, explain: (why: string) => string = (why) => why): Promise<ServerCounters> {
  const c = await serverCounters(target, token, signal);
  if (typeof c === 'string') throw new Error(explain(c));
  return c;
}

/** Why --ack-check cannot start, worded for its user: the drop counters it needs are an admin's to read. */
export const ACK_CHECK_NEEDS_ADMIN = (why: string) => `--ack-check reads the server's drop counters, and ${why}: log in as an admin (--user)`;
