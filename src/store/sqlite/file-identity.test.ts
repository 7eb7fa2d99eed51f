import { describe, expect, it } from 'bun:test';
import { fileFate, walGrowth, WatchedFile } from './file-identity.ts';

describe('the fate of an open database file', () => {
  it('is the same file while device and inode match, removed when nothing is at the path, replaced when another file is', () => {
    expect(fileFate({ dev: 1, ino: 7 }, { dev: 1, ino: 7 })).toBe('same');
    expect(fileFate({ dev: 1, ino: 7 }, null)).toBe('removed');
    expect(fileFate({ dev: 1, ino: 7 }, { dev: 1, ino: 8 })).toBe('replaced');
    expect(fileFate({ dev: 1, ino: 7 }, { dev: 2, ino: 7 })).toBe('replaced');
  });
});

describe('a file kept beside the database', () => {
  it('is taken as it first appears, then followed: removed, replaced, or made again and adopted', () => {
    const f = new WatchedFile('/d/footfall.db-wal', null);
    expect(f.look(null)).toBe('same');
    expect(f.look({ dev: 1, ino: 9 })).toBe('same');
    expect(f.look('unknown')).toBe('same');
    expect(f.look(null)).toBe('removed');
    expect(f.look({ dev: 1, ino: 10 })).toBe('replaced');
    f.adopt({ dev: 1, ino: 10 });
    expect(f.look({ dev: 1, ino: 10 })).toBe('same');
  });
});

describe('the growth of the WAL', () => {
  it('is said once past the size, again each time it doubles, and once it is back under', () => {
    const MB = 1 << 20;
    let warned = 0;
    const says: (string | null)[] = [];
    for (const size of [4, 100, 128, 130, 200, 256, 300, 600, 64, 32, 200]) {
      const r = walGrowth(warned, size * MB, 128 * MB);
      says.push(r.say);
      warned = r.warned;
    }
    expect(says).toEqual([null, null, 'grown', null, null, 'grown', null, 'grown', 'back', null, 'grown']);
  });
});
