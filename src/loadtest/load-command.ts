/**
 * @module `footfall bench` (and `bun run bench:load`): argv → a realistic Prisme / RudderStack /
 * Umami-pixel mix against a running Footfall, live progress on stderr, one summary on stdout;
 * exit 1 when --ack-check finds stored ≠ acknowledged, 2 on bad options.
 */
import { writeFileSync } from 'node:fs';
import { parseDuration } from '../lib/duration.ts';
import { chartSvg, LOAD_DEFAULTS, runLoad, summary } from './load-run.ts';
import { parseMix } from './mix.ts';

export const LOAD_HELP = `footfall bench: a realistic Prisme / RudderStack / Umami-pixel mix against a running Footfall.

  footfall bench --target http://127.0.0.1:8000 [options]
  (from a checkout: bun run bench:load -- --target … [options])

  --target URL          Footfall base URL (required; start it with --trust-proxy)
  --duration D          how long to drive it (default 30s)
  --connections N       keep-alive connections, one request in flight each (default 64)
  --mix SPEC            family weights (default pageview=70,custom=15,rudder=10,pixel=5)
  --addresses N         distinct client addresses the visitors cycle through (default 200000)
  --seed N              workload seed (default: random; printed in the summary)
  --ack-check           read the exports back: stored events must equal acknowledged events
  --user NAME           admin user for the setup and read-back (default admin)
  --password PW         its password (default: $FOOTFALL_ADMIN_PASSWORD)
  --json FILE           write the run (figures, statuses, per-second series) as JSON
  --svg FILE            write a latency/throughput chart
  --quiet               no live progress line

It creates a fresh website (domain load-<tag>.bench.example, its write key) and a pixel through
the management API, so every run's events are its own and can be counted exactly.
`;

export interface LoadIo {
  out(s: string): void;
  err(s: string): void;
}

const positiveInt = (v: string | undefined, fallback: number): number | null => {
  if (v === undefined) return fallback;
  const n = Number(v);
  return Number.isInteger(n) && n > 0 ? n : null;
};

export async function loadCommand(args: string[], env: Record<string, string | undefined>, io: LoadIo): Promise<number> {
  const get = (name: string) => {
    const i = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
    if (i < 0) return undefined;
    return args[i]!.includes('=') ? args[i]!.slice(args[i]!.indexOf('=') + 1) : args[i + 1];
  };
  const has = (name: string) => args.includes(`--${name}`);
  if (has('help')) {
    io.out(LOAD_HELP);
    return 0;
  }
  const problems: string[] = [];
  const target = get('target');
  if (!target || URL.parse(target) === null) problems.push('--target: expected a URL such as http://127.0.0.1:8000');
  const durationMs = get('duration') !== undefined ? parseDuration(get('duration')!) : LOAD_DEFAULTS.durationMs;
  if (durationMs === null) problems.push('--duration: expected 10s, 1m, …');
  const connections = positiveInt(get('connections'), LOAD_DEFAULTS.connections);
  if (connections === null) problems.push('--connections: expected a positive integer');
  const addresses = positiveInt(get('addresses'), LOAD_DEFAULTS.addresses);
  if (addresses === null) problems.push('--addresses: expected a positive integer');
  let mix = LOAD_DEFAULTS.mix;
  if (get('mix') !== undefined) {
    try {
      mix = parseMix(get('mix')!);
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  if (problems.length) {
    io.err(`footfall bench: invalid options:\n${problems.map((p) => `  - ${p}`).join('\n')}\n(see footfall bench --help)\n`);
    return 2;
  }
  let report;
  try {
    report = await runLoad({
    ...LOAD_DEFAULTS,
    target: target!.replace(/\/$/, ''),
    durationMs: durationMs!,
    connections: connections!,
    mix,
    addresses: addresses!,
    seed: Number(get('seed') ?? Math.floor(Math.random() * 2 ** 31)),
    ackCheck: has('ack-check'),
    username: get('user') ?? 'admin',
    password: get('password') ?? env.FOOTFALL_ADMIN_PASSWORD ?? '',
    progress: !has('quiet'),
    });
  } catch (e) {
    // Setup (login, website, pixel) or the read-back failed: say so in one line.
    io.err(`footfall bench: ${(e as Error).message}\n`);
    return 1;
  }
  io.out(summary(report) + '\n');
  if (get('json')) writeFileSync(get('json')!, JSON.stringify(report, null, 2));
  if (get('svg')) writeFileSync(get('svg')!, chartSvg(report));
  return (report.ackCheck && !report.ackCheck.ok) || report.socketErrors ? 1 : 0;
}
