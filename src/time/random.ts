/** Injected randomness: MAC addresses, TCP ISNs, DHCP xids come from here. */
export interface RandomSource {
  /** A uniformly distributed unsigned 32-bit integer. */
  nextU32(): number;
}

/** Deterministic generator (xoshiro128**), for tests and reproducible runs. */
export class SeededRandom implements RandomSource {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    // splitmix32 expands the seed into four non-zero words.
    let x = seed >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next() | 1;
  }

  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Randomness from the platform (WebCrypto, present in browsers and Node >= 19). */
export class CryptoRandom implements RandomSource {
  private readonly buf = new Uint32Array(64);
  private pos = 64;
  nextU32(): number {
    if (this.pos >= this.buf.length) {
      globalThis.crypto.getRandomValues(this.buf);
      this.pos = 0;
    }
    return this.buf[this.pos++]!;
  }
}
