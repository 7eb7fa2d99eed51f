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
    const unit = systemdUnit({ binaryPath: '/usr/local/bin/footfall', args: [], stateDirectory: 'footfall-eu', stopTimeoutS: 30, port: 8000 });
    expect(unit).toContain('ExecStart=/usr/local/bin/footfall serve --data-dir /var/lib/footfall-eu\n');
    expect(unit).toContain('StateDirectory=footfall-eu\n');
    expect(unit).toContain('WorkingDirectory=/var/lib/footfall-eu\n');
  });

  it('grants CAP_NET_BIND_SERVICE only to a service on a port below 1024, and no capability otherwise', () => {
    const unit = (port: number) => systemdUnit({ binaryPath: '/usr/local/bin/footfall', args: ['--port', String(port)], stateDirectory: 'footfall', stopTimeoutS: 30, port });
    for (const port of [80, 443, 1023]) {
      expect([port, unit(port).includes('\nCapabilityBoundingSet=CAP_NET_BIND_SERVICE\nAmbientCapabilities=CAP_NET_BIND_SERVICE\n')]).toEqual([port, true]);
    }
    for (const port of [0, 1024, 8000]) {
      const text = unit(port);
      expect([port, text.includes('\nCapabilityBoundingSet=\n'), text.includes('CAP_NET_BIND_SERVICE\n'), text.includes('AmbientCapabilities')]).toEqual([port, true, false, false]);
    }
  });

  it('limits the service to the system calls of an ordinary service, failing others with EPERM, and shows it only its own processes in /proc', () => {
    const unit = systemdUnit({ binaryPath: '/usr/local/bin/footfall', args: [], stateDirectory: 'footfall', stopTimeoutS: 30, port: 8000 });
    for (const line of ['SystemCallFilter=@system-service', 'SystemCallErrorNumber=EPERM', 'SystemCallArchitectures=native', 'ProtectProc=invisible', 'ProcSubset=pid']) {
      expect([line, unit.includes(`\n${line}\n`)]).toEqual([line, true]);
    }
  });
});
