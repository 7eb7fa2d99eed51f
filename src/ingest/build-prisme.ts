/** @module Builds the Prisme context and the limiters (Prisme's; the pixel one when --rate-limit-pixels) from config (shared by main.ts and the test app). */
import type { Config } from '../config.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/log.ts';
import { Limiter } from '../limit/limiter.ts';
import type { GeoReader } from './geo.ts';
import { OriginRegistry } from './origin-registry.ts';
import { createPrismeContext, type PrismeContext } from './prisme-context.ts';
import { createUserAgentParser, UA_CACHE_SIZE } from './user-agent.ts';
import type { SaltStore } from './visitor-id.ts';

/** `rateClock`: the limiters' (monotonicClock in the server: a wall clock stepped forward must not refill every bucket); `clock` by default. */
export function buildPrisme(config: Config, clock: Clock, geo: GeoReader, saltStore: SaltStore, log?: Logger, rateClock: Clock = clock): { prisme: PrismeContext; limiter: Limiter | null; pixelLimiter: Limiter | null } {
  const prisme = createPrismeContext({
    clock,
    ua: createUserAgentParser({ capacity: UA_CACHE_SIZE }),
    geo,
    origins: new OriginRegistry(config.origins),
    saltStore,
    eventsTimeoutMs: config.eventsTimeout,
    maxDevices: config.maxSessions,
    warn: log ? (msg, fields) => log.warn(msg, fields) : undefined,
  });
  const rate = config.rateLimit;
  const newLimiter = () => (rate === 'off' ? null : new Limiter({ capacity: rate.capacity, periodMs: rate.periodMs, maxKeys: config.limiterMaxKeys, clock: rateClock }));
  const limiter = newLimiter();
  // Umami pixels: same policy, own buckets (a newsletter's hits must not eat a site's Prisme budget).
  const pixelLimiter = config.rateLimitPixels ? newLimiter() : null;
  return { prisme, limiter, pixelLimiter };
}
