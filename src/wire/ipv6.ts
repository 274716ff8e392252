/** IPv6 (RFC 8200): header view, bounded extension-header walk, Repr and address helpers (RFC 4291, RFC 5952). */
import { be16, be32, hexDigit, setBe16 } from './bytes.js';
import { type WireError, malformed, tooMany, truncated } from './error.js';
import { IpProtocol } from './ip.js';
import { Ipv4Address } from './ipv4.js';

export const Ipv6Field = { VER_TC_FLOW: 0, LENGTH: 4, NXT_HDR: 6, HOP_LIMIT: 7, SRC: 8, DST: 24, PAYLOAD: 40 } as const;

export const IPV6_HEADER_LEN = 40;
export const IPV6_ADDRESS_LEN = 16;
/** The Fragment extension header is always 8 bytes (RFC 8200 §4.5). */
export const IPV6_FRAGMENT_HEADER_LEN = 8;
/** Default bound on extension headers walked before the upper layer. */
export const IPV6_MAX_EXTENSION_HEADERS = 8;

/**
 * A view of an IPv6 packet. `checked` validates the fixed header, version 6,
 * and a payload length that fits in the buffer. Bytes past
 * 40 + payload length (Ethernet padding) stay in `buffer` but not in `payload`.
 */
export class Ipv6Packet {
  private constructor(readonly buffer: Uint8Array) {}

  static unchecked(buffer: Uint8Array): Ipv6Packet {
    return new Ipv6Packet(buffer);
  }

  static checked(buffer: Uint8Array): Ipv6Packet | WireError {
    const err = checkIpv6(buffer);
    return err ?? new Ipv6Packet(buffer);
  }

  get version(): number {
    return this.buffer[0]! >>> 4;
  }
  get trafficClass(): number {
    return ((this.buffer[0]! & 0x0f) << 4) | (this.buffer[1]! >>> 4);
  }
  set trafficClass(v: number) {
    const b = this.buffer;
    b[0] = 0x60 | ((v >>> 4) & 0x0f);
    b[1] = ((v & 0x0f) << 4) | (b[1]! & 0x0f);
  }
  get flowLabel(): number {
    const b = this.buffer;
    return ((b[1]! & 0x0f) << 16) | (b[2]! << 8) | b[3]!;
  }
  set flowLabel(v: number) {
    const b = this.buffer;
    b[1] = (b[1]! & 0xf0) | ((v >>> 16) & 0x0f);
    b[2] = v >>> 8;
    b[3] = v;
  }
  get payloadLen(): number {
    return be16(this.buffer, Ipv6Field.LENGTH);
  }
  set payloadLen(v: number) {
    setBe16(this.buffer, Ipv6Field.LENGTH, v);
  }
  /** Header plus payload length. */
  get totalLen(): number {
    return IPV6_HEADER_LEN + this.payloadLen;
  }
  get nextHeader(): number {
    return this.buffer[Ipv6Field.NXT_HDR]!;
  }
  set nextHeader(v: number) {
    this.buffer[Ipv6Field.NXT_HDR] = v;
  }
  get hopLimit(): number {
    return this.buffer[Ipv6Field.HOP_LIMIT]!;
  }
  set hopLimit(v: number) {
    this.buffer[Ipv6Field.HOP_LIMIT] = v;
  }
  get src(): Uint8Array {
    return this.buffer.subarray(Ipv6Field.SRC, Ipv6Field.SRC + 16);
  }
  set src(a: Uint8Array) {
    this.buffer.set(a.subarray(0, 16), Ipv6Field.SRC);
  }
  get dst(): Uint8Array {
    return this.buffer.subarray(Ipv6Field.DST, Ipv6Field.DST + 16);
  }
  set dst(a: Uint8Array) {
    this.buffer.set(a.subarray(0, 16), Ipv6Field.DST);
  }
  /** Everything after the fixed header, extension headers included. */
  get payload(): Uint8Array {
    return this.buffer.subarray(IPV6_HEADER_LEN, this.totalLen);
  }
  /** Walk the extension headers of this packet (offsets are from the start of `buffer`). */
  upperLayer(maxHeaders: number = IPV6_MAX_EXTENSION_HEADERS): Ipv6ExtWalk | WireError {
    return walkIpv6Extensions(this.buffer, 0, this.totalLen, maxHeaders);
  }
}

/** The checks of `Ipv6Packet.checked`, as an error or undefined. */
export function checkIpv6(buffer: Uint8Array): WireError | undefined {
  if (buffer.length < IPV6_HEADER_LEN) return truncated('ipv6', IPV6_HEADER_LEN, buffer.length);
  const version = buffer[0]! >>> 4;
  if (version !== 6) return malformed('ipv6', 'version', version);
  const total = IPV6_HEADER_LEN + be16(buffer, Ipv6Field.LENGTH);
  if (total > buffer.length) return truncated('ipv6', total, buffer.length);
  return undefined;
}

// ---------------------------------------------------------------------------
// Extension headers (RFC 8200 §4).

/** A Fragment header met on the walk (RFC 8200 §4.5). */
export interface Ipv6FragmentInfo {
  /** Offset of the Fragment header itself. */
  headerOffset: number;
  /** Fragment offset in bytes. */
  offset: number;
  more: boolean;
  ident: number;
}

export interface Ipv6ExtWalk {
  /** The first next-header value that is not an extension header walked here: TCP, UDP, ICMPv6, No Next Header (59), ... */
  protocol: number;
  /** Offset of that upper-layer header (for a non-first fragment: of the fragment data). */
  offset: number;
  /** Offset of the byte holding `protocol` (6 in the fixed header, else the first byte of the last extension header). */
  nextHeaderOffset: number;
  /**
   * End of the unfragmentable part (RFC 8200 §4.5): just past the Routing
   * header if any, else past the Hop-by-Hop header if any, else past the fixed header.
   */
  unfragmentableEnd: number;
  /** Offset of the next-header byte that names the header at `unfragmentableEnd`. */
  unfragmentableNextHeaderOffset: number;
  fragment?: Ipv6FragmentInfo;
}

/** True for the extension headers `walkIpv6Extensions` steps over. */
export function isIpv6ExtensionHeader(nextHeader: number): boolean {
  return (
    nextHeader === IpProtocol.HOP_BY_HOP ||
    nextHeader === IpProtocol.IPV6_ROUTING ||
    nextHeader === IpProtocol.IPV6_FRAGMENT ||
    nextHeader === IpProtocol.IPV6_DEST_OPTS
  );
}

/**
 * Walk the Hop-by-Hop, Routing, Fragment and Destination Options headers
 * after the fixed IPv6 header at `ipOffset`, reading nothing at or past `end`
 * and stepping over at most `maxHeaders` headers. Hop-by-Hop anywhere but
 * first is an error (RFC 8200 §4.1). Any other next-header value, AH and ESP
 * included, ends the walk as the upper-layer protocol; so does a non-first
 * fragment, whose data follows its Fragment header.
 */
export function walkIpv6Extensions(
  buf: Uint8Array,
  ipOffset = 0,
  end: number = buf.length,
  maxHeaders: number = IPV6_MAX_EXTENSION_HEADERS,
): Ipv6ExtWalk | WireError {
  if (!Number.isSafeInteger(ipOffset) || ipOffset < 0) return malformed('ipv6', 'offset', ipOffset);
  if (!(end <= buf.length)) end = buf.length;
  const start = ipOffset + IPV6_HEADER_LEN;
  if (start > end) return truncated('ipv6', start, end);
  let nhOff = ipOffset + Ipv6Field.NXT_HDR;
  let nh = buf[nhOff]!;
  let off = start;
  let unfragEnd = start;
  let unfragNhOff = nhOff;
  let fragment: Ipv6FragmentInfo | undefined;
  for (let count = 0; isIpv6ExtensionHeader(nh); count++) {
    if (count >= maxHeaders) return tooMany('ipv6-ext', 'extension headers', maxHeaders);
    if (nh === IpProtocol.HOP_BY_HOP && count !== 0) return malformed('ipv6-ext', 'hop-by-hop-position', off);
    if (off + 2 > end) return truncated('ipv6-ext', off + 2, end);
    let len: number;
    if (nh === IpProtocol.IPV6_FRAGMENT) {
      len = IPV6_FRAGMENT_HEADER_LEN;
      if (off + len > end) return truncated('ipv6-ext', off + len, end);
      if (fragment) return malformed('ipv6-ext', 'second-fragment-header', off);
      const offMf = be16(buf, off + 2);
      fragment = { headerOffset: off, offset: offMf & 0xfff8, more: (offMf & 1) === 1, ident: be32(buf, off + 4) };
    } else {
      len = (buf[off + 1]! + 1) * 8;
      if (off + len > end) return truncated('ipv6-ext', off + len, end);
    }
    const here = off;
    const kind = nh;
    nhOff = off;
    nh = buf[off]!;
    off += len;
    if (kind === IpProtocol.HOP_BY_HOP || kind === IpProtocol.IPV6_ROUTING) {
      unfragEnd = off;
      unfragNhOff = here;
    }
    // A non-first fragment carries no further headers we could read.
    if (kind === IpProtocol.IPV6_FRAGMENT && fragment !== undefined && fragment.offset !== 0) break;
  }
  const walk: Ipv6ExtWalk = { protocol: nh, offset: off, nextHeaderOffset: nhOff, unfragmentableEnd: unfragEnd, unfragmentableNextHeaderOffset: unfragNhOff };
  if (fragment) walk.fragment = fragment;
  return walk;
}

// ---------------------------------------------------------------------------

/** The fields of an IPv6 fixed header. */
export interface Ipv6Repr {
  src: Uint8Array;
  dst: Uint8Array;
  nextHeader: number;
  /** Bytes after the fixed header (extension headers included). */
  payloadLen: number;
  hopLimit: number;
  trafficClass?: number;
  flowLabel?: number;
}

export const Ipv6Repr = {
  parse(packet: Ipv6Packet): Ipv6Repr {
    return {
      src: packet.src,
      dst: packet.dst,
      nextHeader: packet.nextHeader,
      payloadLen: packet.payloadLen,
      hopLimit: packet.hopLimit,
      trafficClass: packet.trafficClass,
      flowLabel: packet.flowLabel,
    };
  },
  bufferLen(repr: Ipv6Repr): number {
    return IPV6_HEADER_LEN + repr.payloadLen;
  },
  /** Write the 40-byte fixed header; the payload is left alone. */
  emit(repr: Ipv6Repr, buf: Uint8Array): void {
    const tc = repr.trafficClass ?? 0;
    const fl = repr.flowLabel ?? 0;
    buf[0] = 0x60 | ((tc >>> 4) & 0x0f);
    buf[1] = ((tc & 0x0f) << 4) | ((fl >>> 16) & 0x0f);
    buf[2] = fl >>> 8;
    buf[3] = fl;
    setBe16(buf, Ipv6Field.LENGTH, repr.payloadLen);
    buf[Ipv6Field.NXT_HDR] = repr.nextHeader;
    buf[Ipv6Field.HOP_LIMIT] = repr.hopLimit;
    buf.set(repr.src.subarray(0, 16), Ipv6Field.SRC);
    buf.set(repr.dst.subarray(0, 16), Ipv6Field.DST);
  },
};

// ---------------------------------------------------------------------------
// Addresses: 16 bytes at `offset` of a buffer.

function allZero(b: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (b[i] !== 0) return false;
  return true;
}

function parseGroups(text: string, out: number[]): boolean {
  if (text === '') return true;
  const parts = text.split(':');
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (i === parts.length - 1 && p.includes('.')) {
      const v4 = Ipv4Address.parse(p);
      if (!v4) return false;
      out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      continue;
    }
    if (p.length < 1 || p.length > 4) return false;
    let v = 0;
    for (let k = 0; k < p.length; k++) {
      const d = hexDigit(p.charCodeAt(k));
      if (d < 0) return false;
      v = (v << 4) | d;
    }
    out.push(v);
  }
  return true;
}

export const Ipv6Address = {
  /** All zeros, "::". */
  unspecified(): Uint8Array {
    return new Uint8Array(16);
  },
  /** ff02::1, all nodes on the link. */
  allNodes(): Uint8Array {
    const a = new Uint8Array(16);
    a[0] = 0xff;
    a[1] = 0x02;
    a[15] = 1;
    return a;
  },
  /** ff02::2, all routers on the link. */
  allRouters(): Uint8Array {
    const a = Ipv6Address.allNodes();
    a[15] = 2;
    return a;
  },

  /**
   * Text form (RFC 4291 §2.2): eight hex groups, one "::" for a run of zero
   * groups, an optional dotted IPv4 tail. Zone indices ("%eth0") are refused.
   */
  parse(text: string): Uint8Array | undefined {
    if (text.length < 2 || text.length > 45) return undefined;
    const halves = text.split('::');
    if (halves.length > 2) return undefined;
    const head: number[] = [];
    const tail: number[] = [];
    if (!parseGroups(halves[0]!, head)) return undefined;
    if (halves.length === 2) {
      if (!parseGroups(halves[1]!, tail)) return undefined;
      if (head.length + tail.length > 7) return undefined;
    } else if (head.length !== 8) return undefined;
    const out = new Uint8Array(16);
    for (let i = 0; i < head.length; i++) setBe16(out, i * 2, head[i]!);
    const tailStart = 8 - tail.length;
    for (let i = 0; i < tail.length; i++) setBe16(out, (tailStart + i) * 2, tail[i]!);
    return out;
  },

  /**
   * Canonical text (RFC 5952): lower case, no leading zeros, the longest run
   * of two or more zero groups (the first on a tie) as "::", and
   * IPv4-mapped addresses as ::ffff:a.b.c.d.
   */
  format(b: Uint8Array, offset = 0): string {
    if (allZero(b, offset, offset + 10) && b[offset + 10] === 0xff && b[offset + 11] === 0xff) {
      return `::ffff:${Ipv4Address.format(b, offset + 12)}`;
    }
    let bestStart = -1;
    let bestLen = 1;
    for (let i = 0; i < 8; ) {
      if (be16(b, offset + i * 2) !== 0) {
        i++;
        continue;
      }
      let j = i;
      while (j < 8 && be16(b, offset + j * 2) === 0) j++;
      if (j - i > bestLen) {
        bestStart = i;
        bestLen = j - i;
      }
      i = j;
    }
    let s = '';
    for (let i = 0; i < 8; i++) {
      if (i === bestStart) {
        s += '::';
        i += bestLen - 1;
        continue;
      }
      if (s !== '' && !s.endsWith(':')) s += ':';
      s += be16(b, offset + i * 2).toString(16);
    }
    return s;
  },

  equals(a: Uint8Array, b: Uint8Array, aOffset = 0, bOffset = 0): boolean {
    for (let i = 0; i < 16; i++) if (a[aOffset + i] !== b[bOffset + i]) return false;
    return true;
  },
  isUnspecified(b: Uint8Array, offset = 0): boolean {
    return allZero(b, offset, offset + 16);
  },
  /** ::1 */
  isLoopback(b: Uint8Array, offset = 0): boolean {
    return allZero(b, offset, offset + 15) && b[offset + 15] === 1;
  },
  /** ff00::/8 */
  isMulticast(b: Uint8Array, offset = 0): boolean {
    return b[offset] === 0xff;
  },
  /** fe80::/10 */
  isLinkLocal(b: Uint8Array, offset = 0): boolean {
    return b[offset] === 0xfe && (b[offset + 1]! & 0xc0) === 0x80;
  },
  /** fc00::/7 (RFC 4193) */
  isUniqueLocal(b: Uint8Array, offset = 0): boolean {
    return (b[offset]! & 0xfe) === 0xfc;
  },
  /** ff02::1:ff00:0/104 (RFC 4291 §2.7.1) */
  isSolicitedNodeMulticast(b: Uint8Array, offset = 0): boolean {
    return (
      b[offset] === 0xff &&
      b[offset + 1] === 0x02 &&
      allZero(b, offset + 2, offset + 11) &&
      b[offset + 11] === 1 &&
      b[offset + 12] === 0xff
    );
  },
  /** True when `a` lies in `prefix`/`prefixLen`. */
  inSubnet(a: Uint8Array, prefix: Uint8Array, prefixLen: number, aOffset = 0, pOffset = 0): boolean {
    const bits = Math.max(0, Math.min(128, prefixLen));
    const whole = bits >>> 3;
    for (let i = 0; i < whole; i++) if (a[aOffset + i] !== prefix[pOffset + i]) return false;
    const rest = bits & 7;
    if (rest === 0) return true;
    const mask = (0xff00 >>> rest) & 0xff;
    return ((a[aOffset + whole]! ^ prefix[pOffset + whole]!) & mask) === 0;
  },
  /** The solicited-node multicast group of an address: ff02::1:ff + its low 24 bits (RFC 4291 §2.7.1). */
  solicitedNode(b: Uint8Array, offset = 0): Uint8Array {
    const a = new Uint8Array(16);
    a[0] = 0xff;
    a[1] = 0x02;
    a[11] = 0x01;
    a[12] = 0xff;
    a[13] = b[offset + 13]!;
    a[14] = b[offset + 14]!;
    a[15] = b[offset + 15]!;
    return a;
  },
  /** The Ethernet address an IPv6 multicast group maps to: 33:33 + its low 32 bits (RFC 2464 §7). */
  multicastMac(b: Uint8Array, offset = 0): Uint8Array {
    return new Uint8Array([0x33, 0x33, b[offset + 12]!, b[offset + 13]!, b[offset + 14]!, b[offset + 15]!]);
  },
  /** Modified EUI-64 interface identifier of a MAC: ff:fe in the middle, U/L bit inverted (RFC 4291 App. A). */
  eui64(mac: Uint8Array, offset = 0): Uint8Array {
    return new Uint8Array([mac[offset]! ^ 0x02, mac[offset + 1]!, mac[offset + 2]!, 0xff, 0xfe, mac[offset + 3]!, mac[offset + 4]!, mac[offset + 5]!]);
  },
  /** The first 64 bits of `prefix` followed by the modified EUI-64 of `mac` (SLAAC, RFC 4862 §5.5.3). */
  fromPrefixAndMac(prefix: Uint8Array, mac: Uint8Array, prefixOffset = 0, macOffset = 0): Uint8Array {
    const a = new Uint8Array(16);
    a.set(prefix.subarray(prefixOffset, prefixOffset + 8));
    a.set(Ipv6Address.eui64(mac, macOffset), 8);
    return a;
  },
  /** fe80::/64 with the modified EUI-64 of `mac` (RFC 4862 §5.3). */
  linkLocalFromMac(mac: Uint8Array, offset = 0): Uint8Array {
    const a = new Uint8Array(16);
    a[0] = 0xfe;
    a[1] = 0x80;
    a.set(Ipv6Address.eui64(mac, offset), 8);
    return a;
  },
} as const;
