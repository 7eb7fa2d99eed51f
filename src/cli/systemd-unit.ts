/** @module `footfall systemd-unit`: a hardened unit file for this binary, with the options it was given (flags and FOOTFALL_* variables alike). */
import { realpathSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { CONFIG_KEYS, envNamesSet, optionFlagKind, optionMeta } from '../config.ts';
import { readFlags } from '../lib/argv.ts';

export interface UnitOptions {
  binaryPath: string;
  /** Options passed through to `footfall serve` (already validated; see unitArgs). */
  args: string[];
  /** The data directory under /var/lib that systemd creates for the service's dynamic user. */
  stateDirectory: string;
  /** Seconds systemd waits after SIGTERM; must cover a full buffer drain. */
  stopTimeoutS: number;
  /** The port serve listens on: below 1024 the service needs CAP_NET_BIND_SERVICE, else no capability at all. */
  port: number;
}

/** Ports below this need CAP_NET_BIND_SERVICE (net.ipv4.ip_unprivileged_port_start's default). */
const FIRST_UNPRIVILEGED_PORT = 1024;

/**
 * The unit's capability lines: the one a port below 1024 needs, or an empty bounding set, so a
 * service on 8000 holds none (not even one it could regain).
 */
function capabilityLines(port: number): string {
  if (port > 0 && port < FIRST_UNPRIVILEGED_PORT) {
    return `# Port ${port} is below 1024: binding it takes this one capability, and no other.
CapabilityBoundingSet=CAP_NET_BIND_SERVICE
AmbientCapabilities=CAP_NET_BIND_SERVICE`;
  }
  return `# No capability: the port is 1024 or above (a port below needs CAP_NET_BIND_SERVICE; run
# systemd-unit with that --port and it is granted).
CapabilityBoundingSet=`;
}

/**
 * One word of ExecStart as systemd reads it back: `%` starts a specifier (`%%` is one `%`), `$`
 * an environment variable (`$$` is one `$`), and inside double quotes `\` and `"` are escaped.
 */
export function unitWord(s: string): string {
  if (/^[A-Za-z0-9_@+=:,./-]+$/.test(s)) return s;
  const escaped = s
    .replace(/(["\\])/g, '\\$1')
    // A line break or other control character would end the line, or the directive: C escapes.
    .replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
    .replace(/%/g, '%%')
    .replace(/\$/g, '$$$$');
  return `"${escaped}"`;
}

/**
 * The unit's options: the flags given, then every option set only through the environment
 * (FOOTFALL_* and the Prisme names; not the admin password, which belongs in a drop-in) as a
 * flag, since the unit does not run in this shell. The data directory must be one systemd
 * creates and hands to the dynamic user: /var/lib/NAME (StateDirectory=NAME).
 */
export function unitArgs(args: readonly string[], env: Record<string, string | undefined>): { args: string[]; stateDirectory: string } | { error: string } {
  // The flags given, read as `serve` reads them (a value that looks like a flag is a value).
  const flagged = new Set(readFlags(args, optionFlagKind).flags.map((f) => f.flag));
  const given = (flag: string) => flagged.has(flag);
  const out: string[] = [];
  let dataDir: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--data-dir') dataDir = args[++i] ?? null;
    else if (a.startsWith('--data-dir=')) dataDir = a.slice('--data-dir='.length);
    else out.push(a);
  }
  for (const key of CONFIG_KEYS) {
    const m = optionMeta(key);
    if (given(m.flag)) continue;
    const name = envNamesSet(key, env)[0];
    if (!name) continue;
    if (key === 'dataDir') dataDir = env[name]!.trim();
    else out.push(`--${m.flag}=${env[name]!.trim()}`);
  }
  if (dataDir === null) return { args: out, stateDirectory: 'footfall' };
  const m = /^\/var\/lib\/([A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)*)\/?$/.exec(dataDir);
  // /var/lib/private is where systemd keeps dynamic users' directories itself.
  if (!m || m[1]!.split('/').some((part) => part === '.' || part === '..') || m[1]!.split('/')[0] === 'private') {
    return { error: `--data-dir: a unit's data directory is one systemd creates for its dynamic user, /var/lib/NAME; got ${dataDir}` };
  }
  return { args: out, stateDirectory: m[1]! };
}

/** Where the unit's sandbox hides the host's files from the service (PrivateTmp, ProtectHome, PrivateDevices). */
const HIDDEN_FROM_UNIT = ['/tmp/', '/var/tmp/', '/home/', '/root/', '/run/user/', '/dev/'];

/**
 * Why the service the unit runs could not read a file an option names (`name`: --geoip-db, or the environment name it came by), or null:
 * a relative path (the unit has no working directory of the shell's), or one under a directory
 * its sandbox hides. The service would exit 2 at start and restart for ever.
 */
export function unitCannotRead(name: string, path: string): string | null {
  if (!path.startsWith('/')) return `${name}: the service starts elsewhere than this shell: give an absolute path; got ${path}`;
  // Where the file really is: `//tmp/x`, `/usr/../tmp/x` and a link into /tmp are all in /tmp.
  let real = path;
  try {
    real = realpathSync(path);
  } catch {
    // Not there: the options' own check says so.
  }
  const hidden = HIDDEN_FROM_UNIT.find((d) => real.startsWith(d));
  if (hidden) return `${name}: the unit's sandbox hides ${hidden} from the service (PrivateTmp, ProtectHome, PrivateDevices): put the file elsewhere, such as /usr/local/share/; got ${path}${real !== path ? ` (${real})` : ''}`;
  // The service opens the path as given: the directories on the way to a link count, and the ones
  // on the way to what it points at.
  const closed = othersCannotRead(path) ?? (real !== path ? othersCannotRead(real) : null);
  return closed === null ? null : `${name}: the service's user (DynamicUser: neither the owner nor in the group of anything) may not read ${closed}: chmod o+r the file (o+x its directories), or put a copy such as /usr/local/share/ holds; got ${path}`;
}

/** The file (a link followed), or the first directory above it, that a user other than its owner and group may not read (search); null when none. */
function othersCannotRead(file: string): string | null {
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch {
    return null; // not there: the options' own check says so
  }
  if ((mode & 0o004) === 0) return `${file} (mode ${(mode & 0o777).toString(8).padStart(4, '0')})`;
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    let dirMode: number;
    try {
      dirMode = statSync(dir).mode;
    } catch {
      return null; // this user cannot look: nothing to say about others
    }
    if ((dirMode & 0o001) === 0) return `${file}: ${dir} (mode ${(dirMode & 0o777).toString(8).padStart(4, '0')}) lets no one else through`;
    if (dir === '/') return null;
  }
}

/**
 * Why the unit could not start this binary, or null: under a directory its sandbox hides (a
 * binary run from ~/footfall/dist or /tmp; 203/EXEC at every start), or with a `$` in its path,
 * which systemd does not undo in the program's name as it does in its arguments.
 */
export function unitCannotRun(binaryPath: string): string | null {
  let real = binaryPath;
  try {
    real = realpathSync(binaryPath);
  } catch {
    // It is running: it is there.
  }
  const hidden = HIDDEN_FROM_UNIT.find((d) => real.startsWith(d));
  if (hidden) return `the unit's sandbox hides ${hidden} from the service, and this binary is there (${real}): install it elsewhere, such as /usr/local/bin/footfall, and run its systemd-unit from there`;
  if (real.includes('$')) return `systemd cannot name a program whose path holds a $ (${real}): install the binary elsewhere, such as /usr/local/bin/footfall`;
  return null;
}

export function systemdUnit(o: UnitOptions): string {
  // --data-dir is the StateDirectory, so the service writes only there.
  const dataDir = `/var/lib/${o.stateDirectory}`;
  const args = ['serve', '--data-dir', dataDir, ...o.args].map(unitWord).join(' ');
  return `[Unit]
Description=Footfall web analytics collector
Documentation=https://github.com/footfall/footfall
After=network-online.target
Wants=network-online.target
# Five failed starts within two minutes (a database a downgraded binary cannot use, say) stop
# the restarts; systemctl reset-failed footfall and a start try again.
StartLimitIntervalSec=120
StartLimitBurst=5

[Service]
Type=simple
ExecStart=${unitWord(o.binaryPath)} ${args}
# Set the first admin password before the first start, e.g. in a drop-in:
#   systemctl edit footfall  ->  [Service] Environment=FOOTFALL_ADMIN_PASSWORD=...
# Without it, a random password is printed once to the journal.
DynamicUser=yes
StateDirectory=${o.stateDirectory}
StateDirectoryMode=0700
WorkingDirectory=${dataDir}
Restart=on-failure
RestartSec=2
# Bad options (2) stay so until someone edits them: no restart loop. (3, the database, may pass:
# a lock held at start, a backup put back in its place; restarted, it uses the file at the path.
# If it does not, the start limit in [Unit] ends the loop.)
RestartPreventExitStatus=2
# SIGTERM makes Footfall stop accepting, flush its write buffer and close the database.
KillSignal=SIGTERM
TimeoutStopSec=${o.stopTimeoutS}
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
${capabilityLines(o.port)}
SystemCallArchitectures=native
# The system calls of an ordinary service; any other (mount, reboot, kernel modules, swap, clock,
# raw I/O, debugging, …) fails with EPERM instead of running.
SystemCallFilter=@system-service
SystemCallErrorNumber=EPERM
# Other users' processes are hidden, and /proc shows processes only (no /proc/sys, /proc/kcore, …).
ProtectProc=invisible
ProcSubset=pid
UMask=0077
LimitNOFILE=65536

[Install]
WantedBy=multi-user.target
`;
}
