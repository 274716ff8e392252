/**
 * ICMP for IPv4 (RFC 792) and the ICMPv6 errors (RFC 4443): echo to the
 * virtual hosts answered here; echo to outside addresses forwarded through
 * the host's ping facility when it has one (else answered unreachable);
 * destination-unreachable errors for refused flows.
 */
import {
  ICMPV4_HEADER_LEN,
  Icmpv4Packet,
  Icmpv4Repr,
  Icmpv4Type,
  Icmpv4Unreachable,
  Icmpv6Repr,
  IpProtocol,
  isWireError,
} from '../../wire/index.js';
import type { Core } from './core.js';
import type { IpMeta } from './ip4.js';
import { ip4, ip4Text, ip6Text, inNet4 } from './addr.js';
import { isOurAddress6 } from './ndp.js';

/** Echo requests waiting for the host. */
export class PingTable {
  outstanding = 0;
}

export function icmp4Input(core: Core, meta: IpMeta, l4: Uint8Array): void {
  const { stats } = core;
  const p = Icmpv4Packet.checked(l4);
  if (isWireError(p) || !p.verifyChecksum()) {
    stats.icmpMalformed++;
    return;
  }
  if (p.type !== Icmpv4Type.ECHO_REQUEST || p.code !== 0) return;
  const dst = ip4(meta.dst);
  const ident = p.ident;
  const seq = p.seqNo;
  const data = p.data.slice();
  if (core.link.virtual4.has(dst)) {
    stats.icmpEchoLocal++;
    sendEchoReply4(core, meta.dst.slice(), meta.src.slice(), ident, seq, data);
    return;
  }
  if (inNet4(dst, core.cfg.net, core.cfg.mask)) return;
  forwardPing(core, meta, ident, seq, data);
}

/** Forward an echo request for an outside address (both families). */
export function forwardPing(core: Core, meta: IpMeta, ident: number, seq: number, data: Uint8Array): void {
  const { stats, cfg } = core;
  if (cfg.restrict) {
    stats.restrictedDrops++;
    return;
  }
  if (core.ping.outstanding >= cfg.limits.maxPings) {
    stats.icmpEchoRefused++;
    return;
  }
  core.ping.outstanding++;
  stats.icmpEchoForwarded++;
  const src = meta.src.slice();
  const dst = meta.dst.slice();
  const quoted = quote(meta);
  const family = meta.family;
  core.host.ping({ family, address: family === 4 ? ip4Text(ip4(dst)) : ip6Text(dst), ident, seq, payload: data, ttl: 64 }, (r) => {
    core.ping.outstanding--;
    if (core.closed) return;
    if (r.ok) {
      if (family === 4) sendEchoReply4(core, dst, src, ident, seq, data);
      else sendEchoReply6(core, dst, src, ident, seq, data);
    } else if (r.error.kind !== 'timeout') {
      // No ping facility, or the host says unreachable: tell the guest rather than let it wait.
      sendUnreachableQuoted(core, family, dst, src, quoted, family === 4 ? Icmpv4Unreachable.HOST : 3);
    }
  });
}

export function sendEchoReply4(core: Core, src: Uint8Array, dst: Uint8Array, ident: number, seqNo: number, data: Uint8Array): void {
  const repr: Icmpv4Repr = { type: 'echo-reply', ident, seqNo, data };
  core.link.sendIp(src, dst, IpProtocol.ICMP, Icmpv4Repr.bufferLen(repr), (b) => Icmpv4Repr.emit(repr, b));
}

export function sendEchoReply6(core: Core, src: Uint8Array, dst: Uint8Array, ident: number, seqNo: number, data: Uint8Array): void {
  const repr: Icmpv6Repr = { type: 'echo-reply', ident, seqNo, data };
  core.link.sendIp(src, dst, IpProtocol.ICMPV6, Icmpv6Repr.bufferLen(repr), (b) => Icmpv6Repr.emit(repr, b, src, dst));
}

/** The part of the invoking datagram an ICMP error quotes: IPv4 header + 8 bytes (RFC 792); IPv6 up to 1232 bytes (RFC 4443 §2.4). */
function quote(meta: IpMeta): Uint8Array {
  const max = meta.family === 4 ? meta.l4Offset + 8 : 1232;
  return meta.packet.slice(0, Math.min(meta.packet.length, max));
}

/**
 * Destination unreachable back to the guest about `meta`'s datagram. `code`:
 * IPv4 codes (Icmpv4Unreachable) or ICMPv6 codes (1 administratively
 * prohibited, 3 address unreachable, 4 port unreachable).
 */
export function sendUnreachable(core: Core, meta: IpMeta, code: number): void {
  // Never answer an ICMP error with an error, nor a broadcast.
  if (meta.family === 4 && meta.packet[9] === IpProtocol.ICMP) {
    const t = meta.packet[meta.l4Offset];
    if (t !== Icmpv4Type.ECHO_REQUEST) return;
  }
  sendUnreachableQuoted(core, meta.family, meta.dst.slice(), meta.src.slice(), quote(meta), code);
}

function sendUnreachableQuoted(core: Core, family: 4 | 6, from: Uint8Array, to: Uint8Array, quoted: Uint8Array, code: number): void {
  core.stats.icmpUnreachableSent++;
  // Answer from the virtual host when the original destination is not one we may speak for.
  let src = from;
  if (family === 4) {
    if (ip4(src) === 0xffffffff) return;
    const repr: Icmpv4Repr = { type: 'dest-unreachable', code, nextHopMtu: 0, data: quoted };
    core.link.sendIp(src, to, IpProtocol.ICMP, ICMPV4_HEADER_LEN + quoted.length, (b) => Icmpv4Repr.emit(repr, b));
  } else {
    if (src[0] === 0xff) src = core.cfg.ipv6Host;
    if (!isOurAddress6(core, src) && code !== 4) src = core.cfg.ipv6Host;
    const repr: Icmpv6Repr = { type: 'dest-unreachable', code, data: quoted };
    const s = src;
    core.link.sendIp(s, to, IpProtocol.ICMPV6, Icmpv6Repr.bufferLen(repr), (b) => Icmpv6Repr.emit(repr, b, s, to));
  }
}

export { Icmpv4Unreachable };
