import { describe, expect, it } from 'bun:test';
import { LOOPBACK_AND_PRIVATE } from '../lib/ip.ts';
import { clientIp, clientIpPolicy } from './client-ip.ts';

const trusting = clientIpPolicy(true, 'X-Forwarded-For', LOOPBACK_AND_PRIVATE);
const untrusting = clientIpPolicy(false, 'X-Forwarded-For', LOOPBACK_AND_PRIVATE);

describe('clientIp', () => {
  it('uses the TCP peer when the proxy is not trusted, whatever the header says', () => {
    expect(clientIp(untrusting, '203.0.113.9', '8.8.8.8')).toBe('203.0.113.9');
  });

  it('takes the right-most address that is not a trusted proxy', () => {
    expect(clientIp(trusting, '127.0.0.1', '8.8.8.8')).toBe('8.8.8.8');
    expect(clientIp(trusting, '127.0.0.1', '1.1.1.1, 8.8.8.8, 10.0.0.2')).toBe('8.8.8.8');
    expect(clientIp(trusting, '127.0.0.1', '1.1.1.1,8.8.8.8')).toBe('8.8.8.8');
  });

  it('falls back to the peer when the header is missing or holds nothing valid', () => {
    expect(clientIp(trusting, '127.0.0.1', null)).toBe('127.0.0.1');
    expect(clientIp(trusting, '127.0.0.1', 'garbage, 10.1.1.1')).toBe('127.0.0.1');
  });

  it('understands IPv6, bracketed addresses, ports and IPv4-mapped peers', () => {
    expect(clientIp(trusting, '::ffff:127.0.0.1', '2001:db8::1')).toBe('2001:db8::1');
    expect(clientIp(trusting, '::1', '[2001:db8::2]:443')).toBe('2001:db8::2');
    expect(clientIp(trusting, '::1', '8.8.4.4:1234')).toBe('8.8.4.4');
    expect(clientIp(untrusting, '::ffff:192.0.2.1', null)).toBe('192.0.2.1');
  });

  it('reads the configured header name', () => {
    const custom = clientIpPolicy(true, 'X-Custom-Forwarded-For', ['127.0.0.0/8']);
    expect(custom.header).toBe('x-custom-forwarded-for');
    expect(clientIp(custom, '127.0.0.1', '192.168.1.5')).toBe('192.168.1.5');
  });
});
