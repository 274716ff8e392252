/**
 * The Ethernet side: the virtual MAC addresses, ARP (RFC 826) answers for
 * the virtual hosts, the neighbour caches for the guest's IPv4 and IPv6
 * addresses, and IP output with fragmentation towards the guest.
 */
import {
  ArpPacket,
  ArpRepr,
  ETHERNET_HEADER_LEN,
  EtherType,
  EthernetAddress,
  IPV4_HEADER_LEN,
  IPV6_HEADER_LEN,
  IpProtocol,
  Ipv4Repr,
  Ipv6Address,
  Ipv6Repr,
  isWireError,
} from '../../wire/index.js';
import { setBe16, setBe32 } from '../../wire/bytes.js';
import { segmentTcp } from '../../wire/offload.js';
import { type FrameOffload, OFFLOAD_TSO4, OFFLOAD_TSO6, newFrameOffload } from '../../hub/client.js';
import type { UserNetConfig } from './options.js';
import type { UserNetStats } from './stats.js';
import { inNet4, ip4, ip4Bytes, ip6Key } from './addr.js';

/** libslirp's special_ethaddr prefix: virtual hosts answer as 52:55:<IPv4 address>. */
export function virtualMac(ipv4: number): Uint8Array {
  return new Uint8Array([0x52, 0x55, ipv4 >>> 24, (ipv4 >>> 16) & 255, (ipv4 >>> 8) & 255, ipv4 & 255]);
}

export interface SendOptions {
  /** Ethernet destination to use instead of a neighbour lookup (DHCP replies to chaddr). */
  dstMac?: Uint8Array;
  ttl?: number;
  /** Do not fragment (IPv4 DF). */
  dontFrag?: boolean;
}

interface Pending {
  key: string;
  frame: Uint8Array;
  /** When it was held (ns). */
  at: number;
}

/**
 * The guest's NIC as a taker of whole TCP GSO frames (the stack's
 * `NetClient`: `peerOffloads`, `peerOffloadsLater`, `sendOffloaded`).
 */
export interface OffloadPeer {
  /** `OFFLOAD_*` kinds the NIC takes now. */
  now(): number;
  /** `OFFLOAD_*` kinds it takes once it is idle and has room. */
  later(): number;
  send(frame: Uint8Array, o: FrameOffload): boolean;
}

/** Largest TCP payload of one GSO frame: an IPv4 total length, or an IPv6 payload length, fits in 16 bits. */
const GSO_MAX_PAYLOAD4 = 0xffff - IPV4_HEADER_LEN - 20;
const GSO_MAX_PAYLOAD6 = 0xffff - 20;

/** Frames wait this long for a neighbour answer (RFC 1122 §2.3.2.2 asks for a short queue; Linux waits ~3 s). */
const PENDING_TTL_NS = 3e9;

/** Most neighbour entries kept per family (oldest evicted). */
const MAX_NEIGHBOURS = 256;

export class Link {
  /** MAC of the virtual router (the `host` address). */
  readonly routerMac: Uint8Array;
  /** The last unicast source MAC seen from the guest side. */
  guestMac: Uint8Array | null = null;
  private readonly arp = new Map<number, Uint8Array>();
  private readonly gso: FrameOffload = newFrameOffload();
  private readonly nd = new Map<string, Uint8Array>();
  private pending: Pending[] = [];
  private ipId = 0;
  /** Virtual IPv4 addresses that answer ARP (host, dns, guestfwd servers, smb server). */
  readonly virtual4 = new Set<number>();

  constructor(
    private readonly cfg: UserNetConfig,
    private readonly stats: UserNetStats,
    private readonly out: (frame: Uint8Array) => boolean,
    private readonly now: () => number,
    private readonly offload?: OffloadPeer,
  ) {
    this.routerMac = virtualMac(cfg.host);
    this.virtual4.add(cfg.host);
    this.virtual4.add(cfg.dns);
    for (const g of cfg.guestfwd) this.virtual4.add(g.server);
    if (cfg.smb) this.virtual4.add(cfg.smb.server);
  }

  isOurMac(b: Uint8Array, offset = 0): boolean {
    if (b[offset] !== 0x52 || b[offset + 1] !== 0x55) return false;
    return this.virtual4.has(ip4(b, offset + 2));
  }

  learn4(ip: number, mac: Uint8Array): void {
    if (ip === 0 || !inNet4(ip, this.cfg.net, this.cfg.mask) || EthernetAddress.isMulticast(mac)) return;
    if (this.virtual4.has(ip)) return;
    const old = this.arp.get(ip);
    if (old && EthernetAddress.equals(old, mac)) return;
    if (!old && this.arp.size >= MAX_NEIGHBOURS) this.arp.delete(this.arp.keys().next().value!);
    this.arp.set(ip, mac.slice(0, 6));
    this.flush(`4:${ip}`, mac);
  }

  learn6(ip: Uint8Array, mac: Uint8Array): void {
    if (Ipv6Address.isUnspecified(ip) || Ipv6Address.isMulticast(ip) || EthernetAddress.isMulticast(mac)) return;
    const key = ip6Key(ip);
    const old = this.nd.get(key);
    if (old && EthernetAddress.equals(old, mac)) return;
    if (!old && this.nd.size >= MAX_NEIGHBOURS) this.nd.delete(this.nd.keys().next().value!);
    this.nd.set(key, mac.slice(0, 6));
    this.flush(`6:${key}`, mac);
  }

  lookup4(ip: number): Uint8Array | undefined {
    return this.arp.get(ip);
  }

  lookup6(ip: Uint8Array): Uint8Array | undefined {
    return this.nd.get(ip6Key(ip));
  }

  /** Handle an ARP packet (the Ethernet payload). */
  arpInput(payload: Uint8Array): void {
    const p = ArpPacket.checked(payload);
    if (isWireError(p)) {
      this.stats.arpTruncated++;
      return;
    }
    const r = ArpRepr.parse(p);
    if (isWireError(r)) {
      this.stats.arpUnsupported++;
      return;
    }
    const spa = ip4(r.senderIp);
    const tpa = ip4(r.targetIp);
    this.learn4(spa, r.senderMac);
    if (r.operation === 'request') {
      this.stats.arpRequests++;
      if (!this.virtual4.has(tpa) || spa === tpa) return;
      const frame = new Uint8Array(ETHERNET_HEADER_LEN + 28 + 18);
      const mac = virtualMac(tpa);
      frame.set(r.senderMac.subarray(0, 6), 0);
      frame.set(mac, 6);
      setBe16(frame, 12, EtherType.ARP);
      ArpRepr.emit({ operation: 'reply', senderMac: mac, senderIp: r.targetIp, targetMac: r.senderMac, targetIp: r.senderIp }, frame.subarray(ETHERNET_HEADER_LEN));
      this.stats.arpReplies++;
      this.emit(frame);
    }
  }

  /**
   * Build and send an IP packet to the guest. `fill` writes the upper-layer
   * bytes (exactly `l4Len`, checksum included) into the array it is given.
   * Packets over the MTU are fragmented.
   */
  sendIp(src: Uint8Array, dst: Uint8Array, protocol: number, l4Len: number, fill: (l4: Uint8Array) => void, opts: SendOptions = {}): void {
    if (src.length === 4) this.sendIp4(src, dst, protocol, l4Len, fill, opts);
    else this.sendIp6(src, dst, protocol, l4Len, fill, opts);
  }

  /**
   * Most TCP payload bytes one segment to the guest may carry now, as a GSO
   * frame its NIC takes whole (`sendTcpGso`); 0 when segments must fit the
   * MTU. `later`: what it would be once the NIC is idle and has room.
   */
  tcpGsoMax(family: 4 | 6, later = false): number {
    const o = this.offload;
    if (o === undefined) return 0;
    const kinds = later ? o.later() : o.now();
    if (family === 4) return kinds & OFFLOAD_TSO4 ? GSO_MAX_PAYLOAD4 : 0;
    return kinds & OFFLOAD_TSO6 ? GSO_MAX_PAYLOAD6 : 0;
  }

  /**
   * Send one TCP segment larger than the MTU (`l4Len` bytes, at most
   * `tcpGsoMax`) to the guest as a GSO frame (virtio 1.2 §5.1.6.4): `fill`
   * writes the TCP header and payload, the checksum field holding only the
   * pseudo-header sum (a partial checksum), and the NIC hands the frame to
   * its driver whole, to be cut into segments of `mss` payload bytes where
   * needed. When the NIC does not take it after all (no room now, a capture
   * started, the neighbour unknown), the segment is cut here, each piece
   * with its own complete checksum, and sent as plain frames.
   */
  sendTcpGso(src: Uint8Array, dst: Uint8Array, l4Len: number, mss: number, fill: (l4: Uint8Array) => void): void {
    const v4 = src.length === 4;
    const ipLen = v4 ? IPV4_HEADER_LEN : IPV6_HEADER_LEN;
    // The IPv4 total length, or the IPv6 payload length, is 16 bits (`tcpGsoMax` keeps segments below).
    if ((v4 ? ipLen : 0) + l4Len > 0xffff) return;
    const frame = new Uint8Array(ETHERNET_HEADER_LEN + ipLen + l4Len);
    const ip = frame.subarray(ETHERNET_HEADER_LEN);
    let ident = 0;
    if (v4) {
      ident = (this.ipId + 1) & 0xffff;
      Ipv4Repr.emit({ src, dst, protocol: IpProtocol.TCP, payloadLen: l4Len, ttl: 64, ident }, ip);
    } else Ipv6Repr.emit({ src, dst, nextHeader: IpProtocol.TCP, payloadLen: l4Len, hopLimit: 64 }, ip);
    fill(ip.subarray(ipLen));
    setBe16(frame, 12, v4 ? EtherType.IPV4 : EtherType.IPV6);
    frame.set(this.routerMac, 6);
    const segments = Math.ceil((l4Len - ((ip[ipLen + 12]! >>> 4) << 2)) / mss);
    // Every wire segment of the frame takes an IPv4 identification.
    if (v4) this.ipId = (ident + segments - 1) & 0xffff;
    const mac = v4 ? this.arp.get(ip4(dst)) : this.nd.get(ip6Key(dst));
    if (mac !== undefined && this.offload !== undefined) {
      frame.set(mac, 0);
      const o = this.gso;
      o.csumStart = ETHERNET_HEADER_LEN + ipLen;
      o.csumOffset = 16;
      o.gso = v4 ? 'tcpv4' : 'tcpv6';
      o.gsoSize = mss;
      if (this.offload.send(frame, o)) {
        this.stats.txFrames++;
        this.stats.txOffloaded++;
        return;
      }
    }
    this.stats.txGsoFallback++;
    const pieces = segmentTcp(frame, { l3Offset: ETHERNET_HEADER_LEN, l4Offset: ETHERNET_HEADER_LEN + ipLen, mss, ipv6: !v4 });
    if (!Array.isArray(pieces)) return; // (headers the stack wrote itself: cannot happen)
    for (const p of pieces) {
      if (v4) this.toGuest4(ip4(dst), p);
      else this.toGuest6(dst, p);
    }
  }

  private sendIp4(src: Uint8Array, dst: Uint8Array, protocol: number, l4Len: number, fill: (l4: Uint8Array) => void, opts: SendOptions): void {
    const ident = (this.ipId = (this.ipId + 1) & 0xffff);
    const total = IPV4_HEADER_LEN + l4Len;
    if (total > 0xffff) return;
    const frame = new Uint8Array(ETHERNET_HEADER_LEN + total);
    const ip = frame.subarray(ETHERNET_HEADER_LEN);
    Ipv4Repr.emit({ src, dst, protocol, payloadLen: l4Len, ttl: opts.ttl ?? 64, ident, dontFrag: opts.dontFrag ?? false }, ip);
    fill(ip.subarray(IPV4_HEADER_LEN));
    if (total <= this.cfg.mtu) {
      this.toGuest4(ip4(dst), frame, opts.dstMac);
      return;
    }
    // RFC 791 §3.2 fragmentation: 8-byte aligned pieces, MF on all but the last.
    const data = ip.subarray(IPV4_HEADER_LEN);
    const step = (this.cfg.mtu - IPV4_HEADER_LEN) & ~7;
    for (let off = 0; off < data.length; off += step) {
      const n = Math.min(step, data.length - off);
      const f = new Uint8Array(ETHERNET_HEADER_LEN + IPV4_HEADER_LEN + n);
      const fip = f.subarray(ETHERNET_HEADER_LEN);
      Ipv4Repr.emit({ src, dst, protocol, payloadLen: n, ttl: opts.ttl ?? 64, ident, moreFrags: off + n < data.length, fragOffset: off }, fip);
      fip.set(data.subarray(off, off + n), IPV4_HEADER_LEN);
      this.toGuest4(ip4(dst), f, opts.dstMac);
    }
  }

  private sendIp6(src: Uint8Array, dst: Uint8Array, protocol: number, l4Len: number, fill: (l4: Uint8Array) => void, opts: SendOptions): void {
    const total = IPV6_HEADER_LEN + l4Len;
    if (l4Len > 0xffff) return;
    const frame = new Uint8Array(ETHERNET_HEADER_LEN + total);
    const ip = frame.subarray(ETHERNET_HEADER_LEN);
    Ipv6Repr.emit({ src, dst, nextHeader: protocol, payloadLen: l4Len, hopLimit: opts.ttl ?? 64 }, ip);
    fill(ip.subarray(IPV6_HEADER_LEN));
    if (total <= this.cfg.mtu) {
      this.toGuest6(dst, frame, opts.dstMac);
      return;
    }
    // RFC 8200 §4.5: the source fragments, with a Fragment header after the fixed header.
    const ident = (this.ipId = (this.ipId + 1) & 0xffff) | 0x10000;
    const data = ip.subarray(IPV6_HEADER_LEN);
    const step = (this.cfg.mtu - IPV6_HEADER_LEN - 8) & ~7;
    for (let off = 0; off < data.length; off += step) {
      const n = Math.min(step, data.length - off);
      const f = new Uint8Array(ETHERNET_HEADER_LEN + IPV6_HEADER_LEN + 8 + n);
      const fip = f.subarray(ETHERNET_HEADER_LEN);
      Ipv6Repr.emit({ src, dst, nextHeader: IpProtocol.IPV6_FRAGMENT, payloadLen: 8 + n, hopLimit: opts.ttl ?? 64 }, fip);
      fip[IPV6_HEADER_LEN] = protocol;
      fip[IPV6_HEADER_LEN + 1] = 0;
      setBe16(fip, IPV6_HEADER_LEN + 2, off | (off + n < data.length ? 1 : 0));
      setBe32(fip, IPV6_HEADER_LEN + 4, ident);
      fip.set(data.subarray(off, off + n), IPV6_HEADER_LEN + 8);
      this.toGuest6(dst, f, opts.dstMac);
    }
  }

  private toGuest4(dst: number, frame: Uint8Array, dstMac?: Uint8Array): void {
    setBe16(frame, 12, EtherType.IPV4);
    frame.set(this.routerMac, 6);
    let mac = dstMac;
    if (!mac && (dst === 0xffffffff || dst === ((this.cfg.net | ~this.cfg.mask) >>> 0))) mac = EthernetAddress.broadcast();
    mac ??= this.arp.get(dst);
    if (mac) {
      frame.set(mac, 0);
      this.emit(frame);
      return;
    }
    // One request per destination while frames wait for it.
    if (this.hold(`4:${dst}`, frame)) this.arpRequest(dst);
  }

  private toGuest6(dst: Uint8Array, frame: Uint8Array, dstMac?: Uint8Array): void {
    setBe16(frame, 12, EtherType.IPV6);
    frame.set(this.routerMac, 6);
    let mac = dstMac;
    if (!mac && Ipv6Address.isMulticast(dst)) mac = Ipv6Address.multicastMac(dst);
    mac ??= this.nd.get(ip6Key(dst));
    if (mac) {
      frame.set(mac, 0);
      this.emit(frame);
      return;
    }
    if (this.hold(`6:${ip6Key(dst)}`, frame)) this.onNeedNeighbour6?.(dst);
  }

  /** Set by the NDP module: send a Neighbor Solicitation for `dst`. */
  onNeedNeighbour6: ((dst: Uint8Array) => void) | undefined;

  private arpRequest(dst: number): void {
    const frame = new Uint8Array(ETHERNET_HEADER_LEN + 28 + 18);
    frame.set(EthernetAddress.broadcast(), 0);
    frame.set(this.routerMac, 6);
    setBe16(frame, 12, EtherType.ARP);
    ArpRepr.emit(
      { operation: 'request', senderMac: this.routerMac, senderIp: ip4Bytes(this.cfg.host), targetMac: new Uint8Array(6), targetIp: ip4Bytes(dst) },
      frame.subarray(ETHERNET_HEADER_LEN),
    );
    this.emit(frame);
  }

  /** Queue a frame until its destination answers; true when nothing was waiting for it yet (ask now). */
  private hold(key: string, frame: Uint8Array): boolean {
    const now = this.now();
    const before = this.pending.length;
    this.pending = this.pending.filter((p) => now - p.at < PENDING_TTL_NS);
    this.stats.pendingResolutionDrops += before - this.pending.length;
    const first = !this.pending.some((p) => p.key === key);
    if (this.pending.length >= this.cfg.limits.pendingResolution) {
      this.pending.shift();
      this.stats.pendingResolutionDrops++;
    }
    if (this.cfg.limits.pendingResolution > 0) this.pending.push({ key, frame, at: now });
    else this.stats.pendingResolutionDrops++;
    return first;
  }

  private flush(key: string, mac: Uint8Array): void {
    if (this.pending.length === 0) return;
    const now = this.now();
    const ready = this.pending.filter((p) => p.key === key && now - p.at < PENDING_TTL_NS);
    if (ready.length === 0) return;
    this.pending = this.pending.filter((p) => p.key !== key);
    for (const p of ready) {
      p.frame.set(mac.subarray(0, 6), 0);
      this.emit(p.frame);
    }
  }

  /** Frames waiting for a neighbour answer. */
  get pendingCount(): number {
    return this.pending.length;
  }

  emit(frame: Uint8Array): void {
    this.stats.txFrames++;
    if (!this.out(frame)) this.stats.txDropped++;
  }

  reset(): void {
    this.pending = [];
    this.arp.clear();
    this.nd.clear();
  }
}
