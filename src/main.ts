/** @module The entry point: the only place that reads argv/env and opens resources; closes them in reverse on SIGTERM/SIGINT/SIGHUP. */
import { writeStderr } from './lib/stderr.ts';
import { accessSync, constants, existsSync, fstatSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { adminPasswordIssue, optionName, readableFileIssue, shadowedEnvNames, unknownEnvNames, type Config } from './config.ts';
import { createApp } from './app.ts';
import { configIpPolicy, watchLoopbackReach, type LoopbackReach } from './http/client-ip.ts';
import { helpText } from './cli/help.ts';
import { systemdUnitCommand } from './cli/systemd-unit-command.ts';
import { badOptions, configOrExit, prefixed } from './cli/config-or-exit.ts';
import { EXIT_DATA_DIR_IN_USE, EXIT_DATABASE, EXIT_LISTEN, EXIT_USAGE } from './cli/exit-codes.ts';
import { missingHeapSettings, replacesImage } from './cli/heap-settings.ts';
import { listenFailure, listenIssue } from './cli/listen-issue.ts';
import { operatorLines } from './cli/operator-lines.ts';
import { shutdown } from './cli/shutdown.ts';
import { startHousekeeping } from './cli/housekeeping.ts';
import { userCommand } from './cli/user.ts';
import { bootstrapAdmin } from './accounts/bootstrap.ts';
import { passwordHasher } from './accounts/passwords.ts';
import { SqliteMetaStore } from './store/sqlite/sqlite-meta-store.ts';
import { createLogger } from './lib/log.ts';
import { monotonicClock, systemClock } from './lib/clock.ts';
import { writeBufferFromConfig } from './buffer/write-buffer.ts';
import { DropCounter } from './ingest/drop-reasons.ts';
import { openDatabase, unusableDatabase } from './store/sqlite/open-database.ts';
import { ThreadedSqliteEventStore, workerUrlsFor } from './store/sqlite/threaded-event-store.ts';
import { VERSION } from './version.ts';
import { buildPrisme } from './ingest/build-prisme.ts';
import { loadDefaultGeoDatabase, openGeoDb, openGeoReader, type GeoReader } from './ingest/geo.ts';
import { dataDirAccessIssue, LOCK_FILE, lockDataDir, lockFileProblem, type DataDirLock } from './store/sqlite/data-dir-lock.ts';
import { watchDatabaseFiles } from './store/sqlite/watch-database-files.ts';
import { copyWalIntoDatabase } from './store/sqlite/wal-checkpointer.ts';

/** How often the database file is checked for being still the one opened (file-identity.ts). */
const DB_FILE_CHECK_MS = 2000;
/** How often route_localnet is read again (client-ip.ts watchLoopbackReach). */
const LOOPBACK_REACH_CHECK_MS = 1000;
/** How long a stop for a removed WAL waits for a reader's snapshot to end before copying the WAL gives up (copyWalIntoDatabase). */
const WAL_COPY_DEADLINE_MS = 60_000;
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
      return systemdUnitCommand(args, env, { out: (s) => process.stdout.write(s), err: (s) => writeStderr(s) }, process.execPath);
    case 'user':
      return userCommand(args, env, { out: (s) => process.stdout.write(s), err: (s) => writeStderr(s) });
    default:
      writeStderr(`footfall: unknown command "${sub}" (see footfall --help)\n`);
      return EXIT_USAGE;
  }
}

/** Linux with process.execve: the process image can be replaced with the engine settings added. */
const CAN_REPLACE_IMAGE = process.platform === 'linux' && typeof process.execve === 'function';

function sizeHeapForService(env: Record<string, string | undefined>): void {
  const missing = missingHeapSettings(env, CAN_REPLACE_IMAGE);
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

async function serve(args: string[], env: Record<string, string | undefined>): Promise<number> {
  // The first start (no database yet) will make the admin with FOOTFALL_ADMIN_PASSWORD, and a
  // --geoip-db must be a MaxMind database: both checked with the rest, so that every problem is
  // said at once. The database is opened once: here when the options have other problems (or no
  // new image follows), else by the new image sizeHeapForService() replaces this one with.
  let geo: GeoReader | null = null;
  const notMaxMind = (c: Config): string | null => {
    const opened = openGeoDb(c.geoipDb, optionName(c, 'geoipDb'));
    if (typeof opened === 'string') return opened;
    geo = opened;
    return null;
  };
  const config = configOrExit(args, env, (c, others) => [
    existsSync(join(c.dataDir, 'footfall.db')) ? null : adminPasswordIssue(env.FOOTFALL_ADMIN_PASSWORD),
    // An unreadable path is already one of the others.
    c.geoipDb && readableFileIssue(c.geoipDb) === null && (others > 0 || !replacesImage(env, CAN_REPLACE_IMAGE)) ? notMaxMind(c) : null,
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
    const problem = notMaxMind(config);
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
  let taken: DataDirLock | null;
  try {
    taken = lockDataDir(config.dataDir);
  } catch (e) {
    // Not a bad option (exit 2 is not restarted): a full disk, a lock file another user made.
    operatorLines(config.logFormat, 'error')(`footfall: cannot use the data directory ${resolve(config.dataDir)}: ${lockFileProblem(config.dataDir, e)}\n`);
    return EXIT_DATABASE;
  }
  if (!taken) {
    operatorLines(config.logFormat, 'error')(
      `footfall: another footfall serve is using the data directory ${resolve(config.dataDir)} (it holds ${LOCK_FILE} there; \`footfall user\` holds it too, for the moment it opens the database): stop it first, or give this one a --data-dir of its own\n`,
    );
    return EXIT_DATA_DIR_IN_USE;
  }
  /** The data directory's lock: taken again if its file is removed while running (the watch below). */
  let lock: DataDirLock = taken;
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
  const events = ThreadedSqliteEventStore.start(dbPath, db, workerUrlsFor(config.ack, isCompiled()));
  /** What was opened, closed in reverse: the writer thread (after what it was given), the connection, the lock. */
  const closeStore = async (): Promise<void> => {
    await events.close();
    db.close();
    lock.release();
  };
  const passwords = passwordHasher();
  let meta: SqliteMetaStore;
  try {
    meta = new SqliteMetaStore(db);
    // Before listening, so the admin can log in as soon as "listening" is logged. Only the very
    // first start hashes a password (argon2id, ~200 ms); a restart skips it.
    const passwordProblem = meta.users.countAll() === 0 ? adminPasswordIssue(env.FOOTFALL_ADMIN_PASSWORD) : null;
    if (passwordProblem) {
      badOptions([passwordProblem]);
      await closeStore();
      return EXIT_USAGE;
    }
    await bootstrapAdmin(meta, passwords, env.FOOTFALL_ADMIN_PASSWORD, operatorLines(config.logFormat, 'warn'), Date.now(), resolve(config.dataDir));
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
  const { prisme, limiter, pixelLimiter } = buildPrisme(config, systemClock, geo, meta.salts, log, monotonicClock);
  // Salts of days no longer kept go now, and within 10 s of each midnight, hits or none. Prisme's
  // GC period: idle sessions leave after 24 h; the sweep is O(devices) every 10 s.
  prisme.salts.purge();
  const stopHousekeeping = startHousekeeping({ sessions: prisme.sessions, salts: prisme.salts, tokens: meta.tokens, clock: systemClock, log });
  // The database file deleted or replaced while running (a backup put back with `mv`): what is
  // written from then on goes to a file no path leads to, lost at exit. Stop instead, so that a
  // restart (the service manager's, or the operator's) writes to the file the path names.
  let stopServer: ((signal: string, fileLost?: string, exitCode?: number) => Promise<void>) | null = null;
  // A descriptor of our own on the file, to ask it whether any name still leads to it: renamed
  // (`mv footfall.db elsewhere`), it lives on and takes what the buffer holds; unlinked, it dies
  // at exit. (Only closed with the process: closing a descriptor drops SQLite's locks on the file.)
  const ownFd = openSync(dbPath, 'r');
  const stopWatching = watchDatabaseFiles({
    dbPath, dataDir: config.dataDir, everyMs: DB_FILE_CHECK_MS, log,
    stillNamed: () => fstatSync(ownFd).nlink > 0,
    relock: () => {
      const again = lockDataDir(config.dataDir);
      if (again) {
        lock.release();
        lock = again;
      }
      return again !== null;
    },
    stop: (reason, fileLost) => void stopServer?.(reason, fileLost, reason === 'data-dir-taken' ? EXIT_DATA_DIR_IN_USE : EXIT_DATABASE),
  });
  // A 127.0.0.1 listener behind a local proxy skips asking for each peer while no other machine
  // reaches 127.0.0.0/8; route_localnet, which lets them, may be turned on after the start
  // (kube-proxy), so it is read each second.
  let loopbackReach: LoopbackReach | undefined;
  let stopReachWatch = () => {};
  if (configIpPolicy(config).loopbackShortcut === 'unless-routable') ({ reach: loopbackReach, stop: stopReachWatch } = watchLoopbackReach(LOOPBACK_REACH_CHECK_MS));
  const app = createApp({ config, log, clock: systemClock, steadyClock: monotonicClock, loopbackReach, buffer, events, drops, version: VERSION, prisme, limiter, pixelLimiter, meta, passwords });
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
          log.error('second signal: exiting now, without waiting for the flush', {
            signal, lost: buffer.size - buffer.beingWritten, beingWritten: buffer.beingWritten,
            ...(buffer.beingWritten > 0 ? { note: 'beingWritten: events in a write under way, stored only if it commits before the process is gone' } : {}),
          });
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
      stopHousekeeping();
      stopWatching();
      stopReachWatch();
      prisme.sessions.close();
      const drained = await shutdown(log, server, buffer, () => ({
        drops: drops.snapshot(), uaCache: prisme.ua.stats(), pixelUaCache: buffer.builderUaCache(),
        limiter: { forgottenWhileRefilling: limiter?.evictedCap ?? 0, pixelForgottenWhileRefilling: pixelLimiter?.evictedCap ?? 0 },
      }), closeStore, config.bufferMax,
        fileLost ? { fate: fileLost, waiting: lostWaiting, checkEveryMs: DB_FILE_CHECK_MS } : undefined,
        signal === 'database-files-removed' || signal === 'database-files-replaced' ? () => copyWalIntoDatabase(db, WAL_COPY_DEADLINE_MS) : undefined);
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


main(process.argv.slice(2), process.env).then(
  (code) => process.exit(code),
  (err) => {
    writeStderr(`footfall: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  },
);
