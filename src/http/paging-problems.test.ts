import { describe, expect, it } from 'bun:test';
import { pagingProblem, withEveryPagingProblem } from './paging-problems.ts';

describe('paging problems', () => {
  it('says of each paging field what zod says, as it coerces the text (an empty one is 0)', () => {
    const cases: [Parameters<typeof pagingProblem>[0], string, string | null][] = [
      ['page', '0', 'Too small: expected number to be >0'],
      ['page', '', 'Too small: expected number to be >0'],
      ['page', 'abc', 'Invalid input: expected number, received NaN'],
      ['page', '99999999999999999999', 'Too big: expected int to be <=9007199254740991'],
      ['pageSize', '1.5', 'Invalid input: expected int, received number'],
      ['pageSize', '1001', 'Too big: expected number to be <=1000'],
      ['pageSize', '1000', null],
      ['page', '3', null],
    ];
    for (const [field, text, says] of cases) expect([field, text, pagingProblem(field, text)]).toEqual([field, text, says]);
  });

  it('adds the paging fields the details do not name, and leaves details about anything else alone', () => {
    const q = new URLSearchParams('page=0&pageSize=abc');
    expect(withEveryPagingProblem({ errors: [], properties: { page: { errors: ['from Elysia'] } } }, q)).toEqual({
      errors: [], properties: { page: { errors: ['from Elysia'] }, pageSize: { errors: ['Invalid input: expected number, received NaN'] } },
    });
    // Named in the schema's order, as zod does, whichever Elysia named first.
    const both = withEveryPagingProblem({ errors: [], properties: { pageSize: { errors: ['from Elysia'] } } }, q);
    expect(Object.keys(both.properties!)).toEqual(['page', 'pageSize']);
    const other = { errors: [], properties: { search: { errors: ['x'] } } };
    expect(withEveryPagingProblem(other, q)).toBe(other);
  });
});
