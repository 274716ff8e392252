/**
 * The Internet checksum's ones' complement sum (RFC 1071) over long ranges,
 * 32 bits at a time: the same value as `onesSum` of src/wire, at two to three
 * times its speed on segment-sized data. The user-mode stack sums every TCP
 * segment it receives and sends, up to 64 KiB each (TSO frames), so this is
 * on its bulk path.
 *
 * RFC 1071 §2 (B): the sum is byte-order independent, so 32-bit words read in
 * the machine's order (a `Uint32Array` over the aligned middle of the range)
 * give the big-endian sum byte-swapped; (C): parallel summation, whole 32-bit
 * words are added, their carries kept in the total (exact in a double below
 * 2^53) and folded back once at the end.
 */
import { onesSum, pseudoHeaderSum } from '../../wire/index.js';

/** Below this many bytes the byte-wise sum is as fast (no view to make). */
const SHORT = 64;
/** Words added as whole numbers before a fold: 2^20 × (2^32 − 1) stays below 2^53. */
const WORDS_PER_FOLD = 1 << 20;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function fold(s: number): number {
  s = (s & 0xffff) + (s >>> 16);
  return (s & 0xffff) + (s >>> 16);
}

function swap16(s: number): number {
  return ((s & 0xff) << 8) | (s >>> 8);
}

/**
 * Sum of u[from..to) as whole numbers (exact below 2^53), folded to a 16-bit
 * ones' complement sum: 2^16 ≡ 1 (mod 2^16 − 1), so a word's value and the sum
 * of its two halves agree, and so do 2^32 and 1 for the high part.
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

/** The TCP/UDP pseudo-header sum (RFC 9293 §3.1, RFC 8200 §8.1): `pseudoHeaderSum` of src/wire, unrolled for IPv4. */
export function pseudoSum(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): number {
  if (src.length !== 4 || dst.length !== 4) return pseudoHeaderSum(src, dst, protocol, length);
  return fold(
    ((src[0]! << 8) | src[1]!) + ((src[2]! << 8) | src[3]!) + ((dst[0]! << 8) | dst[1]!) + ((dst[2]! << 8) | dst[3]!) + (protocol & 0xff) + (length >>> 16) + (length & 0xffff),
  );
}

/**
 * Ones' complement sum of buf[start..end) as big-endian 16-bit words plus
 * `initial`, folded to 16 bits: exactly `onesSum(buf, start, end, initial)`.
 */
export function onesSum32(buf: Uint8Array, start: number, end: number, initial = 0): number {
  if (end - start < SHORT || !LITTLE_ENDIAN) return onesSum(buf, start, end, initial);
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
  if ((lead & 1) === 0) acc = swap16(acc);
  i += words << 2;
  for (let k = i - start; i < end; i++, k++) s += (k & 1) === 0 ? buf[i]! << 8 : buf[i]!;
  return fold(fold(s) + acc + fold(initial));
}
