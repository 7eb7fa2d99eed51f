import { describe, expect, it } from 'bun:test';
import { formatDuration, parseDuration } from './duration.ts';

describe('parseDuration', () => {
  it("reads what Go's time.ParseDuration reads, in milliseconds", () => {
    const cases: [string, number][] = [
      ['250ms', 250], ['3s', 3000], ['1m', 60_000], ['2h', 7_200_000], ['1d', 86_400_000],
      ['1m30s', 90_000], ['1h2m3s4ms', 3_723_004], ['1.5h', 5_400_000], ['.5s', 500], ['1.s', 1000],
      ['2500us', 3], ['2500µs', 3], ['2500μs', 3], ['1500000ns', 2], ['+3s', 3000], [' 3s ', 3000],
      ['0', 0], ['+0', 0], ['-0', 0], ['-0s', 0], ['-2s', -2000],
    ];
    for (const [text, ms] of cases) expect([text, parseDuration(text)]).toEqual([text, ms]);
  });

  it('reads no duration from a number without its unit, an unknown unit or a gap', () => {
    for (const text of ['', '3', '00', '3x', '3 s', '1m 30s', 's', '3sm', '1e3ms', '--1s', '+', '-', '.s', '1..5s']) expect([text, parseDuration(text)]).toEqual([text, null]);
  });

  it('prints a whole number of the largest unit that fits, else milliseconds', () => {
    expect([formatDuration(250), formatDuration(3000), formatDuration(90_000), formatDuration(86_400_000)]).toEqual(['250ms', '3s', '90s', '1d']);
  });
});
