import { describe, expect, it } from 'bun:test';
import { systemdUnit, unitArgs, unitWord } from './systemd-unit.ts';

describe('footfall systemd-unit', () => {
  it('writes each ExecStart word so that systemd reads it back as given: %% for %, $$ for $, \\\\ and \\" inside quotes', () => {
    expect(unitWord('--port')).toBe('--port');
    expect(unitWord('/opt/geo.mmdb')).toBe('/opt/geo.mmdb');
    expect(unitWord('/opt/a%hb')).toBe('"/opt/a%%hb"');
    expect(unitWord('/opt/$HOME/x')).toBe('"/opt/$$HOME/x"');
    expect(unitWord('a\\b "c"')).toBe('"a\\\\b \\"c\\""');
    expect(unitWord('a.com, *.b.com')).toBe('"a.com, *.b.com"');
    // A line break would end the directive; it is written as a C escape, which systemd reads back.
    expect(unitWord('a.com,\nb.com')).toBe('"a.com,\\x0ab.com"');
    expect(unitWord('tab\there')).toBe('"tab\\x09here"');
  });

  it('tells a flag given from one that is another flag\'s value', () => {
    expect(unitArgs(['--origins', '--port'], { FOOTFALL_PORT: '7000' })).toEqual({ args: ['--origins', '--port', '--port=7000'], stateDirectory: 'footfall' });
    expect(unitArgs(['--no-trust-proxy'], { FOOTFALL_TRUST_PROXY: 'true' })).toEqual({ args: ['--no-trust-proxy'], stateDirectory: 'footfall' });
  });

  it('carries options set in the environment into the unit as flags, after the flags given, which win', () => {
    const r = unitArgs(['--port', '8080'], { FOOTFALL_PORT: '7000', FOOTFALL_TRUST_PROXY: 'yes', PRISME_ORIGINS: 'a.com, b.com', FOOTFALL_ADMIN_PASSWORD: 'not in a unit' });
    expect(r).toEqual({ args: ['--port', '8080', '--trust-proxy=yes', '--origins=a.com, b.com'], stateDirectory: 'footfall' });
  });

  it('takes a data directory under /var/lib as its StateDirectory, and refuses one elsewhere instead of replacing it', () => {
    expect(unitArgs(['--data-dir', '/var/lib/footfall-eu'], {})).toEqual({ args: [], stateDirectory: 'footfall-eu' });
    expect(unitArgs([], { FOOTFALL_DATA_DIR: '/var/lib/analytics/footfall/' })).toEqual({ args: [], stateDirectory: 'analytics/footfall' });
    expect(unitArgs([], { FOOTFALL_DATA_DIR: ' /var/lib/footfall-eu ' })).toEqual({ args: [], stateDirectory: 'footfall-eu' });
    for (const dir of ['/srv/footfall', './data', '/var/lib', '/var/lib/../etc', '/var/lib/private/footfall']) {
      const r = unitArgs([`--data-dir=${dir}`], {});
      expect([dir, 'error' in r && r.error.includes('/var/lib/NAME')]).toEqual([dir, true]);
    }
    const unit = systemdUnit({ binaryPath: '/usr/local/bin/footfall', args: [], stateDirectory: 'footfall-eu', stopTimeoutS: 30 });
    expect(unit).toContain('ExecStart=/usr/local/bin/footfall serve --data-dir /var/lib/footfall-eu\n');
    expect(unit).toContain('StateDirectory=footfall-eu\n');
    expect(unit).toContain('WorkingDirectory=/var/lib/footfall-eu\n');
  });
});
