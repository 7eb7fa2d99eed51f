/** @module The load tool's engine: a Footfall set up (setup-target.ts), the mix driven at it, its exports read back (--ack-check, read-back.ts) → the LoadReport (load-summary.ts words it). */
import { drive, type DriveResult, type Second } from './load-driver.ts';
import { DEFAULT_MIX, MixSource, type Family, type MixTarget } from './mix.ts';
import { f2, RATE_HELD } from './load-summary.ts';
import { readBack } from './read-back.ts';
import { ACK_CHECK_NEEDS_ADMIN, countersOrThrow, serverCounters, setupTarget, type SetupResult } from './setup-target.ts';

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
    /**
     * Requests answered 503 because their durable ack was not given in time (the target's
     * lateAcks, at most the run's 503s), whose events the target still writes (at-least-once):
     * ok allows stored up to expected + unanswered + this.
     */
    late: number;
    ok: boolean;
    /** False when the read-back was not made: Ctrl-C stopped it (ok is false then too). */
    done: boolean;
    /** Why the read-back could not be made (the target went away, Ctrl-C…): ok is false. */
    error?: string;
  };
  seconds: Second[];
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
  let lateRefused = 0;
  let countersAfter = "the server's drop counters could not be read after the load";
  if (counters) {
    // A 503 for a full buffer is counted buffer-full too, and is no acknowledgement; a GIF
    // endpoint answers 200 with the buffer full. (Every request of the mix carries one event, so
    // one such 503 is one buffer-full.) The other 503s are not: a durable ack given too late (the
    // target's lateAcks) and too many bodies being read (bodies-busy). The counters are the
    // server's: other traffic meanwhile would be counted too (the README says to avoid it).
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
      lateRefused = Math.min(refused, Math.max(0, after.lateAcks - counters.lateAcks));
      const refusedFull = Math.max(0, refused - lateRefused - Math.max(0, delta('bodies-busy')));
      answeredNotStored = {
        bufferFull: Math.min(acknowledged.rudder + acknowledged.pixel, Math.max(0, delta('buffer-full') - refusedFull)),
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
    const check = { stored: 0, acknowledged: ackTotal, reloads, lost, websiteStored: 0, pixelStored: 0, unanswered: r.unanswered, late: lateRefused, ok: false, done: false };
    const stop = o.stopReadBack ?? (() => false);
    try {
      if (!answeredNotStored) throw new Error(countersAfter);
      const expected = ackTotal - lost - reloads;
      // A request that got no answer may have been stored all the same (or not).
      const back = await readBack(o.target, setup as SetupResult, expected, r.unanswered + lateRefused, stop, o.onReadBack);
      check.done = true;
      check.websiteStored = back.websiteStored;
      check.pixelStored = back.pixelStored;
      check.stored = back.websiteStored + back.pixelStored;
      // With nothing answered-but-dropped or unanswered, the pixel's events must match its own 200s too.
      const exact = lost === 0 && reloads === 0 && r.unanswered === 0 && lateRefused === 0;
      // A GIF hit dropped for a full buffer is an event lost, however well the rest matches.
      check.ok = lost === 0 && check.stored >= expected && check.stored <= expected + r.unanswered + lateRefused && (!exact || back.pixelStored === acknowledged.pixel);
      report.ackCheck = check;
    } catch (e) {
      report.ackCheck = { ...check, error: (e as Error).message };
    }
  }
  return report;
}

