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
    q.push(ev(2), half);
    q.push(ev(3), half);
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

  it("never cuts one request's events apart: a batch ends before a request that would pass the caps, and a request past them alone goes whole", () => {
    const q = new PendingQueue();
    for (let i = 0; i < MAX_BATCH - 1000; i++) q.push(ev(i), 1);
    const request = Array.from({ length: 3000 }, (_, i) => ev(100_000 + i));
    q.pushAll(request, request.map(() => 1), 3000);
    q.push(ev(200_000), 1);
    expect(q.take().batch).toHaveLength(MAX_BATCH - 1000);
    const whole = q.take();
    expect(ids(whole.batch)).toEqual([...ids(request), 'e200000']);
    expect(whole.joined.filter((j) => !j)).toHaveLength(2);

    const big = Array.from({ length: MAX_BATCH + 500 }, (_, i) => ev(i));
    q.pushAll(big, big.map(() => 1), big.length);
    q.push(ev(-1), 1);
    expect(q.take().batch).toHaveLength(MAX_BATCH + 500);
    expect(ids(q.take().batch)).toEqual(['e-1']);
  });

  it('cuts by bytes between requests too, and keeps the requests whole when batches that failed are put back', () => {
    const q = new PendingQueue();
    const third = Math.floor(MAX_BATCH_BYTES / 3);
    for (const i of [0, 2, 4]) q.pushAll([ev(i), ev(i + 1)], [third, third], 2 * third);
    // By bytes alone the cut would fall after e2, inside the second request.
    const first = q.take();
    expect(ids(first.batch)).toEqual(['e0', 'e1']);
    q.putBack([first]);
    expect(ids(q.take().batch)).toEqual(['e0', 'e1']);
    expect(ids(q.take().batch)).toEqual(['e2', 'e3']);
    expect(ids(q.take().batch)).toEqual(['e4', 'e5']);
  });
});
