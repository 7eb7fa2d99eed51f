/**
 * @module What ratio a server can reach at all, given how long its own code takes per request.
 *
 * The model server is the bare Bun.serve baseline plus W µs of computation per request that walks
 * a 4 MiB table (bench/lib/baseline-server.ts). For each W it is measured against the plain bare
 * server in paired rounds, with the same wrk and Prisme-shaped requests as the Footfall scenarios,
 * and the line gives its ratio and its request thread's user-space and kernel µs per request.
 * Footfall's scenarios print the same two figures (request_thread_us − request_thread_kernel_us is
 * the user-space part), so this says what ratio that much code per request can reach on this
 * machine, whatever the code: the kernel's share grows with it (the client sleeps between answers
 * and must be woken, and the socket code finds the CPU caches cold).
 *   bun bench/work-ceiling.ts [W,W,…]   (µs; default 0,5,10,15,20,25)
 */
import { benchDir } from './lib/temp-dir.ts';
import { join } from 'node:path';
import { startBaseline } from './lib/bench-server.ts';
import { pairedWrk } from './lib/paired.ts';
import { writePrismeLua } from './lib/prisme-lua.ts';
import { check, line } from './lib/report.ts';
import { wrk, wrkScenario } from './lib/wrk.ts';

const { durationS: DURATION, rounds: ROUNDS, connections: CONNS } = wrkScenario('work-ceiling', 4);
const LEVELS = (process.argv[2] ?? '0,5,10,15,20,25').split(',').map(Number);
check(LEVELS.every((w) => Number.isFinite(w) && w >= 0), `work levels ${process.argv[2]}`);

const script = join(benchDir('footfall-lua-'), 'prisme.lua');
writePrismeLua(script, { site: 'https://shop.example', origin: 'https://shop.example' });
const base = await startBaseline();
const figures: Record<string, number> = {};
const ratios: number[] = [];
const userUs: number[] = [];
try {
  await wrk(base.url + '/', { connections: CONNS, durationS: 2, script });
  for (const w of LEVELS) {
    const model = await startBaseline(w);
    try {
      await wrk(model.url + '/', { connections: CONNS, durationS: 1, script });
      const r = await pairedWrk({
        rounds: ROUNDS, connections: CONNS, durationS: DURATION, script,
        baseline: { url: base.url + '/', pid: base.pid },
        footfall: { url: model.url + '/', pid: model.pid },
      });
      check(r.errors === 0 && r.non2xx === 0, `W=${w}: ${r.errors} socket errors, ${r.non2xx} non-2xx`);
      const user = r.cpu.requestUs - r.cpu.requestKernelUs;
      ratios.push(r.ratio);
      userUs.push(user);
      if (w === LEVELS[0]) figures['baseline_req/s'] = r.baselineRps;
      figures[`ratio_w${w}`] = r.ratio;
      figures[`user_us_w${w}`] = user;
      figures[`kernel_us_w${w}`] = r.cpu.requestKernelUs;
      figures[`busy_w${w}`] = r.cpu.requestBusy;
    } finally {
      await model.stop();
    }
  }
} finally {
  await base.stop();
}
// The model must do what it says: its user-space time covers the work asked for, and more work
// never buys a better ratio (within the noise of a shared machine).
LEVELS.forEach((w, i) => check(userUs[i]! >= 0.8 * w, `W=${w}: user-space ${userUs[i]!.toFixed(1)} µs per request is less than the work asked`));
for (let i = 1; i < LEVELS.length; i++)
  if (LEVELS[i]! > LEVELS[i - 1]!) check(ratios[i]! <= ratios[i - 1]! + 0.05, `ratio rose from ${ratios[i - 1]} to ${ratios[i]} with more work`);
if (LEVELS[0] === 0) check(ratios[0]! > 0.8 && ratios[0]! < 1.25, `the W=0 model is the baseline itself, yet its ratio is ${ratios[0]}`);
line('work-ceiling', { connections: CONNS, rounds: ROUNDS, ...figures });
