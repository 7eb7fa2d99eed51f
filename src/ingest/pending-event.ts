/** @module What the write buffer holds — a canonical event, or a hit whose event is built where it is written — and how it becomes a stored event. */
import type { DropReason } from './drop-reasons.ts';
import type { CanonicalEvent } from './event.ts';
import { rudderPixelEvent, type RudderPixelHit } from './rudder-pixel-hit.ts';
import type { UserAgentParser } from './user-agent.ts';

/** A canonical event, or a deferred hit (plain data, tagged by `deferred`). */
export type PendingEvent = CanonicalEvent | RudderPixelHit;

/** How many of a batch's hits were not stored, by reason (null: all were). */
export type DropTally = Partial<Record<DropReason, number>>;

export function isDeferred(p: PendingEvent): p is RudderPixelHit {
  return (p as RudderPixelHit).deferred !== undefined;
}

/**
 * The event to store, or why not. Never throws: a deferred hit that breaks its builder is
 * `invalid-input` (its client already had its answer), and must not fail the batch around it,
 * which the buffer would retry for ever.
 */
export function materialise(p: PendingEvent, ua: UserAgentParser): CanonicalEvent | DropReason {
  if (!isDeferred(p)) return p;
  try {
    return rudderPixelEvent(p, ua);
  } catch {
    return 'invalid-input';
  }
}

/** Builds a batch's events; the reasons of those not stored are added to `tally`. */
export function materialiseBatch(items: readonly PendingEvent[], ua: UserAgentParser, tally: DropTally): CanonicalEvent[] {
  const out: CanonicalEvent[] = [];
  for (const p of items) {
    const e = materialise(p, ua);
    if (typeof e === 'string') tally[e] = (tally[e] ?? 0) + 1;
    else out.push(e);
  }
  return out;
}
