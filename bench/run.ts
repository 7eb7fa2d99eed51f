/**
 * @module The benchmark suite (`bun run bench`, after `bun run build`): the load generator's own
 * ceiling, the ceiling a request's own work sets, the four load scenarios of issue 7 on the
 * realistic mix, then the microbenchmarks; each prints its one line. Exits non-zero if any check failed.
 */
import { join } from 'node:path';

const SUITE: string[][] = [
  ['load-generator.ts'],
  // What ratio a given amount of code per request can reach on this machine at all.
  ['work-ceiling.ts'],
  // What a question to another thread costs (the price of state shared by request threads).
  ['thread-handoff.ts'],
  // 1–4: mixed workload buffered, durable, with 10M events stored, 1M distinct addresses.
  ['mixed-load.ts', 'buffered'],
  ['mixed-load.ts', 'durable'],
  ['mixed-load.ts', 'filled'],
  ['mixed-load.ts', 'addresses'],
  // Memory under hostile input: 8 KB URLs into 80k sessions and the write buffer; 400 KiB headers.
  ['long-urls.ts'],
  ['long-headers.ts'],
  // 5: microbenchmarks.
  // The request thread's own work per hit in-process, below what the wrk scenarios can resolve.
  ['request-cpu.ts'],
  ['ua-geo.ts'],
  ['rudder-mapping.ts'],
  ['flush.ts'],
  ['limiter.ts'],
  ['cold-start.ts'],
  ['http-health.ts'],
  ['pixel-hits.ts'],
];
const only = process.argv.slice(2);
let failed = 0;
for (const [file, ...args] of SUITE) {
  if (only.length && !only.some((o) => [file, ...args].join(' ').includes(o))) continue;
  const p = Bun.spawn([process.execPath, join(import.meta.dir, file!), ...args], { stdout: 'inherit', stderr: 'inherit' });
  if ((await p.exited) !== 0) {
    failed++;
    console.error(`bench ${[file, ...args].join(' ')} failed`);
  }
}
process.exit(failed ? 1 : 0);
