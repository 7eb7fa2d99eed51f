/** @module Drives N keep-alive connections for a duration from a request source; collects latency histograms, status counts per family and a per-second series. */
import { Histogram } from './histogram.ts';
import { HttpConnection, type LossKind } from './http-client.ts';

/** Where requests come from. `conn` is the connection index: a source may keep per-connection state (a visitor's session). */
export interface RequestSource {
  families: readonly string[];
  next(conn: number): { family: number; request: string };
  answered(conn: number, family: number, status: number): void;
}

export interface Second {
  /** Seconds since the start at the window's end (the last window of a run may be shorter than 1 s). */
  t: number;
  /** The window's length in seconds: 1 but for the last (requests / lengthS is its rate). */
  lengthS: number;
  requests: number;
  /** Socket errors in the window. */
  errors: number;
  /** Answers in the window whose status was not 2xx. */
  non2xx: number;
  p50_ms: number;
  p99_ms: number;
}

export interface DriveResult {
  elapsedS: number;
  requests: number;
  errors: number;
  /**
   * Requests sent and never answered (their connection failed, or they were given up at the end):
   * the target may or may not have taken their events.
   */
  unanswered: number;
  /** Requests sent again on a new connection after the target's keep-alive timeout closed the idle one under them (rate only; each also counted unanswered). */
  resent: number;
  /** Answers whose status was not 2xx. */
  non2xx: number;
  errorSamples: string[];
  latency: Histogram;
  /** family → status → count */
  statuses: Record<string, Record<string, number>>;
  seconds: Second[];
  /** With a rate: the requests the schedule had due before the run ended (what answers are held against). */
  due?: number;
}

export interface DriveOptions {
  url: string;
  connections: number;
  durationMs: number;
  source: RequestSource;
  /** Stop early (as at the deadline) once this says so. */
  until?: () => boolean;
  /**
   * Requests a second over all connections, sent on a fixed schedule whatever the answers take
   * (open loop), each one's latency counted from when it was due: a target that stalls shows it
   * in the latencies of the requests that waited, not only the one it stalled on. Unset: each
   * connection sends again as soon as it is answered (closed loop, the most the target takes).
   */
  rate?: number;
  /** Called once a second with the running figures (the live progress line). */
  onSecond?: (s: Second, total: { elapsedS: number; requests: number; errors: number; non2xx: number; p99_ms: number }) => void;
}

/** A run's last part-second shorter than this joins the window before it (see drive()). */
const SHORT_TAIL_MS = 250;
/** The longest wait one timer takes (setTimeout holds up to 2^31 − 1 ms and fires at once past it). */
const MAX_TIMER_MS = 2 ** 30;
/**
 * With --rate: a connection idle this long may meet the target's keep-alive timeout. A request
 * sent on one that had waited so long, closed under it before any answer, is sent again; a fresh
 * connection closed with nothing in flight after this long was closed for being idle, not refused.
 */
const IDLE_RACE_MS = 1000;
/** With --rate, a connection the target closed while it waited is opened again this long before its slot falls due. */
const CONNECT_AHEAD_MS = 100;
/** How long past the run's end a request may still be answered before its connection is given up. */
const ABANDON_AFTER_MS = 2_000;

export async function drive(o: DriveOptions): Promise<DriveResult> {
  const u = new URL(o.url);
  const host = u.hostname;
  const port = Number(u.port || 80);
  const latency = new Histogram();
  const window = new Histogram();
  const statusCounts = o.source.families.map(() => new Map<number, number>());
  const errorSamples: string[] = [];
  let requests = 0;
  let errors = 0;
  /** Requests sent again after a keep-alive close met them (rate only; see onError). */
  let resent = 0;
  let unanswered = 0;
  let non2xx = 0;
  let winRequests = 0;
  let winErrors = 0;
  let winNon2xx = 0;
  const seconds: Second[] = [];
  const t0 = performance.now();
  const deadline = t0 + o.durationMs;
  let live = 0;
  /** Requests put on the schedule so far (rate only): the k-th is due at t0 + k / rate. */
  let scheduled = 0;
  const interval = o.rate ? 1000 / o.rate : 0;
  /** When `until` first said stop (the run's end, if before the deadline). */
  let stoppedAt: number | null = null;
  const pastDeadline = () => {
    const now = performance.now();
    if (now >= deadline) return true;
    if (o.until?.()) {
      stoppedAt ??= now;
      return true;
    }
    return false;
  };
  /** The run's end as the schedule sees it: its deadline, or when `until` said stop (rate: slots from then on are not sent). */
  const runEnd = () => {
    pastDeadline();
    return Math.min(deadline, stoppedAt ?? Infinity);
  };
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));

  const noteError = (e: Error) => {
    errors++;
    winErrors++;
    // Distinct messages: a target that restarts gives "connection closed" first, then "refused".
    if (errorSamples.length < 5 && !errorSamples.includes(e.message)) errorSamples.push(e.message);
  };

  /** After a failed connect, the wait before the next: doubling from 50 ms to 1 s while the target stays away. */
  const backoffMs = (failures: number) => Math.min(1000, 50 * 2 ** Math.max(0, failures - 1));
  /** Ends each connection still open once the run is over and a grace period has passed (a target that stopped answering). */
  const abandon: (() => void)[] = [];
  /** Ends, once the run is over, each connection with nothing in flight (waiting for its due time, or to connect again). */
  const stopWaiting: (() => void)[] = [];

  async function runConnection(i: number): Promise<void> {
    let sentAt = 0;
    let family = 0;
    let conn: HttpConnection | null = null;
    let ended = false;
    /** At most one reconnect waiting at a time. */
    let reconnecting = false;
    let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
    /** When the connection now open was opened, and when it last had an answer (performance.now()). */
    let openedAt = 0;
    let lastAnswerAt = 0;
    /** Connects in a row that failed, or were closed before any answer (a proxy whose backend is gone). */
    let failures = 0;
    let answeredSinceConnect = false;
    /** A request is out on this connection and not answered yet. */
    let awaiting = false;
    /** The request in flight will never be answered on this connection (it failed, or is given up). */
    const lose = () => {
      if (awaiting) unanswered++;
      awaiting = false;
    };
    const end = () => {
      if (ended) return;
      ended = true;
      clearTimeout(pacing);
      clearTimeout(reconnectTimer);
      reconnecting = false;
      if (--live === 0) finish();
    };
    /** The wait for this connection's next due time (rate only). */
    let pacing: ReturnType<typeof setTimeout> | undefined;
    /** The due time this connection took from the schedule and has not sent yet (rate only): kept across a reconnect. */
    let slot: number | null = null;
    /** The request in flight, kept to send again once (see onError). */
    let inFlight: { request: string; reused: boolean; again: boolean } | null = null;
    /** A request to send again on the next connection, first thing. */
    let resend: { request: string; family: number; sentAt: number } | null = null;
    const unpace = () => {
      clearTimeout(pacing);
      pacing = undefined;
    };
    const closeAndEnd = () => {
      conn!.close();
      end();
    };
    const fire = () => {
      if (resend) {
        // Due before the run's end, whatever the time now: it goes out as it was.
        const r = resend;
        resend = null;
        resent++;
        family = r.family;
        sentAt = r.sentAt;
        awaiting = true;
        inFlight = { request: r.request, reused: false, again: true };
        conn!.send(r.request);
        return;
      }
      if (!interval) return pastDeadline() ? closeAndEnd() : send(performance.now());
      // By the slot, not the clock: a slot due before the end is sent (late, if need be), as `due` counts it.
      slot ??= t0 + scheduled++ * interval;
      if (slot >= runEnd()) return closeAndEnd();
      pace();
    };
    /**
     * Sends the slot once it is due, never before: a timer may fire up to a millisecond early (a
     * fractional delay is rounded down), so each wake-up checks the time again (the first version
     * sent early, and read latencies counted from the due time as zero). A wait past what a timer
     * holds (~24.8 days) is taken in steps the same way.
     */
    const pace = () => {
      const wait = slot! - performance.now();
      if (wait <= 0) {
        const due = slot!;
        slot = null;
        return send(due);
      }
      pacing = setTimeout(() => {
        pacing = undefined;
        if (ended) return;
        if (slot! >= runEnd()) return closeAndEnd();
        pace();
      }, Math.min(wait, MAX_TIMER_MS));
    };
    /** Sends the next request; its latency counts from `due` (now, or when the schedule wanted it). */
    const send = (due: number) => {
      const r = o.source.next(i);
      family = r.family;
      sentAt = due;
      awaiting = true;
      // Reused after an idle wait: only then can a keep-alive timeout race the send (onError).
      inFlight = { request: r.request, reused: answeredSinceConnect && performance.now() - lastAnswerAt >= IDLE_RACE_MS, again: false };
      conn!.send(r.request);
    };
    const onResponse = (status: number) => {
      // Given up by the watchdog: a late answer is not counted as well.
      if (ended) return;
      awaiting = false;
      lastAnswerAt = performance.now();
      failures = 0;
      answeredSinceConnect = true;
      if (status < 200 || status > 299) {
        non2xx++;
        winNon2xx++;
      }
      const us = (performance.now() - sentAt) * 1000;
      latency.record(us);
      window.record(us);
      requests++;
      winRequests++;
      const m = statusCounts[family]!;
      m.set(status, (m.get(status) ?? 0) + 1);
      o.source.answered(i, family, status);
      fire();
    };
    const reconnect = (delayMs: number) => {
      if (reconnecting || ended) return;
      if (pastDeadline()) return end();
      reconnecting = true;
      reconnectTimer = setTimeout(() => {
        reconnecting = false;
        void open();
      }, delayMs);
    };
    /** reconnect() after at least `atLeast` ms, and with --rate no sooner than shortly before the slot this connection holds. */
    const reconnectForSlot = (atLeast: number) =>
      reconnect(slot === null ? atLeast : Math.min(MAX_TIMER_MS, Math.max(atLeast, slot - performance.now() - CONNECT_AHEAD_MS)));
    // The request in flight is lost (counted as an error, never as acknowledged); reconnect: at
    // once after a connection the server closed, with a growing wait while it refuses new ones.
    const onError = (e: Error, kind: LossKind) => {
      // The send waiting for its due time moves to the next connection, its slot with it.
      unpace();
      if (interval && kind === 'closed' && awaiting && inFlight?.reused && !inFlight.again && !conn!.answering && !pastDeadline()) {
        // --rate: sent on a connection that had waited idle since its last answer, and closed
        // before any byte of this one: the target's keep-alive timeout closed it as the request
        // went out. Sent again once, on a new connection, and counted (resent). Counted as
        // unanswered all the same (a target that died after taking it looks alike), so that
        // --ack-check allows for both. Without --rate a connection never waits, and such a close
        // is a fault of the target's, counted as an error below.
        lose();
        resend = { request: inFlight.request, family, sentAt };
        reconnect(0);
        return;
      }
      if (interval && kind === 'closed' && !awaiting && (answeredSinceConnect || performance.now() - openedAt >= IDLE_RACE_MS)) {
        // --rate, nothing in flight: the target closed the connection for being idle (its
        // keep-alive timeout; at a low rate a connection waits long for its turn). No error: a
        // new one is opened shortly before the slot falls due, and sends it then. (One closed
        // sooner, before any answer, is a target refusing connections: an error, below.)
        reconnectForSlot(0);
        return;
      }
      noteError(e);
      lose();
      if (!answeredSinceConnect) failures++;
      // With --rate, a slot not yet due waits for its time anyway.
      reconnectForSlot(failures ? backoffMs(failures) : 0);
    };
    // Nothing in flight (waiting for a due time, or to connect again): nothing to wait for.
    stopWaiting.push(() => {
      if (ended || awaiting || resend || (slot !== null && slot < runEnd())) return;
      conn?.close();
      end();
    });
    abandon.push(() => {
      if (ended) return;
      if (conn && !conn.closed) {
        // With --rate, a connection may be between requests, waiting for its next due time.
        if (awaiting) noteError(new Error('no answer by the end of the run'));
        lose();
        conn.close();
      }
      end();
    });
    const open = async () => {
      if (ended) return;
      try {
        conn = await HttpConnection.open(host, port, onResponse, onError);
        if (ended) return conn.close();
        answeredSinceConnect = false;
        openedAt = performance.now();
        fire();
      } catch (e) {
        // Given up meanwhile (the run is over): its failure is no longer the run's.
        if (ended) return;
        noteError(e as Error);
        reconnect(backoffMs(++failures));
      }
    };
    await open();
  }

  live = o.connections;
  for (let i = 0; i < o.connections; i++) void runConnection(i);
  // The watchdog rides on the ticker (a timer for the whole run would overflow past ~24.8 days):
  // connections still open 2 s after the run ended (its deadline, or `until`) are given up.
  let endedAt: number | null = null;
  let windowStart = t0;
  /** The last closed window's latencies, kept so that a run's short last part-second can join it. */
  const lastWindow = new Histogram();
  /** Closes the current window as a Second (and reports it). */
  const closeWindow = (now: number) => {
    const s: Second = {
      t: (now - t0) / 1000, lengthS: (now - windowStart) / 1000, requests: winRequests, errors: winErrors, non2xx: winNon2xx,
      p50_ms: window.percentileMs(50), p99_ms: window.percentileMs(99),
    };
    seconds.push(s);
    lastWindow.reset();
    lastWindow.add(window);
    window.reset();
    winRequests = 0;
    winErrors = 0;
    winNon2xx = 0;
    windowStart = now;
    o.onSecond?.(s, { elapsedS: s.t, requests, errors, non2xx, p99_ms: latency.percentileMs(99) });
  };
  const ticker = setInterval(() => {
    const now = performance.now();
    if (endedAt === null && pastDeadline()) endedAt = now;
    if (endedAt !== null) stopWaiting.forEach((f) => f());
    if (endedAt !== null && now - endedAt >= ABANDON_AFTER_MS) abandon.forEach((a) => a());
    closeWindow(now);
  }, 1000);
  await finished;
  clearInterval(ticker);
  const now = performance.now();
  const prev = seconds[seconds.length - 1];
  if (prev && now - windowStart < SHORT_TAIL_MS) {
    // A last part-second of a few ms holds only the answers to the requests in flight at the end:
    // as a window of its own its rate would be a spike (8 answers in 17 ms: 470 req/s). It joins
    // the window before it.
    window.add(lastWindow);
    Object.assign(prev, {
      t: (now - t0) / 1000, lengthS: prev.lengthS + (now - windowStart) / 1000, requests: prev.requests + winRequests, errors: prev.errors + winErrors,
      non2xx: prev.non2xx + winNon2xx, p50_ms: window.percentileMs(50), p99_ms: window.percentileMs(99),
    });
    // Not reported again: onSecond had it, and a caller summing its windows would count it twice.
  } else closeWindow(now);
  const elapsedS = (now - t0) / 1000;
  const statuses: Record<string, Record<string, number>> = {};
  o.source.families.forEach((f, i) => {
    if (statusCounts[i]!.size) statuses[f] = Object.fromEntries([...statusCounts[i]!].sort((a, b) => a[0] - b[0]).map(([k, v]) => [String(k), v]));
  });
  // With --rate: the requests the schedule had due before the run ended (its deadline, or `until`).
  const due = interval ? slotsBefore(t0, interval, Math.min(deadline, stoppedAt ?? deadline)) : undefined;
  return { elapsedS, requests, errors, unanswered, resent, non2xx, errorSamples, latency, statuses, seconds, ...(due !== undefined ? { due } : {}) };
}

/** How many slots t0 + k·interval (k = 0, 1, …) fall before `end`: the same sums the schedule makes, so floating point agrees with it. */
function slotsBefore(t0: number, interval: number, end: number): number {
  let n = Math.max(0, Math.ceil((end - t0) / interval));
  while (n > 0 && t0 + (n - 1) * interval >= end) n--;
  while (t0 + n * interval < end) n++;
  return n;
}
