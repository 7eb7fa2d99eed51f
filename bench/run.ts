/** @module The benchmark suite: runs every benchmark in bench/ in turn, each printing its one line. Exits non-zero if any check failed. */
import { join } from 'node:path';

const SUITE = ['flush.ts', 'limiter.ts', 'rudder-mapping.ts', 'cold-start.ts', 'http-health.ts', 'pixel-hits.ts'];
let failed = 0;
for (const file of SUITE) {
  const p = Bun.spawn([process.execPath, join(import.meta.dir, file)], { stdout: 'inherit', stderr: 'inherit' });
  if ((await p.exited) !== 0) {
    failed++;
    console.error(`bench ${file} failed`);
  }
}
process.exit(failed ? 1 : 0);
