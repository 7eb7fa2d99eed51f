/**
 * @module `footfall bench` (and `bun run bench:load`): argv → a realistic Prisme / RudderStack /
 * Umami-pixel mix against a running Footfall, live progress on stderr, one summary on stdout;
 * exit 1 when the run did not go cleanly (the setup failed, --ack-check finds stored ≠
 * acknowledged, an answer was not 2xx, the target dropped answered events, a socket failed,
 * a --rate was not held),
 * 2 on bad options, 130 when stopped by Ctrl-C (summarised all the same).
 */
import { accessSync, constants, existsSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDuration } from '../lib/duration.ts';
import { LOAD_DEFAULTS, runLoad } from './load-run.ts';
import { chartSvg, summary } from './load-summary.ts';
import { MAX_ADDRESSES, parseMix } from './mix.ts';
import { readFlags } from '../lib/argv.ts';
import { EXIT_INTERRUPTED, EXIT_USAGE } from '../cli/exit-codes.ts';

export const LOAD_HELP = `footfall bench: a realistic Prisme / RudderStack / Umami-pixel mix against a running Footfall.

  footfall bench --target http://127.0.0.1:8000 [options]
  (from a checkout: bun run bench:load -- --target … [options])

  --target URL          Footfall base URL, http:// (required; start it with --trust-proxy);
                        a path (http://host/footfall) is kept in front of every request
  --duration D          how long to drive it (default 30s)
  --connections N       keep-alive connections, one request in flight each (default 64, at most 10000)
  --rate R              send R requests a second on a fixed schedule, whatever the answers take,
                        and count latency from when each was due (default: as fast as it answers);
                        a run whose answers fall short of R (the target, or too few connections
                        for its latency) says so and exits 1
  --mix SPEC            family weights (default pageview=70,custom=15,rudder=10,pixel=5)
  --addresses N         distinct client addresses the visitors cycle through (default 200000)
  --seed N              workload seed, 0 to 4294967295 (default: random; printed in the summary)
  --ack-check           read the exports back: stored events must equal acknowledged events
                        (needs an admin: it reads the server's drop counters)
  --user NAME           admin user for the setup and read-back (default admin)
  --password PW         its password (default: $FOOTFALL_ADMIN_PASSWORD)
  --json FILE           write the run (figures, statuses, per-second series) as JSON
  --svg FILE            write a latency/throughput chart
  --quiet               no live progress line
  -h, --help            this text

It creates a fresh website (domain load-<tag>.bench.example, its write key) and a pixel through
the management API, so every run's events are its own and can be counted exactly; both stay on
the target with their events (the summary names them; delete them through the API when done).
events/s counts the events the target took: its 2xx answers, less what its counters say it
answered without storing (admins only); --ack-check reads them back from the exports.
Ctrl-C ends the phase under way: the setup (the run ends there), the load or the --ack-check
read-back (the run is summarised); a second Ctrl-C in a phase already asked to end quits at once.
Exit status: 0 for a clean run; 1 when the setup failed (login, website, pixel), an answer was
not 2xx, a socket failed, the target dropped events it answered (pixel hits while its write
buffer was full), --ack-check failed or a --rate was not held; 2 for bad options; 130 after Ctrl-C.
`;

export interface LoadIo {
  out(s: string): void;
  err(s: string): void;
}

/** Digits only (no `1e1`, `0x2`, ` 2`), from 1 to `max`; the fallback when not given. */
const positiveInt = (v: string | undefined, fallback: number, max: number): number | null => {
  if (v === undefined) return fallback;
  if (!/^\d{1,15}$/.test(v)) return null;
  const n = Number(v);
  return n > 0 && n <= max ? n : null;
};

/** The most connections one run may open: each is a socket (and a file descriptor) on both sides. */
export const MAX_CONNECTIONS = 10_000;
/** The highest --rate: one request a microsecond, far past what one generator sends. */
const MAX_RATE = 1_000_000;
const MAX_SEED = 2 ** 32 - 1;

/** Options that take a value (`--name value` or `--name=value`), and those that take none. */
const VALUE_OPTIONS = new Set(['target', 'duration', 'connections', 'rate', 'mix', 'addresses', 'seed', 'user', 'password', 'json', 'svg']);
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
    else if (/^(1|true|yes|on)$/i.test(text)) flags.add(flag);
    else if (/^(0|false|no|off)$/i.test(text)) flags.delete(flag);
    else problems.push(`--${flag}: expected true, yes, on or 1, or false, no, off or 0, got "${text}"`);
  }
  return { values, flags, problems };
}

/** What the run needs from the process: Ctrl-C, to end the run early (tests pass their own). */
export interface LoadSignals {
  /** Calls `onInterrupt` at each Ctrl-C until the returned function is called. */
  onInterrupt(onInterrupt: () => void): () => void;
}

const processSignals: LoadSignals = {
  onInterrupt(f) {
    process.on('SIGINT', f);
    return () => void process.off('SIGINT', f);
  },
};

/** What is wrong with a --target, or null: plain http:// (the generator writes raw sockets), no credentials, query or fragment. */
function targetProblem(target: string | undefined): string | null {
  const u = target === undefined ? null : URL.parse(target);
  if (!u || u.protocol !== 'http:' || !u.hostname) return '--target: expected an http:// URL such as http://127.0.0.1:8000';
  if (u.username || u.password) return '--target: no user or password in the URL (they would be printed with it): use --user and --password';
  if (u.search || u.hash) return '--target: no query or fragment: the base URL only, with a path if Footfall is served under one';
  return null;
}

export async function loadCommand(args: string[], env: Record<string, string | undefined>, io: LoadIo, signals: LoadSignals = processSignals): Promise<number> {
  // -h is --help, unless it is an option's value (--password -h).
  args = args.map((a, i) => (a === '-h' && !(i > 0 && VALUE_OPTIONS.has(args[i - 1]!.replace(/^--/, ''))) ? '--help' : a));
  const { values, flags, problems } = parseLoadArgs(args);
  const get = (name: string) => values.get(name);
  const has = (name: string) => flags.has(name);
  if (has('help')) {
    io.out(LOAD_HELP);
    return 0;
  }
  const target = get('target');
  // Plain HTTP only: the generator writes requests on a raw socket (a TLS proxy in front is the operator's).
  const badTarget = target === undefined ? '--target is required: the Footfall to drive, as http://127.0.0.1:8000' : targetProblem(target);
  if (badTarget) problems.push(badTarget);
  const durationMs = get('duration') !== undefined ? parseDuration(get('duration')!) : LOAD_DEFAULTS.durationMs;
  // Whole milliseconds: 0.1ms would be a run of no time at all.
  if (durationMs === null || durationMs < 1) problems.push('--duration: expected a length of at least 1ms: 10s, 1m, …');
  for (const out of ['json', 'svg']) {
    const file = get(out);
    if (file === '-') problems.push(`--${out}: expected a file name (the summary is what goes to standard output)`);
    else if (file === '') problems.push(`--${out}: expected a file name, got an empty one`);
    else if (file !== undefined && !writable(file)) problems.push(`--${out}: cannot write ${file}`);
  }
  if (get('json') && get('svg') && resolve(get('json')!) === resolve(get('svg')!)) problems.push('--json and --svg: one file each (the chart would overwrite the run)');
  const connections = positiveInt(get('connections'), LOAD_DEFAULTS.connections, MAX_CONNECTIONS);
  if (connections === null) problems.push(`--connections: expected a whole number from 1 to ${MAX_CONNECTIONS}`);
  const rateText = get('rate');
  // A plain decimal (0.5 is one request every 2 s), at most one a microsecond.
  const rate = rateText === undefined ? undefined : /^\d{1,7}(\.\d{1,6})?$/.test(rateText) && Number(rateText) > 0 && Number(rateText) <= MAX_RATE ? Number(rateText) : null;
  if (rate === null) problems.push(`--rate: expected requests a second, a number above 0 and at most ${MAX_RATE}`);
  const addresses = positiveInt(get('addresses'), LOAD_DEFAULTS.addresses, MAX_ADDRESSES);
  if (addresses === null) problems.push(`--addresses: expected a whole number from 1 to ${MAX_ADDRESSES} (the public addresses it draws from)`);
  const seedText = get('seed');
  const seed = seedText === undefined ? Math.floor(Math.random() * 2 ** 31) : /^\d{1,10}$/.test(seedText) && Number(seedText) <= MAX_SEED ? Number(seedText) : null;
  if (seed === null) problems.push(`--seed: expected a whole number from 0 to ${MAX_SEED}`);
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
    return EXIT_USAGE;
  }
  let report;
  // Ctrl-C ends the phase under way (the setup, the load, then the --ack-check read-back): a
  // setup stopped ends the run there; a load or read-back stopped is summarised. Ctrl-C again
  // in a phase already asked to end quits at once.
  let interrupted = false;
  let phase: 'setup' | 'load' | 'read-back' = 'setup';
  let endPhase = false;
  const setupStopped = new AbortController();
  const stopListening = signals.onInterrupt(() => {
    if (endPhase) process.exit(EXIT_INTERRUPTED);
    interrupted = endPhase = true;
    io.err(`\nfootfall bench: stopping the ${phase} (Ctrl-C again to quit at once)\n`);
    if (phase === 'setup') setupStopped.abort(new Error('interrupted (Ctrl-C) during the setup'));
  });
  try {
    report = await runLoad({
      ...LOAD_DEFAULTS,
      target: target!.replace(/\/+$/, ''),
      durationMs: durationMs!,
      connections: connections!,
      ...(rate != null ? { rate } : {}),
      mix,
      addresses: addresses!,
      seed: seed!,
      ackCheck: has('ack-check'),
      username: get('user') ?? 'admin',
      password: get('password') ?? env.FOOTFALL_ADMIN_PASSWORD ?? '',
      progress: !has('quiet'),
      setupSignal: setupStopped.signal,
      beforeDrive: () => {
        phase = 'load';
      },
      stop: () => endPhase,
      afterDrive: () => {
        phase = 'read-back';
        endPhase = false;
      },
      stopReadBack: () => endPhase,
      onReadBack: has('quiet') ? undefined : (what) => io.err(`${what}\n`),
    });
  } catch (e) {
    // The setup (login, website, pixel) failed: say so in one line.
    io.err(`footfall bench: ${(e as Error).message}\n`);
    return interrupted ? 130 : 1;
  } finally {
    stopListening();
  }
  io.out(summary(report) + '\n');
  const limited = Object.values(report.statuses).reduce((a, s) => a + (s['429'] ?? 0), 0);
  if (limited > report.requests * 0.01) {
    // The limiter allows each client address 60 Prisme requests a minute, and the tool keeps each
    // visitor well under it: many 429s mean the target saw fewer addresses than the tool sent.
    const causes = [
      'the target runs without --trust-proxy (it then sees one address, the tool\'s)',
      'a proxy in front of it appends its own peer address to X-Forwarded-For (as nginx\'s $proxy_add_x_forwarded_for does): the target takes the right-most address it does not trust, so that proxy\'s address must be in the target\'s --trusted-proxies (and the tool\'s too, when the tool is not on a private network), or the proxy must pass the header through',
    ];
    if (seedText !== undefined) causes.push(`the same --seed (${report.seed}) ran against this target less than a minute ago: a seed draws the same addresses`);
    if (addresses! < 10_000) causes.push(`--addresses (${addresses}) is too few for this rate`);
    io.err(`footfall bench: ${limited} of ${report.requests} requests were rate limited (429): the simulated visitors did not reach the target with addresses of their own. Either\n${causes.map((c) => `  - ${c}`).join('\n')}\n`);
  }
  if (report.rate && !report.rate.held && report.requests > 0 && !interrupted) {
    io.err(`footfall bench: --rate ${report.rate.asked} was not held: ${report.requests} of the ${report.rate.due} requests due were answered; either the target cannot take that rate, or ${report.connections} connections are too few for it: each carries one request at a time, so the rate times the target's answer time in seconds must stay well under --connections\n`);
  }
  if (report.requests === 0) io.err('footfall bench: no request was answered\n');
  else if (report.non2xx > 0) {
    const other = Object.values(report.statuses).flatMap((m) => Object.entries(m)).filter(([st]) => !st.startsWith('2'));
    const byStatus = new Map<string, number>();
    for (const [st, n] of other) byStatus.set(st, (byStatus.get(st) ?? 0) + n);
    io.err(`footfall bench: ${report.non2xx} of ${report.requests} answers were not 2xx (${[...byStatus].map(([st, n]) => `${st}: ${n}`).join(', ')})\n`);
  }
  const lost = report.answeredNotStored?.bufferFull ?? 0;
  if (lost > 0) {
    io.err(`footfall bench: ${lost} pixel hits were answered with the GIF but not stored: the target's write buffer was full (--buffer-max), so it did not store what this load sent; its 503s, if any, are the Prisme side of the same\n`);
  }
  const check = report.ackCheck;
  if (check && check.done && !check.ok && check.lost === 0) {
    io.err(`footfall bench: --ack-check: the exports hold ${check.stored} of this run's events, not the ${check.acknowledged - check.reloads} acknowledged (see the summary)\n`);
  } else if (check?.error && check.done === false && !interrupted) io.err(`footfall bench: --ack-check failed: ${check.error}\n`);
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
  if (interrupted) return EXIT_INTERRUPTED;
  const rateMissed = report.rate !== undefined && !report.rate.held;
  return failed || (report.ackCheck && !report.ackCheck.ok) || lost > 0 || report.socketErrors || report.non2xx || report.requests === 0 || rateMissed ? 1 : 0;
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
