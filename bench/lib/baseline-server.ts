/**
 * @module The same-run baseline: a bare Bun.serve answering 200 with an empty body, in its own
 * process. With a second argument W (µs) it first computes for W µs per request, walking a 4 MiB
 * table the way an application's maps and caches pull memory through the CPU caches: the model
 * server of bench/work-ceiling.ts.
 */
const port = Number(process.argv[2] ?? 0);
const workMs = Number(process.argv[3] ?? 0) / 1000;
const table = new Uint8Array(workMs > 0 ? 4 << 20 : 0);
let at = 0;

/** W µs of computation: a stride of 65 cache lines over the table, 64 steps between clock reads. */
function work(): void {
  const until = performance.now() + workMs;
  const mask = table.length - 1;
  while (performance.now() < until) {
    for (let i = 0; i < 64; i++) {
      table[at] = (table[at]! + 1) & 255;
      at = (at + 4160) & mask;
    }
  }
}

const server = Bun.serve({
  hostname: '127.0.0.1',
  port,
  fetch: workMs > 0
    ? () => {
        work();
        return new Response(null, { status: 200 });
      }
    : () => new Response(null, { status: 200 }),
});
console.log(`baseline listening ${server.port}`);
process.on('SIGTERM', () => {
  server.stop(true);
  process.exit(0);
});
