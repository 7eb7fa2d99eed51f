import { describe, expect, it } from 'bun:test';
import { headerSafeUrl } from './header-safe-url.ts';

describe('headerSafeUrl', () => {
  it('leaves a URL of printable ASCII, escapes included, as it is', () => {
    const url = 'https://www.example.com/a%20b/c?q=%E2%82%AC&x=1#top';
    expect(headerSafeUrl(url)).toBe(url);
  });

  it('writes characters beyond ASCII as the percent-escapes of their UTF-8 bytes', () => {
    expect(headerSafeUrl('https://x.example/€')).toBe('https://x.example/%E2%82%AC');
    expect(headerSafeUrl('https://x.example/café?q=ü')).toBe('https://x.example/caf%C3%A9?q=%C3%BC');
    expect(headerSafeUrl('https://x.example/😀/a')).toBe('https://x.example/%F0%9F%98%80/a');
  });

  it('escapes spaces and control characters, and writes a lone surrogate as U+FFFD', () => {
    expect(headerSafeUrl('https://x.example/a b\tc\u007f')).toBe('https://x.example/a%20b%09c%7F');
    expect(headerSafeUrl('https://x.example/\ud800x')).toBe('https://x.example/%EF%BF%BDx');
  });

  it('gives a value every Headers object takes', () => {
    const values = ['https://x.example/€', 'https://x.example/\u00ff', 'https://x.example/\ud800', 'https://x.example/\u0000'];
    for (const v of values) expect(() => new Headers({ location: headerSafeUrl(v) })).not.toThrow();
  });
});
