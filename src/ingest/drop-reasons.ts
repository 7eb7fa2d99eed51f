/** @module The closed list of reasons a hit is not stored, and the counter every family reports to. */

export const DROP_REASONS = [
  'bot',
  'rate-limited',
  'unknown-origin',
  'invalid-input',
  'no-session',
  'unknown-write-key',
  'missing-identity',
  'empty-event',
  'unknown-pixel',
  'buffer-full',
  /** Too many request bodies being read at once (the body pool's cap), not the write buffer. */
  'bodies-busy',
  'duplicate-pageview',
  'prefetch',
  'docs-try-out',
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/** How many hits were not stored, by reason (a batch's report from the writer thread). */
export type DropTally = Partial<Record<DropReason, number>>;

export class DropCounter {
  private readonly counts = new Map<DropReason, number>(DROP_REASONS.map((r) => [r, 0]));

  add(reason: DropReason, n = 1): void {
    this.counts.set(reason, this.counts.get(reason)! + n);
  }

  /** Adds a batch's tally (the write buffer's report of hits its writer did not store). */
  addTally(tally: DropTally): void {
    for (const [reason, n] of Object.entries(tally) as [DropReason, number][]) this.add(reason, n);
  }

  get(reason: DropReason): number {
    return this.counts.get(reason)!;
  }

  snapshot(): Record<DropReason, number> {
    return Object.fromEntries(this.counts) as Record<DropReason, number>;
  }
}
