import { describe, expect, it } from 'bun:test';
import { fileFate } from './file-identity.ts';

describe('the fate of an open database file', () => {
  it('is the same file while device and inode match, removed when nothing is at the path, replaced when another file is', () => {
    expect(fileFate({ dev: 1, ino: 7 }, { dev: 1, ino: 7 })).toBe('same');
    expect(fileFate({ dev: 1, ino: 7 }, null)).toBe('removed');
    expect(fileFate({ dev: 1, ino: 7 }, { dev: 1, ino: 8 })).toBe('replaced');
    expect(fileFate({ dev: 1, ino: 7 }, { dev: 2, ino: 7 })).toBe('replaced');
  });
});
