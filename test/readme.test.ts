import { describe, expect, it } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { withOptionsTable } from '../src/cli/options-table.ts';
import { ROOT } from './helpers/binary.ts';

describe('README', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

  it('has the option table the config schema generates (run `bun run docs:options` when this fails)', () => {
    expect(readme).toBe(withOptionsTable(readme));
  });

  it('states the license and the two commands', () => {
    expect(readme).toContain('AGPL-3.0-or-later');
    expect(readme).toContain('npm start');
    expect(readme).toContain('npm test');
  });

  it('gives a reason for every dependency in package.json', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
    const section = readme.slice(readme.indexOf('## Dependencies'));
    for (const name of [...Object.keys(pkg.dependencies!), ...Object.keys(pkg.devDependencies!)]) expect(section).toContain(`\`${name}\``);
  });
});
