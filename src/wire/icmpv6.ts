/**
 * ICMPv6 (RFC 4443) and the Neighbor Discovery messages (RFC 4861 §4).
 * The checksum covers an IPv6 pseudo-header (RFC 8200 §8.1), so checksum
 * methods take the source and destination addresses.
 */
import { be16, be32, setBe16, setBe32 } from './bytes.js';
import { checksumFinish, onesSum, pseudoHeaderSum } from './checksum.js';
import { type WireError, badChecksum, truncated } from './error.js';
import { IpProtocol } from './ip.js';
import { type NdpOption, emitNdpOptions, ndpOptionsLen, parseNdpOptions } from './ndp.js';

export const Icmpv6Field = {
  TYPE: 0,
  CODE: 1,
  CHECKSUM: 2,
  IDENT: 4,
  SEQ_NO: 6,
  MTU: 4,
  POINTER: 4,
  /** Router Advertisement */
  CUR_HOP_LIMIT: 4,
  RA_FLAGS: 5,
  ROUTER_LIFETIME: 6,
  REACHABLE_TIME: 8,
  RETRANS_TIMER: 12,
  /** Neighbor Advertisement flags byte. */
  NA_FLAGS: 4,
  /** Neighbor Solicitation/Advertisement, Redirect. */
  TARGET: 8,
  /** Redirect */
  REDIRECT_DEST: 24,
  DATA: 8,
} as const;

export const Icmpv6Type = {
  DEST_UNREACHABLE: 1,
  PACKET_TOO_BIG: 2,
  TIME_EXCEEDED: 3,
  PARAM_PROBLEM: 4,
  ECHO_REQUEST: 128,
  ECHO_REPLY: 129,
  ROUTER_SOLICIT: 133,
  ROUTER_ADVERT: 134,
  NEIGHBOR_SOLICIT: 135,
  NEIGHBOR_ADVERT: 136,
  REDIRECT: 137,
} as const;

/** Router Advertisement flag bits (RFC 4861 §4.2, RFC 4191 §2.2 preference in bits 4..3). */
export const RA_FLAG_MANAGED = 0x80;
export const RA_FLAG_OTHER = 0x40;
/** Neighbor Advertisement flag bits (RFC 4861 §4.4). */
export const NA_FLAG_ROUTER = 0x80;
export const NA_FLAG_SOLICITED = 0x40;
export const NA_FLAG_OVERRIDE = 0x20;

export const ICMPV6_HEADER_LEN = 8;

/** Bytes a message of `type` needs before its options or data. */
export function icmpv6MinLen(type: number): number {
  switch (type) {
    case Icmpv6Type.ROUTER_ADVERT:
      return 16;
    case Icmpv6Type.NEIGHBOR_SOLICIT:
    case Icmpv6Type.NEIGHBOR_ADVERT:
      return 24;
    case Icmpv6Type.REDIRECT:
      return 40;
    default:
      return ICMPV6_HEADER_LEN;
  }
}

/**
 * A view of an ICMPv6 message; `buffer` is exactly the message (the upper-layer
 * payload). `checked` makes sure the fixed part of its type fits; getters for
 * fields of other types are not meaningful.
 */
export class Icmpv6Packet {
  private constructor(readonly buffer: Uint8Array) {}

  static unchecked(buffer: Uint8Array): Icmpv6Packet {
    return new Icmpv6Packet(buffer);
  }

  static checked(buffer: Uint8Array): Icmpv6Packet | WireError {
    if (buffer.length < ICMPV6_HEADER_LEN) return truncated('icmpv6', ICMPV6_HEADER_LEN, buffer.length);
    const need = icmpv6MinLen(buffer[0]!);
    if (buffer.length < need) return truncated('icmpv6', need, buffer.length);
    return new Icmpv6Packet(buffer);
  }

  get type(): number {
    return this.buffer[Icmpv6Field.TYPE]!;
  }
  get code(): number {
    return this.buffer[Icmpv6Field.CODE]!;
  }
  get checksum(): number {
    return be16(this.buffer, Icmpv6Field.CHECKSUM);
  }
  set checksum(v: number) {
    setBe16(this.buffer, Icmpv6Field.CHECKSUM, v);
  }
  get ident(): number {
    return be16(this.buffer, Icmpv6Field.IDENT);
  }
  get seqNo(): number {
    return be16(this.buffer, Icmpv6Field.SEQ_NO);
  }
  /** Packet Too Big: MTU. */
  get mtu(): number {
    return be32(this.buffer, Icmpv6Field.MTU);
  }
  /** Parameter Problem: offset of the offending octet. */
  get pointer(): number {
    return be32(this.buffer, Icmpv6Field.POINTER);
  }
  /** The 32 bits after the checksum. */
  get restOfHeader(): number {
    return be32(this.buffer, 4);
  }
  get curHopLimit(): number {
    return this.buffer[Icmpv6Field.CUR_HOP_LIMIT]!;
  }
  get raFlags(): number {
    return this.buffer[Icmpv6Field.RA_FLAGS]!;
  }
  get routerLifetime(): number {
    return be16(this.buffer, Icmpv6Field.ROUTER_LIFETIME);
  }
  get reachableTime(): number {
    return be32(this.buffer, Icmpv6Field.REACHABLE_TIME);
  }
  get retransTimer(): number {
    return be32(this.buffer, Icmpv6Field.RETRANS_TIMER);
  }
  get naFlags(): number {
    return this.buffer[Icmpv6Field.NA_FLAGS]!;
  }
  get target(): Uint8Array {
    return this.buffer.subarray(Icmpv6Field.TARGET, Icmpv6Field.TARGET + 16);
  }
  get redirectDest(): Uint8Array {
    return this.buffer.subarray(Icmpv6Field.REDIRECT_DEST, Icmpv6Field.REDIRECT_DEST + 16);
  }
  /** Bytes after the 8-byte header (echo data, invoking packet, or an NDP body). */
  get data(): Uint8Array {
    return this.buffer.subarray(ICMPV6_HEADER_LEN);
  }
  /** Where NDP options start for this type (the end of the fixed part). */
  get ndpOptionsOffset(): number {
    return this.type === Icmpv6Type.ROUTER_SOLICIT ? 8 : icmpv6MinLen(this.type);
  }
  ndpOptions(): NdpOption[] | WireError {
    return parseNdpOptions(this.buffer, this.ndpOptionsOffset);
  }

  verifyChecksum(src: Uint8Array, dst: Uint8Array): boolean {
    const b = this.buffer;
    return onesSum(b, 0, b.length, pseudoHeaderSum(src, dst, IpProtocol.ICMPV6, b.length)) === 0xffff;
  }
  computeChecksum(src: Uint8Array, dst: Uint8Array): number {
    const b = this.buffer;
    const ph = pseudoHeaderSum(src, dst, IpProtocol.ICMPV6, b.length);
    return checksumFinish(onesSum(b, 4, b.length, onesSum(b, 0, 2, ph)));
  }
  fillChecksum(src: Uint8Array, dst: Uint8Array): void {
    setBe16(this.buffer, Icmpv6Field.CHECKSUM, this.computeChecksum(src, dst));
  }
}

/** An ICMPv6 message. Addresses and data from `parse` are subarrays of the packet. */
export type Icmpv6Repr =
  | { type: 'echo-request'; ident: number; seqNo: number; data: Uint8Array }
  | { type: 'echo-reply'; ident: number; seqNo: number; data: Uint8Array }
  | { type: 'dest-unreachable'; code: number; data: Uint8Array }
  | { type: 'packet-too-big'; mtu: number; data: Uint8Array }
  | { type: 'time-exceeded'; code: number; data: Uint8Array }
  | { type: 'param-problem'; code: number; pointer: number; data: Uint8Array }
  | { type: 'router-solicit'; options: NdpOption[] }
  | {
      type: 'router-advert';
      curHopLimit: number;
      /** Raw flags byte: RA_FLAG_MANAGED, RA_FLAG_OTHER, router preference (RFC 4191) ... */
      flags: number;
      /** Seconds. */
      routerLifetime: number;
      /** Milliseconds. */
      reachableTime: number;
      /** Milliseconds. */
      retransTimer: number;
      options: NdpOption[];
    }
  | { type: 'neighbor-solicit'; target: Uint8Array; options: NdpOption[] }
  | { type: 'neighbor-advert'; router: boolean; solicited: boolean; override: boolean; target: Uint8Array; options: NdpOption[] }
  | { type: 'redirect'; target: Uint8Array; dest: Uint8Array; options: NdpOption[] }
  /** Any other type, or a known type with a code it does not use. `body`: bytes after the checksum. */
  | { type: 'unknown'; rawType: number; code: number; body: Uint8Array };

function unknown(p: Icmpv6Packet): Icmpv6Repr {
  return { type: 'unknown', rawType: p.type, code: p.code, body: p.buffer.subarray(4) };
}

export const Icmpv6Repr = {
  /**
   * Parse a checked message sent from `src` to `dst`. The checksum is
   * verified unless `verifyChecksum` is false. NDP messages must have code 0
   * (RFC 4861 §6.1, §7.1, §8.1) or they come back as 'unknown'; bad NDP options are an
   * error. Hop limit 255 is the caller's check (it is in the IP header).
   */
  parse(packet: Icmpv6Packet, src: Uint8Array, dst: Uint8Array, verifyChecksum = true): Icmpv6Repr | WireError {
    if (verifyChecksum && !packet.verifyChecksum(src, dst)) return badChecksum('icmpv6', packet.checksum, packet.computeChecksum(src, dst));
    const { type, code } = packet;
    switch (type) {
      case Icmpv6Type.ECHO_REQUEST:
      case Icmpv6Type.ECHO_REPLY:
        if (code !== 0) return unknown(packet);
        return { type: type === Icmpv6Type.ECHO_REQUEST ? 'echo-request' : 'echo-reply', ident: packet.ident, seqNo: packet.seqNo, data: packet.data };
      // Unused and reserved fields are ignored on receipt (RFC 4443 §3, RFC 4861 §4).
      case Icmpv6Type.DEST_UNREACHABLE:
        return { type: 'dest-unreachable', code, data: packet.data };
      case Icmpv6Type.PACKET_TOO_BIG:
        if (code !== 0) return unknown(packet);
        return { type: 'packet-too-big', mtu: packet.mtu, data: packet.data };
      case Icmpv6Type.TIME_EXCEEDED:
        return { type: 'time-exceeded', code, data: packet.data };
      case Icmpv6Type.PARAM_PROBLEM:
        return { type: 'param-problem', code, pointer: packet.pointer, data: packet.data };
      case Icmpv6Type.ROUTER_SOLICIT:
      case Icmpv6Type.ROUTER_ADVERT:
      case Icmpv6Type.NEIGHBOR_SOLICIT:
      case Icmpv6Type.NEIGHBOR_ADVERT:
      case Icmpv6Type.REDIRECT: {
        if (code !== 0) return unknown(packet);
        const options = packet.ndpOptions();
        if (!Array.isArray(options)) return options;
        switch (type) {
          case Icmpv6Type.ROUTER_SOLICIT:
            return { type: 'router-solicit', options };
          case Icmpv6Type.ROUTER_ADVERT:
            return {
              type: 'router-advert',
              curHopLimit: packet.curHopLimit,
              flags: packet.raFlags,
              routerLifetime: packet.routerLifetime,
              reachableTime: packet.reachableTime,
              retransTimer: packet.retransTimer,
              options,
            };
          case Icmpv6Type.NEIGHBOR_SOLICIT:
            return { type: 'neighbor-solicit', target: packet.target, options };
          case Icmpv6Type.NEIGHBOR_ADVERT: {
            const f = packet.naFlags;
            return {
              type: 'neighbor-advert',
              router: (f & NA_FLAG_ROUTER) !== 0,
              solicited: (f & NA_FLAG_SOLICITED) !== 0,
              override: (f & NA_FLAG_OVERRIDE) !== 0,
              target: packet.target,
              options,
            };
          }
          default:
            return { type: 'redirect', target: packet.target, dest: packet.redirectDest, options };
        }
      }
      default:
        return unknown(packet);
    }
  },

  bufferLen(repr: Icmpv6Repr): number {
    switch (repr.type) {
      case 'echo-request':
      case 'echo-reply':
      case 'dest-unreachable':
      case 'packet-too-big':
      case 'time-exceeded':
      case 'param-problem':
        return ICMPV6_HEADER_LEN + repr.data.length;
      case 'router-solicit':
        return 8 + ndpOptionsLen(repr.options);
      case 'router-advert':
        return 16 + ndpOptionsLen(repr.options);
      case 'neighbor-solicit':
      case 'neighbor-advert':
        return 24 + ndpOptionsLen(repr.options);
      case 'redirect':
        return 40 + ndpOptionsLen(repr.options);
      case 'unknown':
        return 4 + repr.body.length;
      default: {
        const never: never = repr;
        throw new Error(`unhandled ICMPv6 repr ${String(never)}`);
      }
    }
  },

  /** Write the message into buf[0..bufferLen), checksum over the pseudo-header of `src`/`dst` included. */
  emit(repr: Icmpv6Repr, buf: Uint8Array, src: Uint8Array, dst: Uint8Array): void {
    const len = Icmpv6Repr.bufferLen(repr);
    buf.fill(0, 0, Math.min(len, 8));
    switch (repr.type) {
      case 'echo-request':
      case 'echo-reply':
        buf[0] = repr.type === 'echo-request' ? Icmpv6Type.ECHO_REQUEST : Icmpv6Type.ECHO_REPLY;
        setBe16(buf, Icmpv6Field.IDENT, repr.ident);
        setBe16(buf, Icmpv6Field.SEQ_NO, repr.seqNo);
        buf.set(repr.data, 8);
        break;
      case 'dest-unreachable':
        buf[0] = Icmpv6Type.DEST_UNREACHABLE;
        buf[1] = repr.code;
        buf.set(repr.data, 8);
        break;
      case 'packet-too-big':
        buf[0] = Icmpv6Type.PACKET_TOO_BIG;
        setBe32(buf, Icmpv6Field.MTU, repr.mtu);
        buf.set(repr.data, 8);
        break;
      case 'time-exceeded':
        buf[0] = Icmpv6Type.TIME_EXCEEDED;
        buf[1] = repr.code;
        buf.set(repr.data, 8);
        break;
      case 'param-problem':
        buf[0] = Icmpv6Type.PARAM_PROBLEM;
        buf[1] = repr.code;
        setBe32(buf, Icmpv6Field.POINTER, repr.pointer);
        buf.set(repr.data, 8);
        break;
      case 'router-solicit':
        buf[0] = Icmpv6Type.ROUTER_SOLICIT;
        emitNdpOptions(repr.options, buf, 8);
        break;
      case 'router-advert':
        buf[0] = Icmpv6Type.ROUTER_ADVERT;
        buf[Icmpv6Field.CUR_HOP_LIMIT] = repr.curHopLimit;
        buf[Icmpv6Field.RA_FLAGS] = repr.flags;
        setBe16(buf, Icmpv6Field.ROUTER_LIFETIME, repr.routerLifetime);
        setBe32(buf, Icmpv6Field.REACHABLE_TIME, repr.reachableTime);
        setBe32(buf, Icmpv6Field.RETRANS_TIMER, repr.retransTimer);
        emitNdpOptions(repr.options, buf, 16);
        break;
      case 'neighbor-solicit':
        buf[0] = Icmpv6Type.NEIGHBOR_SOLICIT;
        buf.set(repr.target.subarray(0, 16), Icmpv6Field.TARGET);
        emitNdpOptions(repr.options, buf, 24);
        break;
      case 'neighbor-advert':
        buf[0] = Icmpv6Type.NEIGHBOR_ADVERT;
        buf[Icmpv6Field.NA_FLAGS] = (repr.router ? NA_FLAG_ROUTER : 0) | (repr.solicited ? NA_FLAG_SOLICITED : 0) | (repr.override ? NA_FLAG_OVERRIDE : 0);
        buf.set(repr.target.subarray(0, 16), Icmpv6Field.TARGET);
        emitNdpOptions(repr.options, buf, 24);
        break;
      case 'redirect':
        buf[0] = Icmpv6Type.REDIRECT;
        buf.set(repr.target.subarray(0, 16), Icmpv6Field.TARGET);
        buf.set(repr.dest.subarray(0, 16), Icmpv6Field.REDIRECT_DEST);
        emitNdpOptions(repr.options, buf, 40);
        break;
      case 'unknown':
        buf[0] = repr.rawType;
        buf[1] = repr.code;
        buf.set(repr.body, 4);
        break;
    }
    setBe16(buf, Icmpv6Field.CHECKSUM, 0);
    const ph = pseudoHeaderSum(src, dst, IpProtocol.ICMPV6, len);
    setBe16(buf, Icmpv6Field.CHECKSUM, checksumFinish(onesSum(buf, 0, len, ph)));
  },
};
