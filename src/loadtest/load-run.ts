/** @module The load tool's engine: set a Footfall up through the management API, drive the mix, read the exports back (--ack-check), and summarise. */
import { drive, type DriveResult, type Second } from './load-driver.ts';
import { DEFAULT_MIX, MixSource, type Family, type MixTarget } from './mix.ts';

export interface LoadOptions {
  target: string;
  durationMs: number;
  connections: number;
  mix: Record<Family, number>;
  /** Distinct client addresses the visitors cycle through. */
  addresses: number;
  seed: number;
  ackCheck: boolean;
  /** Admin credentials for the setup (website, write key, pixel) and the export read-back. */
  username: string;
  password: string;
  /** Skip the setup (a bare Bun.serve baseline answers anything). */
  setup: boolean;
  /** Print the live progress line on stderr. */
  progress: boolean;
  /** Requests a second on a fixed schedule (load-driver.ts); unset: as fast as the target answers. */
  rate?: number;
  /** Pageviews per visit, uniform in 1..visitLength (default 5). */
  visitLength?: number;
  /** Called once a second with the visitors started so far. */
  onVisitors?: (visitors: number) => void;
  /** Called once the target is set up, just before the load starts (to measure the load alone). */
  beforeDrive?: () => void;
  /** Called when the load ends, before the --ack-check read-back (to tell the phases apart in RSS samples). */
  afterDrive?: () => void;
  /** Stop before the deadline once this many visitors (distinct addresses) were started. */
  maxVisitors?: number;
  /** Stop before the deadline once this says so (Ctrl-C): the run is summarised as any other. */
  stop?: () => boolean;
  /** Give up the --ack-check read-back once this says so (Ctrl-C during it): reported as not done. */
  stopReadBack?: () => boolean;
  /** Aborts the setup's management calls (Ctrl-C before the load started). */
  setupSignal?: AbortSignal;
  /** What the --ack-check read-back is waiting for, now and then (the progress output). */
  onReadBack?: (what: string) => void;
}

export const LOAD_DEFAULTS = { durationMs: 30_000, connections: 64, mix: DEFAULT_MIX, addresses: 200_000, ackCheck: false, username: 'admin', setup: true, progress: true };

export interface LoadReport {
  target: string;
  durationS: number;
  connections: number;
  mix: Record<Family, number>;
  seed: number;
  requests: number;
  'req/s': number;
  /**
   * With --rate: the rate asked for, the requests the schedule had due before the run ended, and
   * whether it was held (at least 97 % of those answered; latencies then count from each
   * request's due time).
   */
  rate?: { asked: number; due: number; held: boolean };
  /** 2xx answers that store one event each. */
  acknowledged: Record<Family, number>;
  /**
   * The events the target took, per second: the 2xx answers, less what its drop counters say it
   * answered 2xx without storing (`answeredNotStored`), when this user may read them.
   */
  'events/s': number;
  /**
   * 2xx answers the target says it did not store, from its drop counters before and after the
   * load (admins only; absent otherwise): GIF hits (RudderStack and Umami pixels, always answered
   * 200) dropped because its write buffer was full, which are lost events, and Prisme reloads,
   * which Prisme stores as nothing (the tool never reloads, but two visitors may share an address
   * and a user agent, and so a device).
   */
  answeredNotStored?: { bufferFull: number; reloads: number };
  latency_ms: { p50: number; p90: number; p99: number; max: number };
  statuses: Record<string, Record<string, number>>;
  socketErrors: number;
  /** Requests sent and never answered (connection lost, or given up at the end): their events may or may not be stored. */
  unanswered: number;
  /** With --rate: requests sent again after the target's keep-alive timeout closed an idle connection under them (each also counted unanswered). */
  resent: number;
  /** Answers that were not 2xx. */
  non2xx: number;
  errorSamples: string[];
  visitors: number;
  /** What the setup created on the target and left there (its events are the run's), when it ran. */
  created?: { websiteId: string; domain: string; pixelId: string; slug: string };
  /**
   * ok: nothing acknowledged was lost: stored = acknowledged − reloads (give or take the
   * unanswered requests), and no GIF hit was dropped for a full buffer (`lost`).
   */
  ackCheck?: {
    stored: number; acknowledged: number;
    /** Prisme reloads (answeredNotStored.reloads): answered 200 and stored as nothing, as Prisme does. */
    reloads: number;
    /** GIF hits answered 200 and dropped because the target's write buffer was full (answeredNotStored.bufferFull). */
    lost: number;
    websiteStored: number; pixelStored: number;
    /** Requests without an answer, whose events may or may not be stored: ok allows stored up to expected + this. */
    unanswered: number;
    ok: boolean;
    /** False when the read-back was not made: Ctrl-C stopped it (ok is false then too). */
    done: boolean;
    /** Why the read-back could not be made (the target went away, Ctrl-C…): ok is false. */
    error?: string;
  };
  seconds: Second[];
}

/**
 * How long a management call of the setup or read-back may wait for its answer to begin before
 * the tool gives up on it. Not its body: an export of millions of events streams for longer.
 */
const API_TIMEOUT_MS = 15_000;

async function api(base: string, path: string, init: RequestInit & { token?: string } = {}): Promise<Response> {
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

interface ServerCounters {
  drops: Record<string, number>;
  /** Events in the target's write buffer, not yet stored. */
  waiting: number;
}

/** The server's counters (drops by reason, its write buffer), or why they cannot be read (admins only). */
async function serverCounters(target: string, token: string, signal?: AbortSignal): Promise<ServerCounters | string> {
  const res = await api(target, '/api/metrics', { token, signal });
  if (res.status !== 200) return `/api/metrics answered ${res.status}`;
  const m = (await res.json().catch(() => null)) as { drops?: Record<string, number>; buffer?: { waiting?: number } } | null;
  if (!m?.drops || typeof m.buffer?.waiting !== 'number') return '/api/metrics did not answer as Footfall does';
  return { drops: m.drops, waiting: m.buffer.waiting };
}

/** The server's counters, or an error saying why not (`explain` words it for the caller). */
async function countersOrThrow(target: string, token: string, signal?: AbortSignal, explain: (why: string) => string = (why) => why): Promise<ServerCounters> {
  const c = await serverCounters(target, token, signal);
  if (typeof c === 'string') throw new Error(explain(c));
  return c;
}

/** Why --ack-check cannot start, worded for its user: the drop counters it needs are an admin's to read. */
const ACK_CHECK_NEEDS_ADMIN = (why: string) => `--ack-check reads the server's drop counters, and ${why}: log in as an admin (--user)`;

/** Lines of a streamed NDJSON export, counted without holding it. */
async function countLines(target: string, path: string, token: string, signal?: AbortSignal): Promise<number> {
  // An export may stream for minutes, but not stall: no byte for EXPORT_IDLE_MS gives it up.
  const stalled = new AbortController();
  const both = signal ? AbortSignal.any([signal, stalled.signal]) : stalled.signal;
  let idle: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    clearTimeout(idle);
    idle = setTimeout(() => stalled.abort(new Error(`no data for ${EXPORT_IDLE_MS / 1000} s`)), EXPORT_IDLE_MS);
  };
  arm();
  try {
    let r = await api(target, path, { token, signal: both });
    // Every export slot taken (other exports streaming): wait as told, a minute at most.
    for (let tries = 0; r.status === 503 && tries < 12; tries++) {
      await r.body?.cancel();
      const wait = Math.min(30, Math.max(1, Number(r.headers.get('retry-after')) || 5));
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, wait * 1000);
        both.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      });
      both.throwIfAborted();
      arm();
      r = await api(target, path, { token, signal: both });
    }
    if (r.status !== 200) throw new Error(`${path} answered ${r.status}`);
    let n = 0;
    try {
      for await (const chunk of r.body!) {
        arm();
        const b = chunk as Uint8Array;
        for (let i = 0; i < b.length; i++) if (b[i] === 10) n++;
      }
    } catch (e) {
      throw new Error(`reading ${path}: ${both.aborted && both.reason instanceof Error ? both.reason.message : (e as Error).message}`);
    }
    return n;
  } finally {
    clearTimeout(idle);
  }
}

/** How a read-back stopped by Ctrl-C is told (reported as not done, not as failed). */
const INTERRUPTED = 'interrupted (Ctrl-C)';

/** How long an export being read back may send nothing before it is given up. */
const EXPORT_IDLE_MS = 60_000;

/** How long the read-back waits for the target's write buffer to empty (its --flush-interval may be long). */
const DRAIN_WAIT_MS = 120_000;

/**
 * Reads both exports back once the target's write buffer has emptied (it flushes every
 * --flush-interval, 250 ms by default, and may have been set to minutes), then again while the
 * count is below `expected` and still moving: requests that were given up may still be stored.
 * `stop` (Ctrl-C) gives it up.
 */
async function readBack(
  target: string,
  s: SetupResult,
  expected: number,
  slack: number,
  stop: () => boolean,
  note: (what: string) => void = () => {},
): Promise<{ websiteStored: number; pixelStored: number }> {
  const interrupted = new AbortController();
  const watch = setInterval(() => stop() && interrupted.abort(new Error(`${INTERRUPTED} before the events were read back`)), 50);
  const signal = interrupted.signal;
  const pause = async (ms: number) => {
    await Bun.sleep(ms);
    signal.throwIfAborted();
  };
  try {
    let noted = 0;
    for (const start = performance.now(); ; ) {
      const { waiting } = await countersOrThrow(target, s.token, signal);
      if (waiting === 0) break;
      const now = performance.now();
      if (now - start > DRAIN_WAIT_MS) throw new Error(`the target's write buffer did not empty within ${DRAIN_WAIT_MS / 1000} s`);
      // Said at once, then every 5 s: a target flushing once a minute keeps the tool waiting that long.
      if (now - noted >= 5000) {
        note(`read-back: waiting for the target to store the ${waiting} events still in its write buffer (${((now - start) / 1000).toFixed(0)} s)`);
        noted = now;
      }
      await pause(100);
    }
    note('read-back: counting the events in the exports');
    let last = -1;
    let stable = 0;
    for (let i = 0; i < 240; i++) {
      const websiteStored = await countLines(target, `/api/websites/${s.websiteId}/export?format=ndjson`, s.token, signal);
      const pixelStored = await countLines(target, `/api/pixels/${s.pixelId}/export?format=ndjson`, s.token, signal);
      const total = websiteStored + pixelStored;
      if (total >= expected && total <= expected + slack) return { websiteStored, pixelStored };
      stable = total === last ? stable + 1 : 0;
      if (stable >= 8) return { websiteStored, pixelStored };
      last = total;
      await pause(250);
    }
    throw new Error('the exports kept changing for a minute (is other traffic storing events for this run\'s website?)');
  } catch (e) {
    // What stopped it: Ctrl-C, rather than how the call in flight failed.
    throw signal.aborted && signal.reason instanceof Error ? signal.reason : e;
  } finally {
    clearInterval(watch);
  }
}

export async function runLoad(o: LoadOptions, target?: MixTarget & Partial<SetupResult>): Promise<LoadReport> {
  const tag = `${o.seed.toString(36)}-${Date.now().toString(36)}`;
  const setup = target ?? (o.setup ? await setupTarget(o.target, o.username, o.password, tag, o.ackCheck, o.setupSignal) : { host: new URL(o.target).host, domain: 'baseline.example', writeKey: 'none', slug: 'baseline-pixel' });
  const source = new MixSource(setup, { connections: o.connections, mix: o.mix, addresses: o.addresses, seed: o.seed, visitLength: o.visitLength });
  const tty = o.progress && process.stderr.isTTY;
  const token = 'token' in setup ? setup.token : undefined;
  if (o.ackCheck && !token) throw new Error('--ack-check needs the setup (admin credentials)');
  // What the server answered 2xx without storing is in its drop counters, which only an admin
  // may read: --ack-check needs them (better said now than after the load); without it they are
  // read when they may be.
  const before = token ? (o.ackCheck ? await countersOrThrow(o.target, token, o.setupSignal, ACK_CHECK_NEEDS_ADMIN) : await serverCounters(o.target, token, o.setupSignal)) : null;
  const counters = typeof before === 'string' ? null : before;
  o.beforeDrive?.();
  const r: DriveResult = await drive({
    url: o.target,
    connections: o.connections,
    durationMs: o.durationMs,
    rate: o.rate,
    source,
    until: o.maxVisitors || o.stop ? () => (o.maxVisitors !== undefined && source.visitors >= o.maxVisitors) || !!o.stop?.() : undefined,
    onSecond: o.progress || o.onVisitors
      ? (s, t) => {
          o.onVisitors?.(source.visitors);
          if (!o.progress) return;
          const rate = s.lengthS > 0 ? s.requests / s.lengthS : 0;
          const text = `${t.elapsedS.toFixed(1).padStart(6)} s  ${rate.toFixed(0).padStart(7)} req/s  non-2xx ${t.non2xx}  socket errors ${t.errors}  p99 so far ${f2(t.p99_ms)} ms`;
          process.stderr.write(tty ? `\r${text}   ` : `${text}\n`);
        }
      : undefined,
  });
  if (tty) process.stderr.write('\n');
  o.afterDrive?.();
  const ok = (f: string) => Object.entries(r.statuses[f] ?? {}).reduce((a, [s, n]) => a + (s.startsWith('2') ? n : 0), 0);
  const acknowledged = { pageview: ok('pageview'), custom: ok('custom'), rudder: ok('rudder'), pixel: ok('pixel') };
  const ackTotal = Object.values(acknowledged).reduce((a, b) => a + b, 0);
  let answeredNotStored: LoadReport['answeredNotStored'];
  let countersAfter = "the server's drop counters could not be read after the load";
  if (counters) {
    // A 503 is counted buffer-full too, and is no acknowledgement; a GIF endpoint answers 200
    // with the buffer full. (Every request of the mix carries one event, so one 503 is one
    // buffer-full.) The counters are the server's: other traffic meanwhile would be counted too
    // (the README says to avoid it).
    // The target may have gone away during the load: then there is nothing to subtract, and
    // --ack-check says why it could not be made.
    const after = await serverCounters(o.target, token!).catch((e: Error) => e.message);
    if (typeof after === 'string') countersAfter = after;
    else {
      const delta = (reason: string) => (after.drops[reason] ?? 0) - (counters.drops[reason] ?? 0);
      const refused = Object.values(r.statuses).reduce((a, st) => a + (st['503'] ?? 0), 0);
      // The counters are the whole server's: what another client's refused batch or reload adds
      // is no hit of this run. At most the run's own GIF hits can have been dropped, and its own
      // pageviews taken for reloads.
      answeredNotStored = {
        bufferFull: Math.min(acknowledged.rudder + acknowledged.pixel, Math.max(0, delta('buffer-full') - refused)),
        reloads: Math.min(acknowledged.pageview, Math.max(0, delta('duplicate-pageview'))),
      };
    }
  }
  const notStored = answeredNotStored ? answeredNotStored.bufferFull + answeredNotStored.reloads : 0;
  const report: LoadReport = {
    target: o.target,
    durationS: r.elapsedS,
    connections: o.connections,
    mix: o.mix,
    seed: o.seed,
    requests: r.requests,
    'req/s': r.requests / r.elapsedS,
    ...(o.rate && r.due !== undefined ? { rate: { asked: o.rate, due: r.due, held: r.requests >= r.due * RATE_HELD } } : {}),
    acknowledged,
    'events/s': (ackTotal - notStored) / r.elapsedS,
    ...(answeredNotStored ? { answeredNotStored } : {}),
    latency_ms: { p50: r.latency.percentileMs(50), p90: r.latency.percentileMs(90), p99: r.latency.percentileMs(99), max: r.latency.percentileMs(100) },
    statuses: r.statuses,
    socketErrors: r.errors,
    unanswered: r.unanswered,
    resent: r.resent,
    non2xx: r.non2xx,
    errorSamples: r.errorSamples,
    visitors: source.visitors,
    ...('websiteId' in setup && setup.websiteId && setup.pixelId ? { created: { websiteId: setup.websiteId, domain: setup.domain, pixelId: setup.pixelId, slug: setup.slug } } : {}),
    seconds: r.seconds,
  };
  if (o.ackCheck) {
    const lost = answeredNotStored?.bufferFull ?? 0;
    const reloads = answeredNotStored?.reloads ?? 0;
    const check = { stored: 0, acknowledged: ackTotal, reloads, lost, websiteStored: 0, pixelStored: 0, unanswered: r.unanswered, ok: false, done: false };
    const stop = o.stopReadBack ?? (() => false);
    try {
      if (!answeredNotStored) throw new Error(countersAfter);
      const expected = ackTotal - lost - reloads;
      // A request that got no answer may have been stored all the same (or not).
      const back = await readBack(o.target, setup as SetupResult, expected, r.unanswered, stop, o.onReadBack);
      check.done = true;
      check.websiteStored = back.websiteStored;
      check.pixelStored = back.pixelStored;
      check.stored = back.websiteStored + back.pixelStored;
      // With nothing answered-but-dropped or unanswered, the pixel's events must match its own 200s too.
      const exact = lost === 0 && reloads === 0 && r.unanswered === 0;
      // A GIF hit dropped for a full buffer is an event lost, however well the rest matches.
      check.ok = lost === 0 && check.stored >= expected && check.stored <= expected + r.unanswered && (!exact || back.pixelStored === acknowledged.pixel);
      report.ackCheck = check;
    } catch (e) {
      report.ackCheck = { ...check, error: (e as Error).message };
    }
  }
  return report;
}

const f2 = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');

/** A --rate is held when at least this share of the requests due were answered (a few may be in flight, or lost, at the end). */
export const RATE_HELD = 0.97;

export function summary(r: LoadReport): string {
  const st = Object.entries(r.statuses).map(([f, m]) => `${f} ${Object.entries(m).map(([s, n]) => `${s}:${n}`).join(' ')}`).join(', ');
  const lines = [
    `target ${r.target}  ${r.connections} connections  ${r.durationS.toFixed(1)} s  seed ${r.seed}  visitors ${r.visitors}`,
    `requests/s ${r['req/s'].toFixed(0)}  events/s ${r['events/s'].toFixed(0)}  (${r.requests} requests)${r.rate ? `  --rate ${r.rate.asked}: ${r.rate.held ? 'held' : 'NOT HELD'}` : ''}`,
    `latency ms${r.rate ? ' (from each request\'s due time)' : ''}  p50 ${f2(r.latency_ms.p50)}  p90 ${f2(r.latency_ms.p90)}  p99 ${f2(r.latency_ms.p99)}  max ${f2(r.latency_ms.max)}`,
    `statuses    ${st}  socket errors ${r.socketErrors}${r.errorSamples.length ? ` (${r.errorSamples.join('; ')})` : ''}${r.resent ? `  sent again ${r.resent} (an idle connection closed under them)` : ''}`,
  ];
  if (r.created) lines.push(`created     website ${r.created.websiteId} (${r.created.domain}), pixel ${r.created.pixelId} (${r.created.slug}): left on the target with this run's events`);
  if (r.ackCheck) {
    const a = r.ackCheck;
    if (a.error && !a.done && a.error.startsWith(INTERRUPTED)) lines.push(`ack-check   not done: ${a.error}`);
    else if (a.error) lines.push(`ack-check   could not read the events back: ${a.error}: FAILED`);
    else {
      const reloads = a.reloads ? `, less ${a.reloads} Prisme reloads (answered 200 and stored as nothing, as Prisme does)` : '';
      const lost = a.lost ? `, less ${a.lost} pixel hits LOST (answered with the GIF, dropped: the target's write buffer was full)` : '';
      const maybe = a.unanswered ? `, give or take ${a.unanswered} requests that got no answer (stored or not)` : '';
      lines.push(`ack-check   stored ${a.stored} (website ${a.websiteStored}, pixel ${a.pixelStored}) vs acknowledged ${a.acknowledged}${reloads}${lost}${maybe}: ${a.ok ? 'OK' : a.lost ? 'LOST EVENTS' : 'MISMATCH'}`);
    }
  } else if (r.answeredNotStored?.bufferFull) {
    lines.push(`dropped     ${r.answeredNotStored.bufferFull} pixel hits answered with the GIF but not stored: the target's write buffer was full`);
  }
  return lines.join('\n');
}

/** Text for an XML element: a target URL may hold `&` or `<`. */
const xmlText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Throughput (req/s, left axis), failures (answers not 2xx and socket errors per second, left
 * axis, drawn when there were any) and p50/p99 latency (ms, right axis) per second, as a
 * standalone SVG.
 */
export function chartSvg(r: LoadReport): string {
  const W = 800, H = 320, L = 60, R = 60, T = 30, B = 52;
  const s = r.seconds;
  const rate = (p: Second) => (p.lengthS > 0 ? p.requests / p.lengthS : 0);
  const failures = (p: Second) => (p.lengthS > 0 ? (p.non2xx + p.errors) / p.lengthS : 0);
  const failed = s.some((p) => p.non2xx + p.errors > 0);
  const span = Math.max(1, ...s.map((p) => p.t));
  const maxRps = Math.max(1, ...s.map(rate)) * 1.1;
  const maxMs = Math.max(0.1, ...s.map((p) => (Number.isFinite(p.p99_ms) ? p.p99_ms : 0))) * 1.1;
  // Each window is drawn at its middle.
  const x = (p: Second) => L + ((W - L - R) * (p.t - p.lengthS / 2)) / span;
  const yl = (v: number) => H - B - ((H - T - B) * v) / maxRps;
  const yr = (v: number) => H - B - ((H - T - B) * v) / maxMs;
  /**
   * A line through the windows that have a value: a window with no answer has no latency, and
   * leaves a gap (not a fall to 0 ms); a point alone is drawn as a mark, a ring for a left-axis
   * series and a dot for a right-axis one, so that two at the same place both show.
   */
  const series = (f: (p: Second) => number, y: (v: number) => number, color: string, ring: boolean) => {
    const runs: string[][] = [[]];
    for (const p of s) {
      const v = f(p);
      if (Number.isFinite(v)) runs[runs.length - 1]!.push(`${x(p).toFixed(1)},${y(v).toFixed(1)}`);
      else if (runs[runs.length - 1]!.length) runs.push([]);
    }
    return runs.filter((pts) => pts.length).map((pts) => {
      if (pts.length > 1) return `<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.join(' ')}"/>`;
      const [cx, cy] = pts[0]!.split(',');
      return ring ? `<circle cx="${cx}" cy="${cy}" r="5" fill="none" stroke="${color}" stroke-width="2"/>` : `<circle cx="${cx}" cy="${cy}" r="2.5" fill="${color}"/>`;
    }).join('');
  };
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((q) => `<text x="${L - 6}" y="${yl(q * maxRps) + 4}" text-anchor="end">${Math.round(q * maxRps)}</text><text x="${W - R + 6}" y="${yr(q * maxMs) + 4}">${(q * maxMs).toFixed(maxMs < 1 ? 2 : 1)}</text><line x1="${L}" x2="${W - R}" y1="${yl(q * maxRps)}" y2="${yl(q * maxRps)}" stroke="#eee"/>`).join('');
  // Seconds along the bottom, at a round step giving at most ~10 marks.
  const step = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600].find((d) => span / d <= 10) ?? Math.ceil(span / 10);
  const xTicks: string[] = [];
  for (let t = 0; t <= span + 1e-9; t += step) {
    const px = L + ((W - L - R) * t) / span;
    xTicks.push(`<line x1="${px.toFixed(1)}" x2="${px.toFixed(1)}" y1="${H - B}" y2="${H - B + 4}" stroke="#999"/><text x="${px.toFixed(1)}" y="${H - B + 16}" text-anchor="middle">${t}</text>`);
  }
  const failing = r.non2xx + r.socketErrors;
  const title = `${xmlText(r.target)}: ${r['req/s'].toFixed(0)} req/s${r.rate ? ` (--rate ${r.rate.asked})` : ''}, p99 ${f2(r.latency_ms.p99)} ms, ${r.connections} connections${failing ? `, ${r.non2xx} not 2xx, ${r.socketErrors} socket errors` : ''}`;
  const legend = [
    ['#1f77b4', 'req/s (left)'], ...(failed ? [['#ff7f0e', 'not 2xx + socket errors /s (left)']] : []), ['#d62728', 'p99 ms (right)'], ['#ff9896', 'p50 ms (right)'],
  ];
  let lx = L;
  const legendText = legend.map(([color, text]) => {
    const el = `<text x="${lx}" y="${H - 8}" fill="${color}">${text}</text>`;
    lx += text!.length * 6 + 18;
    return el;
  }).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="white"/>${ticks}
<line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="#999"/>${xTicks.join('')}
<text x="${L}" y="18" font-size="13">${title}</text>
${series(rate, yl, '#1f77b4', true)}${failed ? series(failures, yl, '#ff7f0e', true) : ''}${series((p) => p.p99_ms, yr, '#d62728', false)}${series((p) => p.p50_ms, yr, '#ff9896', false)}
${legendText}<text x="${W - R}" y="${H - 8}" text-anchor="end">seconds</text>
</svg>
`;
}
