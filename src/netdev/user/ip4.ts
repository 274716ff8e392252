/** IPv4 input (RFC 791, RFC 1122 §3.2.1): validation, source/destination rules, reassembly, protocol dispatch. */
import { IpProtocol, Ipv4Packet, isWireError, onesSum } from '../../wire/index.js';
import { be16, be32, setBe16 } from '../../wire/bytes.js';
import type { Core } from './core.js';
import { inNet4, isLoopback4, isMulticast4, isThisNet4 } from './addr.js';
import { icmp4Input } from './icmp.js';
import { udpInput } from './udp.js';
import { tcpInput, tcpInputPredicted } from './tcp/table.js';

/** What upper layers learn about the datagram that carried their bytes. */
export interface IpMeta {
  family: 4 | 6;
  src: Uint8Array;
  dst: Uint8Array;
  /** The whole IP datagram (for ICMP errors quoting it). */
  packet: Uint8Array;
  /** Offset of the upper-layer header in `packet`. */
  l4Offset: number;
  /**
   * The transport checksum field holds only the pseudo-header sum: the guest's
   * driver left it to its NIC, and the NIC handed the frame over whole
   * (`FrameOffload`). Not verified.
   */
  csumPartial?: boolean;
}

/**
 * The bulk path: header prediction (`tcpInputPredicted`) carried down to the
 * IPv4 header at frame[off..], for the common datagram (no options, not a
 * fragment, TCP, a valid header checksum), with no view made of it. The TCP
 * prediction then matches both addresses to an established connection, whose
 * SYN passed every check of `ipv4Input`. False, with nothing counted (the
 * sender's MAC may have been learned, as `ipv4Input` does too): take `ipv4Input`.
 * `csumPartial`: see `IpMeta`.
 */
export function ipv4Predicted(core: Core, frame: Uint8Array, off: number, srcMac: Uint8Array, csumPartial = false): boolean {
  if (frame.length - off < 40 || frame[off] !== 0x45 || frame[off + 9] !== IpProtocol.TCP) return false;
  const total = be16(frame, off + 2);
  // More-fragments and fragment offset zero (RFC 791 §3.1), the whole datagram in the frame.
  if (total < 40 || total > frame.length - off || (frame[off + 6]! & 0x3f) !== 0 || frame[off + 7] !== 0) return false;
  const c = core.tcp.last;
  if (c === null || c.family !== 4) return false;
  const g = c.guest;
  const r = c.remote;
  for (let i = 0; i < 4; i++) if (frame[off + 12 + i] !== g[i] || frame[off + 16 + i] !== r[i]) return false;
  if (onesSum(frame, off, off + 20) !== 0xffff) return false;
  core.link.learn4(be32(frame, off + 12), srcMac);
  return tcpInputPredicted(core, frame, off + 12, off + 20, off + total, 4, csumPartial);
}

export function ipv4Input(core: Core, payload: Uint8Array, srcMac: Uint8Array, csumPartial = false): void {
  const { stats, cfg } = core;
  const p = Ipv4Packet.checked(payload);
  if (isWireError(p)) {
    stats.ipv4Malformed++;
    return;
  }
  if (!p.verifyChecksum()) {
    stats.ipv4BadChecksum++;
    return;
  }
  const src = p.srcU32;
  const dst = p.dstU32;
  const proto = p.protocol;
  // RFC 1122 §3.2.1.3: 0/8 only as "this host" while booting (DHCP), never loopback, multicast or broadcast sources.
  if ((isThisNet4(src) && !(src === 0 && proto === IpProtocol.UDP)) || isLoopback4(src) || isMulticast4(src) || src === 0xffffffff) {
    stats.ipv4BadSource++;
    return;
  }
  const bcast = dst === 0xffffffff || dst === ((cfg.net | ~cfg.mask) >>> 0);
  if (isMulticast4(dst) || isThisNet4(dst) || isLoopback4(dst) || (bcast && proto !== IpProtocol.UDP)) {
    stats.ipv4NotForUs++;
    return;
  }
  if (!bcast && inNet4(dst, cfg.net, cfg.mask) && !core.link.virtual4.has(dst)) {
    stats.ipv4NotForUs++;
    return;
  }
  // The sender's MAC, learned only from a valid datagram of the virtual network.
  if (src !== 0) core.link.learn4(src, srcMac);
  // Without Ethernet padding the payload is the datagram already.
  let packet = p.totalLen === payload.length ? payload : payload.subarray(0, p.totalLen);
  let hl = p.headerLen;
  if (p.isFragment) {
    const key = `${src}|${dst}|${proto}|${p.ident}`;
    const done = core.reasm4.add(key, p.fragOffset, p.moreFrags, packet.subarray(hl), packet.subarray(0, hl));
    if (!done) return;
    const whole = new Uint8Array(done.header.length + done.payload.length);
    whole.set(done.header);
    whole.set(done.payload, done.header.length);
    setBe16(whole, 2, whole.length);
    setBe16(whole, 6, 0);
    const v = Ipv4Packet.unchecked(whole);
    v.fillChecksum();
    packet = whole;
    hl = v.headerLen;
  }
  // A reassembled datagram's transport checksum is verified (offloaded frames are never fragments).
  const meta: IpMeta = { family: 4, src: packet.subarray(12, 16), dst: packet.subarray(16, 20), packet, l4Offset: hl, csumPartial: csumPartial && !p.isFragment };
  const l4 = packet.subarray(hl);
  switch (proto) {
    case IpProtocol.ICMP:
      icmp4Input(core, meta, l4);
      return;
    case IpProtocol.UDP:
      udpInput(core, meta, l4, bcast);
      return;
    case IpProtocol.TCP:
      tcpInput(core, meta, l4);
      return;
    default:
      stats.ipv4UnknownProtocol++;
  }
}

