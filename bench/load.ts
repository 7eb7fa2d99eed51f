/**
 * @module The load tool: `bun run bench:load -- --target http://host:port [--duration 30s]
 * [--connections 64] [--mix pageview=70,custom=15,rudder=10,pixel=5] [--ack-check]` drives a
 * realistic mix against any running Footfall (started with --trust-proxy), live progress on
 * stderr, one summary at the end; exits 1 when --ack-check finds stored ≠ acknowledged.
 */
import { writeFileSync } from 'node:fs';
import { parseDuration } from '../src/lib/duration.ts';
import { chartSvg, LOAD_DEFAULTS, runLoad, summary } from './lib/load-run.ts';
import { parseMix } from './lib/mix.ts';

const HELP = `footfall load tool: a realistic Prisme / RudderStack / Umami-pixel mix against a running Footfall.

  bun run bench:load -- --target http://127.0.0.1:8000 [options]

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
the management API, so every run's events are its own and can be counted exactly.`;

const args = process.argv.slice(2);
const get = (name: string) => {
  const i = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  return args[i]!.includes('=') ? args[i]!.slice(args[i]!.indexOf('=') + 1) : args[i + 1];
};
const has = (name: string) => args.includes(`--${name}`);
if (has('help') || !get('target')) {
  console.log(HELP);
  process.exit(has('help') ? 0 : 2);
}
const durationMs = get('duration') ? parseDuration(get('duration')!) : LOAD_DEFAULTS.durationMs;
if (durationMs === null) throw new Error(`--duration: expected 10s, 1m, …`);
const report = await runLoad({
  ...LOAD_DEFAULTS,
  target: get('target')!.replace(/\/$/, ''),
  durationMs,
  connections: Number(get('connections') ?? LOAD_DEFAULTS.connections),
  mix: get('mix') ? parseMix(get('mix')!) : LOAD_DEFAULTS.mix,
  addresses: Number(get('addresses') ?? LOAD_DEFAULTS.addresses),
  seed: Number(get('seed') ?? Math.floor(Math.random() * 2 ** 31)),
  ackCheck: has('ack-check'),
  username: get('user') ?? 'admin',
  password: get('password') ?? process.env.FOOTFALL_ADMIN_PASSWORD ?? '',
  progress: !has('quiet'),
});
console.log(summary(report));
if (get('json')) writeFileSync(get('json')!, JSON.stringify(report, null, 2));
if (get('svg')) writeFileSync(get('svg')!, chartSvg(report));
if (report.ackCheck && !report.ackCheck.ok) process.exit(1);
if (report.socketErrors) process.exit(1);
