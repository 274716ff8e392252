/** ICMP for IPv4 (RFC 792, RFC 1191 next-hop MTU). */
import { be16, be32, setBe16, setBe32 } from './bytes.js';
import { internetChecksum, onesSum } from './checksum.js';
import { type WireError, badChecksum, truncated } from './error.js';

export const Icmpv4Field = { TYPE: 0, CODE: 1, CHECKSUM: 2, IDENT: 4, SEQ_NO: 6, UNUSED: 4, NEXT_HOP_MTU: 6, POINTER: 4, DATA: 8 } as const;
export const ICMPV4_HEADER_LEN = 8;

export const Icmpv4Type = {
  ECHO_REPLY: 0,
  DEST_UNREACHABLE: 3,
  REDIRECT: 5,
  ECHO_REQUEST: 8,
  TIME_EXCEEDED: 11,
  PARAM_PROBLEM: 12,
} as const;

/** Destination Unreachable codes (RFC 792, RFC 1122 §3.2.2.1). */
export const Icmpv4Unreachable = {
  NET: 0,
  HOST: 1,
  PROTOCOL: 2,
  PORT: 3,
  FRAG_NEEDED: 4,
  SOURCE_ROUTE_FAILED: 5,
  NET_PROHIBITED: 9,
  HOST_PROHIBITED: 10,
  ADMIN_PROHIBITED: 13,
} as const;

/** A view of an ICMPv4 message; `buffer` is exactly the message (the IP payload). */
export class Icmpv4Packet {
  private constructor(readonly buffer: Uint8Array) {}

  static unchecked(buffer: Uint8Array): Icmpv4Packet {
    return new Icmpv4Packet(buffer);
  }

  static checked(buffer: Uint8Array): Icmpv4Packet | WireError {
    if (buffer.length < ICMPV4_HEADER_LEN) return truncated('icmpv4', ICMPV4_HEADER_LEN, buffer.length);
    return new Icmpv4Packet(buffer);
  }

  get type(): number {
    return this.buffer[Icmpv4Field.TYPE]!;
  }
  set type(v: number) {
    this.buffer[Icmpv4Field.TYPE] = v;
  }
  get code(): number {
    return this.buffer[Icmpv4Field.CODE]!;
  }
  set code(v: number) {
    this.buffer[Icmpv4Field.CODE] = v;
  }
  get checksum(): number {
    return be16(this.buffer, Icmpv4Field.CHECKSUM);
  }
  set checksum(v: number) {
    setBe16(this.buffer, Icmpv4Field.CHECKSUM, v);
  }
  /** Echo identifier. */
  get ident(): number {
    return be16(this.buffer, Icmpv4Field.IDENT);
  }
  set ident(v: number) {
    setBe16(this.buffer, Icmpv4Field.IDENT, v);
  }
  /** Echo sequence number. */
  get seqNo(): number {
    return be16(this.buffer, Icmpv4Field.SEQ_NO);
  }
  set seqNo(v: number) {
    setBe16(this.buffer, Icmpv4Field.SEQ_NO, v);
  }
  /** Destination Unreachable / Fragmentation Needed: next-hop MTU (RFC 1191). */
  get nextHopMtu(): number {
    return be16(this.buffer, Icmpv4Field.NEXT_HOP_MTU);
  }
  /** Parameter Problem: pointer to the offending octet. */
  get pointer(): number {
    return this.buffer[Icmpv4Field.POINTER]!;
  }
  /** The four bytes after the checksum, as a number. */
  get restOfHeader(): number {
    return be32(this.buffer, 4);
  }
  /** Bytes after the 8-byte header (echo data, or the invoking datagram). */
  get data(): Uint8Array {
    return this.buffer.subarray(ICMPV4_HEADER_LEN);
  }

  verifyChecksum(): boolean {
    return onesSum(this.buffer) === 0xffff;
  }
  computeChecksum(): number {
    const b = this.buffer;
    return internetChecksum(b, 4, b.length, onesSum(b, 0, 2));
  }
  fillChecksum(): void {
    setBe16(this.buffer, Icmpv4Field.CHECKSUM, this.computeChecksum());
  }
}

/** An ICMPv4 message. `data` from `parse` is a subarray of the packet. */
export type Icmpv4Repr =
  | { type: 'echo-request'; ident: number; seqNo: number; data: Uint8Array }
  | { type: 'echo-reply'; ident: number; seqNo: number; data: Uint8Array }
  /** `data`: the invoking IP header and at least 8 bytes of its payload (RFC 1812 §4.3.2.3 allows more). */
  | { type: 'dest-unreachable'; code: number; nextHopMtu: number; data: Uint8Array }
  | { type: 'time-exceeded'; code: number; data: Uint8Array }
  | { type: 'param-problem'; code: number; pointer: number; data: Uint8Array }
  /** Any other type, or a known type with a code that type does not use. */
  | { type: 'unknown'; rawType: number; code: number; rest: number; data: Uint8Array };

export const Icmpv4Repr = {
  parse(packet: Icmpv4Packet, verifyChecksum = true): Icmpv4Repr | WireError {
    if (verifyChecksum && !packet.verifyChecksum()) return badChecksum('icmpv4', packet.checksum, packet.computeChecksum());
    const { type, code, data } = packet;
    switch (type) {
      case Icmpv4Type.ECHO_REQUEST:
        if (code === 0) return { type: 'echo-request', ident: packet.ident, seqNo: packet.seqNo, data };
        break;
      case Icmpv4Type.ECHO_REPLY:
        if (code === 0) return { type: 'echo-reply', ident: packet.ident, seqNo: packet.seqNo, data };
        break;
      // Unused bytes are ignored on receipt (RFC 4884 puts a length in some of them).
      case Icmpv4Type.DEST_UNREACHABLE:
        return { type: 'dest-unreachable', code, nextHopMtu: packet.nextHopMtu, data };
      case Icmpv4Type.TIME_EXCEEDED:
        return { type: 'time-exceeded', code, data };
      case Icmpv4Type.PARAM_PROBLEM:
        return { type: 'param-problem', code, pointer: packet.pointer, data };
    }
    return { type: 'unknown', rawType: type, code, rest: packet.restOfHeader, data };
  },
  bufferLen(repr: Icmpv4Repr): number {
    return ICMPV4_HEADER_LEN + repr.data.length;
  },
  /** Write the message, checksum included, into `buf` (at least `bufferLen` bytes). */
  emit(repr: Icmpv4Repr, buf: Uint8Array): void {
    let type: number;
    let code = 0;
    let rest = 0;
    switch (repr.type) {
      case 'echo-request':
      case 'echo-reply':
        type = repr.type === 'echo-request' ? Icmpv4Type.ECHO_REQUEST : Icmpv4Type.ECHO_REPLY;
        rest = ((repr.ident & 0xffff) << 16) | (repr.seqNo & 0xffff);
        break;
      case 'dest-unreachable':
        type = Icmpv4Type.DEST_UNREACHABLE;
        code = repr.code;
        rest = repr.nextHopMtu & 0xffff;
        break;
      case 'time-exceeded':
        type = Icmpv4Type.TIME_EXCEEDED;
        code = repr.code;
        break;
      case 'param-problem':
        type = Icmpv4Type.PARAM_PROBLEM;
        code = repr.code;
        rest = (repr.pointer & 0xff) << 24;
        break;
      case 'unknown':
        type = repr.rawType;
        code = repr.code;
        rest = repr.rest;
        break;
      default: {
        const never: never = repr;
        throw new Error(`unhandled ICMPv4 repr ${String(never)}`);
      }
    }
    buf[0] = type;
    buf[1] = code;
    setBe16(buf, 2, 0);
    setBe32(buf, 4, rest);
    buf.set(repr.data, ICMPV4_HEADER_LEN);
    const end = ICMPV4_HEADER_LEN + repr.data.length;
    setBe16(buf, 2, internetChecksum(buf, 0, end));
  },
};
