import { describe, expect, it } from 'bun:test';
import { adminPasswordIssue, shadowedEnvNames, unknownEnvNames, loadConfig, type Config } from './config.ts';

describe('loadConfig', () => {
  it('gives the embedded defaults with no flags and no env', () => {
    const r = loadConfig([], {});
    if (!r.ok) throw new Error(r.errors.join('\n'));
    expect(r.config.host).toBe('0.0.0.0');
    expect(r.config.port).toBe(8000);
    expect(r.config.dataDir).toBe('./data');
    expect(r.config.rateLimit).toEqual({ capacity: 60, periodMs: 60_000 });
    expect(r.config.flushInterval).toBe(250);
    expect(r.config.flushSize).toBe(2000);
    expect(r.config.ack).toBe('buffered');
    expect(r.config.trustProxy).toBe(false);
    expect(r.config.trustedProxies).toContain('10.0.0.0/8');
  });

  it('lets flags beat FOOTFALL_* env, which beats the Prisme names', () => {
    const env = { FOOTFALL_PORT: '9001', PRISME_PORT: '9002', PRISME_TRUST_PROXY: 'true', FOOTFALL_TRUST_PROXY: 'false' };
    const r = loadConfig(['--port', '9003'], env);
    if (!r.ok) throw new Error(r.errors.join('\n'));
    expect(r.config.port).toBe(9003);
    expect(r.config.trustProxy).toBe(false);
    const r2 = loadConfig([], { PRISME_PORT: '9002', PRISME_PROXY_TRUST: 'true' });
    if (!r2.ok) throw new Error(r2.errors.join('\n'));
    expect(r2.config.port).toBe(9002);
    expect(r2.config.trustProxy).toBe(true);
  });

  it('reads every Prisme environment name, of the v0.20.0 release and of master, for the options Prisme has', () => {
    const cases: [Record<string, string>, (c: Config) => unknown, unknown][] = [
      [{ PRISME_PROXY_HEADER: 'X-Real-Ip' }, (c) => c.proxyHeader, 'X-Real-Ip'],
      [{ PRISME_PROXY_HEADER_XFORWARDEDFOR: 'X-Client' }, (c) => c.proxyHeader, 'X-Client'],
      [{ PRISME_PROXY_REQUEST_ID_HEADER: 'X-Trace' }, (c) => c.requestIdHeader, 'X-Trace'],
      [{ PRISME_PROXY_HEADER_REQUESTID: 'X-Req' }, (c) => c.requestIdHeader, 'X-Req'],
      [{ PRISME_ORIGINS: 'a.example,b.example' }, (c) => c.origins, ['a.example', 'b.example']],
      [{ PRISME_ORIGIN_REGISTRY_ORIGINS: 'c.example' }, (c) => c.origins, ['c.example']],
      [{ PRISME_SOURCE_REGISTRY_SOURCES: 'd.example' }, (c) => c.origins, ['d.example']],
      [{ PRISME_API_EVENTS_TIMEOUT: '5s' }, (c) => c.eventsTimeout, 5000],
      [{ PRISME_SERVER_API_EVENTS_TIMEOUT: '750ms' }, (c) => c.eventsTimeout, 750],
    ];
    for (const [env, read, want] of cases) {
      const r = loadConfig([], env);
      if (!r.ok) throw new Error(r.errors.join('\n'));
      expect([env, read(r.config)]).toEqual([env, want]);
    }
    // The deprecated name yields to the current one.
    const both = loadConfig([], { PRISME_ORIGIN_REGISTRY_ORIGINS: 'new.example', PRISME_SOURCE_REGISTRY_SOURCES: 'old.example' });
    expect(both.ok && both.config.origins).toEqual(['new.example']);
  });

  it('refuses a duration without its unit (3 would have run as 3 ms), but for 0, as Go reads Prisme\'s variables', () => {
    for (const [args, env] of [[['--events-timeout', '3'], {}], [[], { PRISME_API_EVENTS_TIMEOUT: '3' }], [['--flush-interval', '250'], {}]] as const) {
      const r = loadConfig([...args], env);
      expect(r.ok).toBe(false);
      expect(r.ok ? '' : r.errors.join('\n')).toMatch(/expected a duration with its unit, such as (3|250)ms or (3|250)s/);
    }
    const zero = loadConfig(['--events-timeout', '0'], {});
    expect(zero.ok && zero.config.eventsTimeout).toBe(0);
  });

  it('quotes a bad value with its control characters escaped, so it cannot paint the terminal or pose as another line', () => {
    const r = loadConfig(['--trusted-proxies', '10.0.0.0/8,bad\nline'], { FOOTFALL_PORT: '8x\u001b[31m\n  - injected' });
    expect(r.ok ? [] : r.errors.toSorted()).toEqual([
      '--trusted-proxies: "bad\\nline" is not an IP address or CIDR',
      'FOOTFALL_PORT: expected an integer, got "8x\\u001b[31m\\n  - injected"',
    ]);
  });

  it('says a value out of its range in the option\'s own units', () => {
    const r = loadConfig(['--events-timeout', '2m', '--max-sessions', '5'], {});
    expect(r.ok ? [] : r.errors.toSorted()).toEqual(['--events-timeout: must be 0ms to 1m (got 2m)', '--max-sessions: must be 1000 to 5000000 (got 5)']);
    // Quoted as given: 0.4ms reads as 0 ms, and "got 0ms" would not say what was wrong; 1.5m is 90s.
    const typed = loadConfig(['--flush-interval', '0.4ms'], { FOOTFALL_EVENTS_TIMEOUT: ' 1.5m ' });
    expect(typed.ok ? [] : typed.errors.toSorted()).toEqual(['--flush-interval: must be 1ms to 1m (got 0.4ms)', 'FOOTFALL_EVENTS_TIMEOUT: must be 0ms to 1m (got 1.5m)']);
  });

  it('names the environment variables another name of the same option shadows with a different value, and not those that agree', () => {
    expect(shadowedEnvNames({ PRISME_ORIGINS: 'a.com', PRISME_ORIGIN_REGISTRY_ORIGINS: 'b.com', FOOTFALL_PORT: '9000', PRISME_PORT: ' 9000 ' })).toEqual([
      { used: 'PRISME_ORIGINS', ignored: 'PRISME_ORIGIN_REGISTRY_ORIGINS' },
    ]);
    const r = loadConfig([], { PRISME_ORIGINS: 'a.com', PRISME_ORIGIN_REGISTRY_ORIGINS: 'b.com' });
    expect(r.ok && r.config.origins).toEqual(['a.com']);
    // A blank name is unset for both: the other is used, and there is nothing to say.
    const blank = loadConfig([], { FOOTFALL_PORT: '  ', PRISME_PORT: '9001' });
    expect([blank.ok && blank.config.port, shadowedEnvNames({ FOOTFALL_PORT: '  ', PRISME_PORT: '9001' })]).toEqual([9001, []]);
    // The same meaning written otherwise, or a flag that overrides both: nothing to say.
    expect(shadowedEnvNames({ FOOTFALL_EVENTS_TIMEOUT: '3s', PRISME_API_EVENTS_TIMEOUT: '3000ms', PRISME_ORIGINS: 'a.com,b.com', PRISME_ORIGIN_REGISTRY_ORIGINS: 'b.com, a.com' })).toEqual([]);
    expect(shadowedEnvNames({ PRISME_ORIGINS: 'a.com', PRISME_ORIGIN_REGISTRY_ORIGINS: 'b.com' }, ['--origins', 'c.com'])).toEqual([]);
  });

  it('accepts --flag=value, bare booleans and --no-flag', () => {
    const r = loadConfig(['--flush-interval=1s', '--trust-proxy', '--rate-limit', '10/1m', '--no-keep-ip', '--origins', 'a.com, *.b.com'], {});
    if (!r.ok) throw new Error(r.errors.join('\n'));
    expect(r.config.flushInterval).toBe(1000);
    expect(r.config.trustProxy).toBe(true);
    expect(r.config.rateLimit).toEqual({ capacity: 10, periodMs: 60_000 });
    expect(r.config.keepIp).toBe(false);
    expect(r.config.origins).toEqual(['a.com', '*.b.com']);
  });

  it('takes a boolean given as a word of its own in every form the = form and the environment take, and refuses a value after --no-', () => {
    for (const [word, value] of [['yes', true], ['on', true], ['1', true], ['no', false], ['off', false], ['0', false], ['FALSE', false]] as const) {
      const r = loadConfig(['--trust-proxy', word, '--port', '9000'], {});
      expect([word, r.ok && r.config.trustProxy, r.ok && r.config.port]).toEqual([word, value, 9000]);
    }
    const r = loadConfig(['--no-trust-proxy=true'], {});
    expect(r.ok ? [] : r.errors).toEqual(['--no-trust-proxy: takes no value (--trust-proxy=true says what to set)']);
    // A word it does not take is refused with every word it does.
    const maybe = loadConfig([], { FOOTFALL_TRUST_PROXY: 'maybe' });
    expect(maybe.ok ? [] : maybe.errors).toEqual(['FOOTFALL_TRUST_PROXY: expected true, t, yes, on or 1, or false, f, no, off or 0, got "maybe"']);
  });

  it("reads a Prisme deployment's variables as Go read them: durations of several units or below the millisecond, t and f", () => {
    for (const [timeout, trust, want] of [['2s500ms', 't', [2500, true]], ['2500us', 'F', [3, false]], ['0.5m', 'T', [30_000, true]]] as const) {
      const r = loadConfig([], { PRISME_API_EVENTS_TIMEOUT: timeout, PRISME_TRUST_PROXY: trust });
      expect([timeout, r.ok ? [r.config.eventsTimeout, r.config.trustProxy] : r.errors]).toEqual([timeout, [...want]]);
    }
    // Read, then held to the option's range as any other value.
    const long = loadConfig([], { PRISME_API_EVENTS_TIMEOUT: '1m30s' });
    expect(long.ok ? [] : long.errors.map((e) => e.split(':')[0])).toEqual(['PRISME_API_EVENTS_TIMEOUT']);
  });

  it('says each option out of its range once, with no line comparing it to another option', () => {
    const r = loadConfig([], { FOOTFALL_FLUSH_SIZE: '200000', FOOTFALL_BUFFER_MAX: '0' });
    expect(r.ok ? [] : r.errors.map((e) => e.split(':')[0]).toSorted()).toEqual(['FOOTFALL_BUFFER_MAX', 'FOOTFALL_FLUSH_SIZE']);
    // Both in range, one past the other: that line alone; equal is fine.
    const both = loadConfig(['--flush-size', '5000', '--buffer-max', '4000'], {});
    expect(both.ok ? [] : both.errors).toEqual(['--flush-size (5000) must not exceed --buffer-max (4000)']);
    expect(loadConfig(['--flush-size', '1000', '--buffer-max', '1000'], {}).ok).toBe(true);
  });

  it('refuses a rate limit that would let nothing through (a capacity or period of 0), naming the option', () => {
    for (const rate of ['0/60s', '60/0s']) {
      const r = loadConfig(['--rate-limit', rate], {});
      expect([rate, r.ok ? [] : r.errors]).toEqual([rate, [`--rate-limit: expected CAPACITY/PERIOD such as 60/60s, or off; got "${rate}"`]]);
    }
    expect(loadConfig(['--rate-limit', '1/1ms'], {}).ok).toBe(true);
  });

  it('takes an admin password of 8 to 255 characters, and says how long one outside that is', () => {
    expect([adminPasswordIssue('1234567'), adminPasswordIssue('12345678'), adminPasswordIssue('x'.repeat(255)), adminPasswordIssue('x'.repeat(256))]).toEqual([
      'FOOTFALL_ADMIN_PASSWORD: must have 8 to 255 characters (has 7)', null, null, 'FOOTFALL_ADMIN_PASSWORD: must have 8 to 255 characters (has 256)',
    ]);
    expect(adminPasswordIssue(undefined)).toBeNull();
  });

  it('bounds the in-memory maps by default and lets --max-sessions and --limiter-max-keys move the bounds', () => {
    const d = loadConfig([], {});
    expect(d.ok && [d.config.maxSessions, d.config.limiterMaxKeys]).toEqual([20_000, 50_000]);
    const r = loadConfig(['--max-sessions', '200000'], { FOOTFALL_LIMITER_MAX_KEYS: '100000' });
    expect(r.ok && [r.config.maxSessions, r.config.limiterMaxKeys]).toEqual([200_000, 100_000]);
    const bad = loadConfig(['--max-sessions', '10'], {});
    expect(bad.ok).toBe(false);
    // And bounds the bounds: 1e20 sessions would be none.
    for (const flag of ['--max-sessions', '--limiter-max-keys', '--buffer-max']) {
      const huge = loadConfig([flag, '99999999999999999999'], {});
      expect([flag, huge.ok]).toEqual([flag, false]);
    }
  });

  it('lets a flag stand in for an environment value it could not read, and names FOOTFALL_ names that are no option', () => {
    const r = loadConfig(['--port', '9000'], { FOOTFALL_PORT: 'abc' });
    expect(r.ok && r.config.port).toBe(9000);
    const bad = loadConfig([], { FOOTFALL_PORT: 'abc' });
    expect(!bad.ok && bad.errors).toEqual(['FOOTFALL_PORT: expected an integer, got "abc"']);
    expect(unknownEnvNames({ FOOTFALL_ACKS: 'durable', FOOTFALL_ACK: 'durable', FOOTFALL_ADMIN_PASSWORD: 'x', PATH: '/bin' })).toEqual(['FOOTFALL_ACKS']);
  });

  it('turns the limiter off with --rate-limit off', () => {
    const r = loadConfig(['--rate-limit', 'off'], {});
    expect(r.ok && r.config.rateLimit).toBe('off');
  });

  it('reports every problem at once', () => {
    const r = loadConfig(
      ['--port', 'eighty', '--ack', 'maybe', '--flush-interval', 'soon', '--bogus', '--rate-limit', '5', '--trusted-proxies', '10.0.0.0/99'],
      { FOOTFALL_LOG_FORMAT: 'xml' },
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const text = r.errors.join('\n');
    for (const needle of ['--port', '--ack', '--flush-interval', '--bogus', '--rate-limit', '--trusted-proxies', 'FOOTFALL_LOG_FORMAT'])
      expect(text).toContain(needle);
    expect(r.errors.length).toBe(7);
  });

  it('names a value out of range by where it came from, a flag or an environment variable', () => {
    const r = loadConfig(['--buffer-max', '100'], { FOOTFALL_FLUSH_SIZE: '500', FOOTFALL_PORT: '70000' });
    if (r.ok) throw new Error('expected problems');
    expect(r.errors.some((e) => e.startsWith('FOOTFALL_PORT: '))).toBe(true);
    expect(r.errors).toContain('FOOTFALL_FLUSH_SIZE (500) must not exceed --buffer-max (100)');
  });

  it('refuses --rate-limit-pixels with --rate-limit off, which would leave it nothing to limit at, naming both as given', () => {
    const r = loadConfig(['--rate-limit-pixels', '--rate-limit', 'off'], {});
    if (r.ok) throw new Error('expected problems');
    expect(r.errors).toEqual(['--rate-limit-pixels: /p/:slug hits are limited at the --rate-limit rate, which is off: give it a rate, or leave --rate-limit-pixels out']);
    const env = loadConfig([], { FOOTFALL_RATE_LIMIT_PIXELS: 'true', FOOTFALL_RATE_LIMIT: 'off' });
    expect(env.ok ? [] : env.errors).toEqual(['FOOTFALL_RATE_LIMIT_PIXELS: /p/:slug hits are limited at the FOOTFALL_RATE_LIMIT rate, which is off: give it a rate, or leave FOOTFALL_RATE_LIMIT_PIXELS out']);
    expect(loadConfig(['--rate-limit-pixels', '--rate-limit', '10/1s'], {}).ok).toBe(true);
  });

  it('reports a --geoip-db it cannot read with the other problems, and stray arguments beside them', () => {
    const r = loadConfig(['--geoip-db', '/nonexistent/geo.mmdb', '--port', 'x', 'stray'], {});
    if (r.ok) throw new Error('expected problems');
    expect(r.errors.some((e) => e.startsWith('--geoip-db: cannot read /nonexistent/geo.mmdb'))).toBe(true);
    expect(r.errors.some((e) => e.startsWith('--port'))).toBe(true);
    expect(r.rest).toEqual(['stray']);
  });

  it('rejects a port out of range and a flush size above the buffer cap', () => {
    const r = loadConfig(['--port', '70000', '--flush-size', '500', '--buffer-max', '100'], {});
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.length).toBe(2);
  });

  it('expands loopback and private in --trusted-proxies', () => {
    const r = loadConfig(['--trusted-proxies', 'loopback,203.0.113.7'], {});
    if (!r.ok) throw new Error(r.errors.join('\n'));
    expect(r.config.trustedProxies).toEqual(['127.0.0.0/8', '::1/128', '203.0.113.7']);
  });
});
