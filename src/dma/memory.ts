/**
 * Guest physical memory as devices see it for DMA: a narrow interface that
 * copies bytes in and out of RAM regions and reports an out-of-range access
 * as a value, never touching anything outside a region.
 *
 * Addresses are JavaScript numbers. Every address inside a RAM region is
 * below 2^53, so numbers are exact there; `addr64(lo, hi)` composes a 64-bit
 * descriptor address so that anything at or above 2^53 stays out of range.
 */

export type MemError =
  | { kind: 'out-of-bounds'; addr: number; len: number }
  | { kind: 'bad-address'; addr: number | bigint; len: number };

export interface GuestMemory {
  /** Copy `dst.length` bytes from guest address `addr` into `dst`. */
  read(addr: number, dst: Uint8Array): MemError | undefined;
  /** Copy `src` to guest address `addr`. */
  write(addr: number, src: Uint8Array): MemError | undefined;
  /** Fill `len` bytes at `addr` with `value`. */
  fill(addr: number, len: number, value: number): MemError | undefined;
  /** Little-endian loads: the value, or a MemError. */
  readU8(addr: number): number | MemError;
  readU16(addr: number): number | MemError;
  readU32(addr: number): number | MemError;
  /** 64-bit load as a bigint (exact). */
  readU64(addr: number): bigint | MemError;
  writeU8(addr: number, value: number): MemError | undefined;
  writeU16(addr: number, value: number): MemError | undefined;
  writeU32(addr: number, value: number): MemError | undefined;
  writeU64(addr: number, value: bigint): MemError | undefined;
  /** True when [addr, addr+len) lies inside one RAM region. */
  contains(addr: number, len: number): boolean;
}

/**
 * One RAM region. `bytes` may be a getter (v86 hands out `cpu.mem8`, which
 * can be replaced). `written` is told about every DMA write, so an emulator
 * can drop translated code for those pages.
 */
export interface RamRegion {
  readonly base: number;
  readonly bytes: Uint8Array;
  written?(addr: number, len: number): void;
}

const TWO_32 = 0x1_0000_0000;
/** Up to this many bytes (a descriptor), copies are plain loops: measured ~17 ns vs ~50 ns for a view + set at 16 bytes, and slower from ~24 bytes on. */
const SMALL_COPY = 20;

/** Compose a 64-bit address from two 32-bit halves; >= 2^53 when `hi` is too large to be RAM. */
export function addr64(lo: number, hi: number): number {
  return (hi >>> 0) * TWO_32 + (lo >>> 0);
}

export function isMemError(v: unknown): v is MemError {
  return typeof v === 'object' && v !== null && 'kind' in v;
}

/** Guest memory over one or more RAM regions (ArrayBuffer-backed or views on an emulator's RAM). */
export class RegionMemory implements GuestMemory {
  private readonly regions: RamRegion[];
  private last: RamRegion | undefined;

  constructor(regions: RamRegion[]) {
    const sorted = [...regions].sort((a, b) => a.base - b.base);
    for (let i = 0; i < sorted.length; i++) {
      const r = sorted[i]!;
      if (!Number.isSafeInteger(r.base) || r.base < 0) throw new RangeError(`RAM region base ${r.base} is not a valid address`);
      const prev = sorted[i - 1];
      if (prev && prev.base + prev.bytes.length > r.base) {
        throw new RangeError(`RAM regions overlap at 0x${r.base.toString(16)}`);
      }
    }
    this.regions = sorted;
  }

  /** A single zero-filled RAM region of `size` bytes at address 0. */
  static ofSize(size: number): RegionMemory {
    return new RegionMemory([{ base: 0, bytes: new Uint8Array(size) }]);
  }

  /** Region holding [addr, addr+len), or undefined. */
  private find(addr: number, len: number): RamRegion | undefined {
    // Fast path, the region of the last access: inside it both ends are below
    // 2^53, so integral values are all that is left to check. (Measured with
    // bench/datapath.mjs: 5-10% of a whole e1000/virtio-net frame's cost
    // against the Number.isSafeInteger checks first.)
    const l = this.last;
    if (l !== undefined) {
      const base = l.base;
      if (addr >= base && len >= 0 && addr + len <= base + l.bytes.length && Number.isInteger(addr) && Number.isInteger(len)) return l;
    }
    if (!(addr >= 0) || !Number.isSafeInteger(addr) || !(len >= 0) || !Number.isSafeInteger(addr + len)) return undefined;
    for (const r of this.regions) {
      if (addr >= r.base && addr + len <= r.base + r.bytes.length) {
        this.last = r;
        return r;
      }
    }
    return undefined;
  }

  contains(addr: number, len: number): boolean {
    return this.find(addr, len) !== undefined;
  }

  read(addr: number, dst: Uint8Array): MemError | undefined {
    const r = this.find(addr, dst.length);
    if (!r) return oob(addr, dst.length);
    const off = addr - r.base;
    const n = dst.length;
    const b = r.bytes;
    // Descriptors and headers are small: copying them byte by byte avoids
    // allocating a view per access on the hot path.
    if (n <= SMALL_COPY) for (let i = 0; i < n; i++) dst[i] = b[off + i]!;
    else dst.set(b.subarray(off, off + n));
    return undefined;
  }

  write(addr: number, src: Uint8Array): MemError | undefined {
    const r = this.find(addr, src.length);
    if (!r) return oob(addr, src.length);
    const off = addr - r.base;
    const n = src.length;
    const b = r.bytes;
    if (n <= SMALL_COPY) for (let i = 0; i < n; i++) b[off + i] = src[i]!;
    else b.set(src, off);
    r.written?.(addr, n);
    return undefined;
  }

  fill(addr: number, len: number, value: number): MemError | undefined {
    const r = this.find(addr, len);
    if (!r) return oob(addr, len);
    const off = addr - r.base;
    r.bytes.fill(value & 0xff, off, off + len);
    r.written?.(addr, len);
    return undefined;
  }

  readU8(addr: number): number | MemError {
    const r = this.find(addr, 1);
    if (!r) return oob(addr, 1);
    return r.bytes[addr - r.base]!;
  }

  readU16(addr: number): number | MemError {
    const r = this.find(addr, 2);
    if (!r) return oob(addr, 2);
    const b = r.bytes;
    const o = addr - r.base;
    return b[o]! | (b[o + 1]! << 8);
  }

  readU32(addr: number): number | MemError {
    const r = this.find(addr, 4);
    if (!r) return oob(addr, 4);
    const b = r.bytes;
    const o = addr - r.base;
    return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
  }

  readU64(addr: number): bigint | MemError {
    const r = this.find(addr, 8);
    if (!r) return oob(addr, 8);
    const b = r.bytes;
    const o = addr - r.base;
    const lo = (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
    const hi = (b[o + 4]! | (b[o + 5]! << 8) | (b[o + 6]! << 16) | (b[o + 7]! << 24)) >>> 0;
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  writeU8(addr: number, value: number): MemError | undefined {
    const r = this.find(addr, 1);
    if (!r) return oob(addr, 1);
    r.bytes[addr - r.base] = value;
    r.written?.(addr, 1);
    return undefined;
  }

  writeU16(addr: number, value: number): MemError | undefined {
    const r = this.find(addr, 2);
    if (!r) return oob(addr, 2);
    const b = r.bytes;
    const o = addr - r.base;
    b[o] = value;
    b[o + 1] = value >>> 8;
    r.written?.(addr, 2);
    return undefined;
  }

  writeU32(addr: number, value: number): MemError | undefined {
    const r = this.find(addr, 4);
    if (!r) return oob(addr, 4);
    const b = r.bytes;
    const o = addr - r.base;
    b[o] = value;
    b[o + 1] = value >>> 8;
    b[o + 2] = value >>> 16;
    b[o + 3] = value >>> 24;
    r.written?.(addr, 4);
    return undefined;
  }

  writeU64(addr: number, value: bigint): MemError | undefined {
    const r = this.find(addr, 8);
    if (!r) return oob(addr, 8);
    const b = r.bytes;
    const o = addr - r.base;
    const lo = Number(value & 0xffffffffn);
    const hi = Number((value >> 32n) & 0xffffffffn);
    b[o] = lo;
    b[o + 1] = lo >>> 8;
    b[o + 2] = lo >>> 16;
    b[o + 3] = lo >>> 24;
    b[o + 4] = hi;
    b[o + 5] = hi >>> 8;
    b[o + 6] = hi >>> 16;
    b[o + 7] = hi >>> 24;
    r.written?.(addr, 8);
    return undefined;
  }
}

function oob(addr: number, len: number): MemError {
  return Number.isSafeInteger(addr) ? { kind: 'out-of-bounds', addr, len } : { kind: 'bad-address', addr, len };
}

/** Convert a bigint guest address (from an API or a trace) to the number form; out-of-range values map to -1. */
export function toAddr(addr: bigint | number): number {
  if (typeof addr === 'number') return Number.isSafeInteger(addr) && addr >= 0 ? addr : -1;
  return addr >= 0n && addr <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(addr) : -1;
}
