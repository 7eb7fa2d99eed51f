import { describe, expect, it } from 'bun:test';
import { clientAddress, MAX_VISITOR_REQUESTS, MixSource, parseMix } from './mix.ts';
import { rng } from './ua-corpus.ts';

const target = { host: 'h', domain: 'load-x.bench.example', writeKey: 'wk', slug: 'load-slug' };

describe('the load mix', () => {
  it('gives every visitor index its own public address', () => {
    const seen = new Set<string>();
    for (let k = 0; k < 200_000; k++) seen.add(clientAddress(k));
    expect(seen.size).toBe(200_000);
    for (const ip of [...seen].slice(0, 1000)) expect(ip).not.toMatch(/^(10|127|192\.168|172\.(1[6-9]|2\d|3[01]))\./);
  });

  it('replays a seed connection by connection, however the connections\' answers interleave', () => {
    const o = { connections: 4, mix: parseMix('pageview=50,custom=20,rudder=20,pixel=10'), addresses: 100_000, seed: 99 };
    const sequences = (order: (i: number) => number) => {
      const src = new MixSource(target, o);
      const seq: string[][] = [[], [], [], []];
      for (let i = 0; i < 4000; i++) {
        const conn = order(i);
        const { family, request } = src.next(conn);
        seq[conn]!.push(request);
        src.answered(conn, family, 200);
      }
      return seq.map((s) => s.slice(0, 500));
    };
    const roundRobin = sequences((i) => i % 4);
    // Another interleaving: connection 3 answers in bursts, 0 seldom.
    const draw = rng(5);
    const skewed = sequences(() => (draw() < 0.5 ? 3 : [0, 1, 1, 2, 2][Math.floor(draw() * 5)]!));
    for (let c = 0; c < 4; c++) expect(skewed[c]!.slice(0, 200)).toEqual(roundRobin[c]!.slice(0, 200));
    // Connections draw apart from each other.
    expect(roundRobin[0]!.slice(0, 50)).not.toEqual(roundRobin[1]!.slice(0, 50));
  });

  it('navigates without reloads: custom events go to the page the session is on, next pageviews elsewhere', () => {
    const src = new MixSource(target, { connections: 1, mix: parseMix('pageview=70,custom=30'), addresses: 1000, seed: 3 });
    let page: string | null = null;
    for (let i = 0; i < 5000; i++) {
      const { family, request } = src.next(0);
      const on = /X-Prisme-Referrer: https:\/\/load-x\.bench\.example(\S+)\r\n/.exec(request)![1]!;
      const from = /X-Prisme-Document-Referrer: https:\/\/load-x\.bench\.example(\S+)\r\n/.exec(request)?.[1];
      if (family === 1) expect(on).toBe(page!);
      if (family === 0 && from !== undefined) {
        expect(from).toBe(page!);
        expect(on).not.toBe(page!);
      }
      src.answered(0, family, 200);
      if (family === 0) page = on;
    }
    expect(src.visitors).toBeGreaterThan(500);
  });

  it('sends every family\'s requests under the target\'s path when Footfall is served under one', () => {
    const src = new MixSource({ ...target, basePath: '/footfall' }, { connections: 1, mix: parseMix('pageview=40,custom=20,rudder=20,pixel=20'), addresses: 1000, seed: 5 });
    const seen = new Set<number>();
    for (let i = 0; i < 400; i++) {
      const { family, request } = src.next(0);
      seen.add(family);
      expect(request).toMatch(/^(GET|POST) \/footfall\/(api\/v1\/events\/|pixel\/v1\/|p\/load-slug)/);
      src.answered(0, family, 200);
    }
    expect(seen.size).toBe(4);
  });

  it('ends a visit after a few dozen requests, so that a mix of custom events alone stays under the limiter\'s 60 a minute per address', () => {
    const src = new MixSource(target, { connections: 1, mix: parseMix('custom=100'), addresses: 100_000, seed: 9 });
    const perAddress = new Map<string, number>();
    for (let i = 0; i < 3000; i++) {
      const { family, request } = src.next(0);
      const ip = /X-Forwarded-For: (\S+)\r\n/.exec(request)![1]!;
      perAddress.set(ip, (perAddress.get(ip) ?? 0) + 1);
      src.answered(0, family, 200);
    }
    expect(Math.max(...perAddress.values())).toBe(MAX_VISITOR_REQUESTS);
    expect(MAX_VISITOR_REQUESTS).toBeLessThan(60);
  });

  it('sends each family in the share --mix gives it, custom events on a visit\'s last page included', () => {
    for (const [mix, visitLength] of [['pageview=70,custom=15,rudder=10,pixel=5', 5], ['pageview=85,custom=15', 1]] as const) {
      const weights = parseMix(mix);
      const src = new MixSource(target, { connections: 4, mix: weights, addresses: 100_000, seed: 11, visitLength });
      const counts = [0, 0, 0, 0];
      const N = 100_000;
      for (let i = 0; i < N; i++) {
        const { family } = src.next(i % 4);
        counts[family]!++;
        src.answered(i % 4, family, 200);
      }
      const shares = counts.map((c) => Math.round((c / N) * 100));
      expect([mix, shares]).toEqual([mix, [weights.pageview, weights.custom, weights.rudder, weights.pixel]]);
    }
  });

  it('rejects an unknown family in --mix', () => {
    expect(() => parseMix('pageview=1,clicks=2')).toThrow(/clicks/);
  });
});
