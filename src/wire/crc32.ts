/**
 * CRC-32 as used for the Ethernet FCS (IEEE 802.3 §3.2.9): generator
 * 0x04C11DB7, processed least-significant bit first (the reflected form,
 * 0xEDB88320), register preset to all ones, result complemented. The FCS goes
 * on the wire least-significant byte first, so `appendFcs` stores it
 * little-endian. Table driven, eight bytes per step ("slicing by 8").
 */

const POLY_REFLECTED = 0xedb88320;

/** TABLE[k * 256 + b]: table k of the slicing-by-8 scheme (k = 0 is the classic byte table). */
const TABLE: Int32Array = (() => {
  const t = new Int32Array(8 * 256);
  for (let b = 0; b < 256; b++) {
    let c = b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY_REFLECTED : c >>> 1;
    t[b] = c;
  }
  for (let b = 0; b < 256; b++) {
    let c = t[b]!;
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[k * 256 + b] = c;
    }
  }
  return t;
})();

/**
 * Advance a raw (reflected, not complemented) CRC register over
 * buf[start..end). Start from 0xffffffff; complement the end result for the
 * standard CRC-32. Linux's `crc32_le(crc, p, len)` is this function.
 */
export function crc32Update(register: number, buf: Uint8Array, start = 0, end = buf.length): number {
  let c = register | 0;
  let i = start;
  const t = TABLE;
  for (const last8 = end - 8; i <= last8; i += 8) {
    c ^= buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24);
    c =
      t[0x700 + (c & 0xff)]! ^
      t[0x600 + ((c >>> 8) & 0xff)]! ^
      t[0x500 + ((c >>> 16) & 0xff)]! ^
      t[0x400 + (c >>> 24)]! ^
      t[0x300 + buf[i + 4]!]! ^
      t[0x200 + buf[i + 5]!]! ^
      t[0x100 + buf[i + 6]!]! ^
      t[buf[i + 7]!]!;
  }
  for (; i < end; i++) c = t[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return c >>> 0;
}

/** Standard CRC-32 (IEEE 802.3, zlib, PNG) of buf[start..end): crc32("123456789") = 0xCBF43926. */
export function crc32(buf: Uint8Array, start = 0, end = buf.length): number {
  return ~crc32Update(0xffffffff, buf, start, end) >>> 0;
}

/** The Ethernet FCS of a frame (destination address through the last payload/pad byte). */
export const ethernetFcs = crc32;

/** A copy of `frame` with its FCS appended, least-significant byte first as it goes on the wire. */
export function appendFcs(frame: Uint8Array): Uint8Array {
  const out = new Uint8Array(frame.length + 4);
  out.set(frame);
  const fcs = crc32(frame);
  out[frame.length] = fcs;
  out[frame.length + 1] = fcs >>> 8;
  out[frame.length + 2] = fcs >>> 16;
  out[frame.length + 3] = fcs >>> 24;
  return out;
}

/**
 * The CRC-32 residue: running the raw register over a frame followed by its
 * correct FCS always ends at this value (so `crc32(frame ++ fcs)` = 0x2144DF1C).
 */
export const CRC32_RESIDUE = 0xdebb20e3;

/** True when the last four bytes of `frameWithFcs` are the FCS of the bytes before them. */
export function fcsValid(frameWithFcs: Uint8Array): boolean {
  const n = frameWithFcs.length;
  if (n < 4) return false;
  const fcs = (frameWithFcs[n - 4]! | (frameWithFcs[n - 3]! << 8) | (frameWithFcs[n - 2]! << 16) | (frameWithFcs[n - 1]! << 24)) >>> 0;
  return crc32(frameWithFcs, 0, n - 4) === fcs;
}

/** Reverse the bit order of a 32-bit value. */
export function bitReverse32(x: number): number {
  x = ((x >>> 1) & 0x55555555) | ((x & 0x55555555) << 1);
  x = ((x >>> 2) & 0x33333333) | ((x & 0x33333333) << 2);
  x = ((x >>> 4) & 0x0f0f0f0f) | ((x & 0x0f0f0f0f) << 4);
  x = ((x >>> 8) & 0x00ff00ff) | ((x & 0x00ff00ff) << 8);
  return ((x >>> 16) | (x << 16)) >>> 0;
}

/**
 * The "big-endian" Ethernet CRC that multicast hash filters use: the raw CRC
 * register (preset all ones, not complemented) in normal bit order, bit 31
 * holding the coefficient of x^31, as a hardware shift register that shifts
 * left while taking each data byte LSB first would hold it. Equal to Linux
 * `ether_crc(len, p)` = `bitrev32(crc32_le(~0, p, len))`, to 8139too's
 * bitwise `ether_crc`, and to QEMU's `net_crc32`. In terms of the standard
 * CRC: `ethCrc32(p) = bitReverse32(~crc32(p))`.
 */
export function ethCrc32(buf: Uint8Array, start = 0, end = buf.length): number {
  return bitReverse32(crc32Update(0xffffffff, buf, start, end));
}

/**
 * The "little-endian" Ethernet CRC: the raw reflected register, not
 * complemented. Linux `ether_crc_le(len, p)` = `crc32_le(~0, p, len)`, QEMU's
 * `net_crc32_le`. Equal to `~crc32(p) >>> 0`.
 */
export function ethCrc32Le(buf: Uint8Array, start = 0, end = buf.length): number {
  return crc32Update(0xffffffff, buf, start, end);
}

/**
 * Index (0..63) of a multicast address in a 64-bit hash filter: the top six
 * bits of the big-endian CRC of the six address bytes,
 * `ethCrc32(mac) >>> 26` — Linux 8139too `ether_crc(ETH_ALEN, addr) >> 26`,
 * QEMU rtl8139 `compute_mcast_idx`. For the rtl8139 MAR registers the filter
 * bit is `MAR[index >> 3] & (1 << (index & 7))` (RTL8139 datasheet, MAR0-7).
 */
export function multicastHashIndex(mac: Uint8Array, offset = 0): number {
  return ethCrc32(mac, offset, offset + 6) >>> 26;
}
