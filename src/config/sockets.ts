/**
 * Static checks of the socket-style backends, after QEMU 7.2:
 * net/socket.c net_init_socket (and the address parsing of its init
 * helpers), net/net.c parse_host_port/convert_host_port, and net/dgram.c
 * net_init_dgram. Host names (a host not starting with a digit) cannot be
 * resolved here; they are kept as text with `address` undefined, and
 * checks that need the address (multicast or not) are skipped for them.
 */
import { isDigit, qemuStrtol } from './cutils.js';
import { formatIpv4, inetAton, isIpv4Multicast } from './inet.js';
import type { DgramOptions, HostPort, SocketAddress, SocketMode } from './types.js';

export type Checked<V> = { readonly ok: true; readonly value: V } | { readonly ok: false; readonly error: string };

/** convert_host_port(). */
export function convertHostPort(host: string, port: string): Checked<HostPort> {
  let address: string | undefined;
  if (host === '') {
    address = '0.0.0.0';
  } else if (isDigit(host[0])) {
    const a = inetAton(host);
    if (a === undefined) return { ok: false, error: `host address '${host}' is not a valid IPv4 address` };
    address = formatIpv4(a);
  }
  const p = qemuStrtol(port, 0, true);
  if (p.err) return { ok: false, error: `port number '${port}' is invalid` };
  return { ok: true, value: { host, address, port: Number(BigInt.asUintN(16, p.value)) } };
}

/** parse_host_port(): `host:port`, split at the first ':'. */
export function parseHostPort(str: string): Checked<HostPort> {
  const i = str.indexOf(':');
  if (i < 0) return { ok: false, error: `host address '${str}' doesn't contain ':' separating host from port` };
  return convertHostPort(str.slice(0, i), str.slice(i + 1));
}

interface SocketRaw {
  readonly fd?: string;
  readonly listen?: string;
  readonly connect?: string;
  readonly mcast?: string;
  readonly localaddr?: string;
  readonly udp?: string;
}

/** net_init_socket(): which mode, and its addresses. */
export function socketMode(s: SocketRaw): Checked<SocketMode> {
  const given = [s.fd, s.listen, s.connect, s.mcast, s.udp].filter((v) => v !== undefined).length;
  if (given !== 1) return { ok: false, error: 'exactly one of listen=, connect=, mcast= or udp= is required' };
  if (s.localaddr !== undefined && s.mcast === undefined && s.udp === undefined) {
    return { ok: false, error: 'localaddr= is only valid with mcast= or udp=' };
  }
  if (s.fd !== undefined) return { ok: true, value: { kind: 'fd', fd: s.fd } };
  if (s.listen !== undefined) {
    const r = parseHostPort(s.listen);
    return r.ok ? { ok: true, value: { kind: 'listen', addr: r.value } } : r;
  }
  if (s.connect !== undefined) {
    const r = parseHostPort(s.connect);
    return r.ok ? { ok: true, value: { kind: 'connect', addr: r.value } } : r;
  }
  if (s.mcast !== undefined) {
    const r = parseHostPort(s.mcast);
    if (!r.ok) return r;
    let localaddr: string | undefined;
    if (s.localaddr !== undefined) {
      const a = inetAton(s.localaddr);
      if (a === undefined) return { ok: false, error: `localaddr '${s.localaddr}' is not a valid IPv4 address` };
      localaddr = formatIpv4(a);
    }
    const mc = mcastCheck(r.value);
    if (mc) return { ok: false, error: mc };
    return { ok: true, value: { kind: 'mcast', group: r.value, localaddr } };
  }
  const udp = s.udp ?? '';
  if (s.localaddr === undefined) return { ok: false, error: 'localaddr= is mandatory with udp=' };
  const local = parseHostPort(s.localaddr);
  if (!local.ok) return local;
  const remote = parseHostPort(udp);
  if (!remote.ok) return remote;
  return { ok: true, value: { kind: 'udp', remote: remote.value, local: local.value } };
}

/** net_socket_mcast_create()'s address check (skipped for unresolved names). */
function mcastCheck(group: HostPort): string | undefined {
  if (group.address === undefined) return undefined;
  const a = inetAton(group.address) ?? 0;
  if (isIpv4Multicast(a)) return undefined;
  const hex = (a >>> 0).toString(16).padStart(8, '0');
  return `specified mcastaddr ${group.address} (0x${hex}) does not contain a multicast address`;
}

const SUN_PATH_MAX = 108;

/** net_init_dgram() checks up to (not including) socket creation. */
export function checkDgram(d: Omit<DgramOptions, 'type'>): string | undefined {
  const { remote, local } = d;
  if (remote?.type === 'inet') {
    const r = convertHostPort(remote.host, remote.port);
    if (!r.ok) return r.error;
    const a = r.value.address === undefined ? undefined : inetAton(r.value.address);
    if (a !== undefined && isIpv4Multicast(a)) return checkDgramMcast(local);
  }
  if (!local) return 'dgram requires local= parameter';
  if (remote) {
    if (local.type === 'fd') return "don't set remote with local.fd";
    if (remote.type !== local.type) return 'remote and local types must be the same';
  } else if (local.type !== 'fd') {
    return 'type=inet or type=unix requires remote parameter';
  }
  switch (local.type) {
    case 'inet': {
      const l = convertHostPort(local.host, local.port);
      if (!l.ok) return l.error;
      if (remote?.type === 'inet') {
        const r = convertHostPort(remote.host, remote.port);
        if (!r.ok) return r.error;
      }
      return undefined;
    }
    case 'unix':
      if (byteLength(local.path) >= SUN_PATH_MAX) return `UNIX socket path '${local.path}' is too long`;
      if (remote?.type === 'unix' && byteLength(remote.path) >= SUN_PATH_MAX) {
        return `UNIX socket path '${remote.path}' is too long`;
      }
      return undefined;
    case 'fd':
      return undefined;
    default:
      return 'only support inet or fd type for local';
  }
}

/** net_dgram_mcast_init() checks on `local`. */
function checkDgramMcast(local: SocketAddress | undefined): string | undefined {
  if (!local) return undefined;
  if (local.type === 'inet') {
    if (inetAton(local.host) === undefined) return `localaddr '${local.host}' is not a valid IPv4 address`;
    return undefined;
  }
  if (local.type === 'fd') return undefined;
  return 'only support inet or fd type for local';
}

const utf8 = new TextEncoder();
function byteLength(s: string): number {
  return utf8.encode(s).length;
}
