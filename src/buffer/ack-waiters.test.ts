import { describe, expect, it } from 'bun:test';
import { AckWaiters } from './ack-waiters.ts';

describe('durable acks waiting for their commit', () => {
  it('answers ok the acks whose events have all committed, and leaves the rest waiting', async () => {
    const w = new AckWaiters(() => 0, 10_000);
    const answers: string[] = [];
    for (const seq of [1, 3, 5]) void w.wait(seq).then((o) => answers.push(`${seq}:${o}`));
    w.release(3);
    await Bun.sleep(0);
    expect(answers).toEqual(['1:ok', '3:ok']);
    expect(w.count).toBe(1);
  });

  it('answers late those that waited the timeout, by their own clock, and the rest at shutdown', async () => {
    let now = 0;
    const w = new AckWaiters(() => now, 1000);
    const answers: string[] = [];
    void w.wait(1).then((o) => answers.push(`1:${o}`));
    now = 500;
    void w.wait(2).then((o) => answers.push(`2:${o}`));
    now = 1000;
    w.expire();
    await Bun.sleep(0);
    expect(answers).toEqual(['1:late']);
    expect(w.answerAllLate()).toBe(1);
    await Bun.sleep(0);
    expect(answers).toEqual(['1:late', '2:late']);
    expect(w.count).toBe(0);
  });

  it('keeps answering in order across the compaction of its list', async () => {
    const w = new AckWaiters(() => 0, 10_000);
    let ok = 0;
    for (let seq = 1; seq <= 5000; seq++) void w.wait(seq).then(() => ok++);
    for (let seq = 500; seq <= 5000; seq += 500) w.release(seq);
    await Bun.sleep(0);
    expect(ok).toBe(5000);
    expect(w.count).toBe(0);
    void w.wait(5001).then(() => ok++);
    w.release(5001);
    await Bun.sleep(0);
    expect(ok).toBe(5001);
  });
});
