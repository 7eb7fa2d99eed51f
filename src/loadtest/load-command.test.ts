import { describe, expect, it } from 'bun:test';
import { loadCommand, parseLoadArgs } from './load-command.ts';

/** Runs the command in-process; every case here fails its options, so nothing is driven. */
async function run(args: string[]) {
  let out = '';
  let err = '';
  const code = await loadCommand(args, {}, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}

describe('footfall bench options', () => {
  it('reads values given as --name value or --name=value, and flags', () => {
    const r = parseLoadArgs(['--target', 'http://h:1', '--duration=5s', '--ack-check', '--quiet']);
    expect([Object.fromEntries(r.values), [...r.flags], r.problems]).toEqual([{ target: 'http://h:1', duration: '5s' }, ['ack-check', 'quiet'], []]);
  });

  it('reads flags as footfall serve does: =true, =false and --no-', () => {
    expect([...parseLoadArgs(['--ack-check=true', '--quiet', '--no-quiet']).flags]).toEqual(['ack-check']);
  });

  it('exits 2 naming an unknown option, a flag given neither true nor false, a value missing and a stray argument, all at once', async () => {
    const r = await run(['--target', 'http://127.0.0.1:1', '--durration', '5s', '--ack-check=maybe', 'extra', '--seed']);
    expect(r.code).toBe(2);
    for (const what of ['--durration: unknown option', '--ack-check: expected true or false, got "maybe"', 'unexpected argument "extra"', '--seed: needs a value']) expect(r.err).toContain(what);
  });

  it('refuses a seed that is not a whole number instead of running with NaN', async () => {
    for (const seed of ['abc', '-1', '1.5', '']) {
      const r = await run(['--target', 'http://127.0.0.1:1', `--seed=${seed}`]);
      expect([seed, r.code, r.err.includes('--seed: expected a whole number')]).toEqual([seed, 2, true]);
    }
  });

  it('exits 2 before any load for a target that is not http://, a zero duration and an output file it cannot write', async () => {
    const r = await run(['--target', 'ftp://127.0.0.1:1', '--duration', '0s', '--json', '/nonexistent-dir/run.json', '--svg', '/']);
    expect(r.code).toBe(2);
    for (const what of ['--target: expected an http:// URL', '--duration: expected a length above zero', '--json: cannot write /nonexistent-dir/run.json', '--svg: cannot write /']) expect(r.err).toContain(what);
    expect((await run(['--target', 'https://127.0.0.1:1'])).err).toContain('--target: expected an http:// URL');
  });

  it('prints its help and exits 0', async () => {
    const r = await run(['--help']);
    expect([r.code, r.out.startsWith('footfall bench:')]).toEqual([0, true]);
  });
});
