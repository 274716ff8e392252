/**
 * `-netdev user` consistency checks and forwarding-rule grammars, following
 * QEMU 7.2 net/slirp.c (net_init_slirp, net_slirp_init, slirp_hostfwd,
 * slirp_guestfwd) check by check and message by message, plus the guest
 * address check libslirp 4.x applies to guestfwd/smb servers
 * (check_guestfwd: inside the network, not the host, not the DNS address).
 *
 * Checks that need the host (binding ports, opening chardevs, finding smbd)
 * are left to the stack.
 */
import { qemuStrtoi, strtoll, toInt32 } from './cutils.js';
import { formatIpv4, formatIpv6, in6EqualNet, inetAton, inetPton6, type Ipv4 } from './inet.js';
import type { GuestFwdRule, HostFwdRule, SlirpConfig } from './types.js';

/** The user options as the visitor produced them (lists still strings). */
export interface UserRaw {
  readonly hostname?: string;
  readonly restrict?: boolean;
  readonly ipv4?: boolean;
  readonly ipv6?: boolean;
  readonly ip?: string;
  readonly net?: string;
  readonly host?: string;
  readonly tftp?: string;
  readonly bootfile?: string;
  readonly dhcpstart?: string;
  readonly dns?: string;
  readonly dnssearch?: readonly string[];
  readonly domainname?: string;
  readonly ipv6Prefix?: string;
  readonly ipv6Prefixlen?: bigint;
  readonly ipv6Host?: string;
  readonly ipv6Dns?: string;
  readonly smb?: string;
  readonly smbserver?: string;
  readonly hostfwd?: readonly string[];
  readonly guestfwd?: readonly string[];
  readonly tftpServerName?: string;
}

export type SlirpInit =
  | {
    readonly ok: true;
    readonly slirp: SlirpConfig;
    readonly hostfwd: readonly HostFwdRule[];
    readonly guestfwd: readonly GuestFwdRule[];
  }
  | { readonly ok: false; readonly error: string };

class SlirpError {
  constructor(readonly message: string) {}
}

function fail(message: string): never {
  throw new SlirpError(message);
}

/** get_str_sep(): the text before `sep` (cut to `size - 1` chars) and the rest, or undefined. */
function strSep(p: string, sep: string, size: number): { buf: string; rest: string } | undefined {
  const i = p.indexOf(sep);
  if (i < 0) return undefined;
  return { buf: p.slice(0, Math.min(i, size - 1)), rest: p.slice(i + 1) };
}

const utf8 = new TextEncoder();
function byteLength(s: string): number {
  return utf8.encode(s).length;
}

/** Does `a` lie in network `net`/`mask` (all host-order)? */
function inNet(a: Ipv4, net: Ipv4, mask: Ipv4): boolean {
  return ((a & mask) >>> 0) === net;
}

/** The default netmask for a network given without one (net_slirp_init's class rules). */
function classfulMask(addr: Ipv4): Ipv4 {
  if (!(addr & 0x80000000)) return 0xff000000;
  if (((addr & 0xfff00000) >>> 0) === 0xac100000) return 0xfff00000;
  if (((addr & 0xc0000000) >>> 0) === 0x80000000) return 0xffff0000;
  if (((addr & 0xffff0000) >>> 0) === 0xc0a80000) return 0xffff0000;
  if (((addr & 0xffff0000) >>> 0) === 0xc6120000) return 0xfffe0000;
  if (((addr & 0xe0000000) >>> 0) === 0xe0000000) return 0xffffff00;
  return 0xfffffff0;
}

/** slirp_hostfwd() grammar. */
export function parseHostFwd(redir: string): { ok: true; rule: HostFwdRule } | { ok: false; error: string } {
  const bad = (reason: string): { ok: false; error: string } =>
    ({ ok: false, error: `Invalid host forwarding rule '${redir}' (${reason})` });
  let s = strSep(redir, ':', 256);
  if (!s) return bad('No : separators');
  let protocol: 'tcp' | 'udp';
  if (s.buf === 'tcp' || s.buf === '') protocol = 'tcp';
  else if (s.buf === 'udp') protocol = 'udp';
  else return bad('Bad protocol name');
  s = strSep(s.rest, ':', 256);
  if (!s) return bad('Missing : separator');
  let hostAddr: string | undefined;
  if (s.buf !== '') {
    const a = inetAton(s.buf);
    if (a === undefined) return bad('Bad host address');
    hostAddr = formatIpv4(a);
  }
  s = strSep(s.rest, '-', 256);
  if (!s) return bad('Bad host port separator');
  const hp = qemuStrtoi(s.buf, 0, true);
  if (hp.err || hp.value < 0 || hp.value > 65535) return bad('Bad host port');
  s = strSep(s.rest, ':', 256);
  if (!s) return bad('Missing guest address');
  let guestAddr: string | undefined;
  if (s.buf !== '') {
    const a = inetAton(s.buf);
    if (a === undefined) return bad('Bad guest address');
    guestAddr = formatIpv4(a);
  }
  const gp = qemuStrtoi(s.rest, 0, true);
  if (gp.err || gp.value < 1 || gp.value > 65535) return bad('Bad guest port');
  return { ok: true, rule: { protocol, hostAddr, hostPort: hp.value, guestAddr, guestPort: gp.value } };
}

/** slirp_guestfwd() grammar (before the chardev/exec is set up). */
export function parseGuestFwd(config: string): { ok: true; rule: GuestFwdRule } | { ok: false; error: string } {
  const bad = { ok: false, error: `Invalid guest forwarding rule '${config}'` } as const;
  let s = strSep(config, ':', 128);
  if (!s || (s.buf !== 'tcp' && s.buf !== '')) return bad;
  s = strSep(s.rest, ':', 128);
  if (!s) return bad;
  let server: string | undefined;
  if (s.buf !== '') {
    const a = inetAton(s.buf);
    if (a === undefined) return bad;
    server = formatIpv4(a);
  }
  s = strSep(s.rest, '-', 128);
  if (!s) return bad;
  const r = strtoll(s.buf, 10);
  const port = toInt32(r.value);
  if (r.end !== s.buf.length || port < 1 || port > 65535) return bad;
  const target = s.rest.startsWith('cmd:')
    ? { kind: 'cmd' as const, command: s.rest.slice(4) }
    : { kind: 'chardev' as const, spec: s.rest };
  return { ok: true, rule: { server, port, target } };
}

export function formatHostFwd(r: HostFwdRule): string {
  return `${r.protocol}:${r.hostAddr ?? ''}:${r.hostPort}-${r.guestAddr ?? ''}:${r.guestPort}`;
}

export function formatGuestFwd(r: GuestFwdRule): string {
  const target = r.target.kind === 'cmd' ? `cmd:${r.target.command}` : r.target.spec;
  return `tcp:${r.server ?? ''}:${r.port}-${target}`;
}

/** net_init_slirp() + net_slirp_init() static checks, in QEMU's order. */
export function slirpInit(u: UserRaw): SlirpInit {
  try {
    return { ok: true, ...slirpInitChecked(u) };
  } catch (e) {
    if (e instanceof SlirpError) return { ok: false, error: e.message };
    throw e;
  }
}

function slirpInitChecked(u: UserRaw): {
  slirp: SlirpConfig; hostfwd: readonly HostFwdRule[]; guestfwd: readonly GuestFwdRule[];
} {
  const hasIpv4 = u.ipv4 !== undefined;
  const hasIpv6 = u.ipv6 !== undefined;
  const ipv4 = !((hasIpv6 && u.ipv6 === true && !hasIpv4) || (hasIpv4 && u.ipv4 === false));
  const ipv6 = !((hasIpv4 && u.ipv4 === true && !hasIpv6) || (hasIpv6 && u.ipv6 === false));
  const vnetwork = u.net ?? (u.ip !== undefined ? `${u.ip}/24` : undefined);
  const restricted = u.restrict === true;

  if (!ipv4 && (vnetwork !== undefined || u.host !== undefined || u.dns !== undefined)) {
    fail('IPv4 disabled but netmask/host/dns provided');
  }
  if (!ipv6 && (u.ipv6Prefix !== undefined || u.ipv6Host !== undefined || u.ipv6Dns !== undefined)) {
    fail('IPv6 disabled but prefix/host6/dns6 provided');
  }
  if (!ipv4 && !ipv6) fail('IPv4 and IPv6 disabled');

  let net: Ipv4 = 0x0a000200;
  let mask: Ipv4 = 0xffffff00;
  let host: Ipv4 = 0x0a000202;
  let dhcp: Ipv4 = 0x0a00020f;
  let dns: Ipv4 = 0x0a000203;

  if (vnetwork !== undefined) {
    const split = strSep(vnetwork, '/', 20);
    if (!split) {
      const a = inetAton(vnetwork);
      if (a === undefined) fail('Failed to parse netmask');
      net = a;
      mask = classfulMask(a);
    } else {
      const a = inetAton(split.buf);
      if (a === undefined) fail('Failed to parse netmask');
      net = a;
      const r = strtoll(split.rest, 10);
      const shift = toInt32(r.value);
      if (r.end !== split.rest.length) {
        const m = inetAton(split.rest);
        if (m === undefined) fail('Failed to parse netmask (trailing chars)');
        mask = m;
      } else if (shift < 4 || shift > 32) {
        fail('Invalid netmask provided (must be in range 4-32)');
      } else {
        mask = shift === 32 ? 0xffffffff : ((0xffffffff << (32 - shift)) >>> 0);
      }
    }
    net = (net & mask) >>> 0;
    host = (net | (0x0202 & ~mask)) >>> 0;
    dhcp = (net | (0x020f & ~mask)) >>> 0;
    dns = (net | (0x0203 & ~mask)) >>> 0;
  }

  if (u.host !== undefined) {
    const a = inetAton(u.host);
    if (a === undefined) fail('Failed to parse host');
    host = a;
  }
  if (!inNet(host, net, mask)) fail("Host doesn't belong to network");

  if (u.dns !== undefined) {
    const a = inetAton(u.dns);
    if (a === undefined) fail('Failed to parse DNS');
    dns = a;
  }
  if (restricted && !inNet(dns, net, mask)) fail("DNS doesn't belong to network");
  if (dns === host) fail('DNS must be different from host');

  if (u.dhcpstart !== undefined) {
    const a = inetAton(u.dhcpstart);
    if (a === undefined) fail('Failed to parse DHCP start address');
    dhcp = a;
  }
  if (!inNet(dhcp, net, mask)) fail("DHCP doesn't belong to network");
  if (dhcp === host || dhcp === dns) fail('DHCP must be different from host and DNS');

  let smbsrv: Ipv4 = 0;
  if (u.smbserver !== undefined) {
    const a = inetAton(u.smbserver);
    if (a === undefined) fail('Failed to parse SMB address');
    smbsrv = a;
  }

  const prefixText = u.ipv6Prefix ?? 'fec0::';
  const prefix = inetPton6(prefixText);
  if (!prefix) fail('Failed to parse IPv6 prefix');
  let prefixLen = toInt32(u.ipv6Prefixlen ?? 0n);
  if (prefixLen === 0) prefixLen = 64;
  if (prefixLen < 0 || prefixLen > 126) {
    fail('Invalid IPv6 prefix provided (IPv6 prefix length must be between 0 and 126)');
  }

  let host6: Uint8Array;
  if (u.ipv6Host !== undefined) {
    const a = inetPton6(u.ipv6Host);
    if (!a) fail('Failed to parse IPv6 host');
    if (!in6EqualNet(prefix, a, prefixLen)) fail("IPv6 Host doesn't belong to network");
    host6 = a;
  } else {
    host6 = prefix.slice();
    host6[15] = (host6[15] ?? 0) | 2;
  }

  let dns6: Uint8Array;
  if (u.ipv6Dns !== undefined) {
    const a = inetPton6(u.ipv6Dns);
    if (!a) fail('Failed to parse IPv6 DNS');
    if (restricted && !in6EqualNet(prefix, a, prefixLen)) fail("IPv6 DNS doesn't belong to network");
    dns6 = a;
  } else {
    dns6 = prefix.slice();
    dns6[15] = (dns6[15] ?? 0) | 3;
  }

  if (u.domainname !== undefined && u.domainname === '') fail("'domainname' parameter cannot be empty");
  if (u.domainname !== undefined && byteLength(u.domainname) > 255) {
    fail("'domainname' parameter cannot exceed 255 bytes");
  }
  if (u.hostname !== undefined && byteLength(u.hostname) > 255) fail("'vhostname' parameter cannot exceed 255 bytes");
  if (u.tftpServerName !== undefined && byteLength(u.tftpServerName) > 255) {
    fail("'tftp-server-name' parameter cannot exceed 255 bytes");
  }

  // libslirp check_guestfwd(): where a guest-side server may live.
  const defaultServer = (net | (0x0204 & ~mask)) >>> 0;
  const serverOk = (addr: Ipv4): boolean => inNet(addr, net, mask) && addr !== host && addr !== dns;

  // net_init_slirp_configs() prepends, so QEMU applies guestfwd rules last to
  // first, then hostfwd rules last to first; each is copied into 1024 bytes.
  const hostfwdText = (u.hostfwd ?? []).map((r) => r.slice(0, 1023));
  const guestfwdText = (u.guestfwd ?? []).map((r) => r.slice(0, 1023));
  const hostfwd: HostFwdRule[] = new Array<HostFwdRule>(hostfwdText.length);
  const guestfwd: GuestFwdRule[] = new Array<GuestFwdRule>(guestfwdText.length);
  for (let i = guestfwdText.length - 1; i >= 0; i--) {
    const text = guestfwdText[i] ?? '';
    const r = parseGuestFwd(text);
    if (!r.ok) fail(r.error);
    const server = r.rule.server === undefined ? defaultServer : (inetAton(r.rule.server) ?? 0);
    if (!serverOk(server === 0 ? defaultServer : server)) {
      fail(`Conflicting/invalid host:port in guest forwarding rule '${text}'`);
    }
    guestfwd[i] = r.rule;
  }
  for (let i = hostfwdText.length - 1; i >= 0; i--) {
    const r = parseHostFwd(hostfwdText[i] ?? '');
    if (!r.ok) fail(r.error);
    hostfwd[i] = r.rule;
  }

  let smbServer: string | undefined;
  if (u.smb !== undefined) {
    const addr = smbsrv === 0 ? defaultServer : smbsrv;
    if (!serverOk(addr)) fail('Conflicting/invalid smbserver address');
    smbServer = formatIpv4(addr);
  }

  return {
    slirp: {
      restricted,
      ipv4,
      ipv6,
      network: formatIpv4(net),
      netmask: formatIpv4(mask),
      host: formatIpv4(host),
      dhcpStart: formatIpv4(dhcp),
      dns: formatIpv4(dns),
      ipv6Prefix: formatIpv6(prefix),
      ipv6PrefixLen: prefixLen,
      ipv6Host: formatIpv6(host6),
      ipv6Dns: formatIpv6(dns6),
      smbServer,
    },
    hostfwd,
    guestfwd,
  };
}
