import { describe, expect, it } from 'bun:test';
import { liftRudderFields, urlParts } from './rudder-lift.ts';
import { flatText, heapKept } from '../../test/helpers/retained.ts';

describe('urlParts', () => {
  it('reads a URL as the WHATWG parser does, the same from its memory as the first time', () => {
    for (const s of ['https://Shop.Example:8443/a/../b?utm_source=x&utm_campaign=y+z#f', 'http://0x7f.1/', 'https://bücher.example/?']) {
      const u = new URL(s);
      const first = urlParts(s);
      expect(first).toEqual({
        hostname: u.hostname, host: u.host, pathname: u.pathname,
        query: u.search.length > 1 ? u.search.slice(1) : null,
        utm: {
          utmSource: u.searchParams.get('utm_source'), utmMedium: u.searchParams.get('utm_medium'),
          utmCampaign: u.searchParams.get('utm_campaign'), utmTerm: u.searchParams.get('utm_term'), utmContent: u.searchParams.get('utm_content'),
        },
      });
      expect(urlParts(s)).toBe(first!);
    }
    expect(urlParts('https://shop.example/?utm_campaign=y+z')!.utm.utmCampaign).toBe('y z');
  });

  it('says null for what URL.parse refuses, and parses an over-long URL without keeping it', () => {
    expect(urlParts('not a url')).toBeNull();
    expect(urlParts('/relative/path')).toBeNull();
    const long = 'https://shop.example/' + 'a'.repeat(5000);
    expect(urlParts(long)!.pathname.length).toBe(5001);
    expect(urlParts(long)).not.toBe(urlParts(long));
  });

  it('feeds the lifted host and query of a pixel message', () => {
    const f = liftRudderFields({ context: { page: { url: 'https://WWW.Shop.example/p?q=1' } } });
    expect([f.hostname, f.query]).toEqual(['www.shop.example', 'q=1']);
  });

  it('keeps no view on a long query a cached URL was cut from', () => {
    const kept = heapKept(() => {
      for (let i = 0; i < 100; i++) urlParts(flatText(`https://kept.example/${i}?utm_source=x&`, 200_000).slice(0, 60));
    });
    expect(kept).toBeLessThan(2_000_000);
  });
});
