import { describe, expect, it } from 'bun:test';
import { createHmac } from 'node:crypto';
import { hmacSha256 } from './hmac-sha256.ts';

describe('HMAC-SHA256', () => {
  it('is the standard HMAC-SHA256 (RFC 4231 test case 2, and node:crypto for a 32-byte key)', () => {
    const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
    expect(hex(hmacSha256(Buffer.from('Jefe'), Buffer.from('what do ya want for nothing?')))).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
    const key = crypto.getRandomValues(new Uint8Array(32));
    for (const text of ['', 'a', 'Mozilla/5.0 (X11; Linux x86_64)203.0.113.0shop.example'])
      expect(hex(hmacSha256(key, Buffer.from(text)))).toBe(createHmac('sha256', key).update(text).digest('hex'));
  });

  it('keeps each key apart when two are used in turn', () => {
    const a = crypto.getRandomValues(new Uint8Array(32));
    const b = crypto.getRandomValues(new Uint8Array(32));
    const data = Buffer.from('same message');
    const first = Buffer.from(hmacSha256(a, data)).toString('hex');
    const second = Buffer.from(hmacSha256(b, data)).toString('hex');
    expect(first).not.toBe(second);
    expect(Buffer.from(hmacSha256(a, data)).toString('hex')).toBe(first);
  });
});
