/** @module `footfall systemd-unit`: a hardened unit file for this binary, with the options it was given. */

export interface UnitOptions {
  binaryPath: string;
  /** Options passed through to `footfall serve` (already validated). */
  args: string[];
  /** Seconds systemd waits after SIGTERM; must cover a full buffer drain. */
  stopTimeoutS: number;
}

const quote = (s: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `"${s.replace(/(["\\$])/g, '\\$1')}"`);

export function systemdUnit(o: UnitOptions): string {
  // --data-dir is forced to the StateDirectory so the service writes only there.
  const args = ['serve', '--data-dir', '/var/lib/footfall', ...o.args].map(quote).join(' ');
  return `[Unit]
Description=Footfall web analytics collector
Documentation=https://github.com/footfall/footfall
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
ExecStart=${quote(o.binaryPath)} ${args}
# Set the first admin password before the first start, e.g. in a drop-in:
#   systemctl edit footfall  ->  [Service] Environment=FOOTFALL_ADMIN_PASSWORD=...
# Without it, a random password is printed once to the journal.
DynamicUser=yes
StateDirectory=footfall
StateDirectoryMode=0700
WorkingDirectory=/var/lib/footfall
Restart=on-failure
RestartSec=2
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
CapabilityBoundingSet=CAP_NET_BIND_SERVICE
AmbientCapabilities=CAP_NET_BIND_SERVICE
SystemCallArchitectures=native
UMask=0077
LimitNOFILE=65536

[Install]
WantedBy=multi-user.target
`;
}
