/**
 * The guest side for tests: a NIC client connected to the stack, frame
 * builders and parsers, and a guest TCP endpoint built from the stack's own
 * engine (used by the hostfwd tests and the netsim).
 */
import { type FrameOffload, NetClient, OFFLOAD_CSUM, OFFLOAD_TSO4, OFFLOAD_TSO6 } from '../../../src/hub/client.js';
import { completeChecksum, validateRxChecksums } from '../../../src/wire/offload.js';
import { VirtualClock, type Timer, type TimerHost } from '../../../src/time/clock.js';
import { SeededRandom } from '../../../src/time/random.js';
import {
  ArpPacket,
  ArpRepr,
  EtherType,
  Icmpv4Packet,
  Icmpv4Repr,
  Icmpv6Packet,
  Icmpv6Repr,
  IpProtocol,
  Ipv4Address,
  Ipv4Packet,
  Ipv4Repr,
  Ipv6Address,
  Ipv6Packet,
  Ipv6Repr,
  TcpPacket,
  TcpRepr,
  type TcpOption,
  UdpPacket,
  UdpRepr,
  isWireError,
  summarizeTcpOptions,
  parseTcpOptions,
} from '../../../src/wire/index.js';
import { createUserNet, type UserNet, type UserNetOptions, virtualMac, tcpEngine } from '../../../src/netdev/user/index.js';
import { FakeHost } from './fake-host.js';

export const GUEST_MAC = new Uint8Array([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
export const ip = (s: string): Uint8Array => Ipv4Address.parse(s)!;
export const ip6 = (s: string): Uint8Array => Ipv6Address.parse(s)!;
export const GUEST_IP = ip('10.0.2.15');
export const HOST_IP = ip('10.0.2.2');
export const DNS_IP = ip('10.0.2.3');
export const ROUTER_MAC = virtualMac(0x0a000202);
export const GUEST_IP6 = ip6('fec0::5054:ff:fe12:3456');
export const HOST_IP6 = ip6('fec0::2');
export const DNS_IP6 = ip6('fec0::3');
export const BROADCAST_MAC = new Uint8Array([255, 255, 255, 255, 255, 255]);

export interface ParsedFrame {
  raw: Uint8Array;
  dst: Uint8Array;
  src: Uint8Array;
  type: number;
  arp?: ArpRepr;
  ip?: { family: 4 | 6; src: Uint8Array; dst: Uint8Array; proto: number; ttl: number; payload: Uint8Array; fragment: boolean };
  udp?: { sport: number; dport: number; payload: Uint8Array; checksumOk: boolean };
  tcp?: TcpRepr & { packet: TcpPacket; checksumOk: boolean };
  icmp4?: Icmpv4Repr;
  icmp6?: Icmpv6Repr;
}

export function parseFrame(frame: Uint8Array): ParsedFrame {
  const f: ParsedFrame = { raw: frame, dst: frame.subarray(0, 6), src: frame.subarray(6, 12), type: (frame[12]! << 8) | frame[13]! };
  const payload = frame.subarray(14);
  if (f.type === EtherType.ARP) {
    const p = ArpPacket.checked(payload);
    if (!isWireError(p)) {
      const r = ArpRepr.parse(p);
      if (!isWireError(r)) f.arp = r;
    }
    return f;
  }
  let proto = -1;
  let l4: Uint8Array | undefined;
  if (f.type === EtherType.IPV4) {
    const p = Ipv4Packet.checked(payload);
    if (isWireError(p)) return f;
    if (!p.verifyChecksum()) throw new Error('stack sent a bad IPv4 header checksum');
    proto = p.protocol;
    l4 = p.payload;
    f.ip = { family: 4, src: p.src, dst: p.dst, proto, ttl: p.ttl, payload: l4, fragment: p.isFragment };
    if (p.isFragment) return f;
  } else if (f.type === EtherType.IPV6) {
    const p = Ipv6Packet.checked(payload);
    if (isWireError(p)) return f;
    proto = p.nextHeader;
    l4 = p.payload;
    f.ip = { family: 6, src: p.src, dst: p.dst, proto, ttl: p.hopLimit, payload: l4, fragment: proto === IpProtocol.IPV6_FRAGMENT };
  } else return f;
  const src = f.ip.src;
  const dst = f.ip.dst;
  if (proto === IpProtocol.UDP) {
    const u = UdpPacket.checked(l4);
    if (!isWireError(u)) f.udp = { sport: u.srcPort, dport: u.dstPort, payload: u.payload, checksumOk: u.verifyChecksum(src, dst) };
  } else if (proto === IpProtocol.TCP) {
    const t = TcpPacket.checked(l4);
    if (!isWireError(t)) {
      const r = TcpRepr.parse(t);
      if (!isWireError(r)) f.tcp = { ...r, packet: t, checksumOk: t.verifyChecksum(src, dst) };
    }
  } else if (proto === IpProtocol.ICMP) {
    const c = Icmpv4Packet.checked(l4);
    if (!isWireError(c)) {
      const r = Icmpv4Repr.parse(c);
      if (!isWireError(r)) f.icmp4 = r;
    }
  } else if (proto === IpProtocol.ICMPV6) {
    const c = Icmpv6Packet.checked(l4);
    if (!isWireError(c)) {
      const r = Icmpv6Repr.parse(c, src, dst);
      if (!isWireError(r)) f.icmp6 = r;
    }
  }
  return f;
}

export function ethFrame(type: number, payload: Uint8Array, dst: Uint8Array = ROUTER_MAC, src: Uint8Array = GUEST_MAC): Uint8Array {
  const f = new Uint8Array(14 + payload.length);
  f.set(dst, 0);
  f.set(src, 6);
  f[12] = type >>> 8;
  f[13] = type & 255;
  f.set(payload, 14);
  return f;
}

export function ipv4Packet(src: Uint8Array, dst: Uint8Array, proto: number, l4: Uint8Array, extra: Partial<Ipv4Repr> = {}): Uint8Array {
  const repr: Ipv4Repr = { src, dst, protocol: proto, payloadLen: l4.length, ttl: 64, ...extra };
  const b = new Uint8Array(Ipv4Repr.bufferLen(repr));
  Ipv4Repr.emit(repr, b);
  b.set(l4, Ipv4Repr.headerLen(repr));
  return b;
}

export function ipv6Packet(src: Uint8Array, dst: Uint8Array, next: number, l4: Uint8Array, hopLimit = 64): Uint8Array {
  const b = new Uint8Array(40 + l4.length);
  Ipv6Repr.emit({ src, dst, nextHeader: next, payloadLen: l4.length, hopLimit }, b);
  b.set(l4, 40);
  return b;
}

export function udpBytes(src: Uint8Array, dst: Uint8Array, sport: number, dport: number, payload: Uint8Array): Uint8Array {
  const b = new Uint8Array(8 + payload.length);
  UdpRepr.emit({ srcPort: sport, dstPort: dport, payload }, b, src, dst);
  return b;
}

export function udpFrame(src: Uint8Array, sport: number, dst: Uint8Array, dport: number, payload: Uint8Array, dstMac: Uint8Array = ROUTER_MAC): Uint8Array {
  const l4 = udpBytes(src, dst, sport, dport, payload);
  return src.length === 4 ? ethFrame(EtherType.IPV4, ipv4Packet(src, dst, IpProtocol.UDP, l4), dstMac) : ethFrame(EtherType.IPV6, ipv6Packet(src, dst, IpProtocol.UDP, l4), dstMac);
}

export interface TcpSpec {
  src?: Uint8Array;
  dst: Uint8Array;
  sport: number;
  dport: number;
  seq: number;
  ack?: number;
  flags: number;
  window?: number;
  options?: TcpOption[];
  payload?: Uint8Array;
}

export function tcpFrame(s: TcpSpec): Uint8Array {
  const src = s.src ?? (s.dst.length === 4 ? GUEST_IP : GUEST_IP6);
  const repr: TcpRepr = { srcPort: s.sport, dstPort: s.dport, seq: s.seq >>> 0, ack: (s.ack ?? 0) >>> 0, flags: s.flags, window: s.window ?? 65535, payload: s.payload ?? new Uint8Array(0) };
  if (s.options) repr.options = s.options;
  const b = new Uint8Array(TcpRepr.bufferLen(repr));
  TcpRepr.emit(repr, b, src, s.dst);
  return src.length === 4 ? ethFrame(EtherType.IPV4, ipv4Packet(src, s.dst, IpProtocol.TCP, b)) : ethFrame(EtherType.IPV6, ipv6Packet(src, s.dst, IpProtocol.TCP, b));
}

export function icmp4EchoFrame(dst: Uint8Array, ident: number, seqNo: number, data: Uint8Array, src = GUEST_IP): Uint8Array {
  const repr: Icmpv4Repr = { type: 'echo-request', ident, seqNo, data };
  const b = new Uint8Array(Icmpv4Repr.bufferLen(repr));
  Icmpv4Repr.emit(repr, b);
  return ethFrame(EtherType.IPV4, ipv4Packet(src, dst, IpProtocol.ICMP, b));
}

export function icmp6Frame(repr: Icmpv6Repr, src: Uint8Array, dst: Uint8Array, hopLimit = 255, dstMac: Uint8Array = ROUTER_MAC): Uint8Array {
  const b = new Uint8Array(Icmpv6Repr.bufferLen(repr));
  Icmpv6Repr.emit(repr, b, src, dst);
  return ethFrame(EtherType.IPV6, ipv6Packet(src, dst, IpProtocol.ICMPV6, b, hopLimit), dstMac);
}

/** The NIC side: collects what the stack sends. */
export class Guest {
  readonly nic: NetClient;
  rx: ParsedFrame[] = [];
  /** When set, frames go here instead of `rx`. */
  onFrame: ((frame: Uint8Array) => void) | undefined;
  /**
   * Deliver frames from the stack on the next virtual-clock tick instead of
   * at once (a guest that processes its RX ring later), so a guest TCP never
   * re-enters itself and ping-pong exchanges do not recurse.
   */
  deferred = false;
  /**
   * `OFFLOAD_*` kinds this NIC takes whole from the stack (0: none, as a
   * NIC without receive offloads). A frame taken is checked (its partial
   * checksum completed must verify) and delivered completed, whole.
   */
  offloads = 0;
  /** Say it takes `offloads` but decline every frame when it comes (a NIC whose buffers ran short). */
  declineWhole = false;
  /** The frames taken whole: their length and offload info. */
  readonly whole: Array<{ length: number; offload: FrameOffload; checksumOk: boolean }> = [];
  private readonly inbox: Uint8Array[] = [];
  private readonly inboxTimer: Timer | undefined;
  constructor(
    readonly net: UserNet,
    clock?: TimerHost,
  ) {
    const take = (copy: Uint8Array): void => {
      if (this.deferred && this.inboxTimer && clock) {
        this.inbox.push(copy);
        if (!this.inboxTimer.armed) this.inboxTimer.arm(clock.now());
      } else this.deliver(copy);
    };
    this.nic = new NetClient('nic', {
      canReceive: () => true,
      receive: (frame) => {
        take(frame.slice());
        return 'ok';
      },
      receiveOffloaded: (frame, o) => {
        const kind = o.gso === 'tcpv4' ? OFFLOAD_TSO4 : o.gso === 'tcpv6' ? OFFLOAD_TSO6 : OFFLOAD_CSUM;
        if ((this.offloads & kind) === 0 || this.declineWhole) return false;
        const copy = frame.slice();
        const completed = completeChecksum(copy, o.csumStart, o.csumOffset);
        this.whole.push({ length: frame.length, offload: { ...o }, checksumOk: completed && validateRxChecksums(copy).l4 === 'ok' });
        take(copy);
        return true;
      },
      offloadsTaken: () => this.offloads,
    }, { kind: 'nic' });
    if (clock) {
      this.inboxTimer = clock.timer(() => {
        for (let f = this.inbox.shift(); f; f = this.inbox.shift()) this.deliver(f);
      }, 'guest rx');
    }
    NetClient.connect(this.nic, net.client);
  }
  private deliver(copy: Uint8Array): void {
    if (this.onFrame) this.onFrame(copy);
    else this.rx.push(parseFrame(copy));
  }
  send(frame: Uint8Array): void {
    this.nic.send(frame);
  }
  take(): ParsedFrame[] {
    const r = this.rx;
    this.rx = [];
    return r;
  }
  /** Announce the guest (an ARP request), so the stack knows its MAC. */
  announce(ipAddr: Uint8Array = GUEST_IP): void {
    const b = new Uint8Array(28);
    ArpRepr.emit({ operation: 'request', senderMac: GUEST_MAC, senderIp: ipAddr, targetMac: new Uint8Array(6), targetIp: HOST_IP }, b);
    this.send(ethFrame(EtherType.ARP, b, BROADCAST_MAC));
    this.take();
  }
}

export interface Setup {
  clock: VirtualClock;
  host: FakeHost;
  net: UserNet;
  guest: Guest;
}

/** `batched`: the host has `soon` (see `FakeHost.batch`). */
export async function setup(opts: UserNetOptions = {}, seed = 1, batched = false): Promise<Setup> {
  const clock = new VirtualClock();
  const host = new FakeHost();
  if (batched) host.batch();
  const net = await createUserNet(opts, { timers: clock, random: new SeededRandom(seed), host });
  const guest = new Guest(net, clock);
  return { clock, host, net, guest };
}

export function text(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

export function decode(b: Uint8Array): string {
  return new TextDecoder().decode(b);
}

/** A guest TCP endpoint: the stack's own engine, with frames built for the guest side. */
export class GuestTcp {
  tcb: tcpEngine.Tcb;
  readonly timer: Timer;
  readonly received: Uint8Array[] = [];
  receivedBytes = 0;
  /** Take received bytes out of the buffer (window opens); false = a slow application. */
  autoRead = true;
  constructor(
    readonly clock: TimerHost,
    readonly out: (frame: Uint8Array) => void,
    readonly local: { addr: Uint8Array; port: number },
    readonly remote: { addr: Uint8Array; port: number },
    params: Partial<tcpEngine.TcpParams> = {},
    iss = 1000,
    accept?: tcpEngine.SegmentIn,
  ) {
    const fam6 = local.addr.length === 16;
    const p: tcpEngine.TcpParams = { mss: fam6 ? 1440 : 1460, defaultPeerMss: fam6 ? 1220 : 536, sndBufSize: 256 * 1024, rcvBufSize: 256 * 1024, windowScaling: true, ...params };
    this.tcb = accept ? tcpEngine.tcbAccept(p, iss, accept, clock.now()) : tcpEngine.tcbConnect(p, iss, clock.now());
    this.timer = clock.timer(() => {
      tcpEngine.tcpOnTimer(this.tcb, clock.now(), this.emit);
      this.after();
    }, 'guest tcp');
    this.outbox = [];
    tcpEngine.tcpOutput(this.tcb, clock.now(), this.emit);
    this.after();
  }
  private outbox: Uint8Array[] = [];
  readonly emit: tcpEngine.TcpEmitter = (t, seg) => {
    const options: TcpOption[] = [];
    if (seg.mss !== undefined) options.push({ type: 'mss', mss: seg.mss });
    if (seg.wscale !== undefined) options.push({ type: 'nop' }, { type: 'window-scale', shift: seg.wscale });
    const payload = new Uint8Array(seg.len);
    if (seg.len) t.sndBuf.copyOut(seg.bufOffset, seg.len, payload);
    // Sent once the engine call returned (the stack may answer synchronously).
    this.outbox.push(tcpFrame({ src: this.local.addr, dst: this.remote.addr, sport: this.local.port, dport: this.remote.port, seq: seg.seq, ack: seg.ack, flags: seg.flags, window: seg.window, options, payload }));
  };
  /** Feed a frame from the stack (ignored unless it is for this connection). */
  input(f: ParsedFrame): boolean {
    if (!f.tcp || !f.ip || f.tcp.dstPort !== this.local.port || f.tcp.srcPort !== this.remote.port) return false;
    const t = f.tcp;
    const seg: tcpEngine.SegmentIn = { seq: t.seq, ack: t.ack, flags: t.flags & 0x3f, window: t.window, payload: t.payload };
    if (t.flags & 2) {
      const o = parseTcpOptions(t.packet.options);
      if (Array.isArray(o)) {
        const s = summarizeTcpOptions(o);
        if (s.mss !== undefined) seg.mss = s.mss;
        if (s.windowScale !== undefined) seg.wscale = s.windowScale;
      }
    }
    tcpEngine.tcpSegment(this.tcb, seg, this.clock.now(), this.emit);
    this.after();
    return true;
  }
  write(data: Uint8Array): number {
    const n = tcpEngine.tcpSend(this.tcb, data);
    tcpEngine.tcpOutput(this.tcb, this.clock.now(), this.emit);
    this.after();
    return n;
  }
  close(): void {
    tcpEngine.tcpClose(this.tcb);
    tcpEngine.tcpOutput(this.tcb, this.clock.now(), this.emit);
    this.after();
  }
  read(): void {
    const r = this.tcb.rcvBuf;
    if (r.length === 0) return;
    const d = r.read(r.length);
    this.received.push(d);
    this.receivedBytes += d.length;
    tcpEngine.tcpWindowUpdate(this.tcb);
    tcpEngine.tcpOutput(this.tcb, this.clock.now(), this.emit);
    this.after();
  }
  data(): Uint8Array {
    const out = new Uint8Array(this.receivedBytes);
    let o = 0;
    for (const c of this.received) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
  events = 0;
  private after(): void {
    const out = this.outbox;
    this.outbox = [];
    for (const f of out) this.out(f);
    this.events |= this.tcb.events;
    this.tcb.events = 0;
    if (this.autoRead && this.tcb.rcvBuf.length > 0) {
      this.read();
      return;
    }
    const d = tcpEngine.tcpNextDeadline(this.tcb);
    if (d < 0) this.timer.cancel();
    else if (this.timer.deadline !== d) this.timer.arm(d);
  }
}

/** The stack's DNS query, answered by a tiny resolver built on dns-packet. */
export { SeededRandom };
