/**
 * The Internet checksum (RFC 1071): the 16-bit ones' complement of the ones'
 * complement sum of the data taken as big-endian 16-bit words.
 *
 * A "sum" here is always a folded, not yet complemented value in 0..0xffff;
 * a "checksum" is the complemented value stored in a header.
 */

/** Bytes summed before folding, so the running total stays a small integer (16384 words × 0xffff < 2^30). */
const CHUNK = 0x8000;

/**
 * Ones' complement sum of buf[start..end) as big-endian 16-bit words, added to
 * `initial` and folded to 16 bits. The range is read as if it starts on a word
 * boundary; an odd last byte is the high half of a final word (RFC 1071 §4.1).
 * To chain ranges, give every range but the last an even length.
 */
export function onesSum(buf: Uint8Array, start = 0, end = buf.length, initial = 0): number {
  let sum = fold(initial);
  let i = start;
  const evenEnd = end - ((end - start) & 1);
  while (i < evenEnd) {
    const chunkEnd = evenEnd - i > CHUNK ? i + CHUNK : evenEnd;
    let s = 0;
    for (const unrolled = chunkEnd - 8; i <= unrolled; i += 8) {
      s +=
        ((buf[i]! << 8) | buf[i + 1]!) +
        ((buf[i + 2]! << 8) | buf[i + 3]!) +
        ((buf[i + 4]! << 8) | buf[i + 5]!) +
        ((buf[i + 6]! << 8) | buf[i + 7]!);
    }
    for (; i < chunkEnd; i += 2) s += (buf[i]! << 8) | buf[i + 1]!;
    sum = fold(sum + s);
  }
  if (evenEnd < end) sum = fold(sum + (buf[evenEnd]! << 8));
  return sum;
}

/** Fold a non-negative integer below 2^31 to a 16-bit ones' complement sum. */
export function fold(sum: number): number {
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** Ones' complement addition of two sums. */
export function onesAdd(a: number, b: number): number {
  return fold(a + b);
}

/** The checksum to store for a sum: its ones' complement. */
export function checksumFinish(sum: number): number {
  return ~sum & 0xffff;
}

/**
 * As `checksumFinish`, but a result of 0 becomes 0xffff (the other ones'
 * complement zero). UDP must send this (RFC 768: 0 means "no checksum"); NICs
 * and Linux (`CSUM_MANGLED_0`) do it for every offloaded checksum.
 */
export function checksumFinishNonZero(sum: number): number {
  return ~sum & 0xffff || 0xffff;
}

/** The Internet checksum of buf[start..end) (plus an `initial` sum such as a pseudo-header's). */
export function internetChecksum(buf: Uint8Array, start = 0, end = buf.length, initial = 0): number {
  return ~onesSum(buf, start, end, initial) & 0xffff;
}

/**
 * RFC 1624 incremental update (eqn. 3): HC' = ~(~HC + ~m + m'), where `oldSum`
 * and `newSum` are the ones' complement sums of the data before and after the
 * change (for one 16-bit field they are just the old and new field values).
 */
export function checksumAdjust(hc: number, oldSum: number, newSum: number): number {
  return ~fold((~hc & 0xffff) + (~oldSum & 0xffff) + (newSum & 0xffff)) & 0xffff;
}

/** RFC 1624 update of checksum `hc` after one 16-bit word changes from `oldWord` to `newWord`. */
export function checksumUpdate16(hc: number, oldWord: number, newWord: number): number {
  return checksumAdjust(hc, oldWord & 0xffff, newWord & 0xffff);
}

/** RFC 1624 update after a 32-bit field (an IPv4 address, a TCP sequence number) changes. */
export function checksumUpdate32(hc: number, oldValue: number, newValue: number): number {
  const o = fold((oldValue >>> 16) + (oldValue & 0xffff));
  const n = fold((newValue >>> 16) + (newValue & 0xffff));
  return checksumAdjust(hc, o, n);
}

/**
 * Sum of a TCP/UDP/ICMPv6 pseudo-header whose source and destination
 * addresses lie back to back in buf[addrStart..addrEnd) (bytes 12..20 of an
 * IPv4 header, 8..40 of an IPv6 header), plus protocol and upper-layer length
 * (RFC 793 §3.1, RFC 768, RFC 8200 §8.1). No allocation.
 */
export function pseudoHeaderSumAt(buf: Uint8Array, addrStart: number, addrEnd: number, protocol: number, length: number): number {
  return onesSum(buf, addrStart, addrEnd, (protocol & 0xff) + (length >>> 16) + (length & 0xffff));
}

/** Pseudo-header sum for IPv4 (4-byte addresses) or IPv6 (16-byte addresses). */
export function pseudoHeaderSum(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): number {
  const s = onesSum(src, 0, src.length, (protocol & 0xff) + (length >>> 16) + (length & 0xffff));
  return onesSum(dst, 0, dst.length, s);
}
