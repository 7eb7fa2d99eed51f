/**
 * @module TypeBox validation errors into the messages zod 4 gives for the same schema, so 400 bodies match Umami's word for word.
 *
 * Umami validates with zod 4 and answers `z.treeifyError`: `errors` for the value as a whole,
 * `properties.<field>.errors` per top-level field (no `properties` key when no field failed).
 * Messages were checked against zod 4 (`zod/v4`, en locale), e.g. `Too small: expected number
 * to be >0` for Umami's `z.coerce.number().int().positive()` page.
 */
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import { Value } from '@sinclair/typebox/value';
import type { TSchema } from '@sinclair/typebox';

/** zod's name for the type of a received value (`parsedType` in zod 4's core). */
export function zodTypeOf(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : 'number';
  return typeof v;
}

/** What zod calls the type a schema expects (`int` for integers, as zod's `.int()`). */
function expectedOf(schema: Record<string, unknown>): string {
  const type = schema.type;
  if (type === 'integer') return 'int';
  if (typeof type === 'string') return type;
  return 'input';
}

const FORMAT_NOUNS: Record<string, string> = { uuid: 'UUID', email: 'email address', 'date-time': 'ISO datetime', uri: 'URL', url: 'URL' };

const quote = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : String(v));

/**
 * A query value Elysia could not coerce to a number (it checks `page=abc` against a
 * string-with-integer-format branch). zod's `z.coerce.number()` sees `Number(value)` instead.
 */
function coercedNumberMessage(schema: Record<string, unknown>, raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  const n = Number(raw);
  if (Number.isNaN(n)) return 'Invalid input: expected number, received NaN';
  if (!Number.isFinite(n)) return 'Invalid input: expected number, received number';
  if (schema.type === 'integer' && !Number.isInteger(n)) return 'Invalid input: expected int, received number';
  return null;
}

/** One TypeBox error → zod 4's message for the equivalent check. */
export function zodMessage(e: Pick<ValueError, 'type' | 'schema' | 'value'>): string {
  const s = e.schema as Record<string, unknown>;
  switch (e.type) {
    case ValueErrorType.StringMaxLength:
      return `Too big: expected string to have <=${s.maxLength} characters`;
    case ValueErrorType.StringMinLength:
      return `Too small: expected string to have >=${s.minLength} characters`;
    case ValueErrorType.StringPattern:
      // A body UUID's pattern (UuidBody) is zod's own check of the format.
      if (s.format === 'uuid') return 'Invalid UUID';
      return `Invalid string: must match pattern /${s.pattern}/`;
    case ValueErrorType.StringFormat:
    case ValueErrorType.StringFormatUnknown:
      return `Invalid ${FORMAT_NOUNS[s.format as string] ?? s.format}`;
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.NumberMinimum:
      return `Too small: expected number to be >=${s.minimum}`;
    case ValueErrorType.IntegerExclusiveMinimum:
    case ValueErrorType.NumberExclusiveMinimum:
      return `Too small: expected number to be >${s.exclusiveMinimum}`;
    case ValueErrorType.IntegerMaximum:
      // zod's .int() takes safe integers only, and names the type in that check's message.
      if (s.maximum === Number.MAX_SAFE_INTEGER) return `Too big: expected int to be <=${s.maximum}`;
      return `Too big: expected number to be <=${s.maximum}`;
    case ValueErrorType.NumberMaximum:
      return `Too big: expected number to be <=${s.maximum}`;
    case ValueErrorType.IntegerExclusiveMaximum:
    case ValueErrorType.NumberExclusiveMaximum:
      return `Too big: expected number to be <${s.exclusiveMaximum}`;
    case ValueErrorType.Literal:
      return `Invalid input: expected ${quote(s.const)}`;
    case ValueErrorType.Union:
      return unionMessage(s, e.value);
    default:
      return `Invalid input: expected ${expectedOf(s)}, received ${zodTypeOf(e.value)}`;
  }
}

function unionMessage(s: Record<string, unknown>, value: unknown): string {
  const branches = (s.anyOf ?? []) as Record<string, unknown>[];
  // A union of literals is a zod enum.
  if (branches.length > 0 && branches.every((b) => 'const' in b)) {
    if (value === undefined || typeof value !== typeof branches[0]!.const) return `Invalid input: expected ${typeof branches[0]!.const}, received ${zodTypeOf(value)}`;
    return `Invalid option: expected one of ${branches.map((b) => quote(b.const)).join('|')}`;
  }
  // Elysia's coerced query number: [string with integer/number format, the number schema].
  const numeric = branches.find((b) => b.type === 'integer' || b.type === 'number');
  if (numeric && branches.some((b) => b.type === 'string' && (b.format === 'integer' || b.format === 'numeric'))) {
    const m = coercedNumberMessage(numeric, value);
    if (m) return m;
    return firstError(numeric, typeof value === 'string' ? Number(value) : value) ?? 'Invalid input';
  }
  // `X | null` (zod's `.nullable()`): the message of the X branch.
  const real = branches.filter((b) => b.type !== 'null');
  if (real.length === 1) return firstError(real[0]!, value) ?? 'Invalid input';
  return 'Invalid input';
}

function firstError(schema: Record<string, unknown>, value: unknown): string | null {
  const first = Value.Errors(schema as TSchema, value).First();
  return first ? zodMessage(first) : null;
}
