/** @module Runs wrk (Debian's package) against a URL and parses requests/s and latency percentiles. */
import { processCpuUs, whenServing, type LoadStartHook } from './cpu-split.ts';

export interface WrkResult {
  rps: number;
  p50ms: number;
  p99ms: number;
  requests: number;
  errors: number;
  non2xx: number;
  /** wrk's own CPU time (user + system), µs: the generator's share of the machine. */
  generatorCpuUs: number;
}

export function haveWrk(): boolean {
  return Bun.which('wrk') !== null;
}

/**
 * What every wrk scenario starts with: wrk must be there (else the scenario exits 1, naming
 * itself), and the run's shape from BENCH_SECONDS (per run), BENCH_ROUNDS and BENCH_CONNECTIONS.
 */
export function wrkScenario(name: string, defaultSeconds = 5): { durationS: number; rounds: number; connections: number } {
  if (!haveWrk()) {
    console.error(`${name}: wrk not found (apt-get install wrk)`);
    process.exit(1);
  }
  return {
    durationS: Number(process.env.BENCH_SECONDS ?? defaultSeconds),
    rounds: Number(process.env.BENCH_ROUNDS ?? 3),
    connections: Number(process.env.BENCH_CONNECTIONS ?? 64),
  };
}

const unit = (v: string, u: string) => Number(v) * (u === 'us' ? 0.001 : u === 's' ? 1000 : u === 'm' ? 60_000 : 1);

/**
 * `hook` (cpu-split.ts): once the server starts answering, after wrk has built its request pool,
 * it is told so, with wrk's CPU spent until then.
 */
export async function wrk(url: string, opts: { connections: number; durationS: number; threads?: number; script?: string; hook?: LoadStartHook }): Promise<WrkResult> {
  const args = ['wrk', '--latency', `-t${opts.threads ?? 1}`, `-c${opts.connections}`, `-d${opts.durationS}s`];
  if (opts.script) args.push('-s', opts.script);
  args.push(url);
  const p = Bun.spawn(args, { stdout: 'pipe', stderr: 'pipe' });
  const hook = opts.hook;
  if (hook) {
    void whenServing(hook.serverPid).then((started) => {
      if (!started) return;
      try {
        hook.onLoadStart(processCpuUs(p.pid));
      } catch {
        // wrk already gone: the window stays the whole run.
      }
    });
  }
  const out = await new Response(p.stdout).text();
  if ((await p.exited) !== 0) throw new Error(`wrk failed: ${await new Response(p.stderr).text()}`);
  const cpu = p.resourceUsage()?.cpuTime;
  const lat = (q: string) => {
    const m = new RegExp(`^\\s*${q}%\\s+([\\d.]+)(us|ms|s|m)`, 'm').exec(out);
    return m ? unit(m[1]!, m[2]!) : NaN;
  };
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN),
    p50ms: lat('50'),
    p99ms: lat('99'),
    requests: Number(/(\d+) requests in/.exec(out)?.[1] ?? 0),
    errors: sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
    generatorCpuUs: cpu ? Number(cpu.total) : NaN,
  };
}
