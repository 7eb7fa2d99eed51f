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
      const r = await run(['--target', ff.url, '--duration', '2s', '--connections', '8', '--ack-check', '--quiet', '--seed', '42',
        '--json', join(dir, 'run.json'), '--svg', join(dir, 'run.svg')], { FOOTFALL_ADMIN_PASSWORD: PASSWORD });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('seed 42');
      expect(r.stdout).toMatch(/ack-check\s+stored \d+ .* OK/);
      const report = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { requests: number; ackCheck: { ok: boolean; stored: number; acknowledged: number }; statuses: Record<string, number> };
      expect(report.requests).toBeGreaterThan(100);
      expect(report.ackCheck.ok).toBe(true);
      expect(report.ackCheck.stored).toBe(report.ackCheck.acknowledged);
      expect(readFileSync(join(dir, 'run.svg'), 'utf8')).toStartWith('<svg');
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
