import { describe, expect, it } from 'bun:test';
import { blankEvent } from '../ingest/event.ts';
import type { PendingEvent } from '../ingest/pending-event.ts';
import { MAX_BATCH, MAX_BATCH_BYTES, PendingQueue } from './pending-queue.ts';

const ev = (i: number) => blankEvent(`e${i}`, '2026-01-01T00:00:00.000Z', 'prisme', 'pageview');
const ids = (events: PendingEvent[]) => events.map((e) => (e as ReturnType<typeof ev>).id);

describe('the queue of events waiting for the store', () => {
  it('takes batches from the front, of at most MAX_BATCH events, and counts the bytes still waiting', () => {
    const q = new PendingQueue();
    for (let i = 0; i < MAX_BATCH + 5; i++) q.push(ev(i), 10);
    expect(q.holdsBatch(2000)).toBe(true);
    const first = q.take();
    expect(first.batch).toHaveLength(MAX_BATCH);
    expect(ids(first.batch)[0]).toBe('e0');
    expect(first.sizes).toHaveLength(MAX_BATCH);
    expect(q.length).toBe(5);
    expect(q.bytes).toBe(50);
    expect(q.holdsBatch(2000)).toBe(false);
    expect(ids(q.take().batch)).toEqual(['e10000', 'e10001', 'e10002', 'e10003', 'e10004']);
    expect([q.length, q.bytes]).toEqual([0, 0]);
  });

  it('cuts a batch once its bytes pass MAX_BATCH_BYTES, but always takes its first event, however big', () => {
    const q = new PendingQueue();
    q.push(ev(0), MAX_BATCH_BYTES * 2);
    q.push(ev(1), 1);
    expect(q.holdsBatch(2000)).toBe(true);
    expect(ids(q.take().batch)).toEqual(['e0']);
    const half = MAX_BATCH_BYTES / 2;
    q.pushAll([ev(2), ev(3)], [half, half], 2 * half);
    expect(ids(q.take().batch)).toEqual(['e1', 'e2']);
    expect(q.bytes).toBe(half);
  });

  it('puts batches that were not stored back at the front, in order, with their bytes', () => {
    const q = new PendingQueue();
    q.pushAll([ev(0), ev(1), ev(2)], [1, 2, 3], 6);
    const a = q.take();
    q.push(ev(3), 4);
    q.putBack([a]);
    expect(q.length).toBe(4);
    expect(q.bytes).toBe(10);
    expect(ids(q.take().batch)).toEqual(['e0', 'e1', 'e2', 'e3']);
  });

  it('holds a batch at --flush-size events, never more than MAX_BATCH', () => {
    const q = new PendingQueue();
    for (let i = 0; i < 3; i++) q.push(ev(i), 1);
    expect(q.holdsBatch(4)).toBe(false);
    expect(q.holdsBatch(3)).toBe(true);
    expect(q.holdsBatch(MAX_BATCH * 10)).toBe(false);
  });
});
