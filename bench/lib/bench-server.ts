/** @module Bench helpers: start dist/footfall and the bare Bun.serve baseline, sample RSS, read the shutdown counters. */
import { readFileSync } from 'node:fs';
import { benchDir } from './temp-dir.ts';
import { join, resolve } from 'node:path';
import type { Subprocess } from 'bun';

/** The binary under test: dist/footfall, or FOOTFALL_BIN (e.g. an older build to compare against), read at each start. */
const binary = () => process.env.FOOTFALL_BIN || resolve(import.meta.dir, '../../dist/footfall');

/**
 * Polls `url` until it answers below 500. With `proc`, a server that exits first fails at once
 * with its exit code. The wait is bounded by time, not by a count of tries: a server started
 * from source on a busy 2-core box (bench/profile.ts) has taken longer than a count of 10 ms
 * sleeps allowed.
 */
export async function waitFor(url: string, proc?: { exitCode: number | null; signalCode?: unknown }, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (proc && proc.exitCode !== null) throw new Error(`the server for ${url} exited (code ${proc.exitCode}) before it answered`);
    if (proc?.signalCode) throw new Error(`the server for ${url} was killed (${proc.signalCode}) before it answered`);
    try {
      const r = await fetch(url);
      if (r.status < 500) return;
    } catch {}
    await Bun.sleep(10);
  }
  throw new Error(`${url} never answered in ${timeoutMs / 1000} s`);
}

export function freePort(): number {
  const s = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
  const p = s.port;
  s.stop(true);
  return p;
}

/** The bare server; with `workUs`, the model server that computes that long per request (see baseline-server.ts). */
export async function startBaseline(workUs = 0): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const port = freePort();
  const p = Bun.spawn([process.execPath, join(import.meta.dir, 'baseline-server.ts'), String(port), String(workUs)], { stdout: 'ignore', stderr: 'inherit' });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(url + '/', p);
  return { url, pid: p.pid, stop: async () => void (p.kill('SIGTERM'), await p.exited) };
}

export interface FootfallRun {
  url: string;
  pid: number;
  dataDir: string;
  /** SIGTERM, wait, and return the counters of the "stopped cleanly" log line. */
  stop(): Promise<{ code: number; committed: number; drops: Record<string, number>; uaCache: { hits: number; misses: number }; pixelUaCache: { hits: number; misses: number } }>;
}

export async function startFootfall(args: string[], env: Record<string, string> = {}, dataDir = benchDir('footfall-bench-')): Promise<FootfallRun> {
  const port = freePort();
  const proc: Subprocess<'ignore', 'ignore', 'pipe'> = Bun.spawn(
    [binary(), 'serve', '--host', '127.0.0.1', '--port', String(port), '--data-dir', dataDir, '--log-format', 'json', ...args],
    { stdin: 'ignore', stdout: 'ignore', stderr: 'pipe', env: { PATH: process.env.PATH ?? '', FOOTFALL_ADMIN_PASSWORD: 'bench-admin-password', ...env } },
  );
  const errText = new Response(proc.stderr).text();
  const url = `http://127.0.0.1:${port}`;
  await waitFor(url + '/api/v1/healthcheck', proc);
  return {
    url,
    pid: proc.pid,
    dataDir,
    async stop() {
      proc.kill('SIGTERM');
      const code = await proc.exited;
      const text = await errText;
      const line = text.split('\n').find((l) => l.includes('"stopped cleanly"'));
      const j = line ? JSON.parse(line) : {};
      return { code, committed: j.committed ?? -1, drops: j.drops ?? {}, uaCache: j.uaCache ?? { hits: 0, misses: 0 }, pixelUaCache: j.pixelUaCache ?? { hits: 0, misses: 0 } };
    },
  };
}

/** A live process's resident set size now, MB (Linux /proc); NaN once it has ended. */
export function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Peak resident set size of a process while `during` runs, sampled every 100 ms (Linux /proc). */
export async function peakRss<T>(pid: number, during: Promise<T>): Promise<{ result: T; peakMb: number }> {
  let peak = 0;
  let done = false;
  const sampler = (async () => {
    while (!done) {
      const mb = rssMb(pid);
      if (mb > peak) peak = mb;
      await Bun.sleep(100);
    }
  })();
  const result = await during;
  done = true;
  await sampler;
  return { result, peakMb: peak };
}

/** RSS sampled every 100 ms into the current phase's peak; `phase(name)` starts the next phase. */
export function rssPhases(pid: number): { phase(name: string): void; stop(): Record<string, number> } {
  const peaks: Record<string, number> = {};
  let current = 'start';
  const sample = () => {
    const mb = rssMb(pid);
    if (mb > (peaks[current] ?? 0)) peaks[current] = mb;
  };
  const timer = setInterval(sample, 100);
  return {
    phase(name) {
      sample();
      current = name;
      sample();
    },
    stop() {
      clearInterval(timer);
      sample();
      return peaks;
    },
  };
}
