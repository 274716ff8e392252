/**
 * Ethernet II frames (IEEE 802.3 §3.1, without preamble or FCS), 802.1Q VLAN
 * tags (IEEE 802.1Q §9.6) and MAC address helpers.
 */
import { be16, hexDigit, setBe16 } from './bytes.js';
import { type WireError, truncated } from './error.js';

export const ETHERNET_ADDRESS_LEN = 6;
export const ETHERNET_HEADER_LEN = 14;
/** Smallest frame on the wire without FCS (64 bytes with it). */
export const ETHERNET_MIN_FRAME_LEN = 60;
export const VLAN_TAG_LEN = 4;

/** Byte offsets of an Ethernet II header. */
export const EthernetField = { DST: 0, SRC: 6, ETHERTYPE: 12, PAYLOAD: 14 } as const;

/** Byte offsets, from the start of the frame, of a frame carrying one 802.1Q tag. */
export const VlanField = { TPID: 12, TCI: 14, INNER_ETHERTYPE: 16, PAYLOAD: 18 } as const;

export const EtherType = {
  IPV4: 0x0800,
  ARP: 0x0806,
  /** 802.1Q customer VLAN tag. */
  VLAN: 0x8100,
  IPV6: 0x86dd,
  /** 802.1ad service VLAN tag (QinQ outer tag). */
  QINQ: 0x88a8,
} as const;

export type EtherTypeKind = 'ipv4' | 'arp' | 'ipv6' | 'vlan' | 'qinq' | { kind: 'unknown'; raw: number };

export function etherTypeKind(raw: number): EtherTypeKind {
  switch (raw) {
    case EtherType.IPV4:
      return 'ipv4';
    case EtherType.ARP:
      return 'arp';
    case EtherType.IPV6:
      return 'ipv6';
    case EtherType.VLAN:
      return 'vlan';
    case EtherType.QINQ:
      return 'qinq';
    default:
      return { kind: 'unknown', raw };
  }
}

/** A view of an Ethernet II frame; `buffer` starts at the destination address. */
export class EthernetFrame {
  private constructor(readonly buffer: Uint8Array) {}

  /** A view without length checks; accessors may then read past the end. */
  static unchecked(buffer: Uint8Array): EthernetFrame {
    return new EthernetFrame(buffer);
  }

  /** A view, once the buffer holds at least a full header. */
  static checked(buffer: Uint8Array): EthernetFrame | WireError {
    if (buffer.length < ETHERNET_HEADER_LEN) return truncated('ethernet', ETHERNET_HEADER_LEN, buffer.length);
    return new EthernetFrame(buffer);
  }

  get dst(): Uint8Array {
    return this.buffer.subarray(EthernetField.DST, EthernetField.DST + 6);
  }
  set dst(mac: Uint8Array) {
    this.buffer.set(mac.subarray(0, 6), EthernetField.DST);
  }

  get src(): Uint8Array {
    return this.buffer.subarray(EthernetField.SRC, EthernetField.SRC + 6);
  }
  set src(mac: Uint8Array) {
    this.buffer.set(mac.subarray(0, 6), EthernetField.SRC);
  }

  get ethertype(): number {
    return be16(this.buffer, EthernetField.ETHERTYPE);
  }
  set ethertype(v: number) {
    setBe16(this.buffer, EthernetField.ETHERTYPE, v);
  }

  /** Everything after the 14-byte header (a VLAN tag, if any, is part of it). */
  get payload(): Uint8Array {
    return this.buffer.subarray(ETHERNET_HEADER_LEN);
  }

  get dstIsBroadcast(): boolean {
    return EthernetAddress.isBroadcast(this.buffer, EthernetField.DST);
  }

  /** Group bit of the destination (broadcast included). */
  get dstIsMulticast(): boolean {
    return EthernetAddress.isMulticast(this.buffer, EthernetField.DST);
  }
}

/** The header fields of an Ethernet II frame. */
export interface EthernetRepr {
  dst: Uint8Array;
  src: Uint8Array;
  ethertype: number;
}

export const EthernetRepr = {
  /** Addresses are subarrays of the frame, not copies. */
  parse(frame: EthernetFrame): EthernetRepr {
    return { dst: frame.dst, src: frame.src, ethertype: frame.ethertype };
  },
  /** Header bytes plus payload. */
  bufferLen(payloadLen: number): number {
    return ETHERNET_HEADER_LEN + payloadLen;
  },
  /** Write the header into `buf` (at least 14 bytes); the payload is left alone. */
  emit(repr: EthernetRepr, buf: Uint8Array): void {
    buf.set(repr.dst.subarray(0, 6), EthernetField.DST);
    buf.set(repr.src.subarray(0, 6), EthernetField.SRC);
    setBe16(buf, EthernetField.ETHERTYPE, repr.ethertype);
  },
};

// ---------------------------------------------------------------------------
// 802.1Q tags. TCI = PCP (3 bits) | DEI (1 bit) | VID (12 bits).

export function vlanId(tci: number): number {
  return tci & 0x0fff;
}
export function vlanPcp(tci: number): number {
  return (tci >>> 13) & 7;
}
export function vlanDei(tci: number): boolean {
  return (tci & 0x1000) !== 0;
}
export function makeVlanTci(vid: number, pcp = 0, dei = false): number {
  return ((pcp & 7) << 13) | (dei ? 0x1000 : 0) | (vid & 0x0fff);
}

/** The TCI of a frame tagged with `tpid`, or undefined when it carries no such tag. */
export function vlanTci(frame: Uint8Array, tpid: number = EtherType.VLAN): number | undefined {
  if (frame.length < VlanField.PAYLOAD || be16(frame, VlanField.TPID) !== tpid) return undefined;
  return be16(frame, VlanField.TCI);
}

/**
 * A copy of `frame` with a tag (`tpid`, `tci`) inserted after the source
 * address. A frame too short to hold both addresses comes back as a plain copy.
 */
export function vlanInsert(frame: Uint8Array, tci: number, tpid: number = EtherType.VLAN): Uint8Array {
  if (frame.length < VlanField.TPID) return frame.slice();
  const out = new Uint8Array(frame.length + VLAN_TAG_LEN);
  out.set(frame.subarray(0, VlanField.TPID));
  setBe16(out, VlanField.TPID, tpid);
  setBe16(out, VlanField.TCI, tci);
  out.set(frame.subarray(VlanField.TPID), VlanField.INNER_ETHERTYPE);
  return out;
}

/** The TCI and an untagged copy of a frame tagged with `tpid`; undefined when it carries no such tag. */
export function vlanStrip(frame: Uint8Array, tpid: number = EtherType.VLAN): { tci: number; frame: Uint8Array } | undefined {
  const tci = vlanTci(frame, tpid);
  if (tci === undefined) return undefined;
  const out = new Uint8Array(frame.length - VLAN_TAG_LEN);
  out.set(frame.subarray(0, VlanField.TPID));
  out.set(frame.subarray(VlanField.INNER_ETHERTYPE), VlanField.TPID);
  return { tci, frame: out };
}

/**
 * As `vlanStrip`, without a copy: the addresses move four bytes up in place
 * and the result is `frame.subarray(4)`. `frame` itself is changed.
 */
export function vlanStripInPlace(frame: Uint8Array, tpid: number = EtherType.VLAN): { tci: number; frame: Uint8Array } | undefined {
  const tci = vlanTci(frame, tpid);
  if (tci === undefined) return undefined;
  frame.copyWithin(VLAN_TAG_LEN, 0, VlanField.TPID);
  return { tci, frame: frame.subarray(VLAN_TAG_LEN) };
}

/** `frame` itself when at least `minLen` bytes long, else a copy padded with zeros. */
export function padFrame(frame: Uint8Array, minLen: number = ETHERNET_MIN_FRAME_LEN): Uint8Array {
  if (frame.length >= minLen) return frame;
  const out = new Uint8Array(minLen);
  out.set(frame);
  return out;
}

// ---------------------------------------------------------------------------
// MAC addresses: six bytes at `offset` of a buffer (no copy needed to test one).

const HEX = '0123456789abcdef';

export const EthernetAddress = {
  /** ff:ff:ff:ff:ff:ff (a fresh array each call). */
  broadcast(): Uint8Array {
    return new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  },

  isBroadcast(b: Uint8Array, offset = 0): boolean {
    return (b[offset]! & b[offset + 1]! & b[offset + 2]! & b[offset + 3]! & b[offset + 4]! & b[offset + 5]!) === 0xff;
  },

  /** Group (I/G) bit set: multicast or broadcast. */
  isMulticast(b: Uint8Array, offset = 0): boolean {
    return (b[offset]! & 1) === 1;
  },

  isUnicast(b: Uint8Array, offset = 0): boolean {
    return (b[offset]! & 1) === 0;
  },

  /** Locally administered (U/L bit set), as QEMU's 52:54:00:... addresses are. */
  isLocal(b: Uint8Array, offset = 0): boolean {
    return (b[offset]! & 2) === 2;
  },

  isZero(b: Uint8Array, offset = 0): boolean {
    return (b[offset]! | b[offset + 1]! | b[offset + 2]! | b[offset + 3]! | b[offset + 4]! | b[offset + 5]!) === 0;
  },

  equals(a: Uint8Array, b: Uint8Array, aOffset = 0, bOffset = 0): boolean {
    for (let i = 0; i < 6; i++) if (a[aOffset + i] !== b[bOffset + i]) return false;
    return true;
  },

  /** Lower-case, colon separated: "52:54:00:12:34:56". */
  format(b: Uint8Array, offset = 0): string {
    let s = '';
    for (let i = 0; i < 6; i++) {
      const v = b[offset + i] ?? 0;
      if (i) s += ':';
      s += HEX[v >>> 4]! + HEX[v & 15]!;
    }
    return s;
  },

  /** Six two-digit hex groups separated by ':' or '-' (one separator kind throughout); undefined otherwise. */
  parse(text: string): Uint8Array | undefined {
    if (text.length !== 17) return undefined;
    const sep = text[2];
    if (sep !== ':' && sep !== '-') return undefined;
    const out = new Uint8Array(6);
    for (let i = 0; i < 6; i++) {
      const hi = hexDigit(text.charCodeAt(i * 3));
      const lo = hexDigit(text.charCodeAt(i * 3 + 1));
      if (hi < 0 || lo < 0) return undefined;
      if (i < 5 && text[i * 3 + 2] !== sep) return undefined;
      out[i] = (hi << 4) | lo;
    }
    return out;
  },
} as const;
