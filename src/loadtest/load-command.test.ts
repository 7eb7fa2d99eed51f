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
    for (const what of ['--durration: unknown option', '--ack-check: expected true, yes, on or 1, or false, no, off or 0, got "maybe"', 'unexpected argument "extra"', '--seed: needs a value']) expect(r.err).toContain(what);
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
    for (const what of ['--target: expected an http:// URL', '--duration: expected a length of at least 1ms', '--json: cannot write /nonexistent-dir/run.json', '--svg: cannot write /']) expect(r.err).toContain(what);
    expect((await run(['--target', 'https://127.0.0.1:1'])).err).toContain('--target: expected an http:// URL');
  });

  it('exits 2 for no --target, a duration under 1 ms, an empty output file name, one file for both --json and --svg, a family given twice and an empty --mix entry', async () => {
    for (const [args, says] of [
      [['--duration', '1s'], '--target is required'],
      [['--target', 'http://127.0.0.1:1', '--duration', '0.1ms'], '--duration: expected a length of at least 1ms'],
      [['--target', 'http://127.0.0.1:1', '--json', ''], '--json: expected a file name, got an empty one'],
      [['--target', 'http://127.0.0.1:1', '--svg='], '--svg: expected a file name, got an empty one'],
      [['--target', 'http://127.0.0.1:1', '--json', '/tmp/same.out', '--svg', '/tmp/../tmp/same.out'], '--json and --svg: one file each'],
      [['--target', 'http://127.0.0.1:1', '--mix', 'pageview=1,pageview=0,pixel=2'], '--mix: pageview is given twice'],
      [['--target', 'http://127.0.0.1:1', '--mix', 'pageview=70,,pixel=5'], '--mix: "" is not family=weight'],
    ] as const) {
      const r = await run([...args]);
      expect([args, r.code, r.err]).toEqual([args, 2, expect.stringContaining(says)]);
    }
  });

  it('prints its help and exits 0, for -h too, but not for a value that is -h', async () => {
    for (const flag of ['--help', '-h']) {
      const r = await run([flag]);
      expect([flag, r.code, r.out.startsWith('footfall bench:')]).toEqual([flag, 0, true]);
    }
    const password = await run(['--target', 'http://127.0.0.1:1', '--password', '-h', '--connections', '0']);
    expect([password.code, password.out]).toEqual([2, '']);
  });

  it('takes counts as plain digits within their range only (no 1e1, 0x2, " 2"; at most 10,000 connections, the addresses it has, a 32-bit seed, a rate above 0 written out in decimals)', async () => {
    for (const [option, value, says] of [
      ['--connections', '1e1', '--connections: expected a whole number from 1 to 10000'],
      ['--connections', '0x2', '--connections: expected a whole number from 1 to 10000'],
      ['--connections', ' 2', '--connections: expected a whole number from 1 to 10000'],
      ['--connections', '10001', '--connections: expected a whole number from 1 to 10000'],
      ['--addresses', '300000000', '--addresses: expected a whole number from 1 to 262144000'],
      ['--seed', '4294967296', '--seed: expected a whole number from 0 to 4294967295'],
      ['--rate', '0', '--rate: expected requests a second, a number above 0 and at most 1000000'],
      ['--rate', '1e3', '--rate: expected requests a second, a number above 0 and at most 1000000'],
      ['--rate', '-5', '--rate: expected requests a second, a number above 0 and at most 1000000'],
      ['--rate', '2000000', '--rate: expected requests a second, a number above 0 and at most 1000000'],
      ['--rate', '.5', '--rate: expected requests a second, a number above 0 and at most 1000000'],
    ] as const) {
      const r = await run(['--target', 'http://127.0.0.1:1', option, value]);
      expect([option, value, r.code, r.err.includes(says)]).toEqual([option, value, 2, true]);
    }
  });

  it('refuses a target with credentials (they would be printed with it), a query or a fragment, and a - for an output file', async () => {
    const creds = await run(['--target', 'http://user:pw@127.0.0.1:1']);
    expect([creds.code, creds.err]).toEqual([2, expect.stringContaining('--target: no user or password in the URL')]);
    expect(creds.err).not.toContain('pw@');
    expect((await run(['--target', 'http://127.0.0.1:1/?x=1'])).err).toContain('--target: no query or fragment');
    expect((await run(['--target', 'http://127.0.0.1:1', '--json', '-'])).err).toContain('--json: expected a file name');
  });
});
