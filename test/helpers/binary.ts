/** @module Test helper: builds (if needed) and runs the compiled dist/footfall on a free port with a temporary data dir. */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Subprocess } from 'bun';
import { tempDir } from './temp-dir.ts';

export { tempDir };

export const ROOT = resolve(import.meta.dir, '../..');
export const BINARY = join(ROOT, 'dist/footfall');

/** `npm test` builds first; a bare `bun test` builds here when the binary is missing. */
export function ensureBinary(): string {
  if (!existsSync(BINARY)) {
    const r = Bun.spawnSync([process.execPath, 'run', 'build'], { cwd: ROOT, stdout: 'ignore', stderr: 'inherit' });
    if (r.exitCode !== 0) throw new Error('bun run build failed');
  }
  return BINARY;
}

export interface Running {
  proc: Subprocess<'ignore', 'pipe', 'pipe'>;
  url: string;
  port: number;
  dataDir: string;
  /** Everything written to stderr so far. */
  log(): string;
  /** Everything written to stderr, once the process has closed it (exited). */
  finalLog: Promise<string>;
  /** SIGTERM, then the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number>;
}

/** What the binary must never need at run time: the build's sources and packages. */
const HIDDEN = ['src', 'node_modules', 'test', 'bench'].map((d) => join(ROOT, d));

/**
 * Runs the command in a mount namespace where the project's sources and packages are empty
 * tmpfs directories: what a machine with only the binary sees, although the build's own paths
 * are the same here (a URL made from import.meta.url once quietly read the writer's source).
 */
function withoutSourceTree(command: string[]): string[] {
  const mounts = HIDDEN.map((_, i) => `mount -t tmpfs tmpfs "$${i}"`).join(' && ');
  return ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', `${mounts} && shift ${HIDDEN.length - 1} && exec "$@"`, ...HIDDEN, ...command];
}

/** Servers still running when the tests end (a failed assertion skipped their stop()). */
const running = new Set<Subprocess>();

/** Kills them, so a failed run leaves no server behind (called by the preload once the tests end). */
export function killLeftoverBinaries(): void {
  for (const p of running) p.kill('SIGKILL');
  running.clear();
}

/** Starts `dist/footfall serve`, as on a machine without the source tree. */
/**
 * `ignoreHup`: start it as `nohup` does, with SIGHUP ignored. `wrap`: the command to start it
 * with instead (run in the same mount namespace: it may mount there), e.g. under strace.
 */
export async function startBinary(args: string[] = [], env: Record<string, string> = {}, dataDir = tempDir(), o: { ignoreHup?: boolean; wrap?: (command: string[]) => string[] } = {}): Promise<Running> {
  const serve = [ensureBinary(), 'serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, '--log-format', 'json', ...args];
  const plain = o.ignoreHup ? ['sh', '-c', 'trap "" HUP; exec "$@"', 'sh', ...serve] : serve;
  const command = o.wrap ? o.wrap(plain) : plain;
  const proc = Bun.spawn(withoutSourceTree(command), {
    cwd: tempDir('footfall-cwd-'), // proves it runs with no node_modules beside it
    env: { PATH: process.env.PATH ?? '', ...env },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  });
  running.add(proc);
  void proc.exited.then(() => running.delete(proc));
  let text = '';
  const reader = proc.stderr.getReader();
  const decoder = new TextDecoder();
  let resolveUrl!: (u: string) => void;
  let rejectUrl!: (e: Error) => void;
  const urlP = new Promise<string>((res, rej) => ((resolveUrl = res), (rejectUrl = rej)));
  const finalLog = (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      const m = /"msg":"footfall listening","url":"(http:\/\/[^"]+)"/.exec(text);
      if (m) resolveUrl(m[1]!);
    }
    rejectUrl(new Error(`footfall exited before listening:\n${text}`));
    return text;
  })();
  const timer = setTimeout(() => rejectUrl(new Error(`footfall did not start within 10 s:\n${text}`)), 10_000);
  const url = await urlP.finally(() => clearTimeout(timer));
  return {
    proc,
    url,
    port: Number(new URL(url).port),
    dataDir,
    log: () => text,
    finalLog,
    async stop(signal = 'SIGTERM') {
      proc.kill(signal);
      return await proc.exited;
    },
  };
}

/**
 * Runs the binary as if installed in `dir` (default /mnt/footfall): in a mount namespace of its
 * own, a tmpfs on /mnt, and the build's directory bound on `dir`, so that its own path is `dir`/footfall
 * wherever the checkout is (systemd-unit refuses a binary under /tmp or /home, where a CI clone
 * may be). `before` is shell run first there (it may use $0, the binary's directory, e.g. to
 * put files on /mnt).
 */
export function runBinaryFrom(args: string[], env: Record<string, string> = {}, dir = '/mnt/footfall', before = ''): { code: number; stdout: string; stderr: string } {
  // sh -c SCRIPT BUILD_DIR DIR ARGS…: $0 is the build's directory, $1 where it goes; then the arguments.
  const script = `mount -t tmpfs tmpfs /mnt && mkdir -p "$1" && mount --bind "$0" "$1" && ${before ? `${before} && ` : ''}bin="$1/footfall" && shift && exec "$bin" "$@"`;
  const r = Bun.spawnSync(['unshare', '--mount', '--propagation', 'private', 'sh', '-c', script, dirname(ensureBinary()), dir, ...args], {
    cwd: tempDir('footfall-cwd-'),
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  return { code: r.exitCode ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

export function runBinary(args: string[], env: Record<string, string> = {}): { code: number; stdout: string; stderr: string } {
  const r = Bun.spawnSync([ensureBinary(), ...args], { cwd: tempDir('footfall-cwd-'), env: { PATH: process.env.PATH ?? '', ...env } });
  return { code: r.exitCode ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}
