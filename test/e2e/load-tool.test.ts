import { describe, expect, it } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBinary, startBinary, tempDir } from '../helpers/binary.ts';

const PASSWORD = 'load-tool-e2e-password';

async function run(args: string[], env: Record<string, string> = {}) {
  const p = Bun.spawn([ensureBinary(), 'bench', ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdout: 'pipe', stderr: 'pipe' });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { stdout, stderr, code };
}

describe('footfall bench (the load tool inside the binary)', () => {
  it('drives the realistic mix at a running Footfall and finds every acknowledged event stored', async () => {
    const ff = await startBinary(['--trust-proxy'], { FOOTFALL_ADMIN_PASSWORD: PASSWORD });
    try {
      const dir = tempDir();
      const r = await run(['--target', ff.url, '--duration', '2s', '--connections', '8', '--ack-check', '--seed', '42',
        '--json', join(dir, 'run.json'), '--svg', join(dir, 'run.svg')], { FOOTFALL_ADMIN_PASSWORD: PASSWORD });
      expect(r.code).toBe(0);
      // The live progress line, once a second (a line each when stderr is not a terminal).
      expect(r.stderr).toMatch(/^\s*\d+ s\s+\d+ req\/s\s+errors 0\s+p99 so far \d+\.\d\d ms$/m);
      expect(r.stdout).toContain('seed 42');
      expect(r.stdout).toMatch(/^requests\/s \d+\s+events\/s \d+\s+\(\d+ requests\)$/m);
      expect(r.stdout).toMatch(/^latency ms\s+p50 \d+\.\d\d\s+p90 \d+\.\d\d\s+p99 \d+\.\d\d\s+max \d+\.\d\d$/m);
      expect(r.stdout).toMatch(/^statuses\s+pageview 200:\d+.*socket errors 0$/m);
      expect(r.stdout).toMatch(/ack-check\s+stored \d+ .* OK/);
      const report = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { requests: number; seconds: unknown[]; ackCheck: { ok: boolean; stored: number; acknowledged: number }; statuses: Record<string, number> };
      expect(report.requests).toBeGreaterThan(100);
      expect(report.ackCheck.ok).toBe(true);
      expect(report.ackCheck.stored).toBe(report.ackCheck.acknowledged);
      const svg = readFileSync(join(dir, 'run.svg'), 'utf8');
      expect(svg).toStartWith('<svg');
      // req/s, p99 and p50, one point per second.
      const lines = [...svg.matchAll(/<polyline [^>]*points="([^"]*)"/g)].map((m) => m[1]!.split(' ').length);
      expect(lines.length).toBe(3);
      expect(report.seconds.length).toBeGreaterThanOrEqual(1);
      for (const points of lines) expect(points).toBe(report.seconds.length);
    } finally {
      expect(await ff.stop()).toBe(0);
    }
  }, 60_000);

  it('counts the 200s a full write buffer answers without storing (GIF hits) as the server reports them, not as a mismatch', async () => {
    const ff = await startBinary(['--trust-proxy', '--buffer-max', '200', '--flush-size', '200', '--flush-interval', '500ms'], { FOOTFALL_ADMIN_PASSWORD: PASSWORD });
    try {
      const dir = tempDir();
      const r = await run(['--target', ff.url, '--duration', '2s', '--connections', '16', '--mix', 'rudder=50,pixel=50', '--ack-check', '--quiet', '--json', join(dir, 'run.json')], { FOOTFALL_ADMIN_PASSWORD: PASSWORD });
      const report = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { ackCheck: { ok: boolean; stored: number; acknowledged: number; answeredNotStored: number } };
      expect(report.ackCheck.answeredNotStored).toBeGreaterThan(0);
      expect(report.ackCheck.stored).toBe(report.ackCheck.acknowledged - report.ackCheck.answeredNotStored);
      expect(r.stdout).toMatch(/ack-check\s+stored \d+ .*less \d+ answered but not stored.*: OK/);
      expect(r.code).toBe(0);
    } finally {
      expect(await ff.stop()).toBe(0);
    }
  }, 60_000);

  it('keeps a handful of sockets and still reports its run when the target goes away mid-run', async () => {
    const ff = await startBinary(['--trust-proxy'], { FOOTFALL_ADMIN_PASSWORD: PASSWORD });
    const dir = tempDir();
    const p = Bun.spawn([ensureBinary(), 'bench', '--target', ff.url, '--duration', '4s', '--connections', '8', '--quiet', '--json', join(dir, 'run.json')], {
      env: { PATH: process.env.PATH ?? '', FOOTFALL_ADMIN_PASSWORD: PASSWORD }, stdout: 'pipe', stderr: 'pipe',
    });
    try {
      const stdout = new Response(p.stdout).text();
      const stderr = new Response(p.stderr).text();
      // Once it is driving load (the target has taken hits), the target stops.
      const login = await fetch(`${ff.url}/api/auth/login`, { method: 'POST', body: JSON.stringify({ username: 'admin', password: PASSWORD }) });
      const auth = { authorization: `Bearer ${((await login.json()) as { token: string }).token}` };
      for (let i = 0; ; i++) {
        const m = (await (await fetch(`${ff.url}/api/metrics`, { headers: auth })).json()) as { buffer: { accepted: number } };
        if (m.buffer.accepted > 0) break;
        if (i > 300) throw new Error('the bench never reached the target');
        await Bun.sleep(20);
      }
      expect(await ff.stop()).toBe(0);
      await Bun.sleep(1000);
      // It reconnects with a growing wait, one attempt per connection at a time (it had 1,700 descriptors 0.3 s after the target went).
      const fds = readdirSync(`/proc/${p.pid}/fd`).length;
      expect(fds).toBeLessThan(100);
      expect(await p.exited).toBe(1);
      expect(await stdout).toMatch(/^statuses\s+pageview 200:\d+.*socket errors [1-9]\d*/m);
      expect((JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { socketErrors: number }).socketErrors).toBeGreaterThan(0);
      expect(await stderr).not.toContain('EMFILE');
    } finally {
      p.kill();
      await ff.stop();
    }
  }, 60_000);

  it('exits 2 listing every bad option, and 1 when it cannot log in', async () => {
    const bad = await run(['--target', 'not a url', '--connections', '0', '--mix', 'pageview=x']);
    expect(bad.code).toBe(2);
    for (const what of ['--target', '--connections', '--mix']) expect(bad.stderr).toContain(what);
    const ff = await startBinary(['--trust-proxy'], { FOOTFALL_ADMIN_PASSWORD: PASSWORD });
    try {
      const denied = await run(['--target', ff.url, '--duration', '1s', '--quiet', '--password', 'wrong']);
      expect(denied.code).toBe(1);
      expect(denied.stderr).toMatch(/^footfall bench: .*(401|login)/im);
    } finally {
      await ff.stop();
    }
  }, 60_000);
});
