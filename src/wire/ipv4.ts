/** IPv4 (RFC 791): header view, checksum, Repr and address helpers. */
import { be16, be32, setBe16, setBe32 } from './bytes.js';
import { internetChecksum, onesSum } from './checksum.js';
import { type WireError, badChecksum, malformed, truncated, tooMany } from './error.js';

export const Ipv4Field = {
  VER_IHL: 0,
  DSCP_ECN: 1,
  LENGTH: 2,
  IDENT: 4,
  FLG_OFF: 6,
  TTL: 8,
  PROTOCOL: 9,
  CHECKSUM: 10,
  SRC: 12,
  DST: 16,
  OPTIONS: 20,
} as const;

export const IPV4_HEADER_LEN = 20;
export const IPV4_MAX_HEADER_LEN = 60;
export const IPV4_ADDRESS_LEN = 4;

const FLAG_DF = 0x4000;
const FLAG_MF = 0x2000;
const OFFSET_MASK = 0x1fff;

/**
 * A view of an IPv4 packet. `checked` validates version 4, IHL >= 5, the
 * header inside the buffer, and a total length between the header length and
 * the buffer length; every getter is then in bounds. Bytes past the total
 * length (Ethernet padding) are kept in `buffer` but are not in `payload`.
 * Setters write fields as given; they are for building packets.
 */
export class Ipv4Packet {
  private constructor(readonly buffer: Uint8Array) {}

  static unchecked(buffer: Uint8Array): Ipv4Packet {
    return new Ipv4Packet(buffer);
  }

  static checked(buffer: Uint8Array): Ipv4Packet | WireError {
    const err = checkIpv4(buffer);
    return err ?? new Ipv4Packet(buffer);
  }

  get version(): number {
    return this.buffer[Ipv4Field.VER_IHL]! >>> 4;
  }
  /** Header length in bytes (IHL × 4). */
  get headerLen(): number {
    return (this.buffer[Ipv4Field.VER_IHL]! & 0x0f) * 4;
  }
  get dscp(): number {
    return this.buffer[Ipv4Field.DSCP_ECN]! >>> 2;
  }
  set dscp(v: number) {
    const b = this.buffer;
    b[Ipv4Field.DSCP_ECN] = ((v & 0x3f) << 2) | (b[Ipv4Field.DSCP_ECN]! & 3);
  }
  get ecn(): number {
    return this.buffer[Ipv4Field.DSCP_ECN]! & 3;
  }
  set ecn(v: number) {
    const b = this.buffer;
    b[Ipv4Field.DSCP_ECN] = (b[Ipv4Field.DSCP_ECN]! & 0xfc) | (v & 3);
  }
  get totalLen(): number {
    return be16(this.buffer, Ipv4Field.LENGTH);
  }
  set totalLen(v: number) {
    setBe16(this.buffer, Ipv4Field.LENGTH, v);
  }
  get ident(): number {
    return be16(this.buffer, Ipv4Field.IDENT);
  }
  set ident(v: number) {
    setBe16(this.buffer, Ipv4Field.IDENT, v);
  }
  get dontFrag(): boolean {
    return (be16(this.buffer, Ipv4Field.FLG_OFF) & FLAG_DF) !== 0;
  }
  set dontFrag(v: boolean) {
    const f = be16(this.buffer, Ipv4Field.FLG_OFF);
    setBe16(this.buffer, Ipv4Field.FLG_OFF, v ? f | FLAG_DF : f & ~FLAG_DF);
  }
  get moreFrags(): boolean {
    return (be16(this.buffer, Ipv4Field.FLG_OFF) & FLAG_MF) !== 0;
  }
  set moreFrags(v: boolean) {
    const f = be16(this.buffer, Ipv4Field.FLG_OFF);
    setBe16(this.buffer, Ipv4Field.FLG_OFF, v ? f | FLAG_MF : f & ~FLAG_MF);
  }
  /** Fragment offset in bytes (the field counts 8-byte units). */
  get fragOffset(): number {
    return (be16(this.buffer, Ipv4Field.FLG_OFF) & OFFSET_MASK) * 8;
  }
  /** Set the fragment offset in bytes (a multiple of 8). */
  set fragOffset(bytes: number) {
    const f = be16(this.buffer, Ipv4Field.FLG_OFF);
    setBe16(this.buffer, Ipv4Field.FLG_OFF, (f & ~OFFSET_MASK) | ((bytes >>> 3) & OFFSET_MASK));
  }
  /** MF set or a non-zero offset: this is a piece of a larger datagram. */
  get isFragment(): boolean {
    return (be16(this.buffer, Ipv4Field.FLG_OFF) & (FLAG_MF | OFFSET_MASK)) !== 0;
  }
  get ttl(): number {
    return this.buffer[Ipv4Field.TTL]!;
  }
  set ttl(v: number) {
    this.buffer[Ipv4Field.TTL] = v;
  }
  get protocol(): number {
    return this.buffer[Ipv4Field.PROTOCOL]!;
  }
  set protocol(v: number) {
    this.buffer[Ipv4Field.PROTOCOL] = v;
  }
  get checksum(): number {
    return be16(this.buffer, Ipv4Field.CHECKSUM);
  }
  set checksum(v: number) {
    setBe16(this.buffer, Ipv4Field.CHECKSUM, v);
  }
  get src(): Uint8Array {
    return this.buffer.subarray(Ipv4Field.SRC, Ipv4Field.SRC + 4);
  }
  set src(a: Uint8Array) {
    this.buffer.set(a.subarray(0, 4), Ipv4Field.SRC);
  }
  get dst(): Uint8Array {
    return this.buffer.subarray(Ipv4Field.DST, Ipv4Field.DST + 4);
  }
  set dst(a: Uint8Array) {
    this.buffer.set(a.subarray(0, 4), Ipv4Field.DST);
  }
  /** The source address as an unsigned 32-bit number (no allocation). */
  get srcU32(): number {
    return be32(this.buffer, Ipv4Field.SRC);
  }
  get dstU32(): number {
    return be32(this.buffer, Ipv4Field.DST);
  }
  /** Option bytes (header length − 20), possibly empty. */
  get options(): Uint8Array {
    return this.buffer.subarray(Ipv4Field.OPTIONS, this.headerLen);
  }
  /** Bytes from the end of the header to the total length. */
  get payload(): Uint8Array {
    return this.buffer.subarray(this.headerLen, this.totalLen);
  }

  /** True when the header checksum is correct (the ones' sum of the header is 0xffff). */
  verifyChecksum(): boolean {
    return onesSum(this.buffer, 0, this.headerLen) === 0xffff;
  }
  /** The checksum the header should carry (computed with the field taken as zero). */
  computeChecksum(): number {
    const b = this.buffer;
    return internetChecksum(b, Ipv4Field.SRC, this.headerLen, onesSum(b, 0, Ipv4Field.CHECKSUM));
  }
  /** Compute the header checksum and store it. */
  fillChecksum(): void {
    setBe16(this.buffer, Ipv4Field.CHECKSUM, this.computeChecksum());
  }
}

/** The checks of `Ipv4Packet.checked`, as an error or undefined. */
export function checkIpv4(buffer: Uint8Array): WireError | undefined {
  if (buffer.length < IPV4_HEADER_LEN) return truncated('ipv4', IPV4_HEADER_LEN, buffer.length);
  const vihl = buffer[Ipv4Field.VER_IHL]!;
  if (vihl >>> 4 !== 4) return malformed('ipv4', 'version', vihl >>> 4);
  const hl = (vihl & 0x0f) * 4;
  if (hl < IPV4_HEADER_LEN) return malformed('ipv4', 'ihl', vihl & 0x0f);
  if (hl > buffer.length) return truncated('ipv4', hl, buffer.length);
  const total = be16(buffer, Ipv4Field.LENGTH);
  if (total < hl) return malformed('ipv4', 'total-length', total);
  if (total > buffer.length) return truncated('ipv4', total, buffer.length);
  return undefined;
}

/** The fields of an IPv4 header. Optional fields default to 0 / false / no options. */
export interface Ipv4Repr {
  src: Uint8Array;
  dst: Uint8Array;
  protocol: number;
  /** Bytes after the header. */
  payloadLen: number;
  ttl: number;
  ident?: number;
  dontFrag?: boolean;
  moreFrags?: boolean;
  /** Fragment offset in bytes (a multiple of 8). */
  fragOffset?: number;
  dscp?: number;
  ecn?: number;
  /** Option bytes, padded with zeros (EOL) to a multiple of 4; at most 40. */
  options?: Uint8Array;
}

export const Ipv4Repr = {
  /** Parse a checked packet; the header checksum is verified unless `verifyChecksum` is false (RX offload). */
  parse(packet: Ipv4Packet, verifyChecksum = true): Ipv4Repr | WireError {
    if (verifyChecksum && !packet.verifyChecksum()) return badChecksum('ipv4', packet.checksum, packet.computeChecksum());
    const options = packet.options;
    return {
      src: packet.src,
      dst: packet.dst,
      protocol: packet.protocol,
      payloadLen: packet.totalLen - packet.headerLen,
      ttl: packet.ttl,
      ident: packet.ident,
      dontFrag: packet.dontFrag,
      moreFrags: packet.moreFrags,
      fragOffset: packet.fragOffset,
      dscp: packet.dscp,
      ecn: packet.ecn,
      ...(options.length ? { options } : {}),
    };
  },
  headerLen(repr: Ipv4Repr): number {
    const n = repr.options?.length ?? 0;
    return IPV4_HEADER_LEN + ((n + 3) & ~3);
  },
  bufferLen(repr: Ipv4Repr): number {
    return Ipv4Repr.headerLen(repr) + repr.payloadLen;
  },
  /**
   * Write the header (checksum included) at the start of `buf`; the payload is
   * left alone. Throws RangeError when options exceed 40 bytes or the
   * datagram 65535 bytes (a caller bug, not bad input).
   */
  emit(repr: Ipv4Repr, buf: Uint8Array): void {
    const hl = Ipv4Repr.headerLen(repr);
    if (hl > IPV4_MAX_HEADER_LEN) throw new RangeError(`IPv4 options of ${repr.options?.length} bytes exceed 40`);
    const total = hl + repr.payloadLen;
    if (total > 0xffff) throw new RangeError(`IPv4 datagram of ${total} bytes exceeds 65535`);
    buf[Ipv4Field.VER_IHL] = 0x40 | (hl >>> 2);
    buf[Ipv4Field.DSCP_ECN] = (((repr.dscp ?? 0) & 0x3f) << 2) | ((repr.ecn ?? 0) & 3);
    setBe16(buf, Ipv4Field.LENGTH, total);
    setBe16(buf, Ipv4Field.IDENT, repr.ident ?? 0);
    setBe16(buf, Ipv4Field.FLG_OFF, (repr.dontFrag ? FLAG_DF : 0) | (repr.moreFrags ? FLAG_MF : 0) | (((repr.fragOffset ?? 0) >>> 3) & OFFSET_MASK));
    buf[Ipv4Field.TTL] = repr.ttl;
    buf[Ipv4Field.PROTOCOL] = repr.protocol;
    setBe16(buf, Ipv4Field.CHECKSUM, 0);
    buf.set(repr.src.subarray(0, 4), Ipv4Field.SRC);
    buf.set(repr.dst.subarray(0, 4), Ipv4Field.DST);
    if (hl > IPV4_HEADER_LEN) {
      const opts = repr.options!;
      buf.set(opts, Ipv4Field.OPTIONS);
      buf.fill(0, Ipv4Field.OPTIONS + opts.length, hl);
    }
    setBe16(buf, Ipv4Field.CHECKSUM, internetChecksum(buf, 0, hl));
  },
};

// ---------------------------------------------------------------------------
// Options (RFC 791 §3.1): only what fragmentation needs.

const OPT_EOL = 0;
const OPT_NOP = 1;
const OPT_COPIED = 0x80;
/** Options in 40 bytes: a walk can never take more steps than this. */
const MAX_OPTIONS = 40;

/**
 * The options a non-first fragment carries (those with the "copied" flag,
 * RFC 791 §3.2), padded with EOL to a multiple of 4. Bounded walk; a length
 * byte below 2 or past the end is an error.
 */
export function ipv4CopiedOptions(options: Uint8Array): Uint8Array | WireError {
  const out = new Uint8Array((options.length + 3) & ~3);
  let n = 0;
  let i = 0;
  for (let steps = 0; i < options.length; steps++) {
    if (steps >= MAX_OPTIONS) return tooMany('ipv4-option', 'options', MAX_OPTIONS);
    const type = options[i]!;
    if (type === OPT_EOL) break;
    if (type === OPT_NOP) {
      i++;
      continue;
    }
    if (i + 1 >= options.length) return truncated('ipv4-option', i + 2, options.length);
    const len = options[i + 1]!;
    if (len < 2) return malformed('ipv4-option', 'length', len);
    if (i + len > options.length) return truncated('ipv4-option', i + len, options.length);
    if (type & OPT_COPIED) {
      out.set(options.subarray(i, i + len), n);
      n += len;
    }
    i += len;
  }
  return out.subarray(0, (n + 3) & ~3);
}

// ---------------------------------------------------------------------------
// Addresses: four bytes at `offset` of a buffer.

export const Ipv4Address = {
  /** Strict dotted quad: four decimal numbers 0..255 without leading zeros. */
  parse(text: string): Uint8Array | undefined {
    const out = new Uint8Array(4);
    const parts = text.split('.');
    if (parts.length !== 4) return undefined;
    for (let i = 0; i < 4; i++) {
      const p = parts[i]!;
      if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
      const v = Number(p);
      if (v > 255) return undefined;
      out[i] = v;
    }
    return out;
  },
  format(b: Uint8Array, offset = 0): string {
    return `${b[offset] ?? 0}.${b[offset + 1] ?? 0}.${b[offset + 2] ?? 0}.${b[offset + 3] ?? 0}`;
  },
  toU32(b: Uint8Array, offset = 0): number {
    return be32(b, offset);
  },
  fromU32(v: number): Uint8Array {
    const out = new Uint8Array(4);
    setBe32(out, 0, v);
    return out;
  },
  equals(a: Uint8Array, b: Uint8Array, aOffset = 0, bOffset = 0): boolean {
    return be32(a, aOffset) === be32(b, bOffset);
  },
  isUnspecified(b: Uint8Array, offset = 0): boolean {
    return be32(b, offset) === 0;
  },
  /** The limited broadcast 255.255.255.255. */
  isBroadcast(b: Uint8Array, offset = 0): boolean {
    return be32(b, offset) === 0xffffffff;
  },
  /** 224.0.0.0/4 (RFC 5771). */
  isMulticast(b: Uint8Array, offset = 0): boolean {
    return b[offset]! >>> 4 === 0xe;
  },
  /** 127.0.0.0/8. */
  isLoopback(b: Uint8Array, offset = 0): boolean {
    return b[offset] === 127;
  },
  /** 169.254.0.0/16 (RFC 3927). */
  isLinkLocal(b: Uint8Array, offset = 0): boolean {
    return b[offset] === 169 && b[offset + 1] === 254;
  },
  /** True when both addresses share the first `prefixLen` bits. */
  inSubnet(a: Uint8Array, network: Uint8Array, prefixLen: number, aOffset = 0, nOffset = 0): boolean {
    if (prefixLen <= 0) return true;
    const mask = prefixLen >= 32 ? 0xffffffff : ~(0xffffffff >>> prefixLen);
    return ((be32(a, aOffset) ^ be32(network, nOffset)) & mask) === 0;
  },
  /** The Ethernet address an IPv4 multicast group maps to: 01:00:5e + its low 23 bits (RFC 1112 §6.4). */
  multicastMac(b: Uint8Array, offset = 0): Uint8Array {
    return new Uint8Array([0x01, 0x00, 0x5e, b[offset + 1]! & 0x7f, b[offset + 2]!, b[offset + 3]!]);
  },
} as const;
