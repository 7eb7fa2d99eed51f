import { describe, expect, it } from 'bun:test';
import { LOAD_DEFAULTS, type LoadReport } from './load-run.ts';
import { chartSvg } from './load-summary.ts';

describe('the chart of a load run', () => {
  const second = (t: number, requests: number, non2xx = 0, errors = 0) => ({ t, lengthS: 1, requests, errors, non2xx, p50_ms: 2, p99_ms: 9 });
  const report = (seconds: LoadReport['seconds'], non2xx = 0): LoadReport => ({
    target: 'http://127.0.0.1:8000', durationS: seconds.length, connections: 8, mix: LOAD_DEFAULTS.mix, seed: 1, requests: 0, 'req/s': 100, acknowledged: { pageview: 0, custom: 0, rudder: 0, pixel: 0 },
    'events/s': 100, latency_ms: { p50: 2, p90: 5, p99: 9, max: 12 }, statuses: {}, socketErrors: 0, unanswered: 0, resent: 0, non2xx, errorSamples: [], visitors: 0, seconds,
  });

  it('charts the answers that were not 2xx, so that a failing run does not look clean', () => {
    const clean = chartSvg(report([second(1, 100), second(2, 100)]));
    expect(clean).not.toContain('not 2xx');
    const failing = chartSvg(report([second(1, 100, 45), second(2, 100, 0, 3)], 45));
    expect(failing).toContain('not 2xx + socket errors /s (left)');
    expect(failing).toContain('45 not 2xx');
    expect([...failing.matchAll(/<polyline /g)].length).toBe(4);
  });

  it('shows both marks of a one-second run, the throughput as a ring around the latency dot, and numbers its seconds', () => {
    const svg = chartSvg(report([second(1, 100)]));
    expect(svg).toMatch(/<circle [^>]*r="5" fill="none" stroke="#1f77b4"/);
    expect(svg).toMatch(/<circle [^>]*r="2.5" fill="#d62728"/);
    const long = chartSvg(report(Array.from({ length: 30 }, (_, i) => second(i + 1, 100))));
    const labels = [...long.matchAll(/text-anchor="middle">(\d+)</g)].map((m) => Number(m[1]));
    expect(labels).toEqual([0, 5, 10, 15, 20, 25, 30]);
  });
});
