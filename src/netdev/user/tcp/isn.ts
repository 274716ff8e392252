/**
 * Initial sequence numbers after RFC 6528: ISN = M + F(4-tuple, secret),
 * where M is a timer ticking every 4 µs and F a keyed hash. F here is
 * HalfSipHash-2-4 (32-bit SipHash, Aumasson & Bernstein), keyed once from
 * the injected random source.
 */
import type { RandomSource } from '../../../time/random.js';

function rotl(x: number, b: number): number {
  return ((x << b) | (x >>> (32 - b))) >>> 0;
}

/** HalfSipHash-2-4 with a 64-bit key (k0, k1) over a byte string; returns a 32-bit value. */
export function halfSipHash24(k0: number, k1: number, data: Uint8Array): number {
  let v0 = k0 >>> 0;
  let v1 = k1 >>> 0;
  let v2 = (0x6c796765 ^ k0) >>> 0;
  let v3 = (0x74656462 ^ k1) >>> 0;
  const round = (): void => {
    v0 = (v0 + v1) >>> 0;
    v1 = rotl(v1, 5);
    v1 = (v1 ^ v0) >>> 0;
    v0 = rotl(v0, 16);
    v2 = (v2 + v3) >>> 0;
    v3 = rotl(v3, 8);
    v3 = (v3 ^ v2) >>> 0;
    v0 = (v0 + v3) >>> 0;
    v3 = rotl(v3, 7);
    v3 = (v3 ^ v0) >>> 0;
    v2 = (v2 + v1) >>> 0;
    v1 = rotl(v1, 13);
    v1 = (v1 ^ v2) >>> 0;
    v2 = rotl(v2, 16);
  };
  const len = data.length;
  const full = len & ~3;
  for (let i = 0; i < full; i += 4) {
    const m = (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)) >>> 0;
    v3 = (v3 ^ m) >>> 0;
    round();
    round();
    v0 = (v0 ^ m) >>> 0;
  }
  let b = (len << 24) >>> 0;
  const rest = len & 3;
  if (rest >= 3) b = (b | (data[full + 2]! << 16)) >>> 0;
  if (rest >= 2) b = (b | (data[full + 1]! << 8)) >>> 0;
  if (rest >= 1) b = (b | data[full]!) >>> 0;
  v3 = (v3 ^ b) >>> 0;
  round();
  round();
  v0 = (v0 ^ b) >>> 0;
  v2 = (v2 ^ 0xff) >>> 0;
  round();
  round();
  round();
  round();
  return (v1 ^ v3) >>> 0;
}

export class IsnGenerator {
  private readonly k0: number;
  private readonly k1: number;

  constructor(random: RandomSource) {
    this.k0 = random.nextU32();
    this.k1 = random.nextU32();
  }

  /** ISN for a connection; `tuple` holds local address+port then remote address+port; `nowNs` is the injected clock. */
  isn(tuple: Uint8Array, nowNs: number): number {
    const m = Math.floor(nowNs / 4000) >>> 0;
    return (m + halfSipHash24(this.k0, this.k1, tuple)) >>> 0;
  }
}
