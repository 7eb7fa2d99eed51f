import { describe, expect, it } from 'bun:test';
import { Type as T } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { zodMessage, zodTypeOf } from './zod-messages.ts';

/** The first TypeBox error of `value` against `schema`, in zod 4's words. */
const say = (schema: Parameters<typeof Value.Errors>[0], value: unknown) => zodMessage(Value.Errors(schema, value).First()!);

describe("zod 4's messages for TypeBox errors (checked against zod/v4)", () => {
  it('names received types as zod does', () => {
    expect([undefined, null, [], 1, NaN, 'x', true, {}].map(zodTypeOf)).toEqual(['undefined', 'null', 'array', 'number', 'NaN', 'string', 'boolean', 'object']);
  });

  it('words type, length, pattern and format failures as zod', () => {
    expect(say(T.String(), undefined)).toBe('Invalid input: expected string, received undefined');
    expect(say(T.String(), 42)).toBe('Invalid input: expected string, received number');
    expect(say(T.String({ maxLength: 100 }), 'x'.repeat(101))).toBe('Too big: expected string to have <=100 characters');
    expect(say(T.String({ minLength: 8 }), 'short')).toBe('Too small: expected string to have >=8 characters');
    expect(say(T.String({ pattern: '^[A-Za-z0-9_-]+$' }), 'bad slug!')).toBe('Invalid string: must match pattern /^[A-Za-z0-9_-]+$/');
    expect(say(T.Object({}), null)).toBe('Invalid input: expected object, received null');
    expect(say(T.Object({}), [1])).toBe('Invalid input: expected object, received array');
  });

  it('words number bounds as zod (positive() is >0)', () => {
    expect(say(T.Integer({ exclusiveMinimum: 0 }), 0)).toBe('Too small: expected number to be >0');
    expect(say(T.Integer({ minimum: 1 }), 0)).toBe('Too small: expected number to be >=1');
    expect(say(T.Integer({ maximum: 1000 }), 1001)).toBe('Too big: expected number to be <=1000');
    expect(say(T.Integer(), 1.5)).toBe('Invalid input: expected int, received number');
    // .int()'s own safe-integer check names the type int.
    expect(say(T.Integer({ maximum: Number.MAX_SAFE_INTEGER }), 1e20)).toBe('Too big: expected int to be <=9007199254740991');
  });

  it('reads enums, nullable fields and coerced query numbers through their union', () => {
    expect(say(T.Union([T.Literal('admin'), T.Literal('user')]), 'root')).toBe('Invalid option: expected one of "admin"|"user"');
    const nullableUuid = T.Union([T.String({ format: 'uuid' }), T.Null()]);
    expect(zodMessage({ type: 62, schema: nullableUuid, value: 'nope' })).toBe('Invalid UUID');
    expect(zodMessage({ type: 62, schema: nullableUuid, value: 5 })).toBe('Invalid input: expected string, received number');
    const coerced = T.Union([T.String({ format: 'integer' }), T.Integer({ exclusiveMinimum: 0 })]);
    expect(zodMessage({ type: 62, schema: coerced, value: 'abc' })).toBe('Invalid input: expected number, received NaN');
    expect(zodMessage({ type: 62, schema: coerced, value: '1.5' })).toBe('Invalid input: expected int, received number');
  });
});
