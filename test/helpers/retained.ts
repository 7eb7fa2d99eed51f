/** @module Test helper: how much of the engine's heap a piece of code leaves held, e.g. views on long texts a cache kept (src/lib/detach.ts). */
import { heapStats } from 'bun:jsc';

/** Heap bytes still held after `run` and a full collection: what `run` kept alive (its garbage is gone). */
export function heapKept(run: () => void): number {
  Bun.gc(true);
  const before = heapStats().heapSize;
  run();
  Bun.gc(true);
  return heapStats().heapSize - before;
}

/** A flat text of `size` characters starting with `head`, as a request header's value is (not a rope). */
export function flatText(head: string, size: number): string {
  return Buffer.from(head + 'a'.repeat(Math.max(0, size - head.length))).toString();
}
