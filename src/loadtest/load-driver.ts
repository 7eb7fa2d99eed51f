/** @module Drives N keep-alive connections for a duration from a request source; collects latency histograms, status counts per family and a per-second series. */
import { Histogram } from './histogram.ts';
import { HttpConnection } from './http-client.ts';

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
  /** Answers whose status was not 2xx. */
  non2xx: number;
  errorSamples: string[];
  latency: Histogram;
  /** family → status → count */
  statuses: Record<string, Record<string, number>>;
  seconds: Second[];
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
  /** Ends, once the run is over, each connection that only waits for its next due time (rate only). */
  const stopWaiting: (() => void)[] = [];

  async function runConnection(i: number): Promise<void> {
    let sentAt = 0;
    let family = 0;
    let conn: HttpConnection | null = null;
    let ended = false;
    /** At most one reconnect waiting at a time. */
    let reconnecting = false;
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
      if (--live === 0) finish();
    };
    const pastDeadline = () => performance.now() >= deadline || !!o.until?.();
    /** The wait for this connection's next due time (rate only). */
    let pacing: ReturnType<typeof setTimeout> | undefined;
    const unpace = () => {
      clearTimeout(pacing);
      pacing = undefined;
    };
    const fire = () => {
      if (pastDeadline()) {
        conn!.close();
        end();
        return;
      }
      if (!interval) return send(performance.now());
      const due = t0 + scheduled++ * interval;
      if (due >= deadline) {
        conn!.close();
        end();
        return;
      }
      const wait = due - performance.now();
      if (wait <= 0) return send(due);
      pacing = setTimeout(() => {
        pacing = undefined;
        if (ended) return;
        if (pastDeadline()) {
          conn!.close();
          end();
          return;
        }
        send(due);
      }, wait);
    };
    /** Sends the next request; its latency counts from `due` (now, or when the schedule wanted it). */
    const send = (due: number) => {
      const r = o.source.next(i);
      family = r.family;
      sentAt = due;
      awaiting = true;
      conn!.send(r.request);
    };
    const onResponse = (status: number) => {
      // Given up by the watchdog: a late answer is not counted as well.
      if (ended) return;
      awaiting = false;
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
      setTimeout(() => {
        reconnecting = false;
        void open();
      }, delayMs);
    };
    // The request in flight is lost (counted as an error, never as acknowledged); reconnect: at
    // once after a connection the server closed, with a growing wait while it refuses new ones.
    const onError = (e: Error) => {
      noteError(e);
      lose();
      // A send waiting for its due time belongs to the connection that failed; the new one takes the schedule's next.
      unpace();
      if (!answeredSinceConnect) failures++;
      reconnect(failures ? backoffMs(failures) : 0);
    };
    stopWaiting.push(() => {
      if (pacing === undefined || ended) return;
      unpace();
      conn?.close();
      end();
    });
    abandon.push(() => {
      unpace();
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
        answeredSinceConnect = false;
        fire();
      } catch (e) {
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
    if (endedAt === null && (now >= deadline || o.until?.())) endedAt = now;
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
  return { elapsedS, requests, errors, unanswered, non2xx, errorSamples, latency, statuses, seconds };
}
