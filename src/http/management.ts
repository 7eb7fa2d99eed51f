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

export function managementRoutes(deps: AppDeps, ctx: ManagementContext = managementContext(deps)) {
  return new Elysia()
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
