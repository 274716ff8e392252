/**
 * The Internet checksum (RFC 1071): the 16-bit ones' complement of the ones'
 * complement sum of the data taken as big-endian 16-bit words.
 *
 * A "sum" here is always a folded, not yet complemented value in 0..0xffff;
 * a "checksum" is the complemented value stored in a header.
 */
import { HOST_LITTLE_ENDIAN } from './bytes.js';

/** Bytes summed before folding, so the running total stays a small integer (16384 words × 0xffff < 2^30). */
const CHUNK = 0x8000;

/**
 * Ones' complement sum of buf[start..end) as big-endian 16-bit words, added to
 * `initial` and folded to 16 bits. The range is read as if it starts on a word
 * boundary; an odd last byte is the high half of a final word (RFC 1071 §4.1).
 * To chain ranges, give every range but the last an even length.
 *
 * Ranges of `WORD_PATH_MIN` bytes or more are summed 32 bits at a time (two to
 * three times faster on segment-sized data: the user-mode stack sums every TCP
 * segment, up to 64 KiB with TSO); shorter ones 16 bits at a time.
 */
export function onesSum(buf: Uint8Array, start = 0, end = buf.length, initial = 0): number {
  if (end - start >= WORD_PATH_MIN && HOST_LITTLE_ENDIAN) return onesSumWords(buf, start, end, initial);
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

/** Below this many bytes the 16-bit loop is as fast (no view to make). */
const WORD_PATH_MIN = 64;
/** Words added as whole numbers before a fold: 2^20 × (2^32 − 1) stays below 2^53. */
const WORDS_PER_FOLD = 1 << 20;

/**
 * The 32-bit path of `onesSum` (little-endian hosts). RFC 1071 §2 (B): the
 * sum is byte-order independent, so 32-bit words read in the machine's order
 * (a Uint32Array over the aligned middle of the range) give the big-endian sum
 * byte-swapped; (C): whole words are added, their carries kept in the total
 * (exact in a double below 2^53) and folded back at the end.
 */
function onesSumWords(buf: Uint8Array, start: number, end: number, initial: number): number {
  // Head: bytes up to the first 4-byte aligned address (word halves in big-endian order).
  const lead = (4 - ((buf.byteOffset + start) & 3)) & 3;
  let s = 0;
  let i = start;
  for (let k = 0; k < lead; k++, i++) s += (k & 1) === 0 ? buf[i]! << 8 : buf[i]!;
  const words = (end - i) >>> 2;
  const u = new Uint32Array(buf.buffer, buf.byteOffset + i, words);
  let acc = 0;
  for (let j = 0; j < words; j += WORDS_PER_FOLD) acc = fold(acc + sumWords(u, j, Math.min(words, j + WORDS_PER_FOLD)));
  // Little-endian words starting at an even distance from `start` hold the sum byte-swapped.
  if ((lead & 1) === 0) acc = ((acc & 0xff) << 8) | (acc >>> 8);
  i += words << 2;
  for (let k = i - start; i < end; i++, k++) s += (k & 1) === 0 ? buf[i]! << 8 : buf[i]!;
  return fold(fold(s) + acc + fold(initial));
}

/**
 * Sum of u[from..to) as whole numbers (exact below 2^53), folded to 16 bits:
 * 2^16 ≡ 1 (mod 2^16 − 1), so a word's value and the sum of its halves agree,
 * and so do 2^32 and 1 for the high part.
 */
function sumWords(u: Uint32Array, from: number, to: number): number {
  let a = 0;
  let b = 0;
  let c = 0;
  let d = 0;
  let j = from;
  // Four independent sums: the adds overlap instead of waiting on each other.
  for (const last = to - 7; j < last; j += 8) {
    a += u[j]! + u[j + 4]!;
    b += u[j + 1]! + u[j + 5]!;
    c += u[j + 2]! + u[j + 6]!;
    d += u[j + 3]! + u[j + 7]!;
  }
  for (; j < to; j++) a += u[j]!;
  const total = a + b + c + d;
  const lo = total >>> 0;
  const hi = (total - lo) / 0x100000000;
  return fold((lo >>> 16) + (lo & 0xffff) + fold(hi));
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
  if (src.length === 4 && dst.length === 4) {
    // IPv4, on every TCP segment of the user-mode stack: unrolled.
    return fold(
      ((src[0]! << 8) | src[1]!) + ((src[2]! << 8) | src[3]!) + ((dst[0]! << 8) | dst[1]!) + ((dst[2]! << 8) | dst[3]!) + (protocol & 0xff) + (length >>> 16) + (length & 0xffff),
    );
  }
  const s = onesSum(src, 0, src.length, (protocol & 0xff) + (length >>> 16) + (length & 0xffff));
  return onesSum(dst, 0, dst.length, s);
}
