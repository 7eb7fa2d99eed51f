/** @module Builds the Prisme context and limiter from config (shared by main.ts and the test app). */
import type { Config } from '../config.ts';
import type { Clock } from '../lib/clock.ts';
import { Limiter } from '../limit/limiter.ts';
import type { GeoReader } from './geo.ts';
import { OriginRegistry } from './origin-registry.ts';
import { createPrismeContext, type PrismeContext } from './prisme-context.ts';
import { createUserAgentParser } from './user-agent.ts';
import type { SaltStore } from './visitor-id.ts';

/** 10k distinct UAs cover >99 % of hits on real traffic (a Zipf tail); ~3.5 KB worst case each. */
export const UA_CACHE_SIZE = 10_000;

export function buildPrisme(config: Config, clock: Clock, geo: GeoReader, saltStore: SaltStore): { prisme: PrismeContext; limiter: Limiter | null } {
  const prisme = createPrismeContext({
    clock,
    ua: createUserAgentParser({ capacity: UA_CACHE_SIZE }),
    geo,
    origins: new OriginRegistry(config.origins),
    saltStore,
    eventsTimeoutMs: config.eventsTimeout,
  });
  const limiter = config.rateLimit === 'off'
    ? null
    : new Limiter({ capacity: config.rateLimit.capacity, periodMs: config.rateLimit.periodMs, maxKeys: config.limiterMaxKeys, clock });
  return { prisme, limiter };
}
