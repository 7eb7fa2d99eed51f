/** @module What every management route family shares: stores, clock, password hasher, login throttle, client-IP policy, and the bearer check. */
import { jsonTooDeep } from '../lib/json-depth.ts';
import { ExportSlots } from './export-slots.ts';
import type { AppDeps } from '../app.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/log.ts';
import type { EventStore } from '../store/event-store.ts';
import type { MetaStore } from '../store/meta-store.ts';
import { authenticate } from '../accounts/authenticate.ts';
import { LoginThrottle } from '../accounts/login-throttle.ts';
import { passwordHasher, type PasswordHasher } from '../accounts/passwords.ts';
import { requireSession, type Principal } from '../accounts/principal.ts';
import { configIpPolicy, type ClientIpPolicy } from './client-ip.ts';
import { MANAGEMENT_BODIES, readBody, requestClientIp, type PeerSource } from './request-values.ts';
import { ApiError } from './errors.ts';
import { zodTypeOf } from './zod-messages.ts';

export interface ManagementContext {
  meta: MetaStore;
  events: EventStore;
  clock: Clock;
  /** AppDeps.steadyClock: the throttles' and the uptime's clock. */
  steadyClock: Clock;
  log: Logger;
  passwords: PasswordHasher;
  throttle: LoginThrottle;
  /** Wrong team access codes, in buckets of their own (a login name cannot drain a caller's joins, nor joins a client's logins). */
  joinThrottle: LoginThrottle;
  ipPolicy: ClientIpPolicy;
  tokenTtlMs?: number;
  /** Exports streaming at once (export-slots.ts), shared by every export route. */
  exports: ExportSlots;
}

export function managementContext(deps: AppDeps): ManagementContext {
  const steadyClock = deps.steadyClock ?? deps.clock;
  return {
    meta: deps.meta,
    events: deps.events,
    clock: deps.clock,
    steadyClock,
    log: deps.log,
    passwords: deps.passwords ?? passwordHasher(),
    throttle: new LoginThrottle({ clock: steadyClock }),
    joinThrottle: new LoginThrottle({ clock: steadyClock }),
    ipPolicy: configIpPolicy(deps.config, deps.loopbackReach),
    exports: new ExportSlots(),
  };
}

/** The caller, or 401. Called inside handlers, i.e. after validation: Umami answers 400 before 401. */
export function requirePrincipal(ctx: ManagementContext, authorization: string | undefined): Principal {
  const p = authenticate(ctx.meta, authorization, ctx.clock());
  if (!p) throw new ApiError('unauthorized');
  return p;
}

/**
 * The caller, by a login session only: as Umami, no API key on the routes that manage accounts and
 * credentials (/api/users, /api/auth, /api/me/password, /api/me/api-keys): 401, saying so.
 */
export function requireSessionPrincipal(ctx: ManagementContext, authorization: string | undefined, what: string): Principal {
  const p = requirePrincipal(ctx, authorization);
  requireSession(p, what);
  return p;
}

/** The caller's address (request-values.ts: in-process requests count as 127.0.0.1). */
export function requestIp(ctx: ManagementContext, server: PeerSource | null, request: Request): string {
  return requestClientIp(ctx.ipPolicy, server, request);
}

/** OpenAPI `security` of a route that needs a bearer token or API key. */
export const BEARER = [{ bearer: [] as string[] }];

/** Largest management request body: a user, team, website or pixel is a few hundred bytes. */
export const MANAGEMENT_MAX_BODY = 1024 * 1024;

/** Deepest nesting a management body may have: every one is a flat object of a few fields. */
export const MANAGEMENT_MAX_DEPTH = 32;

/**
 * Umami's body parsing (`request.json()`, Content-Type unchecked, anything unparsable is
 * `undefined`) with zod's root error for a body that is not an object, for every management
 * route with a body. Elysia's own JSON parser would turn `[1]` or `"x"` into `{}` and blame
 * the fields instead. At most MANAGEMENT_MAX_BODY bytes are read (413 in Umami's error shape),
 * chunked or not.
 */
export async function umamiJsonBody({ request }: { request: Request }): Promise<Record<string, unknown>> {
  // Lenient UTF-8, as request.json(): an invalid byte reads as U+FFFD.
  const text = await readBody(request, MANAGEMENT_MAX_BODY, true, MANAGEMENT_BODIES);
  if (!text.ok && text.error === 'too-large') throw new ApiError('payload-too-large', `Request body over ${MANAGEMENT_MAX_BODY} bytes`);
  if (!text.ok && text.error === 'busy') throw new ApiError('service-unavailable', 'Too many request bodies are being read; try again shortly.', {}, { 'retry-after': '1' });
  // Checked before parsing: validating (and describing the errors of) a value nested thousands
  // deep took seconds and gigabytes, or overflowed the stack (a 500), before any login is asked.
  if (text.ok && jsonTooDeep(text.text, MANAGEMENT_MAX_DEPTH))
    throw new ApiError('bad-request', undefined, { errors: [`Invalid input: nested deeper than ${MANAGEMENT_MAX_DEPTH} levels`] });
  let body: unknown;
  try {
    // request.json() decodes as the Encoding standard's UTF-8 decode does: a leading BOM is dropped.
    body = text.ok ? JSON.parse(text.text.charCodeAt(0) === 0xfeff ? text.text.slice(1) : text.text) : undefined;
  } catch {
    body = undefined;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new ApiError('bad-request', undefined, { errors: [`Invalid input: expected object, received ${zodTypeOf(body)}`] });
  return body as Record<string, unknown>;
}
