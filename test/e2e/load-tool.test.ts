import { describe, expect, it } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBinary, startBinary, tempDir } from '../helpers/binary.ts';

const PASSWORD = 'load-tool-e2e-password';

/** Starts `footfall bench` with these arguments; its output is read as it comes. */
function spawnBench(args: string[], env: Record<string, string> = {}) {
  const p = Bun.spawn([ensureBinary(), 'bench', ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdout: 'pipe', stderr: 'pipe' });
  return { p, stdout: new Response(p.stdout).text(), stderr: new Response(p.stderr).text() };
}

async function run(args: string[], env: Record<string, string> = {}) {
  const b = spawnBench(args, env);
  const [stdout, stderr, code] = await Promise.all([b.stdout, b.stderr, b.p.exited]);
  return { stdout, stderr, code };
}

/** Waits until the target's write buffer has taken `n` events (the bench is driving it), reading /api/metrics as the admin. */
async function targetHasTaken(url: string, n: number): Promise<void> {
  const login = await fetch(`${url}/api/auth/login`, { method: 'POST', body: JSON.stringify({ username: 'admin', password: PASSWORD }) });
  const auth = { authorization: `Bearer ${((await login.json()) as { token: string }).token}` };
  for (let i = 0; ; i++) {
    const m = (await (await fetch(`${url}/api/metrics`, { headers: auth })).json()) as { buffer: { accepted: number } };
    if (m.buffer.accepted >= n) return;
    if (i > 500) throw new Error('the bench never reached the target');
    await Bun.sleep(20);
  }
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
      expect(r.stderr).toMatch(/^\s*\d+\.\d s\s+\d+ req\/s\s+non-2xx 0\s+socket errors 0\s+p99 so far \d+\.\d\d ms$/m);
      expect(r.stdout).toContain('seed 42');
      expect(r.stdout).toMatch(/^requests\/s \d+\s+events\/s \d+\s+\(\d+ requests\)$/m);
      expect(r.stdout).toMatch(/^latency ms\s+p50 \d+\.\d\d\s+p90 \d+\.\d\d\s+p99 \d+\.\d\d\s+max \d+\.\d\d$/m);
      expect(r.stdout).toMatch(/^statuses\s+pageview 200:\d+.*socket errors 0$/m);
      expect(r.stdout).toMatch(/ack-check\s+stored \d+ .* OK/);
      // What it left on the target, named.
      expect(r.stdout).toMatch(/^created\s+website [0-9a-f-]{36} \(load-.*\.bench\.example\), pixel [0-9a-f-]{36} \(load-.*\): left on the target/m);
      const report = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { requests: number; seconds: unknown[]; ackCheck: { ok: boolean; stored: number; acknowledged: number }; statuses: Record<string, number> };
      expect(report.requests).toBeGreaterThan(100);
      expect(report.ackCheck.ok).toBe(true);
      expect(report.ackCheck.stored).toBe(report.ackCheck.acknowledged);
      const svg = readFileSync(join(dir, 'run.svg'), 'utf8');
      expect(svg).toStartWith('<svg');
      // req/s, p99 and p50, one point per second, the run's last part-second included.
      const lines = [...svg.matchAll(/<polyline [^>]*points="([^"]*)"/g)].map((m) => m[1]!.split(' ').length);
      expect(lines.length).toBe(3);
      expect(report.seconds.length).toBeGreaterThanOrEqual(2);
      for (const points of lines) expect(points).toBe(report.seconds.length);
      expect((report.seconds as { requests: number }[]).reduce((a, s) => a + s.requests, 0)).toBe(report.requests);
    } finally {
      expect(await ff.stop()).toBe(0);
    }
  }, 60_000);

  it('sends at a fixed --rate, counting latency from each due time, and fails a run whose rate was not held', async () => {
    const ff = await startBinary(['--trust-proxy'], { FOOTFALL_ADMIN_PASSWORD: PASSWORD });
    try {
      const held = await run(['--target', ff.url, '--duration', '2s', '--connections', '8', '--rate', '150', '--ack-check', '--quiet'], { FOOTFALL_ADMIN_PASSWORD: PASSWORD });
      expect([held.code, held.stderr]).toEqual([0, '']);
      const requests = Number(/\((\d+) requests\)/.exec(held.stdout)?.[1]);
      expect(requests).toBeGreaterThanOrEqual(285);
      expect(requests).toBeLessThanOrEqual(301);
      expect(held.stdout).toMatch(/^requests\/s \d+\s+events\/s \d+\s+\(\d+ requests\)\s+--rate 150: held$/m);
      expect(held.stdout).toMatch(/^latency ms \(from each request's due time\)\s+p50 /m);
      expect(held.stdout).toMatch(/ack-check\s+stored \d+ .* OK/);
      // Two connections cannot carry a million requests a second: said, and exit 1.
      const missed = await run(['--target', ff.url, '--duration', '1s', '--connections', '2', '--rate', '1000000', '--quiet'], { FOOTFALL_ADMIN_PASSWORD: PASSWORD });
      expect(missed.code).toBe(1);
      expect(missed.stdout).toMatch(/--rate 1000000: NOT HELD$/m);
      expect(missed.stderr).toMatch(/^footfall bench: --rate 1000000 was not held: \d+ of the 1000000 requests due were answered; either the target cannot take that rate, or 2 connections are too few/m);
    } finally {
      expect(await ff.stop()).toBe(0);
    }
  }, 60_000);

  it('fails the run when the target answered pixel hits with the GIF but dropped them for a full write buffer: those events are lost, and events/s leaves them out', async () => {
    const ff = await startBinary(['--trust-proxy', '--buffer-max', '200', '--flush-size', '200', '--flush-interval', '500ms'], { FOOTFALL_ADMIN_PASSWORD: PASSWORD });
    try {
      const dir = tempDir();
      const r = await run(['--target', ff.url, '--duration', '2s', '--connections', '16', '--mix', 'rudder=50,pixel=50', '--ack-check', '--quiet', '--json', join(dir, 'run.json')], { FOOTFALL_ADMIN_PASSWORD: PASSWORD });
      type Report = { durationS: number; 'events/s': number; answeredNotStored: { bufferFull: number; reloads: number }; ackCheck: { ok: boolean; stored: number; acknowledged: number; lost: number; reloads: number } };
      const report = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as Report;
      expect(report.answeredNotStored.bufferFull).toBeGreaterThan(0);
      expect(report.ackCheck.lost).toBe(report.answeredNotStored.bufferFull);
      // Everything else it answered is stored: the check tells lost from missing.
      expect(report.ackCheck.stored).toBe(report.ackCheck.acknowledged - report.ackCheck.lost - report.ackCheck.reloads);
      expect(report.ackCheck.ok).toBe(false);
      expect(report['events/s'] * report.durationS).toBeCloseTo(report.ackCheck.stored, 0);
      expect(r.stdout).toMatch(/ack-check\s+stored \d+ .*less \d+ pixel hits LOST .*: LOST EVENTS/);
      expect(r.stderr).toMatch(/\d+ pixel hits were answered with the GIF but not stored: the target's write buffer was full/);
      expect(r.code).toBe(1);
    } finally {
      expect(await ff.stop()).toBe(0);
    }
  }, 60_000);

  it('stops at Ctrl-C during the setup without waiting out a target that does not answer', async () => {
    const silent = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Promise<Response>(() => {}) });
    try {
      const { p, stderr } = spawnBench(['--target', `http://127.0.0.1:${silent.port}`, '--duration', '5s', '--quiet'], { FOOTFALL_ADMIN_PASSWORD: PASSWORD });
      await Bun.sleep(500);
      const asked = performance.now();
      p.kill('SIGINT');
      expect(await p.exited).toBe(130);
      // The login waits up to 15 s for an answer; Ctrl-C ends it at once.
      expect(performance.now() - asked).toBeLessThan(5_000);
      expect(await stderr).toContain('stopping the setup (Ctrl-C again to quit at once)');
    } finally {
      silent.stop(true);
    }
  }, 60_000);

  it('keeps a handful of sockets and still reports its run when the target goes away mid-run', async () => {
    const ff = await startBinary(['--trust-proxy'], { FOOTFALL_ADMIN_PASSWORD: PASSWORD });
    const dir = tempDir();
    const { p, stdout, stderr } = spawnBench(['--target', ff.url, '--duration', '4s', '--connections', '8', '--quiet', '--json', join(dir, 'run.json')], { FOOTFALL_ADMIN_PASSWORD: PASSWORD });
    try {
      // Once it is driving load (the target has taken hits), the target stops.
      await targetHasTaken(ff.url, 1);
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

  it('drives a Footfall served under a path through a proxy, every request under that path', async () => {
    const ff = await startBinary(['--trust-proxy'], { FOOTFALL_ADMIN_PASSWORD: PASSWORD });
    const outside: string[] = [];
    const proxy = Bun.serve({
      hostname: '127.0.0.1', port: 0,
      async fetch(req) {
        const u = new URL(req.url);
        if (!u.pathname.startsWith('/ff/')) return outside.push(u.pathname), new Response('not here', { status: 404 });
        const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : await req.arrayBuffer();
        const res = await fetch(ff.url + u.pathname.slice(3) + u.search, { method: req.method, headers: req.headers, body, redirect: 'manual' });
        return new Response(await res.arrayBuffer(), { status: res.status, headers: res.headers });
      },
    });
    try {
      const r = await run(['--target', `http://127.0.0.1:${proxy.port}/ff/`, '--duration', '2s', '--connections', '4', '--ack-check', '--quiet'], { FOOTFALL_ADMIN_PASSWORD: PASSWORD });
      expect(outside).toEqual([]);
      expect(r.stdout).toMatch(/ack-check\s+stored [1-9]\d* .*: OK/);
      expect(r.code).toBe(0);
    } finally {
      proxy.stop(true);
      await ff.stop();
    }
  }, 60_000);

  it('waits for a server that flushes seldom to store what it acknowledged before reading the exports back', async () => {
    const ff = await startBinary(['--trust-proxy', '--flush-interval', '4s', '--flush-size', '100000'], { FOOTFALL_ADMIN_PASSWORD: PASSWORD });
    try {
      const r = await run(['--target', ff.url, '--duration', '1s', '--connections', '4', '--ack-check', '--quiet'], { FOOTFALL_ADMIN_PASSWORD: PASSWORD });
      expect(r.stdout).toMatch(/ack-check\s+stored [1-9]\d* .*: OK/);
      expect(r.code).toBe(0);
    } finally {
      await ff.stop();
    }
  }, 60_000);

  it('ends a run at Ctrl-C and summarises it, writing its files, with exit status 130', async () => {
    const ff = await startBinary(['--trust-proxy'], { FOOTFALL_ADMIN_PASSWORD: PASSWORD });
    const dir = tempDir();
    const started = performance.now();
    const { p, stdout, stderr } = spawnBench(['--target', ff.url, '--duration', '60s', '--connections', '4', '--ack-check', '--json', join(dir, 'run.json')], { FOOTFALL_ADMIN_PASSWORD: PASSWORD });
    try {
      await targetHasTaken(ff.url, 101);
      p.kill('SIGINT');
      expect(await p.exited).toBe(130);
      expect(performance.now() - started).toBeLessThan(30_000);
      expect(await stdout).toMatch(/ack-check\s+stored [1-9]\d* .*: OK/);
      expect(await stderr).toContain('stopping the load (Ctrl-C again to quit at once)');
      expect((JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { requests: number }).requests).toBeGreaterThan(100);
    } finally {
      p.kill();
      await ff.stop();
    }
  }, 60_000);

  it('fails a run whose answers were not all 2xx, says before any load that --ack-check needs an admin, and that a target answering otherwise is not a Footfall', async () => {
    // No --trust-proxy: every visitor shares the test's address, and the limiter answers 429.
    const ff = await startBinary([], { FOOTFALL_ADMIN_PASSWORD: PASSWORD });
    const other = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => Response.json({}) });
    try {
      const limited = await run(['--target', ff.url, '--duration', '1s', '--connections', '4', '--mix', 'pageview=100', '--quiet'], { FOOTFALL_ADMIN_PASSWORD: PASSWORD });
      expect(limited.code).toBe(1);
      expect(limited.stderr).toMatch(/answers were not 2xx \(429: \d+\)/);
      expect(limited.stderr).toContain('the target runs without --trust-proxy');

      const login = await fetch(`${ff.url}/api/auth/login`, { method: 'POST', body: JSON.stringify({ username: 'admin', password: PASSWORD }) });
      const token = ((await login.json()) as { token: string }).token;
      const created = await fetch(`${ff.url}/api/users`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ username: 'bob', password: 'bob-password-123', role: 'user' }) });
      expect(created.status).toBe(200);
      const bob = await fetch(`${ff.url}/api/auth/login`, { method: 'POST', body: JSON.stringify({ username: 'bob', password: 'bob-password-123' }) });
      const bobToken = ((await bob.json()) as { token: string }).token;
      const websites = async () => ((await (await fetch(`${ff.url}/api/websites`, { headers: { authorization: `Bearer ${bobToken}` } })).json()) as { count: number }).count;
      const before = await websites();
      const notAdmin = await run(['--target', ff.url, '--duration', '30s', '--ack-check', '--user', 'bob', '--password', 'bob-password-123', '--quiet']);
      expect(notAdmin.code).toBe(1);
      expect(notAdmin.stderr).toMatch(/--ack-check reads the server's drop counters, and \/api\/metrics answered 401: log in as an admin/);
      expect(notAdmin.stdout).toBe('');
      // Said before it made anything on the target.
      expect(await websites()).toBe(before);

      const foreign = await run(['--target', `http://127.0.0.1:${other.port}`, '--duration', '1s', '--quiet'], { FOOTFALL_ADMIN_PASSWORD: PASSWORD });
      expect(foreign.code).toBe(1);
      expect(foreign.stderr).toContain('login answered 200 without token: is the target a Footfall?');
    } finally {
      other.stop(true);
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
