import { describe, expect, it } from 'bun:test';
import { clientAddress, MixSource, parseMix } from './mix.ts';

const target = { host: 'h', domain: 'load-x.bench.example', writeKey: 'wk', slug: 'load-slug' };

describe('the load mix', () => {
  it('gives every visitor index its own public address', () => {
    const seen = new Set<string>();
    for (let k = 0; k < 200_000; k++) seen.add(clientAddress(k));
    expect(seen.size).toBe(200_000);
    for (const ip of [...seen].slice(0, 1000)) expect(ip).not.toMatch(/^(10|127|192\.168|172\.(1[6-9]|2\d|3[01]))\./);
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

  it('rejects an unknown family in --mix', () => {
    expect(() => parseMix('pageview=1,clicks=2')).toThrow(/clicks/);
  });
});
