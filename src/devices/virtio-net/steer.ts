/**
 * Choosing a receive queue when several queue pairs are in use:
 *  - automatic receive steering (VIRTIO_NET_F_MQ, §5.1.6.5.5): a flow's
 *    packets go to the queue of the pair that last transmitted on it;
 *  - receive-side scaling (VIRTIO_NET_F_RSS, §5.1.6.5.7): a Toeplitz hash
 *    over the enabled fields selects an indirection table entry.
 * Parsing reads only inside the frame and never throws.
 */

export const HASH_TYPE = {
  IPV4: 1 << 0,
  TCPV4: 1 << 1,
  UDPV4: 1 << 2,
  IPV6: 1 << 3,
  TCPV6: 1 << 4,
  UDPV6: 1 << 5,
  IP_EX: 1 << 6,
  TCP_EX: 1 << 7,
  UDP_EX: 1 << 8,
} as const;

/** Hash types this device calculates (the _EX variants, which hash IPv6 option addresses, are not offered). */
export const SUPPORTED_HASH_TYPES = HASH_TYPE.IPV4 | HASH_TYPE.TCPV4 | HASH_TYPE.UDPV4 | HASH_TYPE.IPV6 | HASH_TYPE.TCPV6 | HASH_TYPE.UDPV6;
export const RSS_MAX_KEY_SIZE = 40;
export const RSS_MAX_INDIRECTION_TABLE_LENGTH = 128;

const TCP = 6;
const UDP = 17;

/** Where a frame's flow fields are. `l4` is -1 when there are no usable ports (other protocol, fragment). */
export interface FlowInfo {
  version: 0 | 4 | 6;
  l3: number;
  l4: number;
  proto: number;
}

const IPV6_EXT = new Set([0, 43, 60, 135, 139, 140]);

/** Parse up to two VLAN tags, IPv4 (not fragmented for ports) or IPv6 (skipping extension headers, bounded). */
export function flowInfo(frame: Uint8Array, out: FlowInfo): FlowInfo {
  out.version = 0;
  out.l4 = -1;
  out.proto = 0;
  const n = frame.length;
  if (n < 14) return out;
  let l3 = 14;
  let type = (frame[12]! << 8) | frame[13]!;
  for (let tags = 0; tags < 2 && (type === 0x8100 || type === 0x88a8); tags++) {
    if (l3 + 4 > n) return out;
    type = (frame[l3 + 2]! << 8) | frame[l3 + 3]!;
    l3 += 4;
  }
  out.l3 = l3;
  if (type === 0x0800) {
    if (l3 + 20 > n || frame[l3]! >> 4 !== 4) return out;
    const ihl = (frame[l3]! & 15) * 4;
    if (ihl < 20 || l3 + ihl > n) return out;
    out.version = 4;
    out.proto = frame[l3 + 9]!;
    const frag = ((frame[l3 + 6]! << 8) | frame[l3 + 7]!) & 0x3fff;
    if (frag === 0 && (out.proto === TCP || out.proto === UDP) && l3 + ihl + 4 <= n) out.l4 = l3 + ihl;
    return out;
  }
  if (type === 0x86dd) {
    if (l3 + 40 > n || frame[l3]! >> 4 !== 6) return out;
    out.version = 6;
    let nh = frame[l3 + 6]!;
    let off = l3 + 40;
    for (let i = 0; i < 8 && IPV6_EXT.has(nh); i++) {
      if (off + 8 > n) return out;
      if (nh === 44) return out;
      const next = frame[off]!;
      off += nh === 51 ? (frame[off + 1]! + 2) * 4 : (frame[off + 1]! + 1) * 8;
      nh = next;
    }
    if (nh === 44) return out; // fragment header: no ports
    out.proto = nh;
    if ((nh === TCP || nh === UDP) && off + 4 <= n) out.l4 = off;
    return out;
  }
  return out;
}

/** A hash that is the same for both directions of a flow (for automatic steering). */
export function symmetricFlowHash(frame: Uint8Array, f: FlowInfo): number {
  if (f.version === 0) return 0;
  let h = 0;
  const a = f.version === 4 ? f.l3 + 12 : f.l3 + 8;
  const len = f.version === 4 ? 4 : 16;
  for (let i = 0; i < len; i++) h = (h + (frame[a + i]! ^ frame[a + len + i]!) * (i + 1)) | 0;
  if (f.l4 >= 0) h = (h + ((frame[f.l4]! ^ frame[f.l4 + 2]!) << 8) + (frame[f.l4 + 1]! ^ frame[f.l4 + 3]!)) | 0;
  h = Math.imul(h ^ f.proto, 0x9e3779b1);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Toeplitz hash of `len` bytes at `off` in `data` (Microsoft RSS specification). */
export function toeplitz(key: Uint8Array, data: Uint8Array, off: number, len: number, seed = 0): number {
  // `window` holds key bits [bit, bit + 32); shift one key bit in per input bit.
  let window = ((key[0] ?? 0) << 24) | ((key[1] ?? 0) << 16) | ((key[2] ?? 0) << 8) | (key[3] ?? 0);
  let result = seed;
  let keyBit = 32;
  for (let i = 0; i < len; i++) {
    const b = data[off + i]!;
    for (let j = 7; j >= 0; j--) {
      if (b & (1 << j)) result ^= window;
      const kb = ((key[keyBit >> 3] ?? 0) >> (7 - (keyBit & 7))) & 1;
      window = (window << 1) | kb;
      keyBit++;
    }
  }
  return result >>> 0;
}

export interface RssConfig {
  hashTypes: number;
  /** indirection_table_mask + 1 entries of receive queue pair numbers. */
  readonly table: Uint16Array;
  tableLen: number;
  unclassified: number;
  readonly key: Uint8Array;
  keyLen: number;
}

export function newRssConfig(): RssConfig {
  return { hashTypes: 0, table: new Uint16Array(RSS_MAX_INDIRECTION_TABLE_LENGTH), tableLen: 1, unclassified: 0, key: new Uint8Array(RSS_MAX_KEY_SIZE), keyLen: 0 };
}

const hashInput = new Uint8Array(36);

/** The RSS destination pair of a frame (§5.1.6.5.7.2): hashed, or the unclassified queue. */
export function rssPair(c: RssConfig, frame: Uint8Array, f: FlowInfo): number {
  let len = 0;
  const t = c.hashTypes;
  const key = c.key.subarray(0, c.keyLen);
  if (f.version === 4 && t & (HASH_TYPE.IPV4 | HASH_TYPE.TCPV4 | HASH_TYPE.UDPV4)) {
    const ports = f.l4 >= 0 && ((f.proto === TCP && t & HASH_TYPE.TCPV4) || (f.proto === UDP && t & HASH_TYPE.UDPV4));
    if (ports || t & HASH_TYPE.IPV4) {
      hashInput.set(frame.subarray(f.l3 + 12, f.l3 + 20), 0);
      len = 8;
      if (ports) {
        hashInput.set(frame.subarray(f.l4, f.l4 + 4), 8);
        len = 12;
      }
    }
  } else if (f.version === 6 && t & (HASH_TYPE.IPV6 | HASH_TYPE.TCPV6 | HASH_TYPE.UDPV6)) {
    const ports = f.l4 >= 0 && ((f.proto === TCP && t & HASH_TYPE.TCPV6) || (f.proto === UDP && t & HASH_TYPE.UDPV6));
    if (ports || t & HASH_TYPE.IPV6) {
      hashInput.set(frame.subarray(f.l3 + 8, f.l3 + 40), 0);
      len = 32;
      if (ports) {
        hashInput.set(frame.subarray(f.l4, f.l4 + 4), 32);
        len = 36;
      }
    }
  }
  if (len === 0) return c.unclassified;
  const h = toeplitz(key, hashInput, 0, len);
  return c.table[h & (c.tableLen - 1)]!;
}
