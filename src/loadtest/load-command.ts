/**
 * @module `footfall bench` (and `bun run bench:load`): argv → a realistic Prisme / RudderStack /
 * Umami-pixel mix against a running Footfall, live progress on stderr, one summary on stdout;
 * exit 1 when --ack-check finds stored ≠ acknowledged, 2 on bad options.
 */
import { accessSync, constants, existsSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDuration } from '../lib/duration.ts';
import { chartSvg, LOAD_DEFAULTS, runLoad, summary } from './load-run.ts';
import { parseMix } from './mix.ts';
import { readFlags } from '../lib/argv.ts';

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

/** Options that take a value (`--name value` or `--name=value`), and those that take none. */
const VALUE_OPTIONS = new Set(['target', 'duration', 'connections', 'mix', 'addresses', 'seed', 'user', 'password', 'json', 'svg']);
const FLAGS = new Set(['ack-check', 'quiet', 'help']);

/**
 * argv → option values and the flags set, or every problem: an unknown option, a value missing,
 * a flag given something other than true/false, a stray argument. The rules are every command's
 * (lib/argv.ts): `--name value`, `--name=value`, `--flag`, `--flag=false`, `--no-flag`; the last
 * of a repeated option wins.
 */
export function parseLoadArgs(args: string[]): { values: Map<string, string>; flags: Set<string>; problems: string[] } {
  const read = readFlags(args, (name) => (FLAGS.has(name) ? 'bool' : VALUE_OPTIONS.has(name) ? 'value' : undefined));
  const values = new Map<string, string>();
  const flags = new Set<string>();
  const problems = [...read.errors, ...read.rest.map((a) => `unexpected argument "${a}"`)];
  for (const { flag, text } of read.flags) {
    if (!FLAGS.has(flag)) values.set(flag, text);
    else if (/^true$/i.test(text)) flags.add(flag);
    else if (/^false$/i.test(text)) flags.delete(flag);
    else problems.push(`--${flag}: expected true or false, got "${text}"`);
  }
  return { values, flags, problems };
}

export async function loadCommand(args: string[], env: Record<string, string | undefined>, io: LoadIo): Promise<number> {
  const { values, flags, problems } = parseLoadArgs(args);
  const get = (name: string) => values.get(name);
  const has = (name: string) => flags.has(name);
  if (has('help')) {
    io.out(LOAD_HELP);
    return 0;
  }
  const target = get('target');
  // Plain HTTP only: the generator writes requests on a raw socket (a TLS proxy in front is the operator's).
  if (!target || URL.parse(target)?.protocol !== 'http:') problems.push('--target: expected an http:// URL such as http://127.0.0.1:8000');
  const durationMs = get('duration') !== undefined ? parseDuration(get('duration')!) : LOAD_DEFAULTS.durationMs;
  if (durationMs === null || durationMs <= 0) problems.push('--duration: expected a length above zero: 10s, 1m, …');
  for (const out of ['json', 'svg']) {
    const file = get(out);
    if (file !== undefined && !writable(file)) problems.push(`--${out}: cannot write ${file}`);
  }
  const connections = positiveInt(get('connections'), LOAD_DEFAULTS.connections);
  if (connections === null) problems.push('--connections: expected a positive integer');
  const addresses = positiveInt(get('addresses'), LOAD_DEFAULTS.addresses);
  if (addresses === null) problems.push('--addresses: expected a positive integer');
  const seedText = get('seed');
  const seed = seedText === undefined ? Math.floor(Math.random() * 2 ** 31) : /^\d{1,15}$/.test(seedText) ? Number(seedText) : null;
  if (seed === null) problems.push('--seed: expected a whole number, 0 or more');
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
      seed: seed!,
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
  const limited = Object.values(report.statuses).reduce((a, s) => a + (s['429'] ?? 0), 0);
  if (limited > report.requests * 0.01) {
    io.err(`footfall bench: ${limited} of ${report.requests} requests were rate limited (429): start the target with --trust-proxy, so that each simulated visitor has its own address\n`);
  }
  let failed = false;
  for (const [out, text] of [['json', () => JSON.stringify(report, null, 2)], ['svg', () => chartSvg(report)]] as const) {
    const file = get(out);
    if (file === undefined) continue;
    try {
      writeFileSync(file, text());
    } catch (e) {
      io.err(`footfall bench: --${out}: cannot write ${file}: ${(e as Error).message}\n`);
      failed = true;
    }
  }
  return failed || (report.ackCheck && !report.ackCheck.ok) || report.socketErrors ? 1 : 0;
}

/** Whether `file` can be written: the file itself if it exists, else its directory. */
function writable(file: string): boolean {
  try {
    accessSync(existsSync(file) ? file : dirname(resolve(file)), constants.W_OK);
    return !existsSync(file) || !statSync(file).isDirectory();
  } catch {
    return false;
  }
}
