/**
 * @module Profiles Footfall's hot path under the realistic mix: runs src/main.ts (from source,
 * so frames keep their file names) with Bun's --cpu-prof, drives the mix, stops it with SIGTERM
 * and prints the self time by function and by area (Elysia/HTTP, ingest, store, GC, …).
 *   bun bench/profile.ts [seconds] [buffered|durable] [mix, e.g. pageview=100]
 */
import { benchDir } from './lib/temp-dir.ts';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort, waitFor } from './lib/bench-server.ts';
import { LOAD_DEFAULTS, runLoad } from '../src/loadtest/load-run.ts';
import { summary } from '../src/loadtest/load-summary.ts';
import { parseMix } from '../src/loadtest/mix.ts';

const SECONDS = Number(process.argv[2] ?? 10);
const ACK = process.argv[3] ?? 'buffered';
/** One family alone (`pageview=100`) shows that family's hot path; the default is the realistic mix. */
const MIX = process.argv[4] ? parseMix(process.argv[4]) : LOAD_DEFAULTS.mix;
const root = resolve(import.meta.dir, '..');
const profDir = benchDir('footfall-prof-');
const port = freePort();
const proc = Bun.spawn([process.execPath, '--cpu-prof', '--cpu-prof-dir', profDir, join(root, 'src/main.ts'), 'serve', '--host', '127.0.0.1', '--port', String(port),
  '--data-dir', benchDir('footfall-prof-data-'), '--trust-proxy', '--ack', ACK, '--log-level', 'warn'], {
  stdout: 'ignore', stderr: 'inherit', env: { ...process.env, FOOTFALL_ADMIN_PASSWORD: 'bench-admin-password' },
});
const url = `http://127.0.0.1:${port}`;
await waitFor(url + '/api/v1/healthcheck', proc);
const o = { ...LOAD_DEFAULTS, target: url, password: 'bench-admin-password', progress: false, mix: MIX };
await runLoad({ ...o, durationMs: 3000, seed: 987654 });
const r = await runLoad({ ...o, durationMs: SECONDS * 1000, seed: 12345 });
console.log(summary(r));
proc.kill('SIGTERM');
await proc.exited;

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
if (!file) throw new Error(`no .cpuprofile in ${profDir}`);
const prof = JSON.parse(readFileSync(join(profDir, file), 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
prof.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
const total = [...self.values()].reduce((a, b) => a + b, 0);

function area(u: string, fn: string): string {
  if (!u) return fn === '(garbage collector)' ? 'GC' : fn === '(idle)' || fn === '(program)' ? fn : `native: ${fn}`;
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u);
  if (m) return `pkg ${m[1]}`;
  const s = /\/src\/(.+)$/.exec(u);
  if (s) return `src/${s[1]!.split('/').slice(0, -1).join('/') || '.'}`;
  return u.replace(/^.*\//, '');
}
const fnTotals = new Map<string, number>();
const areaTotals = new Map<string, number>();
for (const [id, t] of self) {
  const n = byId.get(id)!;
  const f = n.callFrame;
  const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(node_modules|src)\//, '$1/')}:${f.lineNumber + 1}`;
  fnTotals.set(key, (fnTotals.get(key) ?? 0) + t);
  const a = area(f.url, f.functionName);
  areaTotals.set(a, (areaTotals.get(a) ?? 0) + t);
}
const pct = (t: number) => `${((100 * t) / total).toFixed(1).padStart(5)} %`;
console.log(`\nprofile ${join(profDir, file)} (${(total / 1e6).toFixed(1)} s sampled)\n\nself time by area:`);
for (const [a, t] of [...areaTotals].sort((x, y) => y[1] - x[1]).slice(0, 20)) console.log(`  ${pct(t)}  ${a}`);
console.log('\nself time by function (top 30):');
for (const [k, t] of [...fnTotals].sort((x, y) => y[1] - x[1]).slice(0, 30)) console.log(`  ${pct(t)}  ${k}`);
