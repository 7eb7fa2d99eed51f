/** @module --ack-check's read-back: once the target's buffer is empty, its exports' lines counted against what the load was answered. */
import { api, countersOrThrow, type SetupResult } from './setup-target.ts';

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
export const INTERRUPTED = 'interrupted (Ctrl-C)';

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
export async function readBack(
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
