/**
 * The -netdev/-nic/-net schema of QEMU 7.2 (qapi/net.json, qapi/sockets.json)
 * as data, for a Linux x86_64 build with slirp, VDE, vhost-user and vhost-vdpa
 * and without netmap or vmnet. Defaults are those documented in
 * qemu-options.hx / qapi/net.json or hard-coded in net/*.c.
 */
import { enumType, opt, req, T, type Members, type MembersOf, type TypeSpec } from './schema.js';
import type {
  BridgeOptions, DgramOptions, HubportOptions, L2tpv3Options, SocketOptions, StreamOptions, TapOptions, UserOptions,
  VdeOptions, VhostUserOptions, VhostVdpaOptions,
} from './types.js';

type Raw<O, Derived extends keyof O = never> = MembersOf<Omit<O, 'type' | Derived>>;

export const USER_MEMBERS: Raw<UserOptions, 'slirp'> = {
  hostname: opt('hostname', T.str, { doc: 'client hostname reported by the built-in DHCP server' }),
  restrict: opt('restrict', T.bool, { default: false, doc: 'isolate the guest from the host' }),
  ipv4: opt('ipv4', T.bool, { default: true, doc: 'enable IPv4 (ipv6=on alone turns IPv4 off)' }),
  ipv6: opt('ipv6', T.bool, { default: true, doc: 'enable IPv6 (ipv4=on alone turns IPv6 off)' }),
  ip: opt('ip', T.str, { doc: 'legacy: same as net=ADDR/24' }),
  net: opt('net', T.str, { default: '10.0.2.0/24', doc: 'guest network, addr[/mask]; mask as bits (4-32) or dotted' }),
  host: opt('host', T.str, { default: '10.0.2.2', doc: 'guest-visible address of the host' }),
  tftp: opt('tftp', T.str, { doc: 'root directory of the built-in TFTP server' }),
  bootfile: opt('bootfile', T.str, { doc: 'BOOTP filename' }),
  dhcpstart: opt('dhcpstart', T.str, { default: '10.0.2.15', doc: 'first of the 16 addresses DHCP hands out' }),
  dns: opt('dns', T.str, { default: '10.0.2.3', doc: 'guest-visible address of the virtual nameserver' }),
  dnssearch: opt('dnssearch', T.strlist, { doc: 'DNS search suffix (repeatable)' }),
  domainname: opt('domainname', T.str, { doc: 'DHCP domain name' }),
  ipv6Prefix: opt('ipv6-prefix', T.str, { default: 'fec0::', doc: 'IPv6 network prefix' }),
  ipv6Prefixlen: opt('ipv6-prefixlen', T.int64, { default: 64n, doc: 'IPv6 prefix length, 0-126 (0 means 64)' }),
  ipv6Host: opt('ipv6-host', T.str, { default: 'fec0::2', doc: 'guest-visible IPv6 address of the host' }),
  ipv6Dns: opt('ipv6-dns', T.str, { default: 'fec0::3', doc: 'guest-visible IPv6 address of the nameserver' }),
  smb: opt('smb', T.str, { doc: 'directory shared through the built-in SMB server' }),
  smbserver: opt('smbserver', T.str, { default: '10.0.2.4', doc: 'address of the built-in SMB server' }),
  hostfwd: opt('hostfwd', T.strlist, { doc: '[tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport (repeatable)' }),
  guestfwd: opt('guestfwd', T.strlist, { doc: '[tcp]:[server]:port-dev or -cmd:command (repeatable)' }),
  tftpServerName: opt('tftp-server-name', T.str, { doc: 'RFC 2132 TFTP server name' }),
};

export const TAP_MEMBERS: Raw<TapOptions> = {
  ifname: opt('ifname', T.str),
  fd: opt('fd', T.str),
  fds: opt('fds', T.str, { doc: 'colon-separated file descriptors' }),
  script: opt('script', T.str, { default: '/etc/qemu-ifup' }),
  downscript: opt('downscript', T.str, { default: '/etc/qemu-ifdown' }),
  br: opt('br', T.str, { default: 'br0' }),
  helper: opt('helper', T.str, { doc: 'default: qemu-bridge-helper in the install libexec directory' }),
  sndbuf: opt('sndbuf', T.size),
  vnetHdr: opt('vnet_hdr', T.bool),
  vhost: opt('vhost', T.bool),
  vhostfd: opt('vhostfd', T.str),
  vhostfds: opt('vhostfds', T.str),
  vhostforce: opt('vhostforce', T.bool),
  queues: opt('queues', T.uint32),
  pollUs: opt('poll-us', T.uint32),
};

export const BRIDGE_MEMBERS: Raw<BridgeOptions> = {
  br: opt('br', T.str, { default: 'br0' }),
  helper: opt('helper', T.str, { doc: 'default: qemu-bridge-helper in the install libexec directory' }),
};

export const SOCKET_MEMBERS: Raw<SocketOptions, 'mode'> = {
  fd: opt('fd', T.str),
  listen: opt('listen', T.str, { doc: '[host]:port' }),
  connect: opt('connect', T.str, { doc: 'host:port' }),
  mcast: opt('mcast', T.str, { doc: 'maddr:port' }),
  localaddr: opt('localaddr', T.str, { doc: 'addr (mcast) or addr:port (udp)' }),
  udp: opt('udp', T.str, { doc: 'host:port' }),
};

const INET_MEMBERS: Members = {
  host: req('host', T.str),
  port: req('port', T.str),
  numeric: opt('numeric', T.bool),
  to: opt('to', T.uint16),
  ipv4: opt('ipv4', T.bool),
  ipv6: opt('ipv6', T.bool),
  keepAlive: opt('keep-alive', T.bool),
  mptcp: opt('mptcp', T.bool),
};

/** qapi/sockets.json SocketAddress (flat union on `type`). */
export const SOCKET_ADDRESS: TypeSpec = {
  kind: 'union',
  base: { type: req('type', enumType(['inet', 'unix', 'vsock', 'fd'])) },
  tag: 'type',
  variants: {
    inet: INET_MEMBERS,
    unix: { path: req('path', T.str), abstract: opt('abstract', T.bool), tight: opt('tight', T.bool) },
    vsock: { cid: req('cid', T.str), port: req('port', T.str) },
    fd: { str: req('str', T.str) },
  },
};

export const STREAM_MEMBERS: Raw<StreamOptions> = {
  addr: req('addr', SOCKET_ADDRESS),
  server: opt('server', T.bool, { default: false }),
};

export const DGRAM_MEMBERS: Raw<DgramOptions> = {
  local: opt('local', SOCKET_ADDRESS),
  remote: opt('remote', SOCKET_ADDRESS),
};

export const L2TPV3_MEMBERS: Raw<L2tpv3Options> = {
  src: req('src', T.str),
  dst: req('dst', T.str),
  srcport: opt('srcport', T.str),
  dstport: opt('dstport', T.str),
  ipv6: opt('ipv6', T.bool),
  udp: opt('udp', T.bool),
  cookie64: opt('cookie64', T.bool),
  counter: opt('counter', T.bool),
  pincounter: opt('pincounter', T.bool),
  txcookie: opt('txcookie', T.uint64),
  rxcookie: opt('rxcookie', T.uint64),
  txsession: req('txsession', T.uint32),
  rxsession: opt('rxsession', T.uint32),
  offset: opt('offset', T.uint32),
};

export const VDE_MEMBERS: Raw<VdeOptions> = {
  sock: opt('sock', T.str),
  port: opt('port', T.uint16),
  group: opt('group', T.str),
  mode: opt('mode', T.uint16, { default: 0o700 }),
};

export const VHOST_USER_MEMBERS: Raw<VhostUserOptions> = {
  chardev: req('chardev', T.str),
  vhostforce: opt('vhostforce', T.bool, { default: false }),
  queues: opt('queues', T.int64, { default: 1n }),
};

export const VHOST_VDPA_MEMBERS: Raw<VhostVdpaOptions> = {
  vhostdev: opt('vhostdev', T.str),
  vhostfd: opt('vhostfd', T.str),
  queues: opt('queues', T.int64, { default: 1n }),
  xSvq: opt('x-svq', T.bool, { default: false }),
};

export const HUBPORT_MEMBERS: Raw<HubportOptions> = {
  hubid: req('hubid', T.int32),
  netdev: opt('netdev', T.str),
};

/** NetLegacyNicOptions (`-net nic`). */
export const NIC_MEMBERS: Members = {
  netdev: opt('netdev', T.str),
  macaddr: opt('macaddr', T.str),
  model: opt('model', T.str),
  addr: opt('addr', T.str),
  vectors: opt('vectors', T.uint32),
};

const NETMAP_MEMBERS: Members = {
  ifname: req('ifname', T.str),
  devname: opt('devname', T.str),
};

/** NetClientDriver in enum order (the vmnet-* values exist only on macOS builds). */
export const NET_CLIENT_DRIVERS = [
  'none', 'nic', 'user', 'tap', 'l2tpv3', 'socket', 'stream', 'dgram', 'vde', 'bridge', 'hubport', 'netmap',
  'vhost-user', 'vhost-vdpa',
] as const;

/** Backends with an init function in this build (net/net.c net_client_init_fun). */
export const COMPILED_BACKENDS: ReadonlySet<string> = new Set([
  'nic', 'user', 'tap', 'l2tpv3', 'socket', 'stream', 'dgram', 'vde', 'bridge', 'hubport', 'vhost-user', 'vhost-vdpa',
]);

/** `-netdev help` list (net/net.c show_netdevs), in QEMU's order. */
export const NETDEV_HELP_TYPES = [
  'socket', 'stream', 'dgram', 'hubport', 'tap', 'user', 'l2tpv3', 'vde', 'bridge', 'vhost-user', 'vhost-vdpa',
] as const;

/** Per-type members, by NetClientDriver value. */
export const BACKEND_MEMBERS: Readonly<Record<string, Members>> = {
  none: {},
  nic: NIC_MEMBERS,
  user: USER_MEMBERS,
  tap: TAP_MEMBERS,
  l2tpv3: L2TPV3_MEMBERS,
  socket: SOCKET_MEMBERS,
  stream: STREAM_MEMBERS,
  dgram: DGRAM_MEMBERS,
  vde: VDE_MEMBERS,
  bridge: BRIDGE_MEMBERS,
  hubport: HUBPORT_MEMBERS,
  netmap: NETMAP_MEMBERS,
  'vhost-user': VHOST_USER_MEMBERS,
  'vhost-vdpa': VHOST_VDPA_MEMBERS,
};

/** The Netdev union: `id` and `type` first, then the type's members. */
export const NETDEV: TypeSpec = {
  kind: 'union',
  base: { id: req('id', T.str), type: req('type', enumType(NET_CLIENT_DRIVERS)) },
  tag: 'type',
  variants: BACKEND_MEMBERS,
};

/** Netdev for `-net`/`-nic`, where `id` is optional (QEMU generates one). */
export const NETDEV_OPTIONAL_ID: TypeSpec = {
  ...NETDEV,
  base: { id: opt('id', T.str), type: req('type', enumType(NET_CLIENT_DRIVERS)) },
};
