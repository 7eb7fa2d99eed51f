import { describe, expect, it } from 'bun:test';
import { isParentDomain, OriginRegistry, domainHost, originHost, parseOriginEntry } from './origin-registry.ts';

describe('OriginRegistry', () => {
  it('refuses the entries Prisme refuses, listing them all', () => {
    for (const bad of ['.com', 'foo..fr', '**.foo.fr', '*foo.fr', '*.com', '']) expect(parseOriginEntry(bad)).toBeNull();
    expect(() => new OriginRegistry(['ok.com', '.com', 'foo..fr'])).toThrow('".com", "foo..fr"');
  });

  it('matches exact origins with any scheme prefix and port stripped', () => {
    const r = new OriginRegistry(['mywebsite.localhost', 'foo.mywebsite.localhost']);
    expect(r.allows('http://mywebsite.localhost')).toBe(true);
    expect(r.allows('https://mywebsite.localhost:8443')).toBe(true);
    expect(r.allows('mywebsite.localhost')).toBe(true);
    expect(r.allows('https://example.com')).toBe(false);
    expect(r.allows(null)).toBe(false);
    expect(r.allows('null')).toBe(false);
  });

  it('lets *.example.com match any deeper subdomain but not example.com itself', () => {
    const r = new OriginRegistry(['*.example.com']);
    expect(r.allows('https://a.example.com')).toBe(true);
    expect(r.allows('https://foo.bar.example.com')).toBe(true);
    expect(r.allows('https://example.com')).toBe(false);
    expect(r.allows('https://badexample.com')).toBe(false);
  });

  it('never matches an origin longer than 256 characters', () => {
    const long = 'a'.repeat(250) + '.com';
    const r = new OriginRegistry([long.slice(0, 63) + '.com']);
    expect(r.allows('https://' + long + 'x'.repeat(10))).toBe(false);
  });

  it('picks up website domains at once and maps pages to their website', () => {
    const r = new OriginRegistry([]);
    expect(r.allows('https://shop.example')).toBe(false);
    r.setWebsites([{ id: 'w1', domain: 'https://Shop.Example/path' }, { id: 'w2', domain: null }]);
    expect(r.allows('https://shop.example')).toBe(true);
    expect(r.websiteFor('shop.example')).toBe('w1');
    expect(r.websiteFor('www.shop.example:8080')).toBe('w1');
    expect(r.websiteFor('a.b.shop.example')).toBe('w1');
    expect(r.websiteFor('example')).toBeNull();
    expect(r.websiteFor('other.example')).toBeNull();
    // A fully qualified name's root dot names the same host.
    expect(r.websiteFor('www.shop.example.')).toBe('w1');
    r.setWebsites([]);
    expect(r.allows('https://shop.example')).toBe(false);
  });

  it('gives an address page only to a website on that very address (10.0.0.1 is not under a website 0.1)', () => {
    const r = new OriginRegistry([]);
    r.setWebsites([{ id: 'tail', domain: '0.1' }, { id: 'ip', domain: '10.0.0.2' }]);
    expect(r.websiteFor('10.0.0.1')).toBeNull();
    expect(r.websiteFor('10.0.0.2:8080')).toBe('ip');
    expect(isParentDomain('shop.example', 'blog.shop.example')).toBe(true);
    expect(isParentDomain('com', 'shop.com')).toBe(false);
    expect(isParentDomain('0.1', '10.0.0.1')).toBe(false);
    // An IPv6 address with a port, as a URL writes it.
    expect(domainHost('http://[::1]:8080/')).toBe('[::1]');
    expect(domainHost('[0:0:0:0:0:0:0:1]')).toBe('[::1]');
    for (const bad of ['[:]', '[1.2.3.4]', '[zzz]:80', '[::1]]:80', '[::1]\\evil.example', '[::\t1]']) expect([bad, domainHost(bad)]).toEqual([bad, null]);
  });

  it('accepts an Origin on the www. of a website\'s domain, but no other subdomain (a website on github.io must not open every site under it)', () => {
    const r = new OriginRegistry([]);
    r.setWebsites([{ id: 'w1', domain: 'blog.example.com' }, { id: 'w2', domain: 'github.io' }, { id: 'w3', domain: '2.3' }]);
    expect(r.allows('https://www.blog.example.com')).toBe(true);
    expect(r.allows('https://WWW.blog.example.com:8443')).toBe(true);
    expect(r.allows('https://a.blog.example.com')).toBe(false);
    expect(r.allows('https://victim.github.io')).toBe(false);
    expect(r.allows('https://example.com')).toBe(false);
    expect(r.allows('https://evilblog.example.com')).toBe(false);
    expect(r.allows('http://10.1.2.3')).toBe(false);
  });

  it('names the configured origins whose pages no website covers', () => {
    const r = new OriginRegistry(['shop.example', 'blog.shop.example', 'other.example', '*.cdn.example', '*.apps.example']);
    expect(r.uncovered()).toEqual(['shop.example', 'blog.shop.example', 'other.example', '*.cdn.example', '*.apps.example']);
    r.setWebsites([{ id: 'w1', domain: 'shop.example' }, { id: 'w2', domain: 'cdn.example' }]);
    expect(r.uncovered()).toEqual(['other.example', '*.apps.example']);
  });

  it('normalises domains and origins', () => {
    expect(domainHost('example.com')).toBe('example.com');
    expect(domainHost('http://user@Example.COM:80/a?b')).toBe('example.com');
    expect(domainHost('not a domain')).toBeNull();
    expect(originHost('https://[::1]')).toBe('[::1]');
    expect(originHost('http://localhost:3000')).toBe('localhost');
  });
});
