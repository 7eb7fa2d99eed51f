import { describe, expect, it } from 'bun:test';
import { readFileSync } from 'node:fs';
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
