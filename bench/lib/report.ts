/** @module Benchmark output: one comparable line per scenario (name, commit, Bun version, figures), and a self-check. */

export function commit(): string {
  const r = Bun.spawnSync(['git', 'rev-parse', '--short', 'HEAD'], { cwd: import.meta.dir });
  return r.exitCode === 0 ? r.stdout.toString().trim() : 'unknown';
}

export function line(name: string, figures: Record<string, string | number>): string {
  const f = Object.entries(figures)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? fmt(v) : v}`)
    .join(' ');
  const out = `${name} commit=${commit()} bun=${Bun.version} ${f}`;
  console.log(out);
  return out;
}

function fmt(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2);
}

/** A benchmark that computed a wrong result must not print a figure as if it were fine. */
export function check(ok: boolean, what: string): void {
  if (!ok) {
    console.error(`CHECK FAILED: ${what}`);
    process.exitCode = 1;
  }
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
