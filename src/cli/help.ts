/** @module The text of `footfall --help`: subcommands and every option with its default and env names. */
import { optionRows } from './option-rows.ts';

export function helpText(): string {
  const rows = optionRows();
  const width = Math.max(...rows.map((r) => r.usage.length + 2));
  const lines = [
    'footfall — self-hosted web analytics collector (Prisme, RudderStack and Umami compatible)',
    '',
    'Usage:',
    '  footfall [serve] [options]        start the server (the default)',
    '  footfall systemd-unit [options]   print a hardened systemd unit running this binary with these options',
    '  footfall user reset-password NAME [--data-dir DIR]   set a new random password, printed once',
    '  footfall bench --target URL [options]   drive a realistic load at a running Footfall (footfall bench --help)',
    '  footfall --help | --version',
    '',
    'Options (flags beat environment variables; durations are numbers with units, as Go writes them: ns, us, ms, s, m, h, and d for days,',
    'as 250ms, 1.5s, 1m30s, 2h, rounded to the millisecond; a switch, shown without VALUE, is turned off by --no-NAME or --NAME=false;',
    'its variables take true/false, t/f, yes/no, on/off or 1/0):',
  ];
  for (const r of rows) {
    lines.push(`  ${r.usage.padEnd(width)} ${r.help}`);
    lines.push(`  ${''.padEnd(width)} default: ${r.default}; env: ${r.env}`);
  }
  lines.push('', 'Environment only:', '  FOOTFALL_ADMIN_PASSWORD   password of the admin user created on first start, 8 to 255 characters (else a random one is printed once)');
  return lines.join('\n') + '\n';
}
