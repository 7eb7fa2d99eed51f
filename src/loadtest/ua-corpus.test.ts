import { describe, expect, it } from 'bun:test';
import { createUserAgentParser } from '../ingest/user-agent.ts';
import { userAgentCorpus } from './ua-corpus.ts';

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
    expect([firefox > 100, edge > 100, ios >= 30]).toEqual([true, true, true]);
  });

  it('has no crawler in it, by the parser Footfall stores with (a bot\'s hit would be answered and not stored)', () => {
    const parser = createUserAgentParser({ capacity: 10 });
    expect(corpus.filter((ua) => parser.parse(ua).isBot)).toEqual([]);
  });
});
