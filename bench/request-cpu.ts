/**
 * @module Benchmark: the request thread's own work per hit, in-process (app.handle, no sockets,
 * the buffer flushed between rounds outside the timing), for each family of the realistic mix
 * (src/loadtest/mix.ts), against a bare route handled the same way in the same run.
 *
 * Why beside the wrk scenarios: on the shared 2-core VMs the end-to-end ratios move by ±0.04
 * from one run to the next (the same binary read 0.25 and 0.34 minutes apart), so a change worth
 * 1–2 µs of the request thread's ~30 cannot be seen there. Here there is no generator, no kernel
 * and no writer thread beside it, rounds alternate between the two apps, and the figure is the
 * difference, Footfall's µs minus the bare route's (`own_us`, the median round). Rounds still
 * vary by 15 % and more when the VM is busy: compare medians of several runs, alternating builds.
 * What it leaves out (HTTP parsing, the kernel, the writer's thread, GC helpers) the wrk
 * scenarios measure.
 *   bun bench/request-cpu.ts [rounds]
 */
import { Elysia } from 'elysia';
import { rudderApp, WRITE_KEY } from '../test/helpers/rudder.ts';
import { FAMILIES, MixSource, type Family } from '../src/loadtest/mix.ts';
import { check, line } from './lib/report.ts';

const ROUNDS = Number(process.argv[2] ?? process.env.BENCH_ROUNDS ?? 7);
/** Requests per round and family: ~0.3–0.6 s of work each. */
const PER_ROUND = 20_000;
const CONNECTIONS = 64;
const SLUG = 'bench-newsletter';

/** A raw HTTP/1.1 request, as the load tool writes it, as the Request Bun would hand over. */
function requestFromRaw(raw: string): Request {
  const headEnd = raw.indexOf('\r\n\r\n');
  const lines = raw.slice(0, headEnd).split('\r\n');
  const [method, target] = lines[0]!.split(' ') as [string, string];
  const headers = new Headers();
  for (const l of lines.slice(1)) {
    const colon = l.indexOf(':');
    headers.append(l.slice(0, colon), l.slice(colon + 1).trim());
  }
  const body = raw.slice(headEnd + 4);
  return new Request(`http://${headers.get('host')}${target}`, { method, headers, body: method === 'GET' || method === 'HEAD' ? undefined : body });
}

// The app's clock (a manual one: Prisme's sessions, salts and limiter read it too) is set to the
// wall clock before each request, outside the timing.
const t = rudderApp([]);
t.meta.pixels.create({ id: crypto.randomUUID(), name: 'Bench newsletter', slug: SLUG, userId: null, teamId: null }, Date.now());
const bare = new Elysia().all('*', () => new Response(null, { status: 200 }));

/**
 * One family's requests in the order the load tool sends them over 64 connections (for
 * pageviews, visits: a landing page, then pages reached from it), each answered before the
 * next is made, as a connection's are: the next pageview of a visit follows a 200.
 */
function source(family: Family, seed: number): { next(): { request: Request; conn: number; fam: number }; answered(conn: number, fam: number, status: number): void } {
  const mix = Object.fromEntries(FAMILIES.map((f) => [f, f === family ? 1 : 0])) as Record<Family, number>;
  const s = new MixSource({ host: 'footfall.bench', domain: 'shop.example', writeKey: WRITE_KEY, slug: SLUG }, { connections: CONNECTIONS, mix, addresses: 100_000, seed });
  let conn = 0;
  return {
    next() {
      conn = (conn + 1) % CONNECTIONS;
      const n = s.next(conn);
      return { request: requestFromRaw(n.request), conn, fam: n.family };
    },
    answered: (c, fam, status) => s.answered(c, fam, status),
  };
}

interface Round {
  us: number;
  ok: number;
}

/**
 * PER_ROUND requests, each made (and the clock set) outside the timing, then handled; only the
 * handling is timed (two clock reads a request, the same for both apps).
 */
async function round(handle: (r: Request) => Response | Promise<Response>, src: ReturnType<typeof source>): Promise<Round> {
  let ok = 0;
  let ms = 0;
  for (let i = 0; i < PER_ROUND; i++) {
    const b = src.next();
    t.clock.set(Date.now());
    const t0 = performance.now();
    const res = await handle(b.request);
    ms += performance.now() - t0;
    if (res.status === 200) ok++;
    src.answered(b.conn, b.fam, res.status);
  }
  return { us: (ms * 1000) / PER_ROUND, ok };
}

const rows = (): number => (t.db.query('SELECT count(*) AS n FROM events').get() as { n: number }).n;
const total = (drops: Record<string, number>): number => Object.values(drops).reduce((a, b) => a + b, 0);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

for (const family of ['pageview', 'pixel', 'rudder'] as const) {
  const ff = source(family, 12345);
  const base = source(family, 12345);
  const dropsBefore = t.deps.drops.snapshot();
  const rowsBefore = rows();
  const ffUs: number[] = [];
  const baseUs: number[] = [];
  let answered = 0;
  let ok = 0;
  // The first two rounds warm the JIT and the caches (each UA parsed once, ~60 µs); not counted.
  for (let i = 0; i < ROUNDS + 2; i++) {
    const b = await round((r) => bare.handle(r), base);
    const f = await round((r) => t.app.handle(r), ff);
    await t.buffer.flush();
    answered += PER_ROUND;
    ok += f.ok;
    if (i < 2) continue;
    baseUs.push(b.us);
    ffUs.push(f.us);
  }
  const s = t.buffer.snapshot();
  const drops = t.deps.drops.snapshot();
  const stored = rows() - rowsBefore;
  const notStored = total(drops) - total(dropsBefore);
  // Every hit was answered 200, and each is a row now or was counted as not stored (a reload, a
  // bot): nothing acknowledged is lost.
  check(ok === answered, `${family}: ${answered - ok} of ${answered} not answered 200`);
  check(s.waiting === 0 && s.rejectedFull === 0 && s.flushFailures === 0, `${family}: buffer ${JSON.stringify(s)}`);
  check(stored > 0 && stored + notStored === answered, `${family}: ${stored} rows + ${notStored} counted drops for ${answered} answered`);
  const own = ffUs.map((u, i) => u - baseUs[i]!);
  line('request-cpu', {
    family, rounds: ROUNDS, requests_per_round: PER_ROUND,
    footfall_us: median(ffUs), bare_route_us: median(baseUs), own_us: median(own),
    own_us_rounds: own.map((u) => u.toFixed(2)).join('/'),
    stored, reloads: (drops['duplicate-pageview'] ?? 0) - (dropsBefore['duplicate-pageview'] ?? 0),
  });
}
