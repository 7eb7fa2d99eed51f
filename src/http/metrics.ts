/** @module GET /api/metrics (admins): what the collector is doing — buffer, drops by reason, caches, sessions, limiter. */
import { Elysia, t } from 'elysia';
import type { WriteBuffer } from '../buffer/write-buffer.ts';
import { DROP_REASONS, type DropCounter } from '../ingest/drop-reasons.ts';
import type { PrismeContext } from '../ingest/prisme-context.ts';
import type { Limiter } from '../limit/limiter.ts';
import { ApiError, errorResponses } from './errors.ts';
import { BEARER, requirePrincipal, type ManagementContext } from './management-context.ts';

export interface MetricsDeps {
  buffer: WriteBuffer;
  drops: DropCounter;
  prisme: PrismeContext;
  limiter: Limiter | null;
  pixelLimiter: Limiter | null;
  /** When the server started, on the management context's steadyClock. */
  startedAt: number;
}

const Count = t.Integer({ minimum: 0 });
const Metrics = t.Object(
  {
    uptimeSeconds: t.Number(),
    buffer: t.Object({ waiting: Count, waitingBytes: t.Integer({ minimum: 0, description: 'What the events held take, as the --buffer-max-mb cap counts it' }), accepted: t.Integer({ minimum: 0, description: 'Events and hits the buffer took' }), committed: t.Integer({ minimum: 0, description: 'Rows written. Less than accepted by what waits and by the pixel hits the writer thread built and found it does not store (a bot, an unknown write key, an empty event), which are counted under their reason in drops' }), rejectedFull: Count, flushes: Count, flushFailures: Count, lateAcks: t.Integer({ minimum: 0, description: 'Durable acks not given in time: answered 503 (the pixel endpoints: their GIF) because the batch had not committed within 10 s, or at a stop; the events stay queued and are written' }), writingForMs: t.Integer({ minimum: 0, description: 'How long the oldest write under way has been, ms (0: none); a write held up without failing (a frozen disk, a lock) shows here' }) }),
    drops: t.Object(Object.fromEntries(DROP_REASONS.map((r) => [r, Count])), { description: 'Hits answered but not stored, by reason' }),
    userAgentCache: t.Object({ hits: Count, misses: Count, size: Count }, { description: 'The request thread\'s: Prisme hits and the RudderStack HTTP API' }),
    pixelUserAgentCache: t.Object({ hits: Count, misses: Count, size: Count }, { description: 'The writer thread\'s: RudderStack and Umami pixel hits (as of its last batch)' }),
    prismeSessions: t.Object({ devices: Count, sessions: Count, waiters: Count, bytes: t.Integer({ minimum: 0, description: 'What the sessions hold, as the session byte cap counts it' }), waiterBytes: t.Integer({ minimum: 0, description: 'What events waiting for their pageview hold' }) }),
    limiter: t.Object({
      trackedAddresses: Count,
      pixelTrackedAddresses: Count,
      forgottenWhileRefilling: t.Integer({
        minimum: 0,
        description: 'Addresses the full table (--limiter-max-keys) dropped while their bucket was still refilling, so their limit started over: growing, raise --limiter-max-keys',
      }),
      pixelForgottenWhileRefilling: Count,
    }),
    memory: t.Object({ rssBytes: Count, heapUsedBytes: Count }),
  },
  { description: 'Counters since start' },
);

export function metricsRoutes(ctx: ManagementContext, d: MetricsDeps) {
  return new Elysia().get(
    '/api/metrics',
    ({ headers }) => {
      if (!requirePrincipal(ctx, headers.authorization).isAdmin) throw new ApiError('unauthorized');
      const mem = process.memoryUsage();
      const b = d.buffer.snapshot();
      return {
        uptimeSeconds: Math.round((ctx.steadyClock() - d.startedAt) / 1000),
        buffer: { waiting: b.waiting, waitingBytes: b.bytes, accepted: b.accepted, committed: b.committed, rejectedFull: b.rejectedFull, flushes: b.flushes, flushFailures: b.flushFailures, lateAcks: b.lateAcks, writingForMs: b.writingForMs },
        drops: d.drops.snapshot(),
        userAgentCache: d.prisme.ua.stats(),
        pixelUserAgentCache: d.buffer.builderUaCache(),
        prismeSessions: d.prisme.sessions.stats(),
        limiter: {
          trackedAddresses: d.limiter?.size ?? 0,
          pixelTrackedAddresses: d.pixelLimiter?.size ?? 0,
          forgottenWhileRefilling: d.limiter?.evictedCap ?? 0,
          pixelForgottenWhileRefilling: d.pixelLimiter?.evictedCap ?? 0,
        },
        memory: { rssBytes: mem.rss, heapUsedBytes: mem.heapUsed },
      };
    },
    {
      detail: {
        summary: 'Collector counters (admins only)',
        description: 'Write buffer, every hit answered but not stored counted by reason, cache and session-store sizes, memory.',
        tags: ['Health'],
        security: BEARER,
      },
      response: { 200: Metrics, ...errorResponses(401) },
    },
  );
}
