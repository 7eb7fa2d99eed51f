import { describe, expect, it } from 'bun:test';
import { Lru } from './lru.ts';

describe('Lru', () => {
  it('never holds more than its capacity and evicts the oldest first', () => {
    const l = new Lru<string, number>(3);
    for (const k of ['a', 'b', 'c', 'd']) l.set(k, 1);
    expect(l.size).toBe(3);
    expect(l.peek('a')).toBeUndefined();
    expect([...l.keys()]).toEqual(['b', 'c', 'd']);
  });

  it('keeps a key that is read often while others churn through', () => {
    const l = new Lru<string, number>(100);
    l.set('hot', 1);
    for (let i = 0; i < 10_000; i++) {
      l.set(`k${i}`, i);
      expect(l.get('hot')).toBe(1);
    }
    expect(l.size).toBe(100);
  });

  it('counts hits and misses', () => {
    const l = new Lru<string, number>(10);
    l.set('a', 1);
    l.get('a');
    l.get('b');
    expect([l.hits, l.misses]).toEqual([1, 1]);
  });

  it('replaces a value in place and refuses a capacity below one', () => {
    const l = new Lru<string, number>(2);
    l.set('a', 1);
    l.set('a', 2);
    expect(l.get('a')).toBe(2);
    expect(l.size).toBe(1);
    expect(() => new Lru(0)).toThrow();
  });
});

describe('Lru eviction cost', () => {
  it('keeps evicting in insertion order across refreshes, deletes and a full turn', () => {
    const l = new Lru<number, number>(4);
    for (let i = 0; i < 4; i++) l.set(i, i);
    l.delete(1);
    l.set(10, 10); // fills the hole, no eviction
    l.set(11, 11); // evicts 0
    expect([...l.keys()]).toEqual([2, 3, 10, 11]);
    for (let i = 20; i < 30; i++) l.set(i, i);
    expect([...l.keys()]).toEqual([26, 27, 28, 29]);
  });
});
