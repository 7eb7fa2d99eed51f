/** @module A query's paging fields (page, pageSize) into every problem zod would name, where Elysia names the first only. */
import { Value } from '@sinclair/typebox/value';
import { PagingQuery } from './management-schemas.ts';
import { zodMessage } from './zod-messages.ts';

type Details = { errors: string[]; properties?: Record<string, { errors: string[] }> };

const FIELDS = ['page', 'pageSize'] as const;

/**
 * Elysia coerces a query's numbers one at a time and stops at the first bad one, where Umami's
 * zod schema checks every field: `page=0&pageSize=abc` named only one of them. A paging field the
 * details do not name yet is checked here as zod coerces it (`Number(text)`: `''` is 0, `abc` is
 * NaN), and its problem added under its name. `details` is returned as is when it names none of
 * them: the error was about something else.
 */
export function withEveryPagingProblem(details: Details, query: URLSearchParams): Details {
  const named = details.properties ?? {};
  if (!FIELDS.some((f) => f in named)) return details;
  // In the schema's order, as zod lists them (Elysia may have named pageSize first: it decodes
  // text that is no number before it checks bounds).
  const properties: Record<string, { errors: string[] }> = {};
  for (const field of FIELDS) {
    const text = query.get(field);
    const problem = named[field]?.errors[0] ?? (text === null ? null : pagingProblem(field, text));
    if (problem) properties[field] = named[field] ?? { errors: [problem] };
  }
  for (const [field, p] of Object.entries(named)) properties[field] ??= p;
  return { ...details, properties };
}

/** What zod says of one paging field's text, or null when it passes. */
export function pagingProblem(field: (typeof FIELDS)[number], text: string): string | null {
  const value = Number(text);
  // z.coerce.number() refuses NaN before .int() or a bound is looked at.
  if (Number.isNaN(value)) return 'Invalid input: expected number, received NaN';
  const first = [...Value.Errors(PagingQuery.properties[field], value)][0];
  return first ? zodMessage(first) : null;
}
