/**
 * Statistics counters (82540EM SDM 13.7): 32-bit counters that saturate
 * instead of wrapping, and 64-bit byte counters kept as low/high register
 * pairs.
 */

/** Add one to a 32-bit counter, saturating at 0xFFFFFFFF. */
export function incStat(mac: Uint32Array, index: number): void {
  const v = mac[index]!;
  if (v !== 0xffffffff) mac[index] = v + 1;
}

/** Add `n` (< 2^32) to the 64-bit counter at `index` (low) and `index + 1` (high), saturating. */
export function addStat64(mac: Uint32Array, index: number, n: number): void {
  let lo = mac[index]! + n;
  let hi = mac[index + 1]!;
  if (lo > 0xffffffff) {
    lo -= 0x1_0000_0000;
    if (hi === 0xffffffff) {
      lo = 0xffffffff;
    } else {
      hi++;
    }
  }
  mac[index] = lo;
  mac[index + 1] = hi;
}

/**
 * Which of the six packet-size bins (64, 65-127, 128-255, 256-511,
 * 512-1023, 1024-1522 bytes, FCS included) a frame counts in; frames above
 * 1522 bytes count in the last bin, frames under 64 in none (-1).
 */
export function sizeBin(len: number): number {
  if (len > 1023) return 5;
  if (len > 511) return 4;
  if (len > 255) return 3;
  if (len > 127) return 2;
  if (len > 64) return 1;
  if (len === 64) return 0;
  return -1;
}
