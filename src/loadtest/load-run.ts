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
  /** 2xx answers that store one event each. */
  acknowledged: Record<Family, number>;
  'events/s': number;
  latency_ms: { p50: number; p90: number; p99: number; max: number };
  statuses: Record<string, Record<string, number>>;
  socketErrors: number;
  errorSamples: string[];
  visitors: number;
  /**
   * `answeredNotStored`: 200s the server reports it did not store, as it documents (a GIF hit
   * while its write buffer was full, a Prisme reload), from its drop counters before and after
   * the load; 0 when the user may not read them. ok: stored = acknowledged − answeredNotStored.
   */
  ackCheck?: { stored: number; acknowledged: number; answeredNotStored: number; websiteStored: number; pixelStored: number; ok: boolean };
  seconds: Second[];
}

async function api(base: string, path: string, init: RequestInit & { token?: string } = {}): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  return fetch(base + path, { ...init, headers });
}

export interface SetupResult extends MixTarget {
  token: string;
  websiteId: string;
  pixelId: string;
}

/** Logs in and creates a fresh website (its domain is the run's, so its export holds only this run) and pixel. */
export async function setupTarget(target: string, username: string, password: string, tag: string): Promise<SetupResult> {
  const login = await api(target, '/api/auth/login', { method: 'POST', body: JSON.stringify({ username, password }) });
  if (login.status !== 200) throw new Error(`login as ${username} answered ${login.status}: ${await login.text()}`);
  const { token } = (await login.json()) as { token: string };
  const domain = `load-${tag}.bench.example`;
  const w = await api(target, '/api/websites', { method: 'POST', token, body: JSON.stringify({ name: `load ${tag}`, domain }) });
  if (w.status !== 200) throw new Error(`create website answered ${w.status}: ${await w.text()}`);
  const site = (await w.json()) as { id: string; writeKey: string };
  const slug = `load-${tag}`;
  const p = await api(target, '/api/pixels', { method: 'POST', token, body: JSON.stringify({ name: slug, slug }) });
  if (p.status !== 200) throw new Error(`create pixel answered ${p.status}: ${await p.text()}`);
  const pixel = (await p.json()) as { id: string };
  return { host: new URL(target).host, domain, writeKey: site.writeKey, slug, token, websiteId: site.id, pixelId: pixel.id };
}

/** The server's counters of hits answered but not stored, by reason; null when this user may not read them (admins only). */
async function dropCounts(target: string, token: string): Promise<Record<string, number> | null> {
  const res = await api(target, '/api/metrics', { token });
  if (res.status !== 200) return null;
  return ((await res.json()) as { drops: Record<string, number> }).drops;
}

/** Lines of a streamed NDJSON export, counted without holding it. */
async function countLines(target: string, path: string, token: string): Promise<number> {
  const r = await api(target, path, { token });
  if (r.status !== 200) throw new Error(`${path} answered ${r.status}`);
  let n = 0;
  for await (const chunk of r.body!) {
    const b = chunk as Uint8Array;
    for (let i = 0; i < b.length; i++) if (b[i] === 10) n++;
  }
  return n;
}

/** Reads both exports until they reach the acknowledged count or stop moving (the write buffer flushes every 250 ms by default). */
async function readBack(target: string, s: SetupResult, expected: number): Promise<{ websiteStored: number; pixelStored: number }> {
  let last = -1;
  let stable = 0;
  for (let i = 0; i < 120; i++) {
    const websiteStored = await countLines(target, `/api/websites/${s.websiteId}/export?format=ndjson`, s.token);
    const pixelStored = await countLines(target, `/api/pixels/${s.pixelId}/export?format=ndjson`, s.token);
    const total = websiteStored + pixelStored;
    if (total === expected && i > 0) return { websiteStored, pixelStored };
    stable = total === last ? stable + 1 : 0;
    if (stable >= 8) return { websiteStored, pixelStored };
    last = total;
    await Bun.sleep(250);
  }
  throw new Error('export read-back did not settle');
}

export async function runLoad(o: LoadOptions, target?: MixTarget & Partial<SetupResult>): Promise<LoadReport> {
  const tag = `${o.seed.toString(36)}-${Date.now().toString(36)}`;
  const setup = target ?? (o.setup ? await setupTarget(o.target, o.username, o.password, tag) : { host: new URL(o.target).host, domain: 'baseline.example', writeKey: 'none', slug: 'baseline-pixel' });
  const source = new MixSource(setup, { connections: o.connections, mix: o.mix, addresses: o.addresses, seed: o.seed, visitLength: o.visitLength });
  const tty = o.progress && process.stderr.isTTY;
  const token = o.ackCheck && 'token' in setup ? setup.token : undefined;
  const dropsBefore = token ? await dropCounts(o.target, token) : null;
  o.beforeDrive?.();
  const r: DriveResult = await drive({
    url: o.target,
    connections: o.connections,
    durationMs: o.durationMs,
    source,
    until: o.maxVisitors ? () => source.visitors >= o.maxVisitors! : undefined,
    onSecond: o.progress || o.onVisitors
      ? (s, t) => {
          o.onVisitors?.(source.visitors);
          if (!o.progress) return;
          const text = `${t.elapsedS.toFixed(0).padStart(4)} s  ${String(s.requests).padStart(7)} req/s  errors ${t.errors}  p99 so far ${t.p99_ms.toFixed(2)} ms`;
          process.stderr.write(tty ? `\r${text}   ` : `${text}\n`);
        }
      : undefined,
  });
  if (tty) process.stderr.write('\n');
  o.afterDrive?.();
  const ok = (f: string) => Object.entries(r.statuses[f] ?? {}).reduce((a, [s, n]) => a + (s.startsWith('2') ? n : 0), 0);
  const acknowledged = { pageview: ok('pageview'), custom: ok('custom'), rudder: ok('rudder'), pixel: ok('pixel') };
  const ackTotal = Object.values(acknowledged).reduce((a, b) => a + b, 0);
  const report: LoadReport = {
    target: o.target,
    durationS: r.elapsedS,
    connections: o.connections,
    mix: o.mix,
    seed: o.seed,
    requests: r.requests,
    'req/s': r.requests / r.elapsedS,
    acknowledged,
    'events/s': ackTotal / r.elapsedS,
    latency_ms: { p50: r.latency.percentileMs(50), p90: r.latency.percentileMs(90), p99: r.latency.percentileMs(99), max: r.latency.percentileMs(100) },
    statuses: r.statuses,
    socketErrors: r.errors,
    errorSamples: r.errorSamples,
    visitors: source.visitors,
    seconds: r.seconds,
  };
  if (o.ackCheck) {
    if (!token) throw new Error('--ack-check needs the setup (admin credentials)');
    // A 503 is counted buffer-full too, and is no acknowledgement; a GIF endpoint answers 200
    // with the buffer full, and a Prisme reload is answered 200 and stored as nothing. (Every
    // request of the mix carries one event, so one 503 is one buffer-full.) The counters are the
    // server's: other traffic meanwhile would be counted too (the README says to avoid it).
    const dropsAfter = dropsBefore ? await dropCounts(o.target, token) : null;
    const delta = (reason: string) => (dropsAfter?.[reason] ?? 0) - (dropsBefore?.[reason] ?? 0);
    const refused = Object.values(r.statuses).reduce((a, st) => a + (st['503'] ?? 0), 0);
    const answeredNotStored = dropsAfter ? Math.max(0, delta('buffer-full') - refused) + delta('duplicate-pageview') : 0;
    const expected = ackTotal - answeredNotStored;
    const back = await readBack(o.target, setup as SetupResult, expected);
    const stored = back.websiteStored + back.pixelStored;
    // With nothing answered-but-dropped, the pixel's events must match its own 200s too.
    const ok = stored === expected && (answeredNotStored > 0 || back.pixelStored === acknowledged.pixel);
    report.ackCheck = { stored, acknowledged: ackTotal, answeredNotStored, ...back, ok };
  }
  return report;
}

const f2 = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');

export function summary(r: LoadReport): string {
  const st = Object.entries(r.statuses).map(([f, m]) => `${f} ${Object.entries(m).map(([s, n]) => `${s}:${n}`).join(' ')}`).join(', ');
  const lines = [
    `target ${r.target}  ${r.connections} connections  ${r.durationS.toFixed(1)} s  seed ${r.seed}  visitors ${r.visitors}`,
    `requests/s ${r['req/s'].toFixed(0)}  events/s ${r['events/s'].toFixed(0)}  (${r.requests} requests)`,
    `latency ms  p50 ${f2(r.latency_ms.p50)}  p90 ${f2(r.latency_ms.p90)}  p99 ${f2(r.latency_ms.p99)}  max ${f2(r.latency_ms.max)}`,
    `statuses    ${st}  socket errors ${r.socketErrors}${r.errorSamples.length ? ` (${r.errorSamples.join('; ')})` : ''}`,
  ];
  if (r.ackCheck) {
    const a = r.ackCheck;
    const dropped = a.answeredNotStored ? `, less ${a.answeredNotStored} answered but not stored, as the server documents (GIF hits while its write buffer was full, reloads)` : '';
    lines.push(`ack-check   stored ${a.stored} (website ${a.websiteStored}, pixel ${a.pixelStored}) vs acknowledged ${a.acknowledged}${dropped}: ${a.ok ? 'OK' : 'MISMATCH'}`);
  }
  return lines.join('\n');
}

/** Text for an XML element: a target URL may hold `&` or `<`. */
const xmlText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Throughput (req/s, left axis) and p50/p99 latency (ms, right axis) per second, as a standalone SVG. */
export function chartSvg(r: LoadReport): string {
  const W = 800, H = 320, L = 60, R = 60, T = 30, B = 40;
  const s = r.seconds;
  const n = Math.max(1, s.length);
  const maxRps = Math.max(1, ...s.map((x) => x.requests)) * 1.1;
  const maxMs = Math.max(0.1, ...s.map((x) => (Number.isFinite(x.p99_ms) ? x.p99_ms : 0))) * 1.1;
  const x = (i: number) => L + ((W - L - R) * (i + 0.5)) / n;
  const yl = (v: number) => H - B - ((H - T - B) * v) / maxRps;
  const yr = (v: number) => H - B - ((H - T - B) * v) / maxMs;
  const poly = (pts: string, color: string) => `<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts}"/>`;
  const pts = (f: (p: Second) => number, y: (v: number) => number) => s.map((p, i) => `${x(i).toFixed(1)},${y(Number.isFinite(f(p)) ? f(p) : 0).toFixed(1)}`).join(' ');
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((q) => `<text x="${L - 6}" y="${yl(q * maxRps) + 4}" text-anchor="end">${Math.round(q * maxRps)}</text><text x="${W - R + 6}" y="${yr(q * maxMs) + 4}">${(q * maxMs).toFixed(1)}</text><line x1="${L}" x2="${W - R}" y1="${yl(q * maxRps)}" y2="${yl(q * maxRps)}" stroke="#eee"/>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="white"/>${ticks}
<text x="${L}" y="18" font-size="13">${xmlText(r.target)}: ${r['req/s'].toFixed(0)} req/s, p99 ${f2(r.latency_ms.p99)} ms, ${r.connections} connections</text>
${poly(pts((p) => p.requests, yl), '#1f77b4')}${poly(pts((p) => p.p99_ms, yr), '#d62728')}${poly(pts((p) => p.p50_ms, yr), '#ff9896')}
<text x="${L}" y="${H - 10}" fill="#1f77b4">req/s (left)</text><text x="${L + 100}" y="${H - 10}" fill="#d62728">p99 ms (right)</text><text x="${L + 210}" y="${H - 10}" fill="#ff9896">p50 ms (right)</text><text x="${W - R}" y="${H - 10}" text-anchor="end">seconds → ${s.length}</text>
</svg>
`;
}
