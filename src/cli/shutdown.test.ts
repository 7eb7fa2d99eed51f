import { describe, expect, it } from 'bun:test';
import { DRAIN_WRITE_GRACE_MS, WriteBuffer, drainDeadlineMs } from '../buffer/write-buffer.ts';
import type { DropTally } from '../ingest/drop-reasons.ts';
import { virtualTimers } from '../lib/timers.ts';
import { makeEvent } from '../../test/helpers/events.ts';
import { shutdown } from './shutdown.ts';

/** A sink whose one write the test ends by hand (a frozen disk that thaws, or fails). */
function frozenSink() {
  let settle: { resolve: (d: DropTally | null) => void; reject: (e: Error) => void } | null = null;
  return {
    insertPending: () => new Promise<DropTally | null>((resolve, reject) => void (settle = { resolve, reject })),
    builderUaCache: () => ({ hits: 0, misses: 0, size: 0 }),
    thaw: () => settle!.resolve(null),
    fail: () => settle!.reject(new Error('disk I/O error')),
  };
}

function recordingLog() {
  const lines: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
  const at = (level: string) => (msg: string, fields: Record<string, unknown> = {}) => void lines.push({ level, msg, fields });
  return { lines, log: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

const turn = () => new Promise<void>((r) => setImmediate(r));

/**
 * A stop whose one write is still under way when the flush gives up (a frozen disk), and which
 * `during` the close thaws or fails: the exit code, what was logged, and the clock.
 */
async function stopWithFrozenWrite(during: (sink: ReturnType<typeof frozenSink>) => void) {
  const timers = virtualTimers();
  const sink = frozenSink();
  const { lines, log } = recordingLog();
  const buffer = new WriteBuffer({ store: sink, flushSize: 100, flushIntervalMs: 250, maxEvents: 1000, durable: false, timers });
  for (let i = 0; i < 3; i++) buffer.submit(makeEvent(i));
  const closeStore = async () => {
    during(sink);
    await turn();
  };
  const code = shutdown(log, null, buffer, () => ({}), closeStore, 1000);
  await turn();
  timers.advance(drainDeadlineMs(1000) + DRAIN_WRITE_GRACE_MS);
  return { code: await code, lines, timers };
}

describe('shutdown', () => {
  it('says that a write is still under way past the flush deadline before closing, and stops cleanly when it commits during the close', async () => {
    const { code, lines } = await stopWithFrozenWrite((sink) => sink.thaw());
    expect(code).toBe(0);
    expect(lines.map((l) => [l.level, l.msg.slice(0, 40), l.fields.beingWritten ?? l.fields.committed])).toEqual([
      ['error', 'a write is still under way past the flus', 3],
      ['info', 'stopped cleanly', 3],
    ]);
  });

  it('reports as lost, with status 1, what such a write leaves unwritten once the close is done', async () => {
    const { code, lines, timers } = await stopWithFrozenWrite((sink) => sink.fail());
    expect(code).toBe(1);
    expect(lines.at(-1)).toEqual({ level: 'error', msg: 'could not write every buffered event before exit', fields: { lost: 3, committed: 0 } });
    // The failure after the stop's flush gave up arms no retry and says nothing of one.
    expect(lines.some((l) => l.msg.startsWith('flush failed'))).toBe(false);
    expect(timers.pending()).toBe(0);
  });
});
