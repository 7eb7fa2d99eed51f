/** @module The Umami-shaped management API: every account, team, website, pixel and export route family on one shared context. */
import { Elysia } from 'elysia';
import type { AppDeps } from '../app.ts';
import { apiKeyRoutes } from './api-keys.ts';
import { authRoutes } from './auth.ts';
import { exportRoutes } from './export.ts';
import { managementContext, type ManagementContext } from './management-context.ts';
import { meRoutes } from './me.ts';
import { pixelRoutes } from './pixels.ts';
import { teamRoutes } from './teams.ts';
import { userRoutes } from './users.ts';
import { websiteRoutes } from './websites.ts';
import { metricsRoutes } from './metrics.ts';
import { UMAMI_API_HEADERS } from './umami-api-headers.ts';
import { URL_BASE } from './request-values.ts';

export function managementRoutes(deps: AppDeps, ctx: ManagementContext = managementContext(deps)) {
  return new Elysia()
    // A query as Umami reads it (Object.fromEntries(url.searchParams)): WHATWG's decoding, where
    // an escape that is no UTF-8 becomes U+FFFD and the rest of the value is still decoded
    // (Elysia's parser kept such a value raw: `100%%20real` searched for itself), last value wins.
    .onTransform((c) => {
      if (c.request.url.includes('?')) c.query = Object.fromEntries(new URL(c.request.url, URL_BASE).searchParams);
    })
    .onAfterHandle(({ set }) => {
      Object.assign(set.headers, UMAMI_API_HEADERS);
    })
    .use(authRoutes(ctx))
    .use(apiKeyRoutes(ctx))
    .use(userRoutes(ctx))
    .use(meRoutes(ctx))
    .use(teamRoutes(ctx))
    .use(websiteRoutes(ctx))
    .use(pixelRoutes(ctx))
    .use(exportRoutes(ctx))
    .use(metricsRoutes(ctx, { buffer: deps.buffer, drops: deps.drops, prisme: deps.prisme, limiter: deps.limiter, pixelLimiter: deps.pixelLimiter ?? null, startedAt: ctx.steadyClock() }));
}
