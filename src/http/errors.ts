/** @module Umami-shaped JSON errors for Footfall's own API: values with a code and a status, and their OpenAPI schema. */
import { t } from 'elysia';
import { ValueErrorType } from '@sinclair/typebox/errors';
import { zodMessage } from './zod-messages.ts';
import type { ApiError } from '../lib/api-error.ts';

export const ErrorBody = t.Object(
  {
    error: t.Object({
      message: t.String(),
      code: t.String({ examples: ['bad-request'] }),
      status: t.Integer(),
      errors: t.Optional(t.Array(t.String())),
      properties: t.Optional(t.Record(t.String(), t.Object({ errors: t.Array(t.String()) }))),
    }),
  },
  { description: 'Umami-shaped error' },
);

export { ApiError, type ErrorCode } from '../lib/api-error.ts';

export function errorResponse(err: ApiError): Response {
  const body = { error: { message: err.message, code: err.code, status: err.status, ...err.extra } };
  return Response.json(body, { status: err.status, headers: err.headers });
}

/** Error responses for the OpenAPI `response` map of a route. */
export function errorResponses(...statuses: (400 | 401 | 403 | 404 | 413 | 429 | 503)[]): Record<number, typeof ErrorBody> {
  return Object.fromEntries(statuses.map((s) => [s, ErrorBody]));
}

/**
 * Elysia's validation error → Umami's zod-tree shape: `errors` for the value as a whole,
 * `properties.<field>.errors` per top-level field, with zod 4's wording (zod-messages.ts).
 * Elysia decodes coerced query numbers one at a time and loses the key (`page=0` fails with
 * path ''): such schemas carry their field name as `title`; and it stops at the first bad one,
 * where zod names every field (paging-problems.ts adds the others).
 */
export function validationDetails(error: unknown): { errors: string[]; properties?: Record<string, { errors: string[] }> } {
  const errors: string[] = [];
  const properties: Record<string, { errors: string[] }> = {};
  const all = (error as { all?: { path?: string; type?: number; schema?: unknown; value?: unknown }[] }).all ?? [];
  for (const e of all.slice(0, 20)) {
    if (e.type === ValueErrorType.ObjectRequiredProperty) continue; // zod reports the missing field's type instead
    const field = (e.path ?? '').split('/')[1] || ((e.schema as { title?: string } | undefined)?.title ?? '');
    const msg = e.type === undefined ? 'Invalid input' : zodMessage(e as Parameters<typeof zodMessage>[0]);
    const list = field ? (properties[field] ??= { errors: [] }).errors : errors;
    if (!list.includes(msg)) list.push(msg);
  }
  return Object.keys(properties).length ? { errors, properties } : { errors };
}

/** A body that is missing or not JSON: what zod says when `request.json()` gave nothing. */
export const NO_BODY_DETAILS = { errors: ['Invalid input: expected object, received undefined'] };
