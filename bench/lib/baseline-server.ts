/** @module The same-run baseline: a bare Bun.serve answering 200 with an empty body, in its own process. */
const port = Number(process.argv[2] ?? 0);
const server = Bun.serve({ hostname: '127.0.0.1', port, fetch: () => new Response(null, { status: 200 }) });
console.log(`baseline listening ${server.port}`);
process.on('SIGTERM', () => {
  server.stop(true);
  process.exit(0);
});
