import { describe, expect, it } from 'bun:test';
import { PasswordQueueFullError, passwordHasher, turns, TEST_PASSWORD_COST } from './passwords.ts';

/** A task that runs until released, recording how many run at once. */
function gate() {
  let running = 0;
  let peak = 0;
  const releases: (() => void)[] = [];
  const task = () => {
    running++;
    peak = Math.max(peak, running);
    return new Promise<number>((resolve) => releases.push(() => (running--, resolve(peak))));
  };
  return { task, releaseOne: () => releases.shift()?.(), get peak() { return peak; }, get waiting() { return releases.length; } };
}

describe('turns', () => {
  it('runs at most the given number of tasks at once, the rest in arrival order as slots free up', async () => {
    const turn = turns(2, 10);
    const g = gate();
    const order: number[] = [];
    const all = [1, 2, 3, 4, 5].map((i) => turn(async () => (await g.task(), order.push(i))));
    await Bun.sleep(0);
    expect(g.waiting).toBe(2);
    for (let i = 0; i < 5; i++) {
      g.releaseOne();
      await Bun.sleep(0);
    }
    await Promise.all(all);
    expect(g.peak).toBe(2);
    expect(order).toEqual([1, 2, 3, 4, 5]);
  });

  it('refuses a task when the queue is full, and frees the slot of a task that failed', async () => {
    const turn = turns(1, 1);
    const g = gate();
    const first = turn(g.task);
    const second = turn(g.task);
    await expect(turn(g.task)).rejects.toBeInstanceOf(PasswordQueueFullError);
    g.releaseOne();
    await first;
    await Bun.sleep(0);
    g.releaseOne();
    await second;
    await expect(turn(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await turn(async () => 'still runs')).toBe('still runs');
  });
});

describe('passwordHasher', () => {
  it('verifies its own hashes and refuses other passwords and unknown users', async () => {
    const p = passwordHasher(TEST_PASSWORD_COST);
    const h = await p.hash('correct horse');
    expect(h.startsWith('$argon2id$')).toBe(true);
    expect(await p.verify('correct horse', h)).toBe(true);
    expect(await p.verify('wrong', h)).toBe(false);
    expect(await p.verify('correct horse', null)).toBe(false);
    expect(await p.verify('x', 'not a hash')).toBe(false);
  });
});
