/**
 * UDP (RFC 768) input and NAT. Datagrams for the virtual services (DHCP,
 * DNS, TFTP, DHCPv6) go to their modules; others leave through one host
 * socket per guest address and port (endpoint-independent mapping, as
 * libslirp), closed after an idle timeout. `hostfwd=udp:` rules deliver host
 * datagrams to a guest port and carry its answers back.
 */
import { IpProtocol, UDP_HEADER_LEN, UdpPacket, UdpRepr, isWireError } from '../../wire/index.js';
import type { Timer } from '../../time/clock.js';
import type { Core } from './core.js';
import type { IpMeta } from './ip4.js';
import type { HostAddress, HostBoundUdp, HostUdpSocket } from './host.js';
import type { ResolvedHostFwd } from './options.js';
import { inNet4, ip4, ip4Bytes, ip4Text, ip6Equal, ip6Key, ip6Text, isLoopback4, parseIp4, parseIp6 } from './addr.js';
import { sendUnreachable } from './icmp.js';
import { DHCP_SERVER_PORT } from './wire/dhcp.js';
import { dhcpInput } from './dhcp.js';
import { dnsInput } from './dns.js';
import { tftpInput } from './tftp.js';
import { TFTP_PORT } from './wire/tftp.js';
import { DHCPV6_SERVER_PORT } from './wire/dhcpv6.js';
import { dhcpv6Input } from './ndp.js';

export function addrKey(a: Uint8Array): string {
  return a.length === 4 ? ip4Text(ip4(a)) : ip6Key(a);
}

export function addrText(a: Uint8Array): string {
  return a.length === 4 ? ip4Text(ip4(a)) : ip6Text(a);
}

/** Send a UDP datagram to the guest. */
export function sendUdp(core: Core, src: Uint8Array, sport: number, dst: Uint8Array, dport: number, payload: Uint8Array, dstMac?: Uint8Array): void {
  const repr = { srcPort: sport, dstPort: dport, payload };
  core.link.sendIp(src, dst, IpProtocol.UDP, UDP_HEADER_LEN + payload.length, (b) => UdpRepr.emit(repr, b, src, dst), dstMac ? { dstMac } : {});
  core.stats.udpFromHost++;
}

interface Flow {
  key: string;
  guest: Uint8Array;
  guestPort: number;
  sock: HostUdpSocket;
  lastActive: number;
  timer: Timer;
  timeoutNs: number;
}

/** A datagram path opened by a hostfwd socket: guest-visible remote -> real host peer. */
interface FwdPath {
  key: string;
  fwd: BoundFwd;
  peer: HostAddress;
  guest: Uint8Array;
  guestPort: number;
  /** What the guest sees as the source. */
  seen: Uint8Array;
  seenPort: number;
  lastActive: number;
  timer: Timer;
}

interface BoundFwd {
  rule: ResolvedHostFwd;
  sock: HostBoundUdp;
}

export class UdpNat {
  readonly flows = new Map<string, Flow>();
  readonly paths = new Map<string, FwdPath>();
  readonly bound: BoundFwd[] = [];

  constructor(private readonly core: Core) {}

  get flowCount(): number {
    return this.flows.size;
  }

  /** Guest -> outside through a NAT flow. */
  toHost(meta: IpMeta, sport: number, dport: number, target: HostAddress, payload: Uint8Array): void {
    const core = this.core;
    const key = `${addrKey(meta.src)}|${sport}`;
    let flow = this.flows.get(key);
    if (!flow) {
      if (this.flows.size >= core.cfg.limits.maxUdpFlows) {
        core.stats.udpFlowLimit++;
        sendUnreachable(core, meta, meta.family === 4 ? 13 : 1);
        return;
      }
      const guest = meta.src.slice();
      const f: Flow = {
        key,
        guest,
        guestPort: sport,
        sock: undefined as unknown as HostUdpSocket,
        lastActive: core.timers.now(),
        timer: core.timers.timer(() => this.expire(f), 'user-net udp flow'),
        timeoutNs: (dport === 53 ? core.cfg.limits.dnsTimeoutMs : core.cfg.limits.udpIdleTimeoutMs) * 1e6,
      };
      f.sock = core.host.udpOpen(meta.family, {
        onMessage: (data, from) => this.fromHost(f, data, from),
      });
      flow = f;
      this.flows.set(key, f);
      core.stats.udpNatFlows++;
    } else if (dport !== 53) flow.timeoutNs = core.cfg.limits.udpIdleTimeoutMs * 1e6;
    flow.lastActive = core.timers.now();
    flow.timer.arm(flow.lastActive + flow.timeoutNs);
    core.stats.udpToHost++;
    flow.sock.send(payload.slice(), target);
  }

  private fromHost(f: Flow, data: Uint8Array, from: HostAddress): void {
    const core = this.core;
    if (core.closed || this.flows.get(f.key) !== f) return;
    const src = seenSource(core, from, f.guest.length === 4 ? 4 : 6);
    if (!src) return;
    f.lastActive = core.timers.now();
    f.timer.arm(f.lastActive + f.timeoutNs);
    sendUdp(core, src, from.port, f.guest, f.guestPort, data);
  }

  private expire(f: Flow): void {
    const now = this.core.timers.now();
    if (now < f.lastActive + f.timeoutNs) {
      f.timer.arm(f.lastActive + f.timeoutNs);
      return;
    }
    this.core.stats.udpExpired++;
    this.flows.delete(f.key);
    f.sock.close();
  }

  /** Listen for `hostfwd=udp:` rules. */
  async listen(rule: ResolvedHostFwd): Promise<HostBoundUdp> {
    const fwd = { rule } as BoundFwd;
    fwd.sock = await this.core.host.udpBind({ address: rule.hostAddr, port: rule.hostPort }, { onMessage: (data, from) => this.fwdFromHost(fwd, data, from) });
    this.bound.push(fwd);
    return fwd.sock;
  }

  private fwdFromHost(fwd: BoundFwd, data: Uint8Array, from: HostAddress): void {
    const core = this.core;
    if (core.closed) return;
    const fam = fwd.rule.guestFamily;
    const guest = fam === 4 ? ip4Bytes(fwd.rule.guestAddr4) : fwd.rule.guestAddr6;
    const seen = seenSource(core, from, fam) ?? (fam === 4 ? ip4Bytes(core.cfg.host) : core.cfg.ipv6Host);
    const key = `${addrKey(guest)}|${fwd.rule.guestPort}|${addrKey(seen)}|${from.port}`;
    let path = this.paths.get(key);
    if (!path) {
      if (this.paths.size >= core.cfg.limits.maxUdpFlows) {
        core.stats.udpFlowLimit++;
        return;
      }
      const p: FwdPath = {
        key,
        fwd,
        peer: from,
        guest,
        guestPort: fwd.rule.guestPort,
        seen,
        seenPort: from.port,
        lastActive: core.timers.now(),
        timer: core.timers.timer(() => this.expirePath(p), 'user-net udp hostfwd'),
      };
      path = p;
      this.paths.set(key, p);
    }
    path.peer = from;
    path.lastActive = core.timers.now();
    path.timer.arm(path.lastActive + core.cfg.limits.udpIdleTimeoutMs * 1e6);
    sendUdp(core, path.seen, path.seenPort, path.guest, path.guestPort, data);
  }

  private expirePath(p: FwdPath): void {
    const deadline = p.lastActive + this.core.cfg.limits.udpIdleTimeoutMs * 1e6;
    if (this.core.timers.now() < deadline) {
      p.timer.arm(deadline);
      return;
    }
    this.core.stats.udpExpired++;
    this.paths.delete(p.key);
  }

  /** A guest datagram answering a hostfwd path, if it is one. */
  tryFwdReply(meta: IpMeta, sport: number, dport: number, payload: Uint8Array): boolean {
    const path = this.paths.get(`${addrKey(meta.src)}|${sport}|${addrKey(meta.dst)}|${dport}`);
    if (!path) return false;
    path.lastActive = this.core.timers.now();
    this.core.stats.udpToHost++;
    path.fwd.sock.send(payload.slice(), path.peer);
    return true;
  }

  close(): void {
    for (const f of this.flows.values()) {
      f.timer.cancel();
      f.sock.close();
    }
    this.flows.clear();
    for (const p of this.paths.values()) p.timer.cancel();
    this.paths.clear();
    for (const b of this.bound) b.sock.close();
    this.bound.length = 0;
  }
}

/** The source address the guest sees for a host peer: loopback becomes the virtual host. */
export function seenSource(core: Core, from: HostAddress, family: 4 | 6): Uint8Array | undefined {
  if (family === 4) {
    let a = parseIp4(from.address);
    if (a === undefined) {
      const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(from.address);
      if (m) a = parseIp4(m[1]!);
    }
    if (a === undefined) return undefined;
    if (isLoopback4(a) || a === 0) return ip4Bytes(core.cfg.host);
    return ip4Bytes(a);
  }
  const a = parseIp6(from.address);
  if (!a) return undefined;
  if (from.address === '::1' || a.every((v, i) => v === (i === 15 ? 1 : 0))) return core.cfg.ipv6Host.slice();
  return a;
}

/**
 * Where a guest flow to `dst` goes on the host: the virtual host maps to
 * loopback; other virtual addresses and the local link go nowhere.
 */
export function hostTarget(core: Core, dst: Uint8Array, port: number): HostAddress | undefined {
  const cfg = core.cfg;
  if (dst.length === 4) {
    const d = ip4(dst);
    if (d === cfg.host) return { family: 4, address: '127.0.0.1', port };
    if (inNet4(d, cfg.net, cfg.mask)) return undefined;
    return { family: 4, address: ip4Text(d), port };
  }
  if (ip6Equal(dst, cfg.ipv6Host)) return { family: 6, address: '::1', port };
  if (dst[0] === 0xff || (dst[0] === 0xfe && (dst[1]! & 0xc0) === 0x80)) return undefined;
  if (ip6Equal(dst, cfg.ipv6Dns)) return undefined;
  return { family: 6, address: ip6Text(dst), port };
}

export function udpInput(core: Core, meta: IpMeta, l4: Uint8Array, broadcast: boolean): void {
  const { stats, cfg } = core;
  const p = UdpPacket.checked(l4);
  if (isWireError(p)) {
    stats.udpMalformed++;
    return;
  }
  if (meta.csumPartial !== true && !p.verifyChecksum(meta.src, meta.dst)) {
    stats.udpBadChecksum++;
    return;
  }
  const sport = p.srcPort;
  const dport = p.dstPort;
  const payload = p.payload;
  if (meta.family === 4) {
    const dst = ip4(meta.dst);
    if (dport === DHCP_SERVER_PORT && (broadcast || dst === cfg.host)) {
      dhcpInput(core, meta, payload);
      return;
    }
    if (broadcast || ip4(meta.src) === 0) {
      stats.ipv4NotForUs++;
      return;
    }
    if (dst === cfg.host && dport === TFTP_PORT) {
      tftpInput(core, meta, sport, payload);
      return;
    }
    if (dst === cfg.dns && dport === 53) {
      dnsInput(core, meta, sport, payload);
      return;
    }
  } else {
    if (dport === DHCPV6_SERVER_PORT && (meta.dst[0] === 0xff || ip6Equal(meta.dst, cfg.ipv6Host))) {
      dhcpv6Input(core, meta, sport, payload);
      return;
    }
    if (ip6Equal(meta.dst, cfg.ipv6Host) && dport === TFTP_PORT) {
      tftpInput(core, meta, sport, payload);
      return;
    }
    if (ip6Equal(meta.dst, cfg.ipv6Dns) && dport === 53) {
      dnsInput(core, meta, sport, payload);
      return;
    }
  }
  if (core.udp.tryFwdReply(meta, sport, dport, payload)) return;
  if (cfg.restrict) {
    stats.restrictedDrops++;
    return;
  }
  const target = hostTarget(core, meta.dst, dport);
  if (!target || dport === 0) {
    stats.udpRefused++;
    if (meta.dst[0] !== 0xff) sendUnreachable(core, meta, meta.family === 4 ? 3 : 4);
    return;
  }
  core.udp.toHost(meta, sport, dport, target, payload);
}
