/**
 * Fuzz operations, QEMU generic-fuzz style: port and MMIO accesses (drawn
 * from a device's register map and from random offsets), PCI config writes,
 * guest-memory patterns for whatever the device DMA-reads, incoming frames,
 * clock steps, resets and save/restore round trips. Plain data, so a failing
 * sequence can be stored as JSON and replayed.
 */
import type { RandomSource } from '../time/random.js';
import type { RegisterSpot } from '../devices/nic.js';

export type FuzzOp =
  | { op: 'read'; bar: number; offset: number; size: 1 | 2 | 4 }
  | { op: 'write'; bar: number; offset: number; size: 1 | 2 | 4; value: number }
  | { op: 'config'; offset: number; size: 1 | 2 | 4; value: number }
  | { op: 'mem'; addr: number; data: string }
  | { op: 'frame'; data: string }
  | { op: 'clock'; ns: number }
  | { op: 'reset' }
  | { op: 'save-restore' };

export interface BarInfo {
  index: number;
  size: number;
}

export interface GenContext {
  bars: readonly BarInfo[];
  registers: readonly RegisterSpot[];
  ramSize: number;
  mac: Uint8Array;
}

/** Small helpers over a RandomSource. */
export class Dice {
  constructor(private readonly r: RandomSource) {}
  u32(): number {
    return this.r.nextU32();
  }
  below(n: number): number {
    return n <= 1 ? 0 : this.r.nextU32() % n;
  }
  chance(p: number): boolean {
    return this.r.nextU32() / 4294967296 < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.below(xs.length)]!;
  }
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.r.nextU32() & 0xff;
    return b;
  }
}

const hex = (b: Uint8Array): string => {
  let s = '';
  for (let i = 0; i < b.length; i++) s += (b[i]! < 16 ? '0' : '') + b[i]!.toString(16);
  return s;
};

/** Values that make registers interesting: ring bases inside RAM, lengths, masks, extremes. */
function interestingValue(d: Dice, ctx: GenContext): number {
  switch (d.below(8)) {
    case 0:
      return d.below(ctx.ramSize) & ~0xf;
    case 1:
      return d.pick([0, 8, 16, 32, 64, 128, 256, 1024, 4096, 0x10000]);
    case 2:
      return d.pick([0xffffffff, 0x80000000, 0x7fffffff, 0xffff, 0xff]);
    case 3:
      return 1 << d.below(32);
    case 4:
      return d.below(256);
    case 5:
      return (d.below(ctx.ramSize) & ~0xfff) >>> 0;
    default:
      return d.u32();
  }
}

/** A frame: for the device's MAC or broadcast, a plausible EtherType and IP/TCP/UDP shape, then mutated. */
function frame(d: Dice, ctx: GenContext): Uint8Array {
  const len = d.chance(0.1) ? d.below(70) : d.chance(0.05) ? 1518 + d.below(16000) : 60 + d.below(1460);
  const f = d.bytes(len);
  if (len >= 14) {
    const dst = d.below(4);
    if (dst === 0) f.set(ctx.mac, 0);
    else if (dst === 1) f.fill(0xff, 0, 6);
    f.set(d.pick([[0x08, 0x00], [0x86, 0xdd], [0x08, 0x06], [0x81, 0x00]]), 12);
    if (f[12] === 0x08 && f[13] === 0x00 && len >= 34) {
      f[14] = 0x45;
      const tot = Math.min(len - 14, 0xffff);
      f[16] = tot >> 8;
      f[17] = tot & 0xff;
      f[23] = d.pick([6, 17, 1]);
    } else if (f[12] === 0x86 && len >= 54) {
      f[14] = 0x60;
      const pl = Math.max(0, len - 54);
      f[18] = pl >> 8;
      f[19] = pl & 0xff;
      f[20] = d.pick([6, 17, 58, 0, 43, 44]);
    }
    for (let i = d.below(4); i > 0; i--) f[d.below(len)] = d.u32() & 0xff;
  }
  return f;
}

/** Memory contents shaped like descriptors: 64-bit addresses into RAM, lengths, flag bytes. */
function memPattern(d: Dice, ctx: GenContext): Uint8Array {
  const n = 16 * (1 + d.below(16));
  const b = d.bytes(n);
  if (d.chance(0.7)) {
    for (let o = 0; o + 16 <= n; o += 16) {
      const a = d.below(ctx.ramSize);
      b[o] = a & 0xff;
      b[o + 1] = (a >>> 8) & 0xff;
      b[o + 2] = (a >>> 16) & 0xff;
      b[o + 3] = (a >>> 24) & 0xff;
      b[o + 4] = d.chance(0.9) ? 0 : d.u32() & 0xff;
      b[o + 5] = 0;
      b[o + 6] = 0;
      b[o + 7] = 0;
      const l = d.pick([0, 1, 14, 60, 64, 1514, 2048, 0xffff, d.below(0x10000)]);
      b[o + 8] = l & 0xff;
      b[o + 9] = (l >>> 8) & 0xff;
    }
  }
  return b;
}

export function generateOp(d: Dice, ctx: GenContext): FuzzOp {
  const roll = d.below(1000);
  if (roll < 350 && ctx.registers.length > 0) {
    const r = d.pick(ctx.registers);
    if (d.chance(0.4)) return { op: 'read', bar: r.bar, offset: r.offset, size: r.width };
    return { op: 'write', bar: r.bar, offset: r.offset, size: r.width, value: interestingValue(d, ctx) };
  }
  if (roll < 500 && ctx.bars.length > 0) {
    const bar = d.pick(ctx.bars);
    const size = d.pick([1, 2, 4] as const);
    const offset = d.below(bar.size);
    if (d.chance(0.4)) return { op: 'read', bar: bar.index, offset, size };
    return { op: 'write', bar: bar.index, offset, size, value: interestingValue(d, ctx) };
  }
  if (roll < 520) return { op: 'config', offset: d.below(256), size: d.pick([1, 2, 4] as const), value: interestingValue(d, ctx) };
  if (roll < 760) return { op: 'mem', addr: d.below(ctx.ramSize - 256), data: hex(memPattern(d, ctx)) };
  if (roll < 900) return { op: 'frame', data: hex(frame(d, ctx)) };
  if (roll < 995) return { op: 'clock', ns: d.pick([1, 1000, 100_000, 1_000_000, 500_000_000, d.below(2_000_000_000)]) };
  if (roll < 998) return { op: 'reset' };
  return { op: 'save-restore' };
}
