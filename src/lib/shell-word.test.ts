import { describe, expect, it } from 'bun:test';
import { shellWord } from './shell-word.ts';

describe('a shell word', () => {
  it('is the string itself when no character in it means anything to a shell', () => {
    expect(shellWord('/var/lib/footfall')).toBe('/var/lib/footfall');
  });

  it('is single-quoted otherwise, a quote inside written so that sh reads the string back whole', async () => {
    for (const s of ['', 'my data', "it's", '$HOME/x', 'a;b', 'tab\there', '*']) {
      const word = shellWord(s);
      const out = Bun.spawnSync(['sh', '-c', `printf %s ${word}`]).stdout.toString();
      expect([s, out]).toEqual([s, s]);
    }
  });
});
