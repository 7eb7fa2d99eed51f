import { describe, expect, it } from 'bun:test';
import { SITE, prismeApp, randomIp } from '../helpers/prisme.ts';
import { manualClock } from '../../src/lib/clock.ts';

async function hundred(send: (i: number) => Promise<Response>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < 100; i++) out.push((await send(i)).status);
  return out;
}

describe('the Prisme events limiter', () => {
  it('lets 60 requests from one forwarded address through, answers the rest 429, and refills with time', async () => {
    const p = prismeApp();
    const ip = randomIp();
    const statuses = await hundred(() => p.pageview(ip, `${SITE}/`));
    expect(statuses.slice(0, 60).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(60).every((s) => s === 429)).toBe(true);
    const limited = await p.pageview(ip, `${SITE}/`);
    expect(await limited.text()).toBe('Too Many Requests');
    // A token a second, none left: the next in 1 s.
    expect(limited.headers.get('retry-after')).toBe('1');
    p.clock.advance(60_000);
    expect((await p.pageview(ip, `${SITE}/`)).status).toBe(200);
  });

  it('refills on the steady clock: a wall clock stepped back an hour neither holds the bucket empty nor fills it', async () => {
    const steady = manualClock(1_000_000);
    const p = prismeApp(['--rate-limit', '3/3s'], { steadyClock: steady });
    const ip = randomIp();
    for (let i = 0; i < 3; i++) expect((await p.pageview(ip, `${SITE}/p${i}`)).status).toBe(200);
    p.clock.advance(-3_600_000);
    expect((await p.pageview(ip, `${SITE}/`)).status).toBe(429);
    p.clock.advance(7_200_000);
    expect((await p.pageview(ip, `${SITE}/`)).status).toBe(429);
    steady.advance(1_000);
    expect((await p.pageview(ip, `${SITE}/`)).status).toBe(200);
  });

  it('counts an IPv6 client by its /64: a host cannot dodge the limit by sending from its prefix\'s other addresses', async () => {
    const p = prismeApp(['--rate-limit', '3/1m']);
    const statuses: number[] = [];
    for (let i = 1; i <= 4; i++) statuses.push((await p.pageview(`2a00:1450:4001:81b::${i}`, `${SITE}/`)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect((await p.pageview('2a00:1450:4001:81c::1', `${SITE}/`)).status).toBe(200);
  });

  it('counts 400s and 405s too, and shares one bucket between the JS and noscript prefixes', async () => {
    const p = prismeApp(['--rate-limit', '3/1m']);
    const ip = randomIp();
    expect((await p.pageview(ip, 'not a url')).status).toBe(400);
    expect((await p.get('/api/v1/events/pageviews', p.browser(ip))).status).toBe(405);
    expect((await p.get('/api/v1/noscript/events/pageviews', { 'x-forwarded-for': ip, referer: `${SITE}/` })).status).toBe(200);
    expect((await p.pageview(ip, `${SITE}/`)).status).toBe(429);
  });

  it('carries X-Ratelimit headers on passing answers', async () => {
    const p = prismeApp();
    const res = await p.pageview(randomIp(), `${SITE}/`);
    expect(res.headers.get('x-ratelimit-limit')).toBe('60');
    expect(res.headers.get('x-ratelimit-remaining')).toBe('59');
    // One token missing at one a second: full again in 1 s.
    expect(res.headers.get('x-ratelimit-reset')).toBe('1');
  });

  it('says in X-Ratelimit-Reset the whole seconds until the bucket is full again, rounded up', async () => {
    const p = prismeApp();
    const ip = randomIp();
    await p.pageview(ip, `${SITE}/`);
    p.clock.advance(500);
    // 59.5 tokens, less the one this takes: 1.5 missing, full again in 2 s (not 1).
    const res = await p.pageview(ip, `${SITE}/b`);
    expect([res.headers.get('x-ratelimit-remaining'), res.headers.get('x-ratelimit-reset')]).toEqual(['58', '2']);
  });

  it('gives 100 different forwarded addresses 100 answers of 200', async () => {
    const p = prismeApp();
    expect(new Set(await hundred(() => p.pageview(randomIp(), `${SITE}/`)))).toEqual(new Set([200]));
  });

  it('reads a custom proxy header', async () => {
    const p = prismeApp(['--proxy-header', 'X-Custom-Forwarded-For']);
    const ip = randomIp();
    const statuses = await hundred(() => p.pageview('198.51.100.1', `${SITE}/`, { 'x-custom-forwarded-for': ip, 'x-forwarded-for': randomIp() }));
    expect(statuses.filter((s) => s === 200).length).toBe(60);
    expect(new Set(await hundred(() => p.pageview('198.51.100.1', `${SITE}/`, { 'x-custom-forwarded-for': randomIp() })))).toEqual(new Set([200]));
    // The address the custom header named gets its tokens back with time.
    expect((await p.pageview('198.51.100.1', `${SITE}/`, { 'x-custom-forwarded-for': ip })).status).toBe(429);
    p.clock.advance(60_000);
    expect((await p.pageview('198.51.100.1', `${SITE}/`, { 'x-custom-forwarded-for': ip })).status).toBe(200);
  });

  it('ignores forwarded addresses when the proxy is not trusted', async () => {
    const p = prismeApp(['--trust-proxy', 'false']);
    const statuses = await hundred(() => p.pageview(randomIp(), `${SITE}/`));
    expect(statuses.filter((s) => s === 200).length).toBe(60);
    expect(statuses.slice(60).every((s) => s === 429)).toBe(true);
    // The one bucket (the TCP peer's) refills with time, whatever address is forwarded.
    p.clock.advance(60_000);
    expect((await p.pageview(randomIp(), `${SITE}/`)).status).toBe(200);
  });

  it('is off with --rate-limit off', async () => {
    const p = prismeApp(['--rate-limit', 'off']);
    const ip = randomIp();
    expect(new Set(await hundred(() => p.pageview(ip, `${SITE}/`)))).toEqual(new Set([200]));
  });

  it('does not limit the healthcheck', async () => {
    const p = prismeApp(['--rate-limit', '1/1m']);
    for (let i = 0; i < 5; i++) expect((await p.get('/api/v1/healthcheck', { 'x-forwarded-for': '203.0.113.1' })).status).toBe(200);
  });
});
