/**
 * From the parsed `-netdev user,...` options (src/config, already validated
 * the way QEMU does) to the stack's own options.
 */
import type { UserOptions } from '../../config/index.js';
import { NotSupportedError } from '../../errors.js';
import type { GuestFwdRule, UserNetOptions } from './options.js';

function chardevTarget(spec: string): GuestFwdRule['target'] {
  const m = /^tcp:(?:\[([^\]]+)\]|([^:,]*)):(\d+)(?:,.*)?$/.exec(spec);
  if (!m) throw new NotSupportedError(`guestfwd chardev '${spec}' (only tcp:HOST:PORT and cmd: are implemented)`);
  return { kind: 'tcp', host: m[1] ?? (m[2] || '127.0.0.1'), port: Number(m[3]) };
}

export function userNetOptionsFromConfig(o: UserOptions, id: string): UserNetOptions {
  const s = o.slirp;
  return {
    id,
    ipv4: s.ipv4,
    ipv6: s.ipv6,
    net: `${s.network}/${s.netmask}`,
    host: s.host,
    dhcpstart: s.dhcpStart,
    dns: s.dns,
    ipv6Net: `${s.ipv6Prefix}/${s.ipv6PrefixLen}`,
    ipv6Host: s.ipv6Host,
    ipv6Dns: s.ipv6Dns,
    restrict: s.restricted,
    ...(o.hostname !== undefined ? { hostname: o.hostname } : {}),
    ...(o.domainname !== undefined ? { domainname: o.domainname } : {}),
    dnssearch: [...o.dnssearch],
    ...(o.tftp !== undefined ? { tftp: o.tftp } : {}),
    ...(o.tftpServerName !== undefined ? { tftpServerName: o.tftpServerName } : {}),
    ...(o.bootfile !== undefined ? { bootfile: o.bootfile } : {}),
    ...(o.smb !== undefined ? { smb: o.smb } : {}),
    ...(s.smbServer !== undefined ? { smbserver: s.smbServer } : {}),
    hostfwd: o.hostfwd.map((r) => ({
      proto: r.protocol,
      ...(r.hostAddr !== undefined ? { hostAddr: r.hostAddr } : {}),
      hostPort: r.hostPort,
      ...(r.guestAddr !== undefined ? { guestAddr: r.guestAddr } : {}),
      guestPort: r.guestPort,
    })),
    guestfwd: o.guestfwd.map((r) => ({
      ...(r.server !== undefined ? { server: r.server } : {}),
      port: r.port,
      target: r.target.kind === 'cmd' ? { kind: 'cmd' as const, command: r.target.command } : chardevTarget(r.target.spec),
    })),
  };
}
