import { describe, expect, it } from 'bun:test';
import { tempDir } from '../../../test/helpers/temp-dir.ts';
import { lockDataDir } from './data-dir-lock.ts';

/** Tries the lock from another process (POSIX locks do not exclude the process that holds them): 'held' or 'taken'. */
async function tryFromAnotherProcess(dir: string): Promise<string> {
  const script = `import { lockDataDir } from ${JSON.stringify(new URL('./data-dir-lock.ts', import.meta.url).pathname)};
const l = lockDataDir(${JSON.stringify(dir)}); console.log(l ? 'taken' : 'held'); l?.release();`;
  const p = Bun.spawn([process.execPath, '-e', script], { stdout: 'pipe', stderr: 'inherit' });
  const out = (await new Response(p.stdout).text()).trim();
  await p.exited;
  return out;
}

describe('the data directory lock', () => {
  it('is held against every other process until released, then free again', async () => {
    const dir = tempDir();
    const lock = lockDataDir(dir);
    expect(lock).not.toBeNull();
    expect(await tryFromAnotherProcess(dir)).toBe('held');
    lock!.release();
    expect(await tryFromAnotherProcess(dir)).toBe('taken');
  });
});
