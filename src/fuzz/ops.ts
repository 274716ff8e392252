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
  /** Make buffers available on a set-up ring (`FuzzSubject.bringUp`), as a driver does, and notify. */
  | { op: 'post'; ring: number; bufs: PostedBuf[] }
  | { op: 'clock'; ns: number }
  | { op: 'reset' }
  | { op: 'save-restore' };

/** A descriptor a `post` op writes at `slot` and makes available as a one-descriptor chain (or the head of one, with NEXT). */
export interface PostedBuf {
  slot: number;
  addr: number;
  len: number;
  flags: number;
  next: number;
  /** e1000: the whole 16-byte descriptor as hex (context and data descriptors of a TSO send), written as it is. */
  raw?: string;
}

export interface BarInfo {
  index: number;
  size: number;
}

export interface GenContext {
  bars: readonly BarInfo[];
  registers: readonly RegisterSpot[];
  ramSize: number;
  mac: Uint8Array;
  /** Rings a driver set up (`FuzzSubject.bringUp`): ops then also fill them and kick. */
  rings?: readonly FuzzRing[];
}

/**
 * A ring a driver set up, and how to hand it buffers:
 * - 'virtio': a split virtqueue in RAM (legacy layout, virtio 1.2 §2.7 and
 *   §4.1.5.1.1.2): descriptors, avail entries after avail.idx, the new idx,
 *   then `notify` is written;
 * - 'e1000': a legacy descriptor ring (8254x SDM 3.2.3, 3.3.3): descriptors
 *   from the tail on, then the tail register (`notify`, its value the new tail);
 * - 'rtl8139': the four transmit descriptors of C mode (datasheet 6.2):
 *   TSAD of the next one, then its TSD with the size and OWN clear, which
 *   sends (`notify.offset`: TSD0; TSAD0 is 0x10 above).
 * `next`: the descriptor slot the generator posts next (generator state: a
 * stream stays deterministic per seed).
 */
export interface FuzzRing {
  kind: 'virtio' | 'e1000' | 'rtl8139';
  desc: number;
  avail: number;
  size: number;
  /** Where buffers of this ring point (a data area in RAM) and how large it is. */
  data: number;
  dataSize: number;
  /** Device-writable buffers (a receive ring). */
  writable: boolean;
  notify: { bar: number; offset: number; size: 1 | 2 | 4; value: number };
  next: number;
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

/**
 * Buffers for a set-up ring, as a driver posts them: mostly sane (inside the
 * ring's data area, a plausible length, WRITE on a receive ring), now and
 * then not (any length, address or flags; a NEXT link anywhere). Slots go
 * round the ring as a driver's free list would.
 */
/**
 * e1000 transmit: a TCP segmentation send (SDM 3.3.6): a TCP/IP context
 * descriptor (checksum offsets for an untagged IPv4/TCP frame, HDRLEN, MSS,
 * PAYLEN, TUCMD TSE|IP|TCP) and data descriptors with TSE, the last with
 * EOP; the numbers mostly plausible, sometimes not.
 */
function e1000TsoBufs(d: Dice, r: FuzzRing): PostedBuf[] {
  const sane = d.chance(0.8);
  const hdrLen = sane ? 54 : d.below(256);
  const mss = sane ? d.pick([536, 1448, 1460]) : d.below(0x10000);
  const pieces = 1 + d.below(3);
  const lens: number[] = [];
  for (let i = 0; i < pieces; i++) lens.push(sane ? d.pick([54, 1000, 4096, 16384]) : d.below(0x10000));
  const total = lens.reduce((a, b) => a + b, 0);
  const payLen = sane ? Math.max(0, total - hdrLen) : d.below(1 << 20);
  const ctx = new Uint8Array(16);
  ctx.set([14, 24, 0, 0, 34, 50, 0, 0], 0);
  ctx[8] = payLen & 0xff;
  ctx[9] = (payLen >>> 8) & 0xff;
  ctx[10] = (payLen >>> 16) & 0x0f;
  ctx[11] = 0x20 | 0x04 | 0x02 | 0x01; // TUCMD: DEXT, TSE, IP, TCP (DTYP 0: context)
  ctx[13] = hdrLen;
  ctx[14] = mss & 0xff;
  ctx[15] = mss >>> 8;
  const out: PostedBuf[] = [];
  const push = (b: Uint8Array): void => {
    const slot = r.next;
    r.next = (r.next + 1) % r.size;
    out.push({ slot, addr: 0, len: 0, flags: 0, next: 0, raw: hex(b) });
  };
  push(ctx);
  lens.forEach((len, i) => {
    const b = new Uint8Array(16);
    const addr = r.data + d.below(Math.max(1, r.dataSize - len));
    for (let k = 0; k < 4; k++) b[k] = (addr >>> (8 * k)) & 0xff;
    b[8] = len & 0xff;
    b[9] = (len >>> 8) & 0xff;
    b[10] = 0x10 | ((len >>> 16) & 0x0f); // DTYP 1: data
    b[11] = 0x20 | 0x04 | 0x02 | (i === lens.length - 1 ? 0x01 | 0x08 : 0); // DEXT, TSE, IFCS, EOP + RS on the last
    b[13] = 0x03; // POPTS: IXSM, TXSM
    push(b);
  });
  return out;
}

function postOp(d: Dice, index: number, r: FuzzRing): FuzzOp {
  if (r.kind === 'e1000' && !r.writable && d.chance(0.15)) return { op: 'post', ring: index, bufs: e1000TsoBufs(d, r) };
  const bufs: PostedBuf[] = [];
  for (let n = 1 + d.below(8); n > 0; n--) {
    const sane = d.chance(0.9);
    const len = sane ? d.pick([14, 60, 1514, 1526, 2048, 4096, 65562]) : d.pick([0, 1, 11, 12, 0xffff, d.u32()]);
    const addr = sane ? r.data + d.below(Math.max(1, r.dataSize - Math.min(len, r.dataSize))) : d.below(2 * r.data + r.dataSize);
    const slot = r.next;
    r.next = (r.next + 1) % r.size;
    // virtio: WRITE on a receive ring; e1000 transmit: EOP | IFCS | RS (SDM 3.3.3.1).
    const flags = sane ? (r.kind === 'e1000' ? (r.writable ? 0 : 0x0b) : r.writable ? 2 : 0) : d.below(r.kind === 'e1000' ? 256 : 8);
    bufs.push({ slot, addr, len: len >>> 0, flags, next: sane ? r.next : d.below(0x10000) });
  }
  return { op: 'post', ring: index, bufs };
}

/**
 * With rings set up, the mix leans on the datapath: ring ops and frames
 * most of the time, register and config writes (which can undo the set-up)
 * less, and resets (which redo it) often enough to come back.
 */
function datapathOp(d: Dice, ctx: GenContext, rings: readonly FuzzRing[]): FuzzOp {
  const roll = d.below(1000);
  if (roll < 400) {
    const i = d.below(rings.length);
    return postOp(d, i, rings[i]!);
  }
  if (roll < 650) return { op: 'frame', data: hex(frame(d, ctx)) };
  if (roll < 750) return { op: 'clock', ns: d.pick([1, 1000, 100_000, 1_000_000, 50_000_000]) };
  if (roll < 850) {
    const r = d.pick(rings);
    // Bytes for the buffers: headers and frames for the transmit ring, anything for the receive ring.
    return { op: 'mem', addr: r.data + d.below(r.dataSize - 256), data: hex(d.chance(0.5) ? frame(d, ctx).subarray(0, 256) : memPattern(d, ctx)) };
  }
  if (roll < 930 && ctx.registers.length > 0) {
    const r = d.pick(ctx.registers);
    if (d.chance(0.5)) return { op: 'read', bar: r.bar, offset: r.offset, size: r.width };
    return { op: 'write', bar: r.bar, offset: r.offset, size: r.width, value: interestingValue(d, ctx) };
  }
  if (roll < 970) return { op: 'mem', addr: d.below(ctx.ramSize - 256), data: hex(memPattern(d, ctx)) };
  if (roll < 978) return { op: 'config', offset: d.below(256), size: d.pick([1, 2, 4] as const), value: interestingValue(d, ctx) };
  if (roll < 998) return { op: 'reset' };
  return { op: 'save-restore' };
}

export function generateOp(d: Dice, ctx: GenContext): FuzzOp {
  if (ctx.rings !== undefined && ctx.rings.length > 0) return datapathOp(d, ctx, ctx.rings);
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
