import { describe, expect, it } from 'bun:test';
import { Database } from 'bun:sqlite';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBinary, startBinary, tempDir } from '../helpers/binary.ts';

const SITE = 'http://mywebsite.localhost';

/**
 * Fires `n` pageviews from distinct addresses, `concurrency` at a time, on pages whose path is
 * padded to `pad` characters; returns how many were acknowledged (200) and counts every status.
 */
async function burst(url: string, n: number, concurrency: number, pad = 0, statuses: Record<number, number> = {}): Promise<number> {
  let next = 0;
  let acked = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const res = await fetch(`${url}/api/v1/events/pageviews`, {
        method: 'POST',
        headers: { origin: SITE, 'x-prisme-referrer': `${SITE}/p/${i}/${'x'.repeat(pad)}`, 'x-forwarded-for': `198.18.${(i >> 8) & 255}.${i & 255}`, 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0' },
      }).catch(() => null);
      if (res?.status === 200) acked++;
      statuses[res?.status ?? 0] = (statuses[res?.status ?? 0] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return acked;
}

function rows(dataDir: string): number {
  const db = new Database(join(dataDir, 'footfall.db'), { readonly: true });
  const n = (db.query('SELECT count(*) AS n FROM events').get() as { n: number }).n;
  db.close();
  return n;
}

/** How many of a process's threads Bun named "Worker" (the event writer; with --ack durable also the WAL checkpointer). */
function workerThreads(pid: number): number {
  return readdirSync(`/proc/${pid}/task`).filter((t) => readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').trim() === 'Worker').length;
}

describe('shutdown of dist/footfall', () => {
  for (const ack of ['buffered', 'durable']) {
    it(`loses no acknowledged event when SIGTERM arrives right after a burst (--ack ${ack})`, async () => {
      // A long flush interval and a large flush size keep the burst in memory until SIGTERM.
      const ff = await startBinary(['--origins', 'mywebsite.localhost', '--trust-proxy', '--rate-limit', 'off', '--flush-interval', '60s', '--flush-size', '50000', '--ack', ack]);
      const acked = await burst(ff.url, 3000, 32);
      expect(acked).toBe(3000);
      const code = await ff.stop('SIGTERM');
      expect(code).toBe(0);
      expect(rows(ff.dataDir)).toBe(acked);
    });
  }

  it('answers 503 once the events held would pass --buffer-max-mb while another process holds the write lock, and stores every one it acknowledged', async () => {
    const ff = await startBinary(['--origins', 'mywebsite.localhost', '--trust-proxy', '--rate-limit', 'off', '--buffer-max-mb', '16', '--flush-interval', '10ms']);
    // One pageview first, stored: the day's salt is saved with the first one (on the request
    // thread), before the lock below.
    expect(await burst(ff.url, 1, 1)).toBe(1);
    for (let i = 0; i < 200 && rows(ff.dataDir) < 1; i++) await Bun.sleep(25);
    expect(rows(ff.dataDir)).toBe(1);
    // The writer cannot write meanwhile (it waits up to its 5 s busy timeout, then retries), so
    // the buffer keeps what it acknowledges, in flight or waiting.
    const locker = new Database(join(ff.dataDir, 'footfall.db'));
    locker.exec('BEGIN IMMEDIATE');
    const statuses: Record<number, number> = {};
    // 8 KB URLs, ~17 KB an event as the cap counts it (URL and path): ~1000 fit in 16 MiB, far below --buffer-max.
    const acked = await burst(ff.url, 1500, 16, 8000, statuses);
    locker.exec('COMMIT');
    locker.close();
    expect(acked).toBeGreaterThan(900);
    expect(acked).toBeLessThan(1100);
    expect(statuses).toEqual({ 200: acked, 503: 1500 - acked });
    expect(await ff.stop('SIGTERM')).toBe(0);
    expect(rows(ff.dataDir)).toBe(acked + 1);
    expect(ff.log()).not.toContain("could not save the day's salt");
  });

  it('answers 503 with Retry-After, not a reset, to a durable request still waiting for its commit at SIGTERM, then stores its event', async () => {
    const ff = await startBinary(['--origins', 'mywebsite.localhost', '--trust-proxy', '--rate-limit', 'off', '--ack', 'durable']);
    // One pageview first, stored: the day's salt is saved with the first one, before the lock.
    expect(await burst(ff.url, 1, 1)).toBe(1);
    const locker = new Database(join(ff.dataDir, 'footfall.db'));
    locker.exec('BEGIN IMMEDIATE');
    try {
      const waiting = Array.from({ length: 3 }, (_, i) =>
        fetch(`${ff.url}/api/v1/events/pageviews`, {
          method: 'POST',
          headers: { origin: SITE, 'x-prisme-referrer': `${SITE}/waiting/${i}`, 'x-forwarded-for': `198.19.0.${i}`, 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0' },
        }).then((r) => `${r.status} retry-after ${r.headers.get('retry-after')}`, (e: Error) => e.name));
      // The three wait for a commit the lock holds back (up to 10 s); SIGTERM comes meanwhile.
      await Bun.sleep(300);
      ff.proc.kill('SIGTERM');
      expect(await Promise.all(waiting)).toEqual(Array(3).fill('503 retry-after 1'));
    } finally {
      locker.exec('COMMIT');
      locker.close();
    }
    expect(await ff.proc.exited).toBe(0);
    expect(rows(ff.dataDir)).toBe(4);
    // Counted and said: the operator sees that three requests were not acknowledged.
    const stopped = ff.log().split('\n').find((l) => l.includes('stopped cleanly'));
    expect(JSON.parse(stopped!)).toMatchObject({ committed: 4, lateAcks: 3 });
  });

  it('exits at once with status 1 on a second signal a second or more after the first while the flush waits, saying how many events it leaves unwritten', async () => {
    const ff = await startBinary(['--origins', 'mywebsite.localhost', '--trust-proxy', '--rate-limit', 'off']);
    expect(await burst(ff.url, 1, 1)).toBe(1);
    const locker = new Database(join(ff.dataDir, 'footfall.db'));
    locker.exec('BEGIN IMMEDIATE');
    try {
      expect(await burst(ff.url, 5, 5)).toBe(5);
      ff.proc.kill('SIGTERM');
      // The flush waits on the lock (up to ~27 s); a second signal ends the wait.
      const until = performance.now() + 10_000;
      while (!ff.log().includes('shutting down') && performance.now() < until) await Bun.sleep(20);
      // The same signal again at once (a Ctrl-C a wrapper forwards too) is the same request.
      ff.proc.kill('SIGTERM');
      await Bun.sleep(1_100);
      expect(ff.proc.exitCode).toBeNull();
      const started = performance.now();
      ff.proc.kill('SIGINT');
      expect(await ff.proc.exited).toBe(1);
      expect(performance.now() - started).toBeLessThan(3_000);
      // The five are either waiting or in the write held by the lock (which dies with the process).
      const line = ff.log().split('\n').find((l) => l.includes('second signal: exiting now, without waiting for the flush'));
      const fields = JSON.parse(line!) as { lost: number; beingWritten: number };
      expect(fields.lost + fields.beingWritten).toBe(5);
    } finally {
      locker.exec('ROLLBACK');
      locker.close();
    }
  });

  it('stores every event on a machine without the source tree it was built from (its writer thread is embedded)', async () => {
    const ff = await startBinary(['--origins', 'mywebsite.localhost', '--trust-proxy', '--rate-limit', 'off', '--flush-interval', '50ms']);
    const acked = await burst(ff.url, 200, 8);
    expect(acked).toBe(200);
    // Written while it runs, not only at shutdown: the writer thread is up.
    for (let i = 0; i < 200 && rows(ff.dataDir) < acked; i++) await Bun.sleep(25);
    expect(rows(ff.dataDir)).toBe(acked);
    expect(await ff.stop('SIGTERM')).toBe(0);
    expect(ff.log()).not.toContain('writer thread did not start');
  });

  it('copies the WAL into the database file from its own embedded thread with --ack durable, and runs no such thread buffered', async () => {
    const ff = await startBinary(['--origins', 'mywebsite.localhost', '--trust-proxy', '--rate-limit', 'off', '--ack', 'durable']);
    const db = join(ff.dataDir, 'footfall.db');
    const empty = statSync(db).size;
    expect(await burst(ff.url, 3000, 32)).toBe(3000);
    // ~3,000 events are far below the writer's own checkpoint threshold: only the checkpointer
    // thread (a round every 100 ms) puts them into the database file while the binary runs.
    for (let i = 0; i < 200 && statSync(db).size < empty + 300_000; i++) await Bun.sleep(25);
    expect(statSync(db).size).toBeGreaterThan(empty + 300_000);
    expect(workerThreads(ff.proc.pid)).toBe(2);
    expect(await ff.stop('SIGTERM')).toBe(0);
    expect(ff.log()).not.toContain('checkpointer thread did not start');
    expect(rows(ff.dataDir)).toBe(3000);

    const buffered = await startBinary(['--origins', 'mywebsite.localhost']);
    for (let i = 0; i < 200 && workerThreads(buffered.proc.pid) < 1; i++) await Bun.sleep(25);
    expect(workerThreads(buffered.proc.pid)).toBe(1);
    expect(await buffered.stop('SIGTERM')).toBe(0);
  });

  it('keeps answering until SIGTERM lands mid-burst, then stores every acknowledged event', async () => {
    const ff = await startBinary(['--origins', 'mywebsite.localhost', '--trust-proxy', '--rate-limit', 'off', '--flush-interval', '60s', '--flush-size', '50000']);
    const burstP = burst(ff.url, 4000, 32);
    // Stop once some requests were answered, while others are still being sent.
    await Bun.sleep(0);
    await fetch(`${ff.url}/api/v1/healthcheck`);
    const [acked, code] = await Promise.all([burstP, ff.stop('SIGTERM')]);
    expect(code).toBe(0);
    expect(acked).toBeGreaterThan(0);
    // Every acknowledged event is stored; a request cut off mid-answer may be stored unacknowledged.
    expect(rows(ff.dataDir)).toBeGreaterThanOrEqual(acked);
  });
});

describe('dist/footfall whose log cannot be written', () => {
  it('stores every acknowledged event at SIGTERM when its standard error is a pipe nobody reads any more', async () => {
    const dir = tempDir();
    const fifo = join(dir, 'log.fifo');
    expect(Bun.spawnSync(['mkfifo', fifo]).exitCode).toBe(0);
    const reader = Bun.spawn(['cat', fifo], { stdout: 'pipe', stderr: 'ignore' });
    const dataDir = join(dir, 'data');
    const server = Bun.spawn(['sh', '-c', 'exec "$0" serve --host 127.0.0.1 --port 0 --data-dir "$1" --log-format json --origins mywebsite.localhost --trust-proxy --rate-limit off --flush-interval 60s --flush-size 50000 2>"$2"', ensureBinary(), dataDir, fifo], {
      env: { PATH: process.env.PATH ?? '', FOOTFALL_ADMIN_PASSWORD: 'a-long-enough-password' }, stdout: 'ignore', stderr: 'ignore',
    });
    try {
      let text = '';
      const decoder = new TextDecoder();
      const lines = reader.stdout.getReader();
      let url: string | undefined;
      while (!url) {
        const { done, value } = await lines.read();
        if (done) throw new Error(`the log ended before listening:\n${text}`);
        text += decoder.decode(value, { stream: true });
        url = /"msg":"footfall listening","url":"(http:\/\/[^"]+)"/.exec(text)?.[1];
      }
      // The log's reader goes away (a closed terminal, a dead log collector): each line now fails to be written.
      reader.kill('SIGKILL');
      await reader.exited;
      const acked = await burst(url, 500, 16);
      expect(acked).toBe(500);
      server.kill('SIGTERM');
      expect(await server.exited).toBe(0);
      expect(rows(dataDir)).toBe(500);
    } finally {
      server.kill('SIGKILL');
      reader.kill('SIGKILL');
    }
  }, 60_000);
});

describe('SIGHUP to dist/footfall', () => {
  it('stops it as cleanly as SIGTERM: its terminal went away, the events it acknowledged are written', async () => {
    const ff = await startBinary(['--origins', 'mywebsite.localhost', '--trust-proxy', '--flush-interval', '60s', '--flush-size', '100000']);
    const acked = await burst(ff.url, 200, 8);
    expect(acked).toBe(200);
    expect(await ff.stop('SIGHUP')).toBe(0);
    expect(rows(ff.dataDir)).toBe(200);
  });
});

describe('SIGHUP to dist/footfall started with nohup', () => {
  it('is ignored, as nohup asks: the server outlives its terminal', async () => {
    // nohup's part: the signal ignored before the server starts (inherited through exec).
    const ff = await startBinary(['--origins', 'mywebsite.localhost'], {}, undefined, { ignoreHup: true });
    ff.proc.kill('SIGHUP');
    // A request answered after the signal was handled (or not) by the server's event loop.
    await Bun.sleep(200);
    expect((await fetch(`${ff.url}/api/v1/healthcheck`)).status).toBe(200);
    expect(ff.log()).not.toContain('shutting down');
    expect(await ff.stop()).toBe(0);
  });
});

describe('a restart of dist/footfall', () => {
  it("keeps the day's Prisme visitor ids: they hash the stored daily salt, not the process's device salt", async () => {
    const visit = (url: string, path: string) =>
      fetch(`${url}/api/v1/events/pageviews`, {
        method: 'POST',
        headers: { origin: SITE, 'x-prisme-referrer': `${SITE}${path}`, 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0' },
      });
    const first = await startBinary(['--origins', 'mywebsite.localhost', '--ack', 'durable']);
    expect((await visit(first.url, '/before')).status).toBe(200);
    expect(await first.stop()).toBe(0);
    const second = await startBinary(['--origins', 'mywebsite.localhost', '--ack', 'durable'], {}, first.dataDir);
    expect((await visit(second.url, '/after')).status).toBe(200);
    expect(await second.stop()).toBe(0);
    const db = new Database(join(first.dataDir, 'footfall.db'), { readonly: true });
    const ids = db.query('SELECT path, visitor_id AS visitorId, session_id AS sessionId FROM events ORDER BY ts').all() as { path: string; visitorId: string; sessionId: string }[];
    db.close();
    expect(ids.map((r) => r.path)).toEqual(['/before', '/after']);
    expect(ids[1]!.visitorId).toMatch(/^prisme_[0-9A-F]+$/);
    expect(ids[1]!.visitorId).toBe(ids[0]!.visitorId);
    // Sessions live in memory: the visit after the restart is a new one.
    expect(ids[1]!.sessionId).not.toBe(ids[0]!.sessionId);
  });
});
