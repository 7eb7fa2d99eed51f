import { describe, expect, it } from 'bun:test';
import { cachedUrlParser, decodeQueryComponent, parsePageUrl, referrerDomain, rootUrl, utmFrom } from './url.ts';
import { flatText, heapKept } from '../../test/helpers/retained.ts';

const must = (s: string) => {
  const u = parsePageUrl(s);
  if (!u) throw new Error(`expected ${s} to parse`);
  return u;
};

describe('parsePageUrl', () => {
  it('splits a full URL into scheme, host with port, hostname, path, query and fragment', () => {
    expect(must('https://example.org:8080/foo/bar?q=baz#bang')).toEqual({
      href: 'https://example.org:8080/foo/bar?q=baz#bang',
      scheme: 'https',
      host: 'example.org:8080',
      hostname: 'example.org',
      path: '/foo/bar',
      query: 'q=baz',
      fragment: 'bang',
    });
  });

  it('drops an empty port with its colon, as a URL parser does', () => {
    const u = must('https://example.com:/a');
    expect([u.host, u.hostname, u.href]).toEqual(['example.com', 'example.com', 'https://example.com/a']);
  });

  it('treats a question mark after the hash as part of the fragment', () => {
    const u = must('https://example.org:8080/foo/../bar#bang?foo=bar');
    expect([u.path, u.query, u.fragment]).toEqual(['/bar', '', 'bang?foo=bar']);
  });

  it('gives an empty path the root and re-serialises it', () => {
    expect(must('https://example.org:8080').path).toBe('/');
    expect(must('https://www.example.com?q=foo#bar').href).toBe('https://www.example.com/?q=foo#bar');
  });

  it('rejects relative, host-less, empty and non-URL input', () => {
    for (const s of ['not an url', '', '/foo', './hello/world', 'example.com/foo', 'PING', 'https://', '//']) {
      expect(parsePageUrl(s)).toBeNull();
    }
  });

  it('accepts protocol-relative URLs as http and any other scheme', () => {
    expect(must('//example.com/x').href).toBe('http://example.com/x');
    expect(must('ftp://files.example.com/a.zip').scheme).toBe('ftp');
  });

  it('lower-cases scheme and host, drops user-info and keeps the path case', () => {
    const u = must('HTTPS://user:pw@WWW.Example.COM/Foo');
    expect(u.href).toBe('https://www.example.com/Foo');
  });

  it('resolves double slashes, dot and dot-dot segments', () => {
    expect(must('https://example.com///another/../another/foo').path).toBe('/another/foo');
    expect(must('https://example.com/a/./b/../../c/').path).toBe('/c/');
    expect(must('https://example.com/../../x').path).toBe('/x');
    expect(must('https://example.com/foo/..').path).toBe('/');
  });

  it('keeps IPv6 literal hosts and their port apart', () => {
    const u = must('http://[::1]:3000/p');
    expect([u.host, u.hostname]).toEqual(['[::1]:3000', '[::1]']);
  });

  it('refuses input longer than 8192 characters', () => {
    const base = 'https://example.com/';
    expect(parsePageUrl(base + 'a'.repeat(8192 - base.length))).not.toBeNull();
    expect(parsePageUrl(base + 'a'.repeat(8193 - base.length))).toBeNull();
  });

  it('refuses control characters, spaces in a host, bad hosts and non-numeric ports; keeps a space elsewhere, as fasthttp', () => {
    expect(parsePageUrl('https://exa mple.com/')).toBeNull();
    expect(parsePageUrl('https://example.com/a\tb')).toBeNull();
    expect(parsePageUrl('https://example.com/a\u007f')).toBeNull();
    expect(must('https://www.google.com/search?q=a b#c d')).toMatchObject({ path: '/search', query: 'q=a b', fragment: 'c d' });
    expect(must('https://shop.example/my page/')).toMatchObject({ path: '/my%20page/', href: 'https://shop.example/my%20page/' });
    expect(must('https://shop.example/my%20page/').path).toBe('/my%20page/');
    // User-info ends at the first @, as fasthttp reads it: what follows is the host.
    expect(must('https://u p@shop.example/').host).toBe('shop.example');
    expect(parsePageUrl('https://x@y@shop.example/')).toBeNull();
    expect(parsePageUrl('https://example.com:80a/')).toBeNull();
    expect(parsePageUrl('https://exa<mple.com/')).toBeNull();
  });
});

describe('referrerDomain and rootUrl', () => {
  it('names a missing referrer direct and otherwise uses its host', () => {
    expect(referrerDomain(null)).toBe('direct');
    expect(referrerDomain(must('https://www.example.com/x?y'))).toBe('www.example.com');
  });

  it('builds the root page of the same site', () => {
    expect(rootUrl(must('https://a.example:81/foo?x=1#h')).href).toBe('https://a.example:81/');
  });
});

describe('utmFrom', () => {
  it('reads the five UTM fields, decoding plus signs and escapes and ignoring utm_id', () => {
    const u = must(
      'https://x.io/?utm_id=9&utm_source=news+letter&utm_medium=e%20mail&utm_campaign=%C3%A9t%C3%A9&utm_term=a&utm_content=b',
    );
    expect(utmFrom(u)).toEqual({
      utmSource: 'news letter',
      utmMedium: 'e mail',
      utmCampaign: 'été',
      utmTerm: 'a',
      utmContent: 'b',
    });
  });

  it('falls back to ref for the source and gives null for absent fields', () => {
    expect(utmFrom(must('https://x.io/?ref=producthunt'))).toEqual({
      utmSource: 'producthunt', utmMedium: null, utmCampaign: null, utmTerm: null, utmContent: null,
    });
    expect(utmFrom(must('https://x.io/?utm_source=a&ref=b')).utmSource).toBe('a');
  });

  it('keeps the first value of a repeated parameter, even an empty one (as Prisme\'s Peek), the source then falling back to ref', () => {
    expect(utmFrom(must('https://x.io/?utm_medium=one&utm_medium=two')).utmMedium).toBe('one');
    expect(utmFrom(must('https://x.io/?utm_medium=&utm_medium=two')).utmMedium).toBeNull();
    expect(utmFrom(must('https://x.io/?utm_source=&utm_source=second&ref=r')).utmSource).toBe('r');
  });

  it('keeps malformed escapes raw instead of throwing', () => {
    expect(decodeQueryComponent('100%zz%4')).toBe('100%zz%4');
    expect(decodeQueryComponent('%E9')).toBe('\uFFFD');
    expect(utmFrom(must('https://x.io/?utm_source=%zz+%41')).utmSource).toBe('%zz A');
  });
});

describe('cachedUrlParser', () => {
  it('parses like parsePageUrl, and keeps only URLs of up to 1,024 characters, whatever it is sent', () => {
    const parse = cachedUrlParser(100);
    const short = 'https://shop.example/p?utm_source=news';
    expect(parse(short)).toEqual(parsePageUrl(short));
    expect(parse(short)).toBe(parse(short)); // one shared, frozen instance
    for (let i = 0; i < 50; i++) {
      expect(parse(`https://shop.example/${i}/${'x'.repeat(2000)}`)!.path.length).toBeGreaterThan(2000);
      expect(parse(`${i}`.padEnd(600_000, 'x'))).toBeNull();
    }
    expect(parse.size()).toBe(1);
  });

  it('caches URLs up to 1,024 characters, as copies that keep no longer text alive', () => {
    const parse = cachedUrlParser(1000);
    expect(parse('https://a.example/' + 'p'.repeat(1100))?.path).toBe('/' + 'p'.repeat(1100));
    expect(parse.size()).toBe(0);
    const kept = heapKept(() => {
      for (let i = 0; i < 100; i++) parse(flatText(`https://kept.example/${i}/`, 200_000).slice(0, 200));
    });
    expect(parse.size()).toBe(100);
    expect(kept).toBeLessThan(2_000_000);
  });

  it('holds at most its budget of characters, forgetting the least recently used URLs first', () => {
    const parse = cachedUrlParser(1000, 10_000);
    const long = (i: number) => `https://a.example/${i}/`.padEnd(1000, 'q');
    const first = Array.from({ length: 30 }, (_, i) => parse(long(i)));
    expect(parse.size()).toBe(10);
    // The newest are the ones kept (a hit hands out the same frozen value); the oldest were forgotten.
    for (let i = 20; i < 30; i++) expect(parse(long(i))).toBe(first[i]!);
    expect(parse(long(0))).not.toBe(first[0]!);
    expect(parse.size()).toBe(10);
    // 100 short ones (2,590 characters) make room for themselves by forgetting 3 of the long ones.
    for (let i = 0; i < 100; i++) parse(`https://a.example/short/${i}`);
    expect(parse.size()).toBe(107);
  });
});
