/** @module The entry point: the only place that reads argv/env and opens resources; closes them in reverse on SIGTERM/SIGINT/SIGHUP. */
import { writeStderr } from './lib/stderr.ts';
import { accessSync, constants, existsSync, fstatSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { adminPasswordIssue, loadConfig, quoted, readableFileIssue, shadowedEnvNames, unknownEnvNames, type Config } from './config.ts';
import { createApp } from './app.ts';
import { helpText } from './cli/help.ts';
import { systemdUnit, unitArgs, unitCannotRead, unitCannotRun } from './cli/systemd-unit.ts';
import { userCommand } from './cli/user.ts';
import { bootstrapAdmin } from './accounts/bootstrap.ts';
import { passwordHasher } from './accounts/passwords.ts';
import { SqliteMetaStore } from './store/sqlite/sqlite-meta-store.ts';
import { createLogger, type Logger } from './lib/log.ts';
import { systemClock } from './lib/clock.ts';
import { writeBufferFromConfig, type WriteBuffer } from './buffer/write-buffer.ts';
import { DropCounter } from './ingest/drop-reasons.ts';
import { openDatabase, unusableDatabase } from './store/sqlite/open-database.ts';
import { sourceWorkerUrls, ThreadedSqliteEventStore, type WorkerUrls } from './store/sqlite/threaded-event-store.ts';
import { VERSION } from './version.ts';
import { buildPrisme } from './ingest/build-prisme.ts';
import { loadDefaultGeoDatabase, openGeoReader, type GeoReader } from './ingest/geo.ts';
import { LOCK_FILE, lockDataDir, lockFileProblem, type DataDirLock } from './store/sqlite/data-dir-lock.ts';
import { fileFate, type FileIdentity } from './store/sqlite/file-identity.ts';

/** Exit codes: 2 = bad options, 3 = the database cannot be used, 4 = cannot listen, 5 = data directory in use, 1 = anything else. */
const EXIT_USAGE = 2;
/** The database cannot be used: written by a newer Footfall, not a database, damaged, not writable. */
const EXIT_DATABASE = 3;
/** The address cannot be listened on: in use by another process, not this machine's, not allowed. */
const EXIT_LISTEN = 4;
/** Another `footfall serve` holds the data directory. */
const EXIT_DATA_DIR_IN_USE = 5;
/** How often the database file is checked for being still the one opened (file-identity.ts). */
const DB_FILE_CHECK_MS = 2000;
/** How long the request thread's database connection waits for a lock another process holds. */
const REQUEST_THREAD_BUSY_TIMEOUT_MS = 1000;
/**
 * Bun's own cap on a request body, far above every API's own (4 MiB at most), which each applies
 * with its own 413 as its upstream words it (RudderStack's `request size exceeds max limit`,
 * Prisme's `Server: prisme` and CORS headers). Under Bun's cap a larger body got Bun's bare 413
 * instead, with no body and no CORS headers, so a browser SDK could not read it. A body no route
 * reads is not held in memory: Bun leaves it on the socket while the handler runs, and once the
 * answer is sent reads the rest and throws it away (~0.3 s of CPU a GiB, what the client spent
 * sending it). Every route that reads a body counts it as it arrives against its own limit and
 * the body pools (request-values.ts); none falls back to Elysia's whole-body parsers. 20
 * connections uploading 200 MB each (declared and chunked) to every kind of route kept the
 * binary's RSS at 77–126 MB, the top being the ingest pool's 64 MiB of chunked bodies.
 */
const MAX_REQUEST_BODY = 1024 * 1024 * 1024;

async function main(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  if (argv[0] === 'bench') {
    // Loaded only for this command: the server's start-up does not pay for the load tool.
    const { loadCommand } = await import('./loadtest/load-command.ts');
    return loadCommand(argv.slice(1), env, { out: (s) => process.stdout.write(s), err: (s) => writeStderr(s) });
  }
  if (argv.includes('--help') || argv.includes('-h') || argv[0] === 'help') {
    process.stdout.write(helpText());
    return 0;
  }
  if (argv.includes('--version') || argv[0] === 'version') {
    process.stdout.write(`footfall ${VERSION} (bun ${Bun.version})\n`);
    return 0;
  }
  const [first, ...rest] = argv;
  const sub = first && !first.startsWith('-') ? first : 'serve';
  const args = sub === first ? rest : argv;
  switch (sub) {
    case 'serve':
      return serve(args, env);
    case 'systemd-unit':
      return printUnit(args, env);
    case 'user':
      return userCommand(args, env, { out: (s) => process.stdout.write(s), err: (s) => writeStderr(s) });
    default:
      writeStderr(`footfall: unknown command "${sub}" (see footfall --help)\n`);
      return EXIT_USAGE;
  }
}

/**
 * JavaScriptCore sizes its heap for the machine's RAM: on a 24 GB box it let garbage pile up to
 * ~255 MB RSS under the Prisme benchmark, where sizing for 1 GiB held it at ~185 MB at the same
 * speed. mimalloc keeps freed pages for 10 ms by default; handing them back at once costs nothing
 * measurable and drops the start-up password hash's memory before the first request (111 → 73 MB).
 * A collection once the heap has grown to 1.6× what the last one left (JSC's default for heaps
 * under a quarter of RAM is 2×) brings the 1M-address load and its export read-back from ~172–179
 * to ~142–153 MB for up to ~5 % of request-thread CPU on Umami hits (none measurable on the mixed
 * load); 1.5 cost far more collections for little memory. While a collection runs concurrently the
 * heap may grow 1.5× past its trigger by default; stopping the program at 1.1× instead let the
 * collector finish sooner on a 2-core box shared with the load: 8 alternating runs, mixed load
 * +2–6 % req/s, 1M-address load peak ~3 MB lower.
 * The options are read only when the engine starts, so `serve` replaces its own process image
 * (same pid, same arguments) once with them set; an operator's own value of any of them wins.
 */
const HEAP_SETTINGS: Readonly<Record<string, string>> = {
  BUN_JSC_forceRAMSize: String(1 << 30),
  BUN_JSC_smallHeapGrowthFactor: '1.6',
  BUN_JSC_concurrentGCMaxHeadroom: '1.1',
  MIMALLOC_PURGE_DELAY: '0',
};

/** The engine settings sizeHeapForService() would add, or none when it will not replace the process image. */
function missingHeapSettings(env: Record<string, string | undefined>): [string, string][] {
  if (process.platform !== 'linux' || typeof process.execve !== 'function') return [];
  return Object.entries(HEAP_SETTINGS).filter(([k]) => env[k] === undefined);
}

/** Whether `serve` is about to replace its process image (and start over with these options). */
function replacesImage(env: Record<string, string | undefined>): boolean {
  return missingHeapSettings(env).length > 0;
}

function sizeHeapForService(env: Record<string, string | undefined>): void {
  const missing = missingHeapSettings(env);
  if (missing.length === 0) return;
  // A compiled binary lists its embedded entry point as argv[1]; run from source, argv[1] is the
  // script. Runtime flags (`bun --cpu-prof src/main.ts`) are in execArgv and must come along;
  // a compiled binary's execArgv are the ones built into it (package.json), applied again by
  // the new image itself, and would reach it as arguments of ours.
  const argv = isCompiled() ? [process.execPath, ...process.argv.slice(2)] : [process.execPath, ...process.execArgv, ...process.argv.slice(1)];
  try {
    process.execve!(process.execPath, argv, { ...env, ...Object.fromEntries(missing) } as Record<string, string>);
  } catch {
    // execve returns only on failure (the binary replaced on disk, a sandbox refusing it): run as we are.
  }
}

/**
 * Lines an operator must see whatever --log-level (the one-time admin password, a failed listen):
 * as they are, or with --log-format json as JSON objects like every other line.
 */
function operatorLines(format: Config['logFormat'], level: 'warn' | 'error'): (text: string) => void {
  const json = createLogger('debug', 'json');
  return (text) => {
    for (const line of text.split('\n')) {
      if (!line) continue;
      if (format === 'json') json[level](line.replace(/^footfall: /, ''));
      else writeStderr(line + '\n');
    }
  };
}

const SIGHUP = 1;

/** Whether the process was started ignoring a signal (Linux: SigIgn in /proc/self/status; elsewhere, assumed not). */
function signalIgnoredAtStart(signal: number): boolean {
  try {
    const mask = /^SigIgn:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return mask !== undefined && ((BigInt('0x' + mask) >> BigInt(signal - 1)) & 1n) === 1n;
  } catch {
    return false;
  }
}

/** True inside the binary built by `bun build --compile`: its entry point is an embedded file. */
function isCompiled(): boolean {
  return process.argv[1]?.startsWith('/$bunfs/') ?? false;
}

/**
 * The writer's and (with `--ack durable`) the WAL checkpointer's thread modules. In the binary
 * they are the second and third embedded entry points (package.json's build script), named by
 * their embedded paths:
 * `bun build --bytecode` (Bun 1.4) leaves import.meta.url at the build machine's source file, so a
 * URL made from it loaded the writer from that source tree on disk when it was there, and on any
 * other machine never started it.
 */
function workerUrls(ack: Config['ack']): WorkerUrls {
  const urls = isCompiled()
    ? { writer: '/$bunfs/root/store/sqlite/event-writer-worker.js', checkpointer: '/$bunfs/root/store/sqlite/wal-checkpointer-worker.js' }
    : sourceWorkerUrls();
  // Only durable answers wait for commits, so only they gain from checkpoints off the writer (wal-checkpointer.ts).
  return ack === 'durable' ? urls : { ...urls, checkpointer: null };
}

/**
 * argv and env → the config, or null once every problem is reported: the options', stray
 * arguments, and those `more` finds in what could be read (all at once, not one fix at a time).
 */
/** `more`: the caller's own checks, told how many problems the options already have. */
function configOrExit(args: string[], env: Record<string, string | undefined>, more: (config: Config, others: number) => (string | null)[] = () => []): Config | null {
  const r = loadConfig(args, env);
  const found = [...(r.ok ? [] : r.errors), ...r.rest.map((a) => `unexpected argument ${quoted(a)}`)];
  const problems = [...found, ...more(r.config, found.length).filter((p) => p !== null)];
  if (problems.length === 0) return r.config;
  badOptions(problems, '(see footfall --help)\n');
  return null;
}

const prefixed = (head: string, problem: string | null): string | null => (problem === null ? null : head + problem);

/** Why listening failed, in the operator's words. */
function listenFailure(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'EADDRINUSE' ? 'the address is in use'
    : code === 'EACCES' ? 'permission denied'
    : code === 'ENOENT' || code === 'EADDRNOTAVAIL' ? 'not an address of this machine, or a name that does not resolve'
    : (e as Error).message;
}

/**
 * Why the server could not listen on host:port, found by listening there a moment before
 * anything is created, or null.
 */
function listenIssue(host: string, port: number): string | null {
  try {
    // The very call the server listens with (Bun.listen refuses a bracketed [::1] that it takes);
    // port 0 too, which proves the host.
    Bun.serve({ hostname: host, port, reusePort: false, development: false, fetch: () => new Response(null, { status: 503 }) }).stop(true);
    return null;
  } catch (e) {
    return listenFailure(e);
  }
}

/** Why this user could neither write in the data directory nor create it, or null (a path that is no directory is config's). */
function dataDirAccessIssue(dir: string): string | null {
  let at = resolve(dir);
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  try {
    accessSync(at, constants.W_OK);
    return null;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return at === resolve(dir) ? `--data-dir: this user may not write in ${dir} (${code})` : `--data-dir: this user may not create ${dir} (${code} on ${at})`;
  }
}

/** The --geoip-db file opened, or why it is not a MaxMind database (serve and systemd-unit refuse it alike). */
function openGeoDb(path: string): GeoReader | string {
  try {
    return openGeoReader(path);
  } catch (e) {
    return `--geoip-db: ${path} is not a MaxMind database: ${(e as Error).message}`;
  }
}

/** Reports options that cannot be used (exit EXIT_USAGE follows), one problem a line. */
function badOptions(problems: string[], hint = ''): void {
  writeStderr(`footfall: invalid options:\n${problems.map((p) => `  - ${p}`).join('\n')}\n${hint}`);
}

function printUnit(args: string[], env: Record<string, string | undefined>): number {
  const config = configOrExit(args, env);
  if (!config) return EXIT_USAGE;
  // The unit carries the options the environment gives as flags: a misspelt name would be lost quietly.
  for (const name of unknownEnvNames(env)) writeStderr(`footfall: ${name} ignored: no option has this name (see footfall --help)\n`);
  for (const { used, ignored } of shadowedEnvNames(env, args)) writeStderr(`footfall: ${ignored} ignored: ${used} sets the same option to another value, and comes first\n`);
  const unit = unitArgs(args, env);
  const binaryPath = resolve(process.execPath);
  // What serve would refuse at start, the service would be restarted on for ever: said now.
  const geo = config.geoipDb ? openGeoDb(config.geoipDb) : null;
  const problems = [
    'error' in unit ? unit.error : null,
    config.geoipDb ? unitCannotRead('geoip-db', config.geoipDb) : null,
    typeof geo === 'string' ? geo : null,
    unitCannotRun(binaryPath),
  ].filter((p): p is string => p !== null);
  if ('error' in unit || problems.length) {
    badOptions(problems, '(see footfall --help)\n');
    return EXIT_USAGE;
  }
  // What a stop may take: 2 s for the answers in flight, the drain, and a margin; systemd kills
  // the service past it.
  const stopTimeoutS = Math.ceil(drainDeadlineMs(config.bufferMax) / 1000) + 10;
  process.stdout.write(systemdUnit({ binaryPath, args: unit.args, stateDirectory: unit.stateDirectory, stopTimeoutS, port: config.port }));
  return 0;
}

async function serve(args: string[], env: Record<string, string | undefined>): Promise<number> {
  // The first start (no database yet) will make the admin with FOOTFALL_ADMIN_PASSWORD, and a
  // --geoip-db must be a MaxMind database: both checked with the rest, so that every problem is
  // said at once. The database is opened once: here when the options have other problems (or no
  // new image follows), else by the new image sizeHeapForService() replaces this one with.
  let geo: GeoReader | null = null;
  const notMaxMind = (path: string): string | null => {
    const opened = openGeoDb(path);
    if (typeof opened === 'string') return opened;
    geo = opened;
    return null;
  };
  const config = configOrExit(args, env, (c, others) => [
    existsSync(join(c.dataDir, 'footfall.db')) ? null : adminPasswordIssue(env.FOOTFALL_ADMIN_PASSWORD),
    // An unreadable path is already one of the others.
    c.geoipDb && readableFileIssue(c.geoipDb) === null && (others > 0 || !replacesImage(env)) ? notMaxMind(c.geoipDb) : null,
    // With other problems to fix anyway, these are said with them (all at once); alone, each
    // is said below with its own status (3, 4).
    others > 0 ? dataDirAccessIssue(c.dataDir) : null,
    // Not with a port that is itself one of the others (`--port -1`): its own line says it.
    others > 0 && Number.isInteger(c.port) && c.port >= 0 && c.port <= 65535 ? prefixed(`--host/--port: cannot listen on ${c.host}:${c.port}: `, listenIssue(c.host, c.port)) : null,
  ]);
  if (!config) return EXIT_USAGE;
  sizeHeapForService(env);
  const log = createLogger(config.logLevel, config.logFormat);
  for (const name of unknownEnvNames(env)) log.warn('environment variable ignored: no option has this name (see footfall --help)', { name });
  for (const { used, ignored } of shadowedEnvNames(env, args)) log.warn('environment variable ignored: another name of the same option comes first', { name: ignored, used });
  if (!geo && config.geoipDb) {
    const problem = notMaxMind(config.geoipDb);
    if (problem) {
      badOptions([problem]);
      return EXIT_USAGE;
    }
  }
  geo ??= openGeoReader(await loadDefaultGeoDatabase());
  log.info('geoip database', { type: geo.info.databaseType, built: geo.info.buildDate, source: config.geoipDb || 'embedded' });

  // The address first: a first start that cannot listen must not have made the database and the
  // admin, whose one-time password it would print and then exit on (the next start prints none).
  const cannotListen = listenIssue(config.host, config.port);
  if (cannotListen) {
    operatorLines(config.logFormat, 'error')(`footfall: cannot listen on ${config.host}:${config.port}: ${cannotListen}\n`);
    return EXIT_LISTEN;
  }
  // The database holds every user's password hash and every site's events: what this process
  // creates (the directory if new, footfall.db, its -wal and -shm, the lock) is its user's alone,
  // as the systemd unit's UMask=0077 makes it. A directory or file that exists keeps its mode.
  process.umask(0o077);
  try {
    mkdirSync(config.dataDir, { recursive: true });
  } catch (e) {
    operatorLines(config.logFormat, 'error')(`footfall: cannot use the data directory ${resolve(config.dataDir)}: cannot create it: ${(e as Error).message}\n`);
    return EXIT_DATABASE;
  }
  try {
    accessSync(config.dataDir, constants.W_OK);
  } catch (e) {
    // Files owned by another user after a manual deploy, a read-only mount: say so, not SQLite's "unable to open".
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EROFS' ? 'it is on a read-only filesystem' : `this user (uid ${process.getuid?.() ?? '?'}) may not write in it (${code})`;
    operatorLines(config.logFormat, 'error')(`footfall: cannot use the data directory ${resolve(config.dataDir)}: ${why}\n`);
    return EXIT_DATABASE;
  }
  let lock: DataDirLock | null;
  try {
    lock = lockDataDir(config.dataDir);
  } catch (e) {
    // Not a bad option (exit 2 is not restarted): a full disk, a lock file another user made.
    operatorLines(config.logFormat, 'error')(`footfall: cannot use the data directory ${resolve(config.dataDir)}: ${lockFileProblem(config.dataDir, e)}\n`);
    return EXIT_DATABASE;
  }
  if (!lock) {
    operatorLines(config.logFormat, 'error')(
      `footfall: another footfall serve is using the data directory ${resolve(config.dataDir)} (it holds ${LOCK_FILE} there; \`footfall user\` holds it too, for the moment it opens the database): stop it first, or give this one a --data-dir of its own\n`,
    );
    return EXIT_DATA_DIR_IN_USE;
  }
  const dbPath = join(config.dataDir, 'footfall.db');
  /**
   * The database cannot be opened or written: said in one line, naming the file, not as a stack
   * trace. Only SQLite's own errors are that; anything else is a bug, and thrown on.
   */
  const unusable = (e: unknown): number => {
    const why = unusableDatabase(e, resolve(dbPath));
    if (why === null) throw e;
    operatorLines(config.logFormat, 'error')(`footfall: ${why}\n`);
    lock.release();
    return EXIT_DATABASE;
  };
  let db;
  try {
    db = openDatabase(dbPath, undefined, (msg, fields) => log.warn(msg, fields));
  } catch (e) {
    return unusable(e);
  }
  // Inserts run on a writer thread with its own connection; scans (export) use this one. The
  // thread starts while the rest of start-up goes on (checked once the server listens).
  const events = ThreadedSqliteEventStore.start(dbPath, db, workerUrls(config.ack));
  const passwords = passwordHasher();
  let meta: SqliteMetaStore;
  try {
    meta = new SqliteMetaStore(db);
    // Before listening, so the admin can log in as soon as "listening" is logged. Only the very
    // first start hashes a password (argon2id, ~200 ms); a restart skips it.
    const passwordProblem = meta.users.countAll() === 0 ? adminPasswordIssue(env.FOOTFALL_ADMIN_PASSWORD) : null;
    if (passwordProblem) {
      badOptions([passwordProblem]);
      await events.close();
      db.close();
      lock.release();
      return EXIT_USAGE;
    }
    await bootstrapAdmin(meta, passwords, env.FOOTFALL_ADMIN_PASSWORD, operatorLines(config.logFormat, 'warn'), Date.now());
    meta.tokens.purgeExpired(Date.now());
  } catch (e) {
    // A database that opens but cannot be read or written (damaged, its file read-only).
    await events.close().catch(() => {});
    db.close();
    return unusable(e);
  }
  // From now on this connection is the request thread's: a lock another process holds on the
  // file (a sqlite3 shell) may stall it, and every request with it, this long at most before the
  // write that waits is answered 503 (start-up above, and the writer thread, keep SQLite's 5 s).
  db.exec(`PRAGMA busy_timeout = ${REQUEST_THREAD_BUSY_TIMEOUT_MS}`);
  const drops = new DropCounter();
  const buffer = writeBufferFromConfig(config, events, (tally) => drops.addTally(tally), log);
  buffer.start();
  const { prisme, limiter, pixelLimiter } = buildPrisme(config, systemClock, geo, meta.salts, log);
  // Prisme's GC period: idle sessions leave after 24 h; the sweep is O(devices) every 10 s.
  const sweeper = setInterval(() => prisme.sessions.sweep(), 10_000);
  // The database file deleted or replaced while running (a backup put back with `mv`): what is
  // written from then on goes to a file no path leads to, lost at exit. Stop instead, so that a
  // restart (the service manager's, or the operator's) writes to the file the path names.
  let stopServer: ((signal: string, fileLost?: string, exitCode?: number) => Promise<void>) | null = null;
  const opened = statIdentity(dbPath);
  // A descriptor of our own on the file, to ask it whether any name still leads to it: renamed
  // (`mv footfall.db elsewhere`), it lives on and takes what the buffer holds; unlinked, it dies
  // at exit. (Only closed with the process: closing a descriptor drops SQLite's locks on the file.)
  const ownFd = openSync(dbPath, 'r');
  const fileWatch = setInterval(() => {
    const now = statIdentity(dbPath);
    // A stat that failed for another reason than the file being gone (a permission changed on a
    // parent, a network filesystem's hiccup) says nothing about it: the open file still works.
    if (opened === null || opened === 'unknown' || now === 'unknown') return;
    const fate = fileFate(opened, now);
    if (fate === 'same') return;
    clearInterval(fileWatch);
    const livesOn = fstatSync(ownFd).nlink > 0;
    log.error(
      livesOn
        ? `the database file was ${fate === 'removed' ? 'moved' : 'moved away and another put in its place'} while running: stopping after writing what is buffered into it (under its new name); restarted, Footfall uses the file at the path`
        : `the database file was ${fate} while running: stopping, as what is stored from now on would be lost with the old file`,
      { path: resolve(dbPath) },
    );
    void stopServer?.('database-' + fate, livesOn ? undefined : fate, EXIT_DATABASE);
  }, DB_FILE_CHECK_MS);
  const app = createApp({ config, log, clock: systemClock, buffer, events, drops, version: VERSION, prisme, limiter, pixelLimiter, meta, passwords });
  for (const origin of prisme.origins.uncovered()) {
    log.warn('--origins entry covered by no website: its events are stored under none (GET /api/events/unassigned/export); create a website with that domain to count them under it', { origin });
  }

  let server: { port?: number; stop(force?: boolean): Promise<void> } | null = null;
  const SIGNALS = new Set(['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP']);
  /** How long after the first signal a second one means "exit now" rather than the same one again. */
  const SECOND_SIGNAL_AFTER_MS = 1000;
  /** When the operator's first signal arrived (0: none yet); a stop of its own (the database moved) is no signal. */
  let signalledAt = 0;
  return new Promise<number>((done) => {
    let stopping = false;
    /**
     * `exitCode`: the status to end with whatever the drain says (a failed listen). `fileLost`:
     * what became of the database file (removed, replaced); what the buffer holds is not written
     * into the old file, and is reported lost.
     */
    const stop = async (signal: string, fileLost?: string, exitCode?: number) => {
      if (stopping) {
        // A second signal while the flush waits (a full disk, another process's lock; up to ~27 s):
        // the operator wants out now, as a second Ctrl-C asks. What is still buffered is lost, and
        // said so. Not within a second of the first: a terminal's Ctrl-C can reach the process twice
        // (a wrapper forwarding it too), and closing the terminal just after sends a SIGHUP.
        if (!SIGNALS.has(signal)) return;
        const now = performance.now();
        if (signalledAt > 0 && now - signalledAt >= SECOND_SIGNAL_AFTER_MS) {
          log.error('second signal: exiting now, without waiting for the flush', { signal, lost: buffer.size });
          process.exit(1);
        }
        if (signalledAt === 0) {
          signalledAt = now;
          log.info('already stopping: writing what is buffered; a second signal from a second on exits without waiting', { signal, waiting: buffer.size });
        }
        return;
      }
      if (SIGNALS.has(signal)) signalledAt = performance.now();
      stopping = true;
      log.info('shutting down', { signal, waiting: buffer.size });
      // The file is gone: from now on nothing is acknowledged (503s, not 200s for events written
      // into a file no path leads to), and what the buffer holds now is what is lost with it.
      const lostWaiting = fileLost ? buffer.size : 0;
      if (fileLost) buffer.close();
      clearInterval(sweeper);
      clearInterval(fileWatch);
      prisme.sessions.close();
      const drained = await shutdown(log, server, buffer, () => ({ drops: drops.snapshot(), uaCache: prisme.ua.stats(), pixelUaCache: buffer.builderUaCache() }), async () => {
        await events.close();
        db.close();
        lock.release();
      }, config.bufferMax, fileLost ? { fate: fileLost, waiting: lostWaiting } : undefined);
      done(exitCode ?? (fileLost ? EXIT_DATABASE : drained));
    };
    stopServer = stop;
    // Handlers first, then listen: with them after listen, a SIGINT sent the moment "listening"
    // was logged killed the process (exit 130) once startup had an await (the admin bootstrap).
    process.on('SIGTERM', () => void stop('SIGTERM'));
    process.on('SIGINT', () => void stop('SIGINT'));
    // Ctrl-\\ and `kill -QUIT`: as cleanly as SIGTERM (by default it would end the process on the
    // spot, with the buffered events).
    process.on('SIGQUIT', () => void stop('SIGQUIT'));
    // What log rotation hooks send to have logs reopened: the log goes to standard error, which
    // the service manager or shell holds, so there is nothing to reopen; by default these signals
    // would end the process on the spot.
    for (const signal of ['SIGUSR1', 'SIGUSR2'] as const) process.on(signal, () => log.info('signal ignored: the log is standard error, nothing to reopen', { signal }));
    // The terminal or SSH session of a server started by hand went away: stop as cleanly, rather
    // than die with the events acknowledged but not yet written. Unless it was started to outlive
    // its terminal (`nohup`, which makes it ignore SIGHUP): a handler would undo that.
    if (!signalIgnoredAtStart(SIGHUP)) process.on('SIGHUP', () => void stop('SIGHUP'));
    // development: false — Elysia turns Bun's development mode on unless NODE_ENV=production, and that
    // mode would answer an uncaught error with a stack trace page.
    // reusePort off (Elysia turns it on): a second Footfall on a port in use must fail, not
    // silently take half the connections with a database of its own.
    try {
      app.listen({ hostname: config.host, port: config.port, maxRequestBodySize: MAX_REQUEST_BODY, development: false, reusePort: false });
    } catch (e) {
      operatorLines(config.logFormat, 'error')(`footfall: cannot listen on ${config.host}:${config.port}: ${listenFailure(e)}\n`);
      void stop('listen-failed', undefined, EXIT_LISTEN);
      return;
    }
    server = app.server!;
    // An IPv6 host is written in brackets, as a URL takes it.
    const host = config.host.includes(':') && !config.host.startsWith('[') ? `[${config.host}]` : config.host;
    log.info('footfall listening', { url: `http://${host}:${server.port}`, version: VERSION, dataDir: resolve(config.dataDir), ack: config.ack });
    events.ready.catch((e) => {
      log.error('the event writer thread did not start; stopping', { error: String(e) });
      void stop('writer-failed');
    });
    void events.checkpointerRunning().then((running) => {
      if (!running && config.ack === 'durable') log.warn('the WAL checkpointer thread did not start; the writer checkpoints by itself', { error: events.checkpointerError });
    });
  });
}

/** The file at `path` (device, inode), null when nothing is there, 'unknown' when the stat failed otherwise. */
function statIdentity(path: string): FileIdentity | null | 'unknown' {
  try {
    const st = statSync(path);
    return { dev: st.dev, ino: st.ino };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? null : 'unknown';
  }
}

/**
 * How long the flush at exit may try: 20 s, or the time a full buffer takes at 20k events/s (a
 * slow disk; ~150k/s is usual) when --buffer-max makes that longer. The systemd unit's
 * TimeoutStopSec is this and a margin.
 */
function drainDeadlineMs(bufferMax: number): number {
  return Math.max(20_000, Math.ceil(bufferMax / 20));
}

/** Reverse order of opening: stop accepting, drain the buffer, close the store. */
async function shutdown(
  log: Logger,
  /** null when it never listened */
  server: { stop(force?: boolean): Promise<void> } | null,
  buffer: WriteBuffer,
  counters: () => Record<string, unknown>,
  closeStore: () => Promise<void>,
  bufferMax: number,
  /** The database file was removed or replaced (`fate`), and what the buffer held then: nothing more is written into the old one. */
  fileLost?: { fate: string; waiting: number },
): Promise<number> {
  // Give in-flight requests a moment to finish answering, then cut idle keep-alive connections.
  // Requests still waiting for their commit (--ack durable, the database not taking writes) get
  // their 503 + Retry-After first, instead of a reset connection: their events stay queued and
  // are written by the drain below, as every late ack's are.
  if (server) {
    const stopped = server.stop(false);
    await Promise.race([stopped, Bun.sleep(2_000)]);
    if (buffer.answerWaitingLate() > 0) await Promise.race([stopped, Bun.sleep(500)]);
    void server.stop(true);
  }
  if (fileLost) {
    buffer.close();
    await closeStore();
    log.error(`events lost with the database file ${fileLost.fate} while running`, {
      waiting: fileLost.waiting, alsoLost: `what was stored in the ${DB_FILE_CHECK_MS / 1000} s before the change was seen`, committed: buffer.snapshot().committed,
    });
    return EXIT_DATABASE;
  }
  const left = await buffer.drain(drainDeadlineMs(bufferMax));
  await closeStore();
  const stats = buffer.snapshot();
  if (left > 0) {
    log.error('could not write every buffered event before exit', { lost: left, committed: stats.committed });
    return 1;
  }
  log.info('stopped cleanly', { committed: stats.committed, flushFailures: stats.flushFailures, rejectedFull: stats.rejectedFull, ...counters() });
  return 0;
}

main(process.argv.slice(2), process.env).then(
  (code) => process.exit(code),
  (err) => {
    writeStderr(`footfall: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  },
);
