import { describe, expect, it } from 'bun:test';
import { Database } from 'bun:sqlite';
import { join } from 'node:path';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { CONFIG_KEYS, optionMeta } from '../../src/config.ts';
import { defaultGeoDatabase } from '../../src/ingest/geo.ts';
import { ensureBinary, runBinary, runBinaryFrom, startBinary, tempDir } from '../helpers/binary.ts';
import { rawRequest } from '../helpers/raw-http.ts';
import pkg from '../../package.json' with { type: 'json' };

describe('dist/footfall', () => {
  it('prints its version', () => {
    const r = runBinary(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toStartWith(`footfall ${pkg.version} `);
  });

  it('lists every option with its default and environment name in --help', () => {
    const r = runBinary(['--help']);
    expect(r.code).toBe(0);
    for (const key of CONFIG_KEYS) {
      const m = optionMeta(key);
      // A switch takes no value of its own (`--keep-ip maybe` is an unexpected argument): it is shown without one.
      expect(r.stdout).toContain(m.kind === 'bool' ? `\n  --${m.flag}  ` : `\n  --${m.flag} VALUE  `);
      if (m.kind === 'bool') expect(r.stdout).not.toContain(`--${m.flag} VALUE`);
      expect(r.stdout).toContain(`default: ${m.shown}; env: ${m.env.join(', ')}`);
    }
    expect(r.stdout).toContain('systemd-unit');
  });

  it('exits 2 listing every bad option at once, each named as it was given', () => {
    const r = runBinary(['serve', '--port', 'nope', '--ack', 'never', '--flush-size', 'x', '--buffer-max-mb', '8', '--keep-ip', 'maybe', '--geoip-db', '/nonexistent/geo.mmdb', '--data-dir', tempDir()], {
      FOOTFALL_LOG_LEVEL: 'loud', FOOTFALL_MAX_SESSIONS: '5', FOOTFALL_ADMIN_PASSWORD: 'short',
    });
    expect(r.code).toBe(2);
    for (const s of ['--port', '--ack', '--flush-size', '--buffer-max-mb', 'FOOTFALL_LOG_LEVEL', 'FOOTFALL_MAX_SESSIONS', 'unexpected argument "maybe"', '--geoip-db: cannot read /nonexistent/geo.mmdb', 'FOOTFALL_ADMIN_PASSWORD: must have 8 to 255 characters']) {
      expect([s, r.stderr.includes(s)]).toEqual([s, true]);
    }
    // A port out of range is said once, by its own line, not again by a listen it could not try.
    const port = runBinary(['serve', '--port', '-1', '--ack', 'never', '--data-dir', tempDir()]);
    expect([port.code, port.stderr]).toEqual([2, 'footfall: invalid options:\n  - --port: must be 0 to 65535 (got -1)\n  - --ack: expected one of buffered | durable, got "never"\n(see footfall --help)\n']);
  });

  it('exits 2 on an unknown command', () => {
    expect(runBinary(['frobnicate']).code).toBe(2);
  });

  it('starts from an empty data dir, answers the healthcheck and docs, and exits 0 on SIGTERM', async () => {
    const ff = await startBinary();
    const health = await fetch(`${ff.url}/api/v1/healthcheck`);
    expect(health.status).toBe(200);
    expect(await health.text()).toBe('');
    expect(health.headers.get('server')).toBe('prisme');
    // Prisme's router ignores case, over real HTTP too (Elysia's has no route for it).
    expect((await fetch(`${ff.url}/API/V1/HealthCheck`)).status).toBe(200);
    // Behind a proxy or in a container network the Host may be a short name on port 80.
    for (const host of ['app', 'x']) {
      const answer = await rawRequest(ff.port, `GET /api/v1/healthcheck HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
      expect([host, answer.split('\r\n')[0]]).toEqual([host, 'HTTP/1.1 200 OK']);
    }
    // A load balancer's check (HAProxy's httpchk: HTTP/1.0, no Host), or an empty Host: answered
    // as the same request with a Host (Bun hands over only the path then).
    const status = async (head: string) => (await rawRequest(ff.port, head)).split('\r\n')[0];
    expect(await status('GET /api/v1/healthcheck HTTP/1.0\r\n\r\n')).toBe('HTTP/1.1 200 OK');
    for (const line of ['GET /api/v1/healthcheck', 'GET /api/v1/healthcheck/deep', 'POST /v1/track', 'GET /sourceConfig?writeKey=x', 'PUT /p/some-pixel', 'GET /api/v1/events/pageviews', 'GET /api/websites', 'PUT /pixel/v1/page', 'GET /v1/nope/deeper', 'GET /api/pixels?search=a', 'GET /api/pixels/6f3b0e0c-3c1e-4b8e-9f0a-0a1b2c3d4e5f/export']) {
      const withHost = await status(`${line} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
      expect([line, await status(`${line} HTTP/1.0\r\n\r\n`), await status(`${line} HTTP/1.1\r\nHost: \r\nConnection: close\r\n\r\n`)]).toEqual([line, withHost, withHost]);
    }
    // Without a Host, a path that starts `//` reaches Elysia as `//:99999/…`, no URL to parse
    // whole: the query is read from its text (a 500 before the caller was checked).
    expect([await status('GET //:99999/api/pixels?search=a HTTP/1.0\r\n\r\n'), await status('GET //:99999/sourceConfig?writeKey=x HTTP/1.0\r\n\r\n')])
      .toEqual(['HTTP/1.1 401 Unauthorized', 'HTTP/1.1 404 Not Found']);
    // A `#` in a request line: Prisme's fasthttp cuts the path there; chi (RudderStack) and the
    // management API take it as a path no route has, 404 (not a 405 naming the method sent).
    const fragments: [string, string][] = [
      ['GET /api/heartbeat#x', '404 Not Found'], ['POST /api/heartbeat#x', '404 Not Found'], ['GET /api/metrics#', '404 Not Found'],
      ['GET /v1/track#x', '404 Not Found'], ['POST /v1/track#x', '404 Not Found'], ['GET /api/v1/healthcheck#x', '200 OK'],
      ['GET /p/some-pixel#x', '404 Not Found'], ['POST /p/some-pixel#x', '404 Not Found'],
    ];
    for (const [line, answer] of fragments) expect([line, await status(`${line} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`)]).toEqual([line, `HTTP/1.1 ${answer}`]);
    const docs = await fetch(`${ff.url}/docs/json`);
    expect(docs.status).toBe(200);
    expect(((await docs.json()) as { info: { title: string } }).info.title).toBe('Footfall');
    expect(await ff.stop()).toBe(0);
    const stopped = ff.log().split('\n').find((l) => l.includes('stopped cleanly'));
    expect(stopped).toBeDefined();
    // The counters /api/metrics shows, the limiter's among them.
    expect(JSON.parse(stopped!).limiter).toEqual({ forgottenWhileRefilling: 0, pixelForgottenWhileRefilling: 0 });
  });

  it("keeps what it creates to its own user (directory 0700, database files 0600), and leaves an existing directory's mode alone", async () => {
    const parent = tempDir();
    const fresh = join(parent, 'new', 'data');
    const ff = await startBinary([], { FOOTFALL_ADMIN_PASSWORD: 'a long enough password' }, fresh);
    const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);
    try {
      expect(mode(fresh)).toBe('700');
      for (const f of readdirSync(fresh)) expect([f, mode(join(fresh, f))]).toEqual([f, '600']);
      expect(readdirSync(fresh)).toContain('footfall.db');
    } finally {
      expect(await ff.stop()).toBe(0);
    }
    const existing = tempDir();
    chmodSync(existing, 0o750);
    const again = await startBinary([], { FOOTFALL_ADMIN_PASSWORD: 'a long enough password' }, existing);
    try {
      expect([mode(existing), mode(join(existing, 'footfall.db'))]).toEqual(['750', '600']);
    } finally {
      expect(await again.stop()).toBe(0);
    }
  });

  it('sizes its heap for 1 GiB with a 1.6× growth step, bounds growth during a collection, and returns freed memory at once, in the same process (same pid, same arguments), unless the operator chose', async () => {
    const environOf = (pid: number) => readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    const ff = await startBinary();
    expect(environOf(ff.proc.pid)).toContain('BUN_JSC_forceRAMSize=1073741824');
    expect(environOf(ff.proc.pid)).toContain('BUN_JSC_smallHeapGrowthFactor=1.6');
    expect(environOf(ff.proc.pid)).toContain('BUN_JSC_concurrentGCMaxHeadroom=1.1');
    expect(environOf(ff.proc.pid)).toContain('MIMALLOC_PURGE_DELAY=0');
    expect(readFileSync(`/proc/${ff.proc.pid}/cmdline`, 'utf8').split('\0')).toContain(ff.dataDir);
    expect((await fetch(`${ff.url}/api/v1/healthcheck`)).status).toBe(200);
    expect(await ff.stop()).toBe(0);
    const own = await startBinary([], { BUN_JSC_forceRAMSize: '536870912' });
    expect(environOf(own.proc.pid)).toContain('BUN_JSC_forceRAMSize=536870912');
    expect(environOf(own.proc.pid)).toContain('MIMALLOC_PURGE_DELAY=0');
    expect(await own.stop()).toBe(0);
    const both = await startBinary([], { BUN_JSC_forceRAMSize: '536870912', MIMALLOC_PURGE_DELAY: '10', BUN_JSC_smallHeapGrowthFactor: '2', BUN_JSC_concurrentGCMaxHeadroom: '1.5' });
    expect(environOf(both.proc.pid)).toContain('MIMALLOC_PURGE_DELAY=10');
    expect(environOf(both.proc.pid)).toContain('BUN_JSC_smallHeapGrowthFactor=2');
    expect((await fetch(`${both.url}/api/v1/healthcheck`)).status).toBe(200);
    expect(await both.stop()).toBe(0);
  });

  it('refuses to start on a port another Footfall holds (status 4), instead of sharing it', async () => {
    const first = await startBinary();
    try {
      const second = runBinary(['serve', '--host', '127.0.0.1', '--port', String(first.port), '--data-dir', tempDir(), '--log-level', 'warn']);
      expect(second.code).toBe(4);
      expect(second.stderr).toContain(`footfall: cannot listen on 127.0.0.1:${first.port}: the address is in use`);
      expect((await fetch(`${first.url}/api/v1/healthcheck`)).status).toBe(200);
    } finally {
      expect(await first.stop()).toBe(0);
    }
  });

  it('checks the address before making anything: a first start that cannot listen creates no database and shows no admin password it would then lose, and says so with the other bad options', async () => {
    const first = await startBinary();
    try {
      const dir = join(tempDir(), 'fresh');
      const second = runBinary(['serve', '--host', '127.0.0.1', '--port', String(first.port), '--data-dir', dir]);
      expect(second.code).toBe(4);
      expect(second.stderr).toContain(`footfall: cannot listen on 127.0.0.1:${first.port}: the address is in use`);
      expect(second.stderr).not.toContain('password');
      expect(existsSync(dir)).toBe(false);
      // With another problem, both are said at once (status 2).
      const both = runBinary(['serve', '--host', '127.0.0.1', '--port', String(first.port), '--data-dir', dir, '--flush-size', 'lots']);
      expect(both.code).toBe(2);
      expect(both.stderr).toContain('--flush-size');
      expect(both.stderr).toContain(`--host/--port: cannot listen on 127.0.0.1:${first.port}: the address is in use`);
      // Port 0 too: a host that is not this machine's is found before anything is made.
      const foreign = runBinary(['serve', '--host', '192.0.2.1', '--port', '0', '--data-dir', dir]);
      expect([foreign.code, foreign.stderr.includes('cannot listen on 192.0.2.1:0: not an address of this machine'), existsSync(dir)]).toEqual([4, true, false]);
    } finally {
      expect(await first.stop()).toBe(0);
    }
  });

  it('listens on a bracketed IPv6 host, as it always has (the check before it listens takes what the listen takes)', async () => {
    // A port of its own (not 0), as a deployment gives one.
    let port: number;
    try {
      const probe = Bun.serve({ hostname: '::1', port: 0, fetch: () => new Response() });
      port = probe.port!;
      probe.stop(true);
    } catch {
      return; // no IPv6 loopback on this machine: nothing to listen on
    }
    const v6 = await startBinary(['--host', '[::1]', '--port', String(port)]);
    try {
      expect(v6.url).toStartWith('http://[::1]:');
      expect((await fetch(`${v6.url}/api/v1/healthcheck`)).status).toBe(200);
    } finally {
      expect(await v6.stop()).toBe(0);
    }
    // Given bare, it is logged in brackets all the same: the URL logged is one a browser takes.
    const bare = await startBinary(['--host', '::1', '--port', String(port)]);
    try {
      expect(bare.log()).toContain(`"url":"http://[::1]:${port}"`);
    } finally {
      expect(await bare.stop()).toBe(0);
    }
  });

  it('refuses a second serve on the same data directory (status 5), and starts once the first is gone, even killed', async () => {
    const first = await startBinary();
    const second = runBinary(['serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', first.dataDir, '--log-level', 'warn']);
    expect(second.code).toBe(5);
    expect(second.stderr).toContain(`footfall: another footfall serve is using the data directory ${first.dataDir} (it holds footfall.lock there; \`footfall user\` holds it too, for the moment it opens the database)`);
    expect((await fetch(`${first.url}/api/v1/healthcheck`)).status).toBe(200);
    first.proc.kill('SIGKILL');
    await first.proc.exited;
    // The operating system let go of the lock with the process: no stale lock to remove by hand.
    const third = await startBinary([], {}, first.dataDir);
    expect(await third.stop()).toBe(0);
  });

  it('says which data directory it cannot write in, and why, with status 3 (here a read-only mount)', () => {
    const dir = tempDir();
    const r = Bun.spawnSync(['unshare', '--mount', '--propagation', 'private', 'sh', '-c',
      `mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" && exec "$1" serve --port 0 --data-dir "$0"`, dir, ensureBinary()], { env: { PATH: process.env.PATH ?? '' } });
    expect(r.exitCode).toBe(3);
    expect(r.stderr.toString()).toContain(`footfall: cannot use the data directory ${dir}: it is on a read-only filesystem`);
  });

  it('says its disk is full, or its lock file is unusable, with status 3, which systemd restarts (a bad option, 2, it does not)', () => {
    const dir = tempDir();
    const full = Bun.spawnSync(['unshare', '--mount', '--propagation', 'private', 'sh', '-c',
      `mount -t tmpfs -o size=1m tmpfs "$0" && (cat /dev/zero > "$0/filler" 2>/dev/null; true) && exec "$1" serve --port 0 --data-dir "$0/data"`, dir, ensureBinary()], { env: { PATH: process.env.PATH ?? '' } });
    expect([full.exitCode, full.stderr.toString()]).toEqual([3, expect.stringContaining(`footfall: cannot use the data directory ${dir}/data: its disk is full (no room to make or lock ${dir}/data/footfall.lock)`)]);
    // The lock file there from an earlier start: it is the lock that finds no room, not the file.
    const again = tempDir();
    const fullWithLock = Bun.spawnSync(['unshare', '--mount', '--propagation', 'private', 'sh', '-c',
      `mount -t tmpfs -o size=1m tmpfs "$0" && mkdir "$0/data" && : > "$0/data/footfall.lock" && (cat /dev/zero > "$0/filler" 2>/dev/null; true) && exec "$1" serve --port 0 --data-dir "$0/data"`, again, ensureBinary()], { env: { PATH: process.env.PATH ?? '' } });
    expect([fullWithLock.exitCode, fullWithLock.stderr.toString()]).toEqual([3, expect.stringContaining(`footfall: cannot use the data directory ${again}/data: its disk is full (no room to make or lock ${again}/data/footfall.lock)`)]);
    const taken = tempDir();
    mkdirSync(join(taken, 'footfall.lock'));
    const r = runBinary(['serve', '--port', '0', '--data-dir', taken]);
    expect([r.code, r.stderr]).toEqual([3, expect.stringContaining(`footfall: cannot use the data directory ${taken}: ${join(taken, 'footfall.lock')} is a directory`)]);
  });

  it('says in one line which database it cannot use, and why, with status 3 (not a database, not writable)', () => {
    const garbage = tempDir();
    writeFileSync(join(garbage, 'footfall.db'), Buffer.alloc(5000, 0x5a));
    const r = runBinary(['serve', '--port', '0', '--data-dir', garbage]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`footfall: cannot use the database ${join(garbage, 'footfall.db')}: file is not a database\n`);
    expect(r.stderr).not.toContain('    at ');
  });

  it('stops (status 3) when its database file is replaced while it runs, instead of writing on into a file no path leads to', async () => {
    const ff = await startBinary();
    const db = join(ff.dataDir, 'footfall.db');
    // A backup put back with mv while running.
    copyFileSync(db, `${db}.restored`);
    renameSync(`${db}.restored`, db);
    expect(await ff.proc.exited).toBe(3);
    const log = await ff.finalLog;
    expect(log).toContain('the database file was replaced while running: stopping');
    expect(log).toContain('events lost with the database file replaced while running');
    expect(log).not.toContain('stopped cleanly');
  }, 30_000);

  it('writes what it buffered into its database file moved away while it runs (it lives on under its new name), then stops with status 3', async () => {
    const ff = await startBinary(['--origins', 'example.com', '--flush-interval', '60s']);
    for (const path of ['/a', '/b', '/c']) {
      const res = await fetch(`${ff.url}/api/v1/events/pageviews`, {
        method: 'POST',
        headers: { origin: 'https://example.com', 'x-prisme-referrer': `https://example.com${path}`, 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0' },
      });
      expect(res.status).toBe(200);
    }
    const db = join(ff.dataDir, 'footfall.db');
    renameSync(db, `${db}.moved`);
    expect(await ff.proc.exited).toBe(3);
    expect(await ff.finalLog).toContain('the database file was moved while running: stopping after writing what is buffered into it');
    const moved = new Database(`${db}.moved`, { readonly: true });
    expect((moved.query('SELECT count(*) AS n FROM events').get() as { n: number }).n).toBe(3);
    moved.close();
  }, 30_000);

  it('reports a data dir that is a file with the other bad options (status 2)', () => {
    const file = join(tempDir(), 'not-a-dir');
    writeFileSync(file, '');
    const r = runBinary(['serve', '--data-dir', file, '--port', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--data-dir: ${file} exists and is not a directory`);
    expect(r.stderr).toContain('--port');
  });

  it('refuses a first admin password the login would refuse (status 2), and ignores the variable once users exist', async () => {
    const dir = tempDir();
    const r = runBinary(['serve', '--data-dir', dir, '--port', '0'], { FOOTFALL_ADMIN_PASSWORD: 'short' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('FOOTFALL_ADMIN_PASSWORD: must have 8 to 255 characters (has 5)');
    // Once the admin exists, a stale value in the environment neither stops the server nor the recovery command.
    const first = await startBinary([], { FOOTFALL_ADMIN_PASSWORD: 'a long enough password' }, dir);
    expect(await first.stop()).toBe(0);
    const again = await startBinary([], { FOOTFALL_ADMIN_PASSWORD: 'short' }, dir);
    expect(await again.stop()).toBe(0);
    expect(runBinary(['user', 'reset-password', 'admin', '--data-dir', dir], { FOOTFALL_ADMIN_PASSWORD: 'short' }).code).toBe(0);
  });

  it('says in one line, with status 3, that `user reset-password` cannot write a database whose file is read-only (no stack trace)', async () => {
    const dir = tempDir();
    const first = await startBinary([], { FOOTFALL_ADMIN_PASSWORD: 'a long enough password' }, join(dir, 'data'));
    expect(await first.stop()).toBe(0);
    // As the service's own user would run it (root writes through a mode of 0444).
    copyFileSync(ensureBinary(), join(dir, 'footfall'));
    chmodSync(join(dir, 'footfall'), 0o755);
    chmodSync(dir, 0o755);
    Bun.spawnSync(['chown', '-R', '65534:65534', join(dir, 'data')]);
    chmodSync(join(dir, 'data', 'footfall.db'), 0o444);
    const r = Bun.spawnSync(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', join(dir, 'footfall'), 'user', 'reset-password', 'admin', '--data-dir', join(dir, 'data')], { env: { PATH: process.env.PATH ?? '' } });
    expect([r.exitCode, r.stderr.toString()]).toEqual([3, `footfall: cannot use the database ${join(dir, 'data', 'footfall.db')}: attempt to write a readonly database\n`]);
  });

  it('also stops cleanly on SIGINT', async () => {
    const ff = await startBinary();
    expect(await ff.stop('SIGINT')).toBe(0);
  });

  it('outlives the SIGUSR1 and SIGUSR2 of log rotation hooks, and stops cleanly on SIGQUIT', async () => {
    const ff = await startBinary();
    ff.proc.kill('SIGUSR1');
    ff.proc.kill('SIGUSR2');
    // Their default action would have ended the process as they arrived, before this answer.
    expect((await fetch(`${ff.url}/api/v1/healthcheck`)).status).toBe(200);
    expect(await ff.stop('SIGQUIT')).toBe(0);
  });

  it('refuses a database written by a newer Footfall with exit code 3 and says why', () => {
    const dir = tempDir();
    const db = new Database(join(dir, 'footfall.db'), { create: true });
    db.exec('PRAGMA user_version = 9999');
    db.close();
    const r = runBinary(['serve', '--port', '0', '--data-dir', dir]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('newer Footfall');
  });

  it('prints a hardened systemd unit for its own path that systemd-analyze accepts', () => {
    const r = runBinaryFrom(['systemd-unit', '--port', '8080', '--trust-proxy']);
    expect(r.code).toBe(0);
    for (const line of ['DynamicUser=yes', 'StateDirectory=footfall', 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'ProtectHome=yes', 'PrivateTmp=yes', 'Restart=on-failure', 'RestartPreventExitStatus=2\n', 'StartLimitIntervalSec=120', 'StartLimitBurst=5', 'SystemCallFilter=@system-service\n', 'ProcSubset=pid\n', 'CapabilityBoundingSet=\n'])
      expect(r.stdout).toContain(line);
    expect(r.stdout).toMatch(/ExecStart=\/mnt\/footfall\/footfall serve --data-dir \/var\/lib\/footfall --port 8080 --trust-proxy/);
    expect(Number(/TimeoutStopSec=(\d+)/.exec(r.stdout)![1])).toBe(30);
    // A buffer that takes longer than 20 s to flush at 20k events a second: the flush at exit may take that, and systemd waits for it.
    const big = runBinaryFrom(['systemd-unit', '--buffer-max', '1000000']);
    expect(Number(/TimeoutStopSec=(\d+)/.exec(big.stdout)![1])).toBe(60);
    // Port 80, from the environment as from a flag: the one capability that binding it takes.
    expect(runBinaryFrom(['systemd-unit'], { FOOTFALL_PORT: '80' }).stdout).toContain('\nCapabilityBoundingSet=CAP_NET_BIND_SERVICE\nAmbientCapabilities=CAP_NET_BIND_SERVICE\n');
    const analyze = Bun.which('systemd-analyze');
    if (!analyze) return; // the tool is optional; the assertions above still ran
    const dir = tempDir();
    const unit = join(dir, 'footfall.service');
    // The binary was at /mnt/footfall in its own mount namespace only: verify names the real one.
    writeFileSync(unit, r.stdout.replace('ExecStart=/mnt/footfall/footfall ', `ExecStart=${ensureBinary()} `));
    const v = Bun.spawnSync([analyze, 'verify', unit], { env: { ...process.env, SYSTEMD_LOG_LEVEL: 'warning' } });
    const out = v.stderr.toString() + v.stdout.toString();
    // Only complaints about this unit count; a container without a running systemd may warn about others.
    const ours = out.split('\n').filter((l) => l.includes('footfall.service'));
    expect(ours).toEqual([]);
  });

  it('serves every API in the unit\'s sandbox: a /proc of processes only (ProcSubset=pid, ProtectProc=invisible), and system calls @system-service allows', async () => {
    const strace = Bun.which('strace');
    const analyze = Bun.which('systemd-analyze');
    // CI installs both (.ci/run); elsewhere the sandbox's /proc is still used, the call check said skipped.
    if (process.env.CI) expect([strace, analyze].map(Boolean)).toEqual([true, true]);
    else if (!strace || !analyze) console.warn('the unit sandbox test: strace or systemd-analyze not installed; system calls not checked (apt-get install strace systemd)');
    const trace = join(tempDir(), 'syscalls.txt');
    // The unit's /proc, mounted over this mount namespace's; strace traces every thread's calls
    // (the whole trace: its -c summary leaves out calls strace has no name for, the newest ones).
    const ff = await startBinary(['--ack', 'durable'], { FOOTFALL_ADMIN_PASSWORD: 'e2e admin password' }, tempDir(), {
      wrap: (command) => ['sh', '-c', 'mount -t proc -o subset=pid,hidepid=invisible proc /proc && exec "$@"', 'sh', ...(strace && analyze ? [strace, '-f', '-qq', '-o', trace] : []), ...command],
    });
    const server = strace && analyze ? Number(readFileSync(`/proc/${ff.proc.pid}/task/${ff.proc.pid}/children`, 'utf8').trim()) : ff.proc.pid;
    try {
      const login = await fetch(`${ff.url}/api/auth/login`, { method: 'POST', body: JSON.stringify({ username: 'admin', password: 'e2e admin password' }) });
      const auth = { authorization: `Bearer ${((await login.json()) as { token: string }).token}` };
      const site = (await (await fetch(`${ff.url}/api/websites`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'Shop', domain: 'shop.example' }) })).json()) as { id: string; writeKey: string };
      const pageview = await fetch(`${ff.url}/api/v1/events/pageviews`, { method: 'POST', headers: { origin: 'https://shop.example', 'x-prisme-referrer': 'https://shop.example/pricing', 'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36' } });
      expect(pageview.status).toBe(200);
      const batch = await fetch(`${ff.url}/v1/batch`, { method: 'POST', headers: { authorization: 'Basic ' + btoa(`${site.writeKey}:`), 'content-type': 'application/json' }, body: JSON.stringify({ batch: [{ type: 'track', event: 'Order Completed', userId: 'u1' }] }) });
      expect(batch.status).toBe(200);
      expect((await fetch(`${ff.url}/pixel/v1/page?writeKey=${site.writeKey}&anonymousId=a1&name=Home`)).status).toBe(200);
      expect((await fetch(`${ff.url}/api/pixels`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'Mail', slug: 'mail-in-sandbox' }) })).status).toBe(200);
      expect((await fetch(`${ff.url}/p/mail-in-sandbox`)).status).toBe(200);
      const rows = (await (await fetch(`${ff.url}/api/websites/${site.id}/export`, { headers: auth })).text()).trimEnd().split('\n');
      expect(rows.map((l) => (JSON.parse(l) as { type: string }).type).sort()).toEqual(['page', 'pageview', 'track']);
      expect((await fetch(`${ff.url}/docs`)).status).toBe(200);
      expect((await fetch(`${ff.url}/api/v1/healthcheck`)).status).toBe(200);
    } finally {
      process.kill(server, 'SIGTERM');
      expect(await ff.proc.exited).toBe(0);
    }
    expect(await ff.finalLog).toContain('"msg":"stopped cleanly"');
    if (!strace || !analyze) return;
    // `PID name(…` and `PID <... name resumed>…`; a call strace cannot name is `syscall_0x1c3(…`, which no list allows.
    const used = [...new Set([...readFileSync(trace, 'utf8').matchAll(/^\d+ +(?:<\.\.\. )?([a-z_0-9]+)[( ]/gm)].map((m) => m[1]!))];
    expect(used.length).toBeGreaterThan(20);
    expect(used).toContain('getpeername');
    expect(used.filter((name) => !systemServiceCalls(analyze).has(name))).toEqual([]);
  });

  it('rejects bad options for systemd-unit too', () => {
    expect(runBinaryFrom(['systemd-unit', '--port', 'x']).code).toBe(2);
    // A database its service could not see: the sandbox hides /tmp.
    const geo = join(tempDir(), 'geo.mmdb');
    writeFileSync(geo, 'x');
    const hidden = runBinaryFrom(['systemd-unit', '--geoip-db', geo]);
    expect([hidden.code, hidden.stderr.includes("--geoip-db: the unit's sandbox hides /tmp/ from the service")]).toEqual([2, true]);
    // Given by its environment name, every line about it says that name.
    const byEnv = runBinaryFrom(['systemd-unit'], { FOOTFALL_GEOIP_DB: geo });
    expect([byEnv.code, byEnv.stderr.includes("FOOTFALL_GEOIP_DB: the unit's sandbox hides /tmp/"), byEnv.stderr.includes('FOOTFALL_GEOIP_DB: ' + geo + ' is not a MaxMind database'), byEnv.stderr.includes('--geoip-db')]).toEqual([2, true, true, false]);
    // One serve would refuse at every start, so that the service restarted for ever.
    const notGeo = runBinaryFrom(['systemd-unit', '--geoip-db', '/mnt/geo.mmdb'], {}, '/mnt/footfall', 'echo x > /mnt/geo.mmdb');
    expect([notGeo.code, notGeo.stderr.includes('--geoip-db: /mnt/geo.mmdb is not a MaxMind database')]).toEqual([2, true]);
    // One the service's own user (DynamicUser: no owner, no group of anything) may not read: it would exit at every start.
    const mmdb = { MMDB: defaultGeoDatabase() };
    const private600 = runBinaryFrom(['systemd-unit', '--geoip-db', '/mnt/private.mmdb'], mmdb, '/mnt/footfall', 'cp "$MMDB" /mnt/private.mmdb && chmod 600 /mnt/private.mmdb');
    expect([private600.code, private600.stderr]).toEqual([2, expect.stringContaining("--geoip-db: the service's user (DynamicUser: neither the owner nor in the group of anything) may not read /mnt/private.mmdb (mode 0600)")]);
    const closedDir = runBinaryFrom(['systemd-unit', '--geoip-db', '/mnt/closed/geo.mmdb'], mmdb, '/mnt/footfall', 'mkdir -m 700 /mnt/closed && cp "$MMDB" /mnt/closed/geo.mmdb && chmod 644 /mnt/closed/geo.mmdb');
    expect([closedDir.code, closedDir.stderr]).toEqual([2, expect.stringContaining('may not read /mnt/closed/geo.mmdb: /mnt/closed (mode 0700) lets no one else through')]);
    // A link in a closed directory to a readable file: the service opens the link's path.
    const linked = runBinaryFrom(['systemd-unit', '--geoip-db', '/mnt/closed/geo.mmdb'], mmdb, '/mnt/footfall', 'mkdir -m 700 /mnt/closed && mkdir /mnt/open && cp "$MMDB" /mnt/open/geo.mmdb && chmod 644 /mnt/open/geo.mmdb && ln -s /mnt/open/geo.mmdb /mnt/closed/geo.mmdb');
    expect([linked.code, linked.stderr]).toEqual([2, expect.stringContaining('may not read /mnt/closed/geo.mmdb: /mnt/closed (mode 0700) lets no one else through')]);
    const elsewhere = runBinaryFrom(['systemd-unit', '--data-dir', '/srv/footfall']);
    expect([elsewhere.code, elsewhere.stderr.includes('/var/lib/NAME; got /srv/footfall')]).toEqual([2, true]);
    // A misspelt variable would not reach the unit: said, not lost quietly.
    const misspelt = runBinaryFrom(['systemd-unit'], { FOOTFALL_ACKS: 'durable' });
    expect([misspelt.code, misspelt.stderr]).toEqual([0, 'footfall: FOOTFALL_ACKS ignored: no option has this name (see footfall --help)\n']);
  });

  it('refuses to print a unit that could not start its binary: one under a directory the sandbox hides, or with a $ in its path', () => {
    const inTmp = runBinaryFrom(['systemd-unit'], {}, '/tmp/footfall-unit-test-bin');
    expect([inTmp.code, inTmp.stdout]).toEqual([2, '']);
    expect(inTmp.stderr).toContain("the unit's sandbox hides /tmp/ from the service, and this binary is there (/tmp/footfall-unit-test-bin/footfall): install it elsewhere, such as /usr/local/bin/footfall");
    const dollar = runBinaryFrom(['systemd-unit'], {}, '/mnt/a$b');
    expect([dollar.code, dollar.stderr.includes('systemd cannot name a program whose path holds a $ (/mnt/a$b/footfall)')]).toEqual([2, true]);
  });

  it('puts options from the environment and awkward paths in the unit as systemd will read them', () => {
    // Not under /tmp (the unit's sandbox hides it from the service): on the tmpfs runBinaryFrom puts on /mnt.
    const geo = '/mnt/a%hb$HOME\\x.mmdb';
    const r = runBinaryFrom(['systemd-unit', '--geoip-db', geo, '--data-dir', '/var/lib/footfall-eu'], { FOOTFALL_PORT: '7000', FOOTFALL_TRUST_PROXY: 'true', GEO: geo, MMDB: defaultGeoDatabase() }, '/mnt/footfall', 'cp "$MMDB" "$GEO"');
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toContain(`--geoip-db "${geo.replace(/\\/g, '\\\\').replace(/%/g, '%%').replace(/\$/g, '$$$$')}" --port=7000 --trust-proxy=true`);
    expect(r.stdout).toContain('StateDirectory=footfall-eu');
    const analyze = Bun.which('systemd-analyze');
    if (!analyze) return;
    const unit = join(tempDir(), 'footfall.service');
    // The binary was at /mnt/footfall in its own mount namespace only: verify names the real one.
    writeFileSync(unit, r.stdout.replace('ExecStart=/mnt/footfall/footfall ', `ExecStart=${ensureBinary()} `));
    const v = Bun.spawnSync([analyze, 'verify', unit], { env: { ...process.env, SYSTEMD_LOG_LEVEL: 'warning' } });
    expect((v.stderr.toString() + v.stdout.toString()).split('\n').filter((l) => l.includes('footfall.service') || l.includes('escape'))).toEqual([]);
  });
});

/** The system calls `SystemCallFilter=@system-service` allows, its groups expanded, as this machine's systemd lists them. */
function systemServiceCalls(analyze: string): Set<string> {
  const groups = new Map<string, string[]>();
  let group: string[] = [];
  for (const line of Bun.spawnSync([analyze, 'syscall-filter']).stdout.toString().split('\n')) {
    const item = line.trim();
    if (!item || item.startsWith('#')) continue;
    if (line.startsWith('@')) groups.set(item, (group = []));
    else group.push(item);
  }
  const out = new Set<string>();
  const expand = (name: string): void => {
    for (const item of groups.get(name) ?? []) {
      if (item.startsWith('@')) expand(item);
      else out.add(item);
    }
  };
  expand('@system-service');
  return out;
}
