import { describe, expect, it } from 'bun:test';
import { startBinary } from '../helpers/binary.ts';

/** Bun ends a connection idle this long (the idleTimeout Elysia gives Bun.serve), a stalled streamed answer included. */
const BUN_IDLE_S = 30;

describe('an export over real HTTP to dist/footfall', () => {
  it(`reaches its end when the client stops reading for longer than Bun's ${BUN_IDLE_S} s idle timeout, once (the export's own rate check decides)`, async () => {
    const ff = await startBinary([], { FOOTFALL_ADMIN_PASSWORD: 'export stall password' });
    try {
      const login = await fetch(`${ff.url}/api/auth/login`, { method: 'POST', body: JSON.stringify({ username: 'admin', password: 'export stall password' }) });
      const { token } = (await login.json()) as { token: string };
      const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const site = (await (await fetch(`${ff.url}/api/websites`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'Big', domain: 'big.example' }) })).json()) as { id: string; writeKey: string };
      // ~24 MB of NDJSON: far more than the socket buffers hold while the client stalls.
      const pad = 'x'.repeat(4000);
      for (let b = 0; b < 6; b++) {
        const batch = Array.from({ length: 500 }, (_, i) => ({ type: 'track', anonymousId: `a${b}-${i}`, event: 'Big', properties: { pad } }));
        const res = await fetch(`${ff.url}/v1/batch`, { method: 'POST', headers: { authorization: `Basic ${btoa(`${site.writeKey}:`)}`, 'content-type': 'application/json' }, body: JSON.stringify({ batch }) });
        expect(res.status).toBe(200);
      }
      // Stored at shutdown, read back by a restarted binary.
      expect(await ff.stop()).toBe(0);
      const again = await startBinary([], { FOOTFALL_ADMIN_PASSWORD: 'export stall password' }, ff.dataDir);
      try {
        const relogin = (await (await fetch(`${again.url}/api/auth/login`, { method: 'POST', body: JSON.stringify({ username: 'admin', password: 'export stall password' }) })).json()) as { token: string };
        const res = await fetch(`${again.url}/api/websites/${site.id}/export`, { headers: { authorization: `Bearer ${relogin.token}` } });
        expect(res.status).toBe(200);
        const reader = res.body!.getReader();
        const first = await reader.read();
        expect(first.done).toBe(false);
        await Bun.sleep((BUN_IDLE_S + 3) * 1000); // the one wait: what is tested is Bun's own timer, which no test can drive
        let bytes = first.value!.byteLength;
        let tail = '';
        for (;;) {
          const r = await reader.read();
          if (r.done) break;
          bytes += r.value.byteLength;
          tail = (tail + new TextDecoder().decode(r.value.subarray(Math.max(0, r.value.byteLength - 200)))).slice(-400);
        }
        expect(bytes).toBeGreaterThan(20_000_000);
        expect(tail.endsWith('\n')).toBe(true);
        const lines = (await (await fetch(`${again.url}/api/websites/${site.id}/export`, { headers: { authorization: `Bearer ${relogin.token}` } })).text()).trimEnd().split('\n');
        expect(lines).toHaveLength(3000);
        expect(bytes).toBe(lines.join('\n').length + 1);
      } finally {
        await again.stop();
      }
    } finally {
      if (ff.proc.exitCode === null) await ff.stop();
    }
  }, 90_000);
});
