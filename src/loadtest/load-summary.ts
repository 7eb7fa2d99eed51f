/** @module A load run's report → the summary lines a person reads (summary) and the per-second chart (chartSvg). */
import type { Second } from './load-driver.ts';
import type { LoadReport } from './load-run.ts';
import { INTERRUPTED } from './read-back.ts';

export const f2 = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');

/** A --rate is held when at least this share of the requests due were answered (a few may be in flight, or lost, at the end). */
export const RATE_HELD = 0.97;

export function summary(r: LoadReport): string {
  const st = Object.entries(r.statuses).map(([f, m]) => `${f} ${Object.entries(m).map(([s, n]) => `${s}:${n}`).join(' ')}`).join(', ');
  const lines = [
    `target ${r.target}  ${r.connections} connections  ${r.durationS.toFixed(1)} s  seed ${r.seed}  visitors ${r.visitors}`,
    `requests/s ${r['req/s'].toFixed(0)}  events/s ${r['events/s'].toFixed(0)}  (${r.requests} requests)${r.rate ? `  --rate ${r.rate.asked}: ${r.rate.held ? 'held' : 'NOT HELD'}` : ''}`,
    `latency ms${r.rate ? ' (from each request\'s due time)' : ''}  p50 ${f2(r.latency_ms.p50)}  p90 ${f2(r.latency_ms.p90)}  p99 ${f2(r.latency_ms.p99)}  max ${f2(r.latency_ms.max)}`,
    `statuses    ${st}  socket errors ${r.socketErrors}${r.errorSamples.length ? ` (${r.errorSamples.join('; ')})` : ''}${r.resent ? `  sent again ${r.resent} (an idle connection closed under them)` : ''}`,
  ];
  if (r.created) lines.push(`created     website ${r.created.websiteId} (${r.created.domain}), pixel ${r.created.pixelId} (${r.created.slug}): left on the target with this run's events`);
  if (r.ackCheck) {
    const a = r.ackCheck;
    if (a.error && !a.done && a.error.startsWith(INTERRUPTED)) lines.push(`ack-check   not done: ${a.error}`);
    else if (a.error) lines.push(`ack-check   could not read the events back: ${a.error}: FAILED`);
    else {
      const reloads = a.reloads ? `, less ${a.reloads} Prisme reloads (answered 200 and stored as nothing, as Prisme does)` : '';
      const lost = a.lost ? `, less ${a.lost} pixel hits LOST (answered with the GIF, dropped: the target's write buffer was full)` : '';
      const maybe = a.unanswered ? `, give or take ${a.unanswered} requests that got no answer (stored or not)` : '';
      const late = a.late ? `, plus up to ${a.late} answered 503 after the durable-ack deadline and written later (at-least-once)` : '';
      lines.push(`ack-check   stored ${a.stored} (website ${a.websiteStored}, pixel ${a.pixelStored}) vs acknowledged ${a.acknowledged}${reloads}${lost}${maybe}${late}: ${a.ok ? 'OK' : a.lost ? 'LOST EVENTS' : 'MISMATCH'}`);
    }
  } else if (r.answeredNotStored?.bufferFull) {
    lines.push(`dropped     ${r.answeredNotStored.bufferFull} pixel hits answered with the GIF but not stored: the target's write buffer was full`);
  }
  return lines.join('\n');
}

/** Text for an XML element: a target URL may hold `&` or `<`. */
const xmlText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Throughput (req/s, left axis), failures (answers not 2xx and socket errors per second, left
 * axis, drawn when there were any) and p50/p99 latency (ms, right axis) per second, as a
 * standalone SVG.
 */
export function chartSvg(r: LoadReport): string {
  const W = 800, H = 320, L = 60, R = 60, T = 30, B = 52;
  const s = r.seconds;
  const rate = (p: Second) => (p.lengthS > 0 ? p.requests / p.lengthS : 0);
  const failures = (p: Second) => (p.lengthS > 0 ? (p.non2xx + p.errors) / p.lengthS : 0);
  const failed = s.some((p) => p.non2xx + p.errors > 0);
  const span = Math.max(1, ...s.map((p) => p.t));
  const maxRps = Math.max(1, ...s.map(rate)) * 1.1;
  const maxMs = Math.max(0.1, ...s.map((p) => (Number.isFinite(p.p99_ms) ? p.p99_ms : 0))) * 1.1;
  // Each window is drawn at its middle.
  const x = (p: Second) => L + ((W - L - R) * (p.t - p.lengthS / 2)) / span;
  const yl = (v: number) => H - B - ((H - T - B) * v) / maxRps;
  const yr = (v: number) => H - B - ((H - T - B) * v) / maxMs;
  /**
   * A line through the windows that have a value: a window with no answer has no latency, and
   * leaves a gap (not a fall to 0 ms); a point alone is drawn as a mark, a ring for a left-axis
   * series and a dot for a right-axis one, so that two at the same place both show.
   */
  const series = (f: (p: Second) => number, y: (v: number) => number, color: string, ring: boolean) => {
    const runs: string[][] = [[]];
    for (const p of s) {
      const v = f(p);
      if (Number.isFinite(v)) runs[runs.length - 1]!.push(`${x(p).toFixed(1)},${y(v).toFixed(1)}`);
      else if (runs[runs.length - 1]!.length) runs.push([]);
    }
    return runs.filter((pts) => pts.length).map((pts) => {
      if (pts.length > 1) return `<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.join(' ')}"/>`;
      const [cx, cy] = pts[0]!.split(',');
      return ring ? `<circle cx="${cx}" cy="${cy}" r="5" fill="none" stroke="${color}" stroke-width="2"/>` : `<circle cx="${cx}" cy="${cy}" r="2.5" fill="${color}"/>`;
    }).join('');
  };
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((q) => `<text x="${L - 6}" y="${yl(q * maxRps) + 4}" text-anchor="end">${Math.round(q * maxRps)}</text><text x="${W - R + 6}" y="${yr(q * maxMs) + 4}">${(q * maxMs).toFixed(maxMs < 1 ? 2 : 1)}</text><line x1="${L}" x2="${W - R}" y1="${yl(q * maxRps)}" y2="${yl(q * maxRps)}" stroke="#eee"/>`).join('');
  // Seconds along the bottom, at a round step giving at most ~10 marks.
  const step = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600].find((d) => span / d <= 10) ?? Math.ceil(span / 10);
  const xTicks: string[] = [];
  for (let t = 0; t <= span + 1e-9; t += step) {
    const px = L + ((W - L - R) * t) / span;
    xTicks.push(`<line x1="${px.toFixed(1)}" x2="${px.toFixed(1)}" y1="${H - B}" y2="${H - B + 4}" stroke="#999"/><text x="${px.toFixed(1)}" y="${H - B + 16}" text-anchor="middle">${t}</text>`);
  }
  const failing = r.non2xx + r.socketErrors;
  const title = `${xmlText(r.target)}: ${r['req/s'].toFixed(0)} req/s${r.rate ? ` (--rate ${r.rate.asked})` : ''}, p99 ${f2(r.latency_ms.p99)} ms, ${r.connections} connections${failing ? `, ${r.non2xx} not 2xx, ${r.socketErrors} socket errors` : ''}`;
  const legend = [
    ['#1f77b4', 'req/s (left)'], ...(failed ? [['#ff7f0e', 'not 2xx + socket errors /s (left)']] : []), ['#d62728', 'p99 ms (right)'], ['#ff9896', 'p50 ms (right)'],
  ];
  let lx = L;
  const legendText = legend.map(([color, text]) => {
    const el = `<text x="${lx}" y="${H - 8}" fill="${color}">${text}</text>`;
    lx += text!.length * 6 + 18;
    return el;
  }).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="white"/>${ticks}
<line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="#999"/>${xTicks.join('')}
<text x="${L}" y="18" font-size="13">${title}</text>
${series(rate, yl, '#1f77b4', true)}${failed ? series(failures, yl, '#ff7f0e', true) : ''}${series((p) => p.p99_ms, yr, '#d62728', false)}${series((p) => p.p50_ms, yr, '#ff9896', false)}
${legendText}<text x="${W - R}" y="${H - 8}" text-anchor="end">seconds</text>
</svg>
`;
}
