import { describe, expect, it } from 'bun:test';
import { realTimers, virtualTimers } from './timers.ts';

describe('virtual timers', () => {
  it('call the timers that fall due as the clock moves on, in the order they are due, and no others', () => {
    const t = virtualTimers(1_000);
    const calls: string[] = [];
    t.after(30, () => calls.push(`b@${t.now()}`));
    t.after(10, () => calls.push(`a@${t.now()}`));
    t.after(50, () => calls.push(`c@${t.now()}`));
    t.advance(30);
    expect([calls, t.now(), t.pending()]).toEqual([['a@1010', 'b@1030'], 1_030, 1]);
  });

  it('move the clock by a sleep at once, and never back when a timer called on the way sleeps past it', async () => {
    const t = virtualTimers();
    t.after(5, () => void t.sleep(100));
    await t.sleep(10);
    expect(t.now()).toBe(105);
  });

  it('forget a cancelled timer', () => {
    const t = virtualTimers();
    let called = false;
    const cancel = t.after(5, () => (called = true));
    cancel();
    t.advance(10);
    expect([called, t.pending()]).toEqual([false, 0]);
  });
});

describe('real timers', () => {
  it('call a timer after its delay and not once cancelled', async () => {
    let fired = 0;
    realTimers.after(1, () => fired++);
    realTimers.after(1, () => fired++)();
    await realTimers.sleep(20);
    expect(fired).toBe(1);
  });
});
