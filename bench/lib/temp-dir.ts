/** @module Temporary directories for a benchmark run (data dirs, Lua scripts): the tests' own helper, removed when the process exits. */
import { removeTempDirs, tempDir } from '../../test/helpers/temp-dir.ts';

// A data dir holds every event a run stored (GBs for the longer scenarios): without this, each
// `bun run bench` left them behind. BENCH_KEEP_DATA=1 keeps them for a look afterwards.
process.on('exit', () => {
  if (!process.env.BENCH_KEEP_DATA) removeTempDirs();
});

/** A new empty directory under the system temp dir, gone at exit. */
export const benchDir = (prefix: string): string => tempDir(prefix);
