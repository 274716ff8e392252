/**
 * IPv6 input (RFC 8200): a payload length beyond the data is dropped
 * (CVE-2020-10756), the extension-header walk is bounded, fragments are
 * reassembled under the same bounds as IPv4, then ICMPv6, UDP and TCP are
 * dispatched.
 */
import { IPV6_HEADER_LEN, IpProtocol, Ipv6Address, Ipv6Packet, isWireError } from '../../wire/index.js';
import { setBe16 } from '../../wire/bytes.js';
import type { Core } from './core.js';
import type { IpMeta } from './ip4.js';
import { icmp6Input, isOurAddress6 } from './ndp.js';
import { udpInput } from './udp.js';
import { tcpInput, tcpInputPredicted } from './tcp/table.js';
import { ip6Key } from './addr.js';

const ALL_NODES = Ipv6Address.allNodes();
const ALL_ROUTERS = Ipv6Address.allRouters();
const ALL_DHCP = new Uint8Array([0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2]);

function acceptedMulticast(dst: Uint8Array): boolean {
  return Ipv6Address.equals(dst, ALL_NODES) || Ipv6Address.equals(dst, ALL_ROUTERS) || Ipv6Address.equals(dst, ALL_DHCP) || Ipv6Address.isSolicitedNodeMulticast(dst);
}

export function ipv6Input(core: Core, payload: Uint8Array, srcMac: Uint8Array, csumPartial = false): void {
  const { stats, cfg } = core;
  const p = Ipv6Packet.checked(payload);
  if (isWireError(p)) {
    if (p.kind === 'truncated' && payload.length >= IPV6_HEADER_LEN) stats.ipv6PayloadLength++;
    else stats.ipv6Malformed++;
    return;
  }
  const src = p.src;
  const dst = p.dst;
  if (Ipv6Address.isMulticast(src) || Ipv6Address.isLoopback(src)) {
    stats.ipv6BadSource++;
    return;
  }
  if (Ipv6Address.isMulticast(dst)) {
    if (!acceptedMulticast(dst)) {
      stats.ipv6NotForUs++;
      return;
    }
  } else if (!isOurAddress6(core, dst)) {
    if (Ipv6Address.isLinkLocal(dst) || Ipv6Address.inSubnet(dst, cfg.ipv6Prefix, cfg.ipv6PrefixLen) || Ipv6Address.isUnspecified(dst) || Ipv6Address.isLoopback(dst)) {
      stats.ipv6NotForUs++;
      return;
    }
  }
  if (!Ipv6Address.isUnspecified(src) && (Ipv6Address.isLinkLocal(src) || Ipv6Address.inSubnet(src, cfg.ipv6Prefix, cfg.ipv6PrefixLen))) core.link.learn6(src, srcMac);
  let packet = payload.subarray(0, p.totalLen);
  let walk = p.upperLayer();
  if (isWireError(walk)) {
    stats.ipv6ExtHeaders++;
    return;
  }
  // A reassembled datagram's transport checksum is verified (offloaded frames are never fragments).
  const partial = csumPartial && !walk.fragment;
  if (walk.fragment) {
    const fh = walk.fragment.headerOffset;
    const key = `${ip6Key(src)}|${ip6Key(dst)}|${walk.fragment.ident}`;
    const header = packet.slice(0, fh);
    // The byte that named the Fragment header now names what followed it.
    let nhOff = 6;
    for (let off = IPV6_HEADER_LEN; off < fh; off += (packet[off + 1]! + 1) * 8) nhOff = off;
    header[nhOff] = packet[fh]!;
    const done = core.reasm6.add(key, walk.fragment.offset, walk.fragment.more, packet.subarray(fh + 8), header);
    if (!done) return;
    const whole = new Uint8Array(done.header.length + done.payload.length);
    whole.set(done.header);
    whole.set(done.payload, done.header.length);
    if (whole.length - IPV6_HEADER_LEN > 0xffff) {
      stats.fragTooBig++;
      return;
    }
    setBe16(whole, 4, whole.length - IPV6_HEADER_LEN);
    packet = whole;
    const w2 = Ipv6Packet.unchecked(packet).upperLayer();
    if (isWireError(w2) || w2.fragment) {
      stats.ipv6ExtHeaders++;
      return;
    }
    walk = w2;
  }
  // A segment of the connection before it needs none of what follows.
  if (walk.protocol === IpProtocol.TCP && tcpInputPredicted(core, packet, 8, walk.offset, packet.length, 6, partial)) return;
  const meta: IpMeta = { family: 6, src: packet.subarray(8, 24), dst: packet.subarray(24, 40), packet, l4Offset: walk.offset, csumPartial: partial };
  const l4 = packet.subarray(walk.offset);
  const hopLimit = packet[7]!;
  switch (walk.protocol) {
    case IpProtocol.ICMPV6:
      icmp6Input(core, meta, l4, hopLimit, srcMac);
      return;
    case IpProtocol.UDP:
      if (Ipv6Address.isUnspecified(src)) return;
      udpInput(core, meta, l4, false);
      return;
    case IpProtocol.TCP:
      if (Ipv6Address.isUnspecified(src) || Ipv6Address.isMulticast(dst)) return;
      tcpInput(core, meta, l4);
      return;
    default:
      stats.ipv4UnknownProtocol++;
  }
}
