/** IPv4 input (RFC 791, RFC 1122 §3.2.1): validation, source/destination rules, reassembly, protocol dispatch. */
import { IpProtocol, Ipv4Packet, isWireError } from '../../wire/index.js';
import { setBe16 } from '../../wire/bytes.js';
import type { Core } from './core.js';
import { inNet4, isLoopback4, isMulticast4, isThisNet4 } from './addr.js';
import { icmp4Input } from './icmp.js';
import { udpInput } from './udp.js';
import { tcpInput } from './tcp/table.js';

/** What upper layers learn about the datagram that carried their bytes. */
export interface IpMeta {
  family: 4 | 6;
  src: Uint8Array;
  dst: Uint8Array;
  /** The whole IP datagram (for ICMP errors quoting it). */
  packet: Uint8Array;
  /** Offset of the upper-layer header in `packet`. */
  l4Offset: number;
}

export function ipv4Input(core: Core, payload: Uint8Array, srcMac: Uint8Array): void {
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
  let packet = payload.subarray(0, p.totalLen);
  if (p.isFragment) {
    const hl = p.headerLen;
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
  }
  const hl = Ipv4Packet.unchecked(packet).headerLen;
  const meta: IpMeta = { family: 4, src: packet.subarray(12, 16), dst: packet.subarray(16, 20), packet, l4Offset: hl };
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

