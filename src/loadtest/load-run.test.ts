import { describe, expect, it } from 'bun:test';
import { LOAD_DEFAULTS, runLoad, type LoadOptions, type LoadReport } from './load-run.ts';
import { summary } from './load-summary.ts';

/** A short run of the mix against a fake target (`fetch` answers its metrics, exports and hits), stopped after. */
async function runAgainst(fetch: (req: Request) => Response, options: Partial<LoadOptions>): Promise<LoadReport> {
  const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch });
  try {
    return await runLoad(
      { ...LOAD_DEFAULTS, target: `http://127.0.0.1:${server.port}`, durationMs: 300, connections: 2, progress: false, seed: 1, password: '', ...options },
      { host: `127.0.0.1:${server.port}`, domain: 'x.example', writeKey: 'k', slug: 's', token: 't', websiteId: 'w', pixelId: 'p' },
    );
  } finally {
    server.stop(true);
  }
}

describe('the load run', () => {
  it('gives up the --ack-check read-back when told to (Ctrl-C), and reports the run with the check not done', async () => {
    // A target whose write buffer never empties: the read-back would wait its two minutes.
    const server = Bun.serve({
      hostname: '127.0.0.1', port: 0,
      fetch: (req) => (new URL(req.url).pathname === '/api/metrics' ? Response.json({ drops: {}, buffer: { waiting: 1 } }) : new Response('')),
    });
    try {
      const url = `http://127.0.0.1:${server.port}`;
      let asked = 0;
      const started = performance.now();
      const r = await runLoad(
        { ...LOAD_DEFAULTS, target: url, durationMs: 300, connections: 2, ackCheck: true, progress: false, seed: 1, password: '', stopReadBack: () => ++asked > 3 },
        { host: `127.0.0.1:${server.port}`, domain: 'x.example', writeKey: 'k', slug: 's', token: 't', websiteId: 'w', pixelId: 'p' },
      );
      expect(performance.now() - started).toBeLessThan(10_000);
      expect(r.requests).toBeGreaterThan(0);
      expect(r.ackCheck).toMatchObject({ ok: false, done: false, error: 'interrupted (Ctrl-C) before the events were read back' });
      expect(summary(r)).toContain('ack-check   not done: interrupted (Ctrl-C) before the events were read back');
      expect(summary(r)).not.toContain('FAILED');
    } finally {
      server.stop(true);
    }
  });

  it('counts as dropped GIF hits no more than the run sent, nor reloads beyond its pageviews: the counters are the whole server\'s', async () => {
    let asked = 0;
    // Between the two reads another client's 2000-message batch was refused, and 10^6 reloads came from elsewhere.
    const server = Bun.serve({
      hostname: '127.0.0.1', port: 0,
      fetch: (req) => new URL(req.url).pathname === '/api/metrics'
        ? Response.json({ drops: asked++ === 0 ? {} : { 'buffer-full': 2000, 'duplicate-pageview': 1_000_000 }, buffer: { waiting: 0 } })
        : new Response(''),
    });
    try {
      const url = `http://127.0.0.1:${server.port}`;
      const target = { host: `127.0.0.1:${server.port}`, domain: 'x.example', writeKey: 'k', slug: 's', token: 't', websiteId: 'w', pixelId: 'p' };
      const pageviews = await runLoad({ ...LOAD_DEFAULTS, target: url, durationMs: 300, connections: 2, progress: false, seed: 1, password: '', mix: { pageview: 1, custom: 0, rudder: 0, pixel: 0 } }, target);
      expect(pageviews.answeredNotStored).toEqual({ bufferFull: 0, reloads: pageviews.acknowledged.pageview });
      asked = 0;
      const pixels = await runLoad({ ...LOAD_DEFAULTS, target: url, durationMs: 300, connections: 2, progress: false, seed: 1, password: '', mix: { pageview: 0, custom: 0, rudder: 1, pixel: 1 } }, target);
      expect(pixels.answeredNotStored!.bufferFull).toBe(Math.min(2000, pixels.acknowledged.rudder + pixels.acknowledged.pixel));
      expect(pixels.answeredNotStored!.reloads).toBe(0);
    } finally {
      server.stop(true);
    }
  });

  it("passes the check when events answered 503 past the durable-ack deadline are stored later, as the target's lateAcks say (at-least-once), and only then", async () => {
    const run = async (lateAcks: number) => {
      let served = 0;
      let metricsAsked = 0;
      return runAgainst((req) => {
        const path = new URL(req.url).pathname;
        if (path === '/api/metrics') return Response.json({ drops: {}, buffer: { waiting: 0, lateAcks: metricsAsked++ === 0 ? 0 : lateAcks } });
        if (path.endsWith('/export')) return new Response(path.startsWith('/api/websites/') ? '{}\n'.repeat(served) : '');
        // Every fifth pageview is answered 503 (its durable ack late), and stored all the same.
        return ++served % 5 === 0 ? new Response('late', { status: 503, headers: { 'retry-after': '1' } }) : new Response('');
      }, { durationMs: 200, ackCheck: true, mix: { pageview: 1, custom: 0, rudder: 0, pixel: 0 } });
    };
    const late = await run(1_000_000);
    const refused = late.statuses.pageview?.['503'] ?? 0;
    expect(refused).toBeGreaterThan(0);
    expect(late.ackCheck).toMatchObject({ ok: true, done: true, late: refused, stored: late.acknowledged.pageview + refused });
    // The same 503s without lateAcks are refusals whose events should not be there: a mismatch.
    expect((await run(0)).ackCheck).toMatchObject({ ok: false, done: true, late: 0 });
  }, 30_000);

  it('does not take 503s for late durable acks or busy body pools as buffer-full refusals: a GIF hit dropped beside them is still counted lost', async () => {
    let metricsAsked = 0;
    let refused = 0;
    const r = await runAgainst((req) => {
      const path = new URL(req.url).pathname;
      // After the load: 5 GIF hits dropped for a full buffer, and each 503 was a late ack or a busy pool, none a full buffer.
      if (path === '/api/metrics') {
        const after = metricsAsked++ > 0;
        return Response.json({ drops: after ? { 'buffer-full': 5, 'bodies-busy': Math.floor(refused / 2) } : {}, buffer: { waiting: 0, lateAcks: after ? Math.ceil(refused / 2) : 0 } });
      }
      // Prisme pageviews (POST) are answered 503; pixel hits their 200.
      if (req.method !== 'POST') return new Response('');
      refused++;
      return new Response('late', { status: 503, headers: { 'retry-after': '1' } });
    }, { mix: { pageview: 1, custom: 0, rudder: 0, pixel: 1 } });
    expect(refused).toBeGreaterThan(5);
    expect(r.acknowledged.pixel).toBeGreaterThan(5);
    expect(r.answeredNotStored!.bufferFull).toBe(5);
  });

  it('waits as told and tries an export again when every export slot of the target is taken (503), instead of failing the check', async () => {
    let served = 0;
    let busy = 2;
    const r = await runAgainst((req) => {
      const path = new URL(req.url).pathname;
      if (path === '/api/metrics') return Response.json({ drops: {}, buffer: { waiting: 0 } });
      if (path.endsWith('/export')) {
        if (path.startsWith('/api/websites/') && busy-- > 0) return Response.json({ error: { message: 'exports are streaming' } }, { status: 503, headers: { 'retry-after': '1' } });
        return new Response(path.startsWith('/api/websites/') ? '{}\n'.repeat(served) : '');
      }
      served++;
      return new Response('');
    }, { durationMs: 200, ackCheck: true, mix: { pageview: 1, custom: 0, rudder: 0, pixel: 0 } });
    expect(busy).toBeLessThan(0);
    expect(r.ackCheck).toMatchObject({ ok: true, done: true, stored: r.requests });
  }, 20_000);
});
