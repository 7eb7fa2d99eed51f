import { describe, expect, it } from 'bun:test';
import { LOAD_DEFAULTS, runLoad } from './load-run.ts';

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
      expect(r.ackCheck).toMatchObject({ ok: false, error: 'interrupted (Ctrl-C) before the events were read back' });
    } finally {
      server.stop(true);
    }
  });
});
