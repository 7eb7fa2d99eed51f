/** @module Temporary directories for a benchmark run (data dirs, Lua scripts), removed when the process exits. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];

// A data dir holds every event a run stored (GBs for the longer scenarios): without this, each
// `bun run bench` left them behind. BENCH_KEEP_DATA=1 keeps them for a look afterwards.
process.on('exit', () => {
  if (process.env.BENCH_KEEP_DATA) return;
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A new empty directory under the system temp dir, gone at exit. */
export function benchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
