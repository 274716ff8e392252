/**
 * Options of `-netdev user` (QEMU docs "Network options", qapi/net.json
 * NetdevUserOptions), with QEMU's defaults, and their validation into a
 * resolved configuration the stack runs on.
 */
import { OptionError } from '../../errors.js';
import { inNet4, ip4Text, ip6WithPrefix, maskOf, parseIp4, parseIp6 } from './addr.js';
import { encodeDomainSearch } from './wire/dns.js';
import { DHCP_OPTIONS_SPACE } from './wire/dhcp.js';

/** A `hostfwd=` rule: inbound host TCP/UDP connections forwarded to a guest port. */
export interface HostFwdRule {
  proto: 'tcp' | 'udp';
  /** Host address to listen on; '' or undefined means every address (QEMU: INADDR_ANY). */
  hostAddr?: string;
  /** 0 lets the host pick a port (reported by `UserNet.hostfwdPorts()`). */
  hostPort: number;
  /** Guest address; default the first DHCP address. */
  guestAddr?: string;
  guestPort: number;
}

/** Where a `guestfwd=` rule sends a guest connection. */
export type GuestFwdTarget =
  /** A TCP chardev (`tcp:HOST:PORT`): every guest connection opens one host TCP connection. */
  | { kind: 'tcp'; host: string; port: number }
  /** `cmd:COMMAND`: every guest connection spawns COMMAND; its stdin/stdout are the stream. */
  | { kind: 'cmd'; command: string };

/** A `guestfwd=` rule: guest TCP connections to server:port go to `target`. */
export interface GuestFwdRule {
  /** Address in the virtual network; default .4 of it (as libslirp). */
  server?: string;
  port: number;
  target: GuestFwdTarget;
}

/** Resource bounds (not QEMU options: ours, with generous defaults). */
export interface UserNetLimits {
  /** Open TCP connections (NAT, hostfwd and guestfwd together). */
  maxTcpConnections: number;
  /** TCP connections whose host side is still connecting (SYN-flood bound). */
  maxEmbryonicTcp: number;
  /** UDP NAT flows (one per guest address and port). */
  maxUdpFlows: number;
  /** Outstanding ICMP echo requests forwarded to the host. */
  maxPings: number;
  /** Outstanding DNS queries. */
  maxDnsQueries: number;
  /** Concurrent TFTP transfers. */
  maxTftpSessions: number;
  /** Per-connection buffer of host data waiting for the guest (bytes). */
  tcpSendBuffer: number;
  /** Per-connection buffer of guest data waiting for the host (bytes); also the receive window. */
  tcpRecvBuffer: number;
  /** Bytes held in IP reassembly, all datagrams together. */
  reassemblyBytes: number;
  /** Datagrams in reassembly at once. */
  reassemblyDatagrams: number;
  /** Fragments per datagram. */
  reassemblyFragments: number;
  /** Reassembly timeout (ms); RFC 791 suggests 15 s, libslirp uses 30 s. */
  reassemblyTimeoutMs: number;
  /** UDP NAT idle timeout (ms); libslirp SO_EXPIRE is 240 s. */
  udpIdleTimeoutMs: number;
  /** Idle timeout of a flow used only for DNS (ms); libslirp SO_EXPIREFAST is 10 s. */
  dnsTimeoutMs: number;
  /** Frames waiting for an ARP/NDP answer, all destinations together. */
  pendingResolution: number;
}

export const DEFAULT_USER_NET_LIMITS: Readonly<UserNetLimits> = {
  maxTcpConnections: 1024,
  maxEmbryonicTcp: 128,
  maxUdpFlows: 512,
  maxPings: 64,
  maxDnsQueries: 128,
  maxTftpSessions: 20,
  tcpSendBuffer: 256 * 1024,
  tcpRecvBuffer: 256 * 1024,
  reassemblyBytes: 512 * 1024,
  reassemblyDatagrams: 64,
  reassemblyFragments: 64,
  reassemblyTimeoutMs: 30_000,
  udpIdleTimeoutMs: 240_000,
  dnsTimeoutMs: 10_000,
  pendingResolution: 64,
};

/**
 * `-netdev user` options as plain data. Every field is optional; omitted
 * fields take QEMU's defaults. Address fields are text as on QEMU's command
 * line. `hostfwd`/`guestfwd` take QEMU's rule strings or structured rules.
 */
export interface UserNetOptions {
  id?: string;
  ipv4?: boolean;
  ipv6?: boolean;
  /** `addr[/mask]`, mask as a prefix length or dotted quad; default 10.0.2.0/24. */
  net?: string;
  /** Virtual host (gateway) address; default .2 of `net`. */
  host?: string;
  /** First of 16 DHCP addresses; default .15 of `net`. */
  dhcpstart?: string;
  /** Virtual DNS server; default .3 of `net`; must differ from `host`. */
  dns?: string;
  /** `prefix[/len]`; default fec0::/64 (`ipv6-net`; older `ipv6-prefix`+`ipv6-prefixlen` are accepted too). */
  ipv6Net?: string;
  ipv6Prefix?: string;
  ipv6Prefixlen?: number;
  /** Default ::2 in the prefix. */
  ipv6Host?: string;
  /** Default ::3 in the prefix. */
  ipv6Dns?: string;
  /** Isolate the guest: nothing but the virtual services and forwarding rules. */
  restrict?: boolean;
  /** DHCP option 12. */
  hostname?: string;
  /** DHCP option 15. */
  domainname?: string;
  /** DHCP option 119 (RFC 3397), one entry per `dnssearch=`. */
  dnssearch?: string[];
  /** Root of the read-only TFTP server. */
  tftp?: string;
  /** DHCP option 66. */
  tftpServerName?: string;
  /** BOOTP `file` field and DHCP option 67. */
  bootfile?: string;
  /** Directory shared over SMB (spawns smbd). */
  smb?: string;
  /** SMB server address; default .4 of `net`. */
  smbserver?: string;
  hostfwd?: Array<string | HostFwdRule>;
  guestfwd?: Array<string | GuestFwdRule>;
  limits?: Partial<UserNetLimits>;
}

export interface ResolvedHostFwd {
  proto: 'tcp' | 'udp';
  /** '' = every address. */
  hostAddr: string;
  hostPort: number;
  guestFamily: 4 | 6;
  guestAddr4: number;
  guestAddr6: Uint8Array;
  guestPort: number;
}

export interface ResolvedGuestFwd {
  server: number;
  port: number;
  target: GuestFwdTarget;
}

/** The validated configuration the stack runs on. */
export interface UserNetConfig {
  id: string;
  ipv4: boolean;
  ipv6: boolean;
  net: number;
  prefixLen: number;
  mask: number;
  host: number;
  dhcpStart: number;
  /** Leases the DHCP server hands out (QEMU NB_BOOTP_CLIENTS). */
  dhcpCount: number;
  dns: number;
  ipv6Prefix: Uint8Array;
  ipv6PrefixLen: number;
  ipv6Host: Uint8Array;
  ipv6Dns: Uint8Array;
  restrict: boolean;
  hostname?: string;
  domainname?: string;
  dnssearch: string[];
  /** Option 119 payload (RFC 3397 compressed names), when `dnssearch` is set. */
  dnssearchEncoded?: Uint8Array;
  tftp?: string;
  tftpServerName?: string;
  bootfile?: string;
  smb?: { dir: string; server: number };
  hostfwd: ResolvedHostFwd[];
  guestfwd: ResolvedGuestFwd[];
  limits: UserNetLimits;
  /** IP MTU towards the guest. */
  mtu: number;
}

/** Longest hostname / domain name / TFTP server name / bootfile accepted (one DHCP option holds 255 bytes; BOOTP `file` 128 with its NUL). */
export const MAX_DHCP_STRING = 255;
export const MAX_BOOTFILE = 127;

const enc = new TextEncoder();

function fail(msg: string): never {
  throw new OptionError(`-netdev user: ${msg}`);
}

/** Classful default mask when `net=` has none (QEMU net/slirp.c). */
function classfulPrefix(addr: number): number {
  if ((addr & 0x80000000) === 0) return 8;
  if ((addr & 0xfff00000) >>> 0 === 0xac100000) return 12;
  if ((addr & 0xc0000000) >>> 0 === 0x80000000) return 16;
  if ((addr & 0xffff0000) >>> 0 === 0xc0a80000) return 16;
  return 24;
}

function parseNet(text: string): { net: number; prefixLen: number } {
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const addr = parseIp4(addrText);
  if (addr === undefined) fail(`invalid net address '${addrText}'`);
  let prefixLen: number;
  if (slash < 0) prefixLen = classfulPrefix(addr);
  else {
    const m = text.slice(slash + 1);
    if (/^\d+$/.test(m)) prefixLen = Number(m);
    else {
      const mask = parseIp4(m);
      if (mask === undefined) fail(`invalid netmask '${m}'`);
      prefixLen = Math.clz32(~mask >>> 0);
      if (maskOf(prefixLen) !== mask) fail(`netmask '${m}' is not contiguous`);
    }
    if (prefixLen < 4 || prefixLen > 32) fail('Invalid netmask provided (must be in range 4-32)');
  }
  return { net: (addr & maskOf(prefixLen)) >>> 0, prefixLen };
}

function addr4In(text: string | undefined, def: number, net: number, mask: number, what: string): number {
  if (text === undefined || text === '') return def;
  const a = parseIp4(text);
  if (a === undefined) fail(`invalid ${what} address '${text}'`);
  if (!inNet4(a, net, mask)) fail(`${what} address ${text} is not in the network ${ip4Text(net)}`);
  return a;
}

function parseV6Net(o: UserNetOptions): { prefix: Uint8Array; len: number } {
  let text = o.ipv6Net;
  let len = o.ipv6Prefixlen;
  if (text === undefined && o.ipv6Prefix !== undefined) text = o.ipv6Prefix;
  if (text === undefined) text = 'fec0::';
  const slash = text.indexOf('/');
  if (slash >= 0) {
    const l = text.slice(slash + 1);
    if (!/^\d+$/.test(l)) fail(`invalid IPv6 prefix length '${l}'`);
    len = Number(l);
    text = text.slice(0, slash);
  }
  len ??= 64;
  if (len < 0 || len > 126) fail('Invalid IPv6 prefix provided (prefix length must be in range 0-126)');
  const a = parseIp6(text);
  if (!a) fail(`invalid IPv6 prefix '${text}'`);
  return { prefix: ip6WithPrefix(a, len, new Uint8Array(16)), len };
}

function addr6In(text: string | undefined, low: number, prefix: Uint8Array, len: number, what: string): Uint8Array {
  if (text === undefined || text === '') {
    const iid = new Uint8Array(16);
    iid[15] = low;
    return ip6WithPrefix(prefix, len, iid);
  }
  const a = parseIp6(text);
  if (!a) fail(`invalid ${what} address '${text}'`);
  if (!ip6InPrefix(a, prefix, len)) fail(`${what} address ${text} is not in the IPv6 prefix`);
  return a;
}

function ip6InPrefix(a: Uint8Array, prefix: Uint8Array, len: number): boolean {
  const masked = ip6WithPrefix(a, len, new Uint8Array(16));
  for (let i = 0; i < 16; i++) if (masked[i] !== prefix[i]) return false;
  return true;
}

function port(text: string, what: string, allowZero: boolean): number {
  if (!/^\d+$/.test(text)) fail(`invalid ${what} '${text}'`);
  const p = Number(text);
  if (p > 65535 || (!allowZero && p === 0)) fail(`${what} ${p} out of range`);
  return p;
}

/** Split `[v6]:port` or `v4:port` / `:port`. */
function splitAddrPort(text: string, what: string): { addr: string; port: string } {
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*)):([^:]*)$/.exec(text);
  if (!m) fail(`invalid ${what} '${text}'`);
  return { addr: m[1] ?? m[2] ?? '', port: m[3] ?? '' };
}

/** Parse QEMU's `hostfwd=[tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport`. */
export function parseHostFwd(text: string): HostFwdRule {
  let rest = text;
  let proto: 'tcp' | 'udp' = 'tcp';
  const m = /^(tcp|udp)?:/.exec(rest);
  if (m) {
    proto = (m[1] as 'tcp' | 'udp' | undefined) ?? 'tcp';
    rest = rest.slice(m[0].length);
  } else fail(`invalid hostfwd rule '${text}': expected [tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport`);
  const d = findDash(rest);
  if (d < 0) fail(`invalid hostfwd rule '${text}': missing '-'`);
  const h = splitAddrPort(rest.slice(0, d), 'hostfwd host part');
  const g = splitAddrPort(rest.slice(d + 1), 'hostfwd guest part');
  const rule: HostFwdRule = { proto, hostAddr: h.addr, hostPort: port(h.port, 'hostfwd host port', true), guestPort: port(g.port, 'hostfwd guest port', false) };
  if (g.addr !== '') rule.guestAddr = g.addr;
  return rule;
}

/** The '-' that separates host and guest parts (not one inside brackets). */
function findDash(s: string): number {
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '[') depth++;
    else if (c === ']') depth--;
    else if (c === '-' && depth === 0) return i;
  }
  return -1;
}

/** Parse QEMU's `guestfwd=[tcp]:server:port-dev` (dev = `tcp:HOST:PORT`) or `...-cmd:COMMAND`. */
export function parseGuestFwd(text: string): GuestFwdRule {
  let rest = text;
  if (rest.startsWith('tcp:')) rest = rest.slice(4);
  else if (rest.startsWith(':')) rest = rest.slice(1);
  else if (/^udp:/.test(rest)) fail(`guestfwd supports tcp only: '${text}'`);
  const d = rest.indexOf('-');
  if (d < 0) fail(`invalid guestfwd rule '${text}': expected [tcp]:server:port-dev`);
  const sp = splitAddrPort(rest.slice(0, d), 'guestfwd server');
  const dev = rest.slice(d + 1);
  let target: GuestFwdTarget;
  if (dev.startsWith('cmd:')) {
    const command = dev.slice(4);
    if (command === '') fail(`guestfwd: empty command in '${text}'`);
    target = { kind: 'cmd', command };
  } else {
    const t = /^tcp:(.*)$/.exec(dev.split(',')[0] ?? '');
    if (!t) fail(`guestfwd: unsupported chardev '${dev}' (tcp:HOST:PORT or cmd:COMMAND)`);
    const hp = splitAddrPort(t[1] ?? '', 'guestfwd chardev');
    target = { kind: 'tcp', host: hp.addr === '' ? '127.0.0.1' : hp.addr, port: port(hp.port, 'guestfwd chardev port', false) };
  }
  const rule: GuestFwdRule = { port: port(sp.port, 'guestfwd port', false), target };
  if (sp.addr !== '') rule.server = sp.addr;
  return rule;
}

function checkString(v: string | undefined, what: string, max: number): string | undefined {
  if (v === undefined || v === '') return undefined;
  const n = enc.encode(v).length;
  if (n > max) fail(`${what} is ${n} bytes long, more than ${max}`);
  return v;
}

/** Apply QEMU's defaults and validate; throws `OptionError` naming the option at fault. */
export function resolveUserNetOptions(o: UserNetOptions = {}): UserNetConfig {
  const ipv4 = o.ipv4 ?? true;
  const ipv6 = o.ipv6 ?? true;
  if (!ipv4 && !ipv6) fail('IPv4 and IPv6 cannot both be disabled');
  const { net, prefixLen } = parseNet(o.net ?? '10.0.2.0/24');
  const mask = maskOf(prefixLen);
  const host = addr4In(o.host, (net | 2) >>> 0, net, mask, 'host');
  const dns = addr4In(o.dns, (net | 3) >>> 0, net, mask, 'dns');
  if (dns === host) fail("'dns' must differ from 'host'");
  const dhcpStart = addr4In(o.dhcpstart, (net | 15) >>> 0, net, mask, 'dhcpstart');
  if (dhcpStart === host || dhcpStart === dns) fail("'dhcpstart' must differ from 'host' and 'dns'");
  const v6 = parseV6Net(o);
  const ipv6Host = addr6In(o.ipv6Host, 2, v6.prefix, v6.len, 'ipv6-host');
  const ipv6Dns = addr6In(o.ipv6Dns, 3, v6.prefix, v6.len, 'ipv6-dns');

  const hostname = checkString(o.hostname, 'hostname', MAX_DHCP_STRING);
  const domainname = checkString(o.domainname, 'domainname', MAX_DHCP_STRING);
  const tftpServerName = checkString(o.tftpServerName, 'tftp-server-name', MAX_DHCP_STRING);
  const bootfile = checkString(o.bootfile, 'bootfile', MAX_BOOTFILE);
  const dnssearch = (o.dnssearch ?? []).filter((s) => s !== '');
  let dnssearchEncoded: Uint8Array | undefined;
  if (dnssearch.length) {
    const e = encodeDomainSearch(dnssearch);
    if (!(e instanceof Uint8Array)) fail(`dnssearch: ${e.reason}`);
    // Every 255 bytes need a 2-byte option header; the whole must fit the options area with room for the rest.
    const optBytes = e.length + 2 * Math.ceil(e.length / 255);
    if (optBytes > DHCP_OPTIONS_SPACE - 64) fail(`dnssearch: the search list takes ${optBytes} bytes, more than a DHCP reply holds`);
    dnssearchEncoded = e;
  }

  const limits: UserNetLimits = { ...DEFAULT_USER_NET_LIMITS, ...o.limits };
  for (const [k, v] of Object.entries(limits)) if (!Number.isFinite(v) || v < 0) fail(`limit ${k} must be a non-negative number`);

  let smb: UserNetConfig['smb'];
  if (o.smb !== undefined && o.smb !== '') {
    smb = { dir: o.smb, server: addr4In(o.smbserver, (net | 4) >>> 0, net, mask, 'smbserver') };
    if (smb.server === host || smb.server === dns) fail("'smbserver' must differ from 'host' and 'dns'");
  }

  const hostfwd: ResolvedHostFwd[] = [];
  for (const r of o.hostfwd ?? []) {
    const rule = typeof r === 'string' ? parseHostFwd(r) : r;
    let guestFamily: 4 | 6 = 4;
    let guestAddr4 = dhcpStart;
    let guestAddr6: Uint8Array = new Uint8Array(16);
    if (rule.guestAddr !== undefined && rule.guestAddr !== '') {
      const a4 = parseIp4(rule.guestAddr);
      if (a4 !== undefined) {
        if (!inNet4(a4, net, mask)) fail(`hostfwd: guest address ${rule.guestAddr} is not in the network`);
        guestAddr4 = a4;
      } else {
        const a6 = parseIp6(rule.guestAddr);
        if (!a6) fail(`hostfwd: invalid guest address '${rule.guestAddr}'`);
        guestFamily = 6;
        guestAddr6 = a6;
      }
    }
    if (rule.hostAddr && parseIp4(rule.hostAddr) === undefined && !parseIp6(rule.hostAddr)) fail(`hostfwd: invalid host address '${rule.hostAddr}'`);
    if (!(rule.hostPort >= 0 && rule.hostPort <= 65535 && rule.guestPort >= 1 && rule.guestPort <= 65535)) fail('hostfwd: port out of range');
    hostfwd.push({ proto: rule.proto, hostAddr: rule.hostAddr ?? '', hostPort: rule.hostPort, guestFamily, guestAddr4, guestAddr6, guestPort: rule.guestPort });
  }

  const guestfwd: ResolvedGuestFwd[] = [];
  for (const r of o.guestfwd ?? []) {
    const rule = typeof r === 'string' ? parseGuestFwd(r) : r;
    let server = (net | (0x0204 & ~mask)) >>> 0;
    if (rule.server !== undefined && rule.server !== '') {
      const s = parseIp4(rule.server);
      if (s === undefined) fail(`guestfwd: invalid server address '${rule.server}'`);
      server = s;
    }
    if (!inNet4(server, net, mask) || server === host || server === dns) fail(`guestfwd: server ${ip4Text(server)} must be in the virtual network and differ from host and dns`);
    if (guestfwd.some((g) => g.server === server && g.port === rule.port)) fail(`guestfwd: duplicate rule for ${ip4Text(server)}:${rule.port}`);
    guestfwd.push({ server, port: rule.port, target: rule.target });
  }

  const cfg: UserNetConfig = {
    id: o.id ?? 'user',
    ipv4,
    ipv6,
    net,
    prefixLen,
    mask,
    host,
    dhcpStart,
    dhcpCount: 16,
    dns,
    ipv6Prefix: v6.prefix,
    ipv6PrefixLen: v6.len,
    ipv6Host,
    ipv6Dns,
    restrict: o.restrict ?? false,
    dnssearch,
    hostfwd,
    guestfwd,
    limits,
    mtu: 1500,
  };
  if (hostname !== undefined) cfg.hostname = hostname;
  if (domainname !== undefined) cfg.domainname = domainname;
  if (dnssearchEncoded) cfg.dnssearchEncoded = dnssearchEncoded;
  if (o.tftp !== undefined && o.tftp !== '') cfg.tftp = o.tftp;
  if (tftpServerName !== undefined) cfg.tftpServerName = tftpServerName;
  if (bootfile !== undefined) cfg.bootfile = bootfile;
  if (smb) cfg.smb = smb;
  return cfg;
}
