import { describe, expect, it } from 'bun:test';
import { createUserAgentParser } from '../ingest/user-agent.ts';
import { rng, userAgentCorpus, zipfIndex } from './ua-corpus.ts';

describe('the load tool\'s user-agent corpus', () => {
  const corpus = userAgentCorpus();

  it('holds 4,000 distinct user agents, the same every time', () => {
    expect(new Set(corpus).size).toBe(4000);
    expect(userAgentCorpus()).toEqual(corpus);
  });

  it('writes each as its browser does: Firefox\'s rv: is its version, Edge\'s Chrome/ its own major, Safari\'s Version/ its iOS, Macs frozen at 10_15_7', () => {
    let firefox = 0, edge = 0, ios = 0;
    for (const ua of corpus) {
      const ff = /rv:(\d+)\.0\) Gecko\/20100101 Firefox\/(\d+)\.0$/.exec(ua);
      if (ff) expect([ua, ff[1]]).toEqual([ua, ff[2]!]), firefox++;
      const e = /Chrome\/(\d+)\.0\.0\.0 Safari\/537\.36 Edg\/(\d+)\./.exec(ua);
      if (e) expect([ua, e[1]]).toEqual([ua, e[2]!]), edge++;
      const i = /OS (\d+)_(\d+)(?:_\d+)? like Mac OS X\) .* Version\/(\d+\.\d+) /.exec(ua);
      if (i) expect([ua, `${i[1]}.${i[2]}`]).toEqual([ua, i[3]!]), ios++;
      if (/Intel Mac OS X/.test(ua)) expect(ua).toMatch(/Intel Mac OS X (10_15_7|10\.15)[;)]/);
    }
    expect([firefox > 100, edge >= 20, ios >= 30]).toEqual([true, true, true]);
  });

  it('writes Chrome 110 and later as Chrome does since it froze its UA: MAJOR.0.0.0 on Windows 10, macOS 10_15_7 or Android 10 "K", never on Windows 7 or 8.1 (full builds only in Android WebViews)', () => {
    let reduced = 0;
    for (const ua of corpus) {
      const m = /Chrome\/(\d+)\.(\d+\.\d+\.\d+)/.exec(ua);
      if (!m || Number(m[1]) < 110) continue;
      if (/; wv\)/.test(ua)) continue;
      expect([ua, m[2]]).toEqual([ua, '0.0.0']);
      expect(ua).not.toMatch(/Windows NT 6\.|WOW64/);
      if (/Android/.test(ua) && !/SAMSUNG/.test(ua)) expect(ua).toContain('(Linux; Android 10; K)');
      reduced++;
    }
    expect(reduced).toBeGreaterThan(100);
  });

  it('gives the stored operating systems a real site’s shares under the load tool’s Zipf draw: Windows 7 and 8.1 a sliver, mobile a good part', () => {
    const parser = createUserAgentParser({ capacity: 5000 });
    const r = rng(11);
    const os = new Map<string, number>();
    let mobile = 0;
    const N = 50_000;
    for (let i = 0; i < N; i++) {
      const p = parser.parse(corpus[zipfIndex(r, corpus.length)]!);
      const name = `${p.os} ${p.osVersion ?? ''}`.trim();
      os.set(name, (os.get(name) ?? 0) + 1);
      if (p.device === 'mobile' || p.device === 'tablet') mobile++;
    }
    const share = (prefix: string) => [...os].filter(([k]) => k.startsWith(prefix)).reduce((a, [, n]) => a + n, 0) / N;
    expect(share('Windows 7') + share('Windows 8')).toBeLessThan(0.03);
    expect(mobile / N).toBeGreaterThan(0.25);
    expect(mobile / N).toBeLessThan(0.7);
  });

  it('has no crawler in it, by the parser Footfall stores with (a bot\'s hit would be answered and not stored)', () => {
    const parser = createUserAgentParser({ capacity: 10 });
    expect(corpus.filter((ua) => parser.parse(ua).isBot)).toEqual([]);
  });
});
