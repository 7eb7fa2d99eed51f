/** @module What the write buffer holds — a canonical event, or a hit whose event is built where it is written — and how it becomes a stored event. */
import type { DropReason, DropTally } from './drop-reasons.ts';
import type { CanonicalEvent } from './event.ts';
import { pixelHitEvent, type PixelEventDeps, type UmamiPixelHit } from './pixel-hit.ts';
import { rudderPixelEvent, type RudderPixelHit } from './rudder-pixel-hit.ts';
import { cachedUrlParser } from './url.ts';
import { createUserAgentParser, UA_CACHE_SIZE } from './user-agent.ts';

/** A canonical event, or a deferred hit (plain data, tagged by `deferred`). */
export type PendingEvent = CanonicalEvent | DeferredHit;
export type DeferredHit = RudderPixelHit | UmamiPixelHit;

/** What building deferred hits needs: each writing thread has its own (bounded caches). */
export type EventBuilders = PixelEventDeps;

/**
 * The builders' caches, sized for pixel traffic: UAs as the request thread's; URLs fewer (a
 * pixel's hit URLs and referrers repeat far more than a site's pages).
 */
export function eventBuilders(): EventBuilders {
  return { ua: createUserAgentParser({ capacity: UA_CACHE_SIZE }), parseUrl: cachedUrlParser(2_000) };
}

export function isDeferred(p: PendingEvent): p is DeferredHit {
  return (p as DeferredHit).deferred !== undefined;
}

/**
 * The event to store, or why not. Never throws: a deferred hit that breaks its builder is
 * `invalid-input` (its client already had its answer), and must not fail the batch around it,
 * which the buffer would retry for ever.
 */
export function materialise(p: PendingEvent, b: EventBuilders): CanonicalEvent | DropReason {
  if (!isDeferred(p)) return p;
  try {
    return p.deferred === 'rudder-pixel' ? rudderPixelEvent(p, b.ua) : pixelHitEvent(b, p);
  } catch {
    return 'invalid-input';
  }
}

/** The event to store, or null with its reason added to `tally`. */
export function materialiseCounted(p: PendingEvent, b: EventBuilders, tally: DropTally): CanonicalEvent | null {
  const e = materialise(p, b);
  if (typeof e !== 'string') return e;
  tally[e] = (tally[e] ?? 0) + 1;
  return null;
}

/** Builds a batch's events; the reasons of those not stored are added to `tally`. */
export function materialiseBatch(items: readonly PendingEvent[], b: EventBuilders, tally: DropTally): CanonicalEvent[] {
  const out: CanonicalEvent[] = [];
  for (const p of items) {
    const e = materialiseCounted(p, b, tally);
    if (e) out.push(e);
  }
  return out;
}
