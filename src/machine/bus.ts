/**
 * The machine's two address spaces: port I/O (0..0xffff) and physical memory
 * (RAM plus MMIO windows). Accesses whose size a handler does not implement
 * are widened or split the way QEMU's memory core does it, so traces recorded
 * on QEMU see the same values.
 */
import type { GuestMemory } from '../dma/memory.js';
import type { AccessSize, BarHandler } from './device.js';

interface Window {
  base: number;
  size: number;
  handler: BarHandler;
  owner: unknown;
}

const MASK: Record<number, number> = { 1: 0xff, 2: 0xffff, 4: 0xffffffff };

/** One access of `size` bytes (1, 2 or 4) through a handler, adjusted to its implemented sizes. */
export function adjustedRead(h: BarHandler, offset: number, size: 1 | 2 | 4): number {
  const min = h.impl?.min ?? 1;
  const max = h.impl?.max ?? 4;
  const step = Math.max(Math.min(size, max), min) as 1 | 2 | 4;
  if (step === size) return h.read(offset, size) & MASK[size]!;
  if (step > size) return h.read(offset, step) & MASK[size]!;
  let v = 0;
  for (let i = 0; i < size; i += step) v |= (h.read(offset + i, step) & MASK[step]!) << (i * 8);
  return v >>> 0;
}

export function adjustedWrite(h: BarHandler, offset: number, size: 1 | 2 | 4, value: number): void {
  const min = h.impl?.min ?? 1;
  const max = h.impl?.max ?? 4;
  const step = Math.max(Math.min(size, max), min) as 1 | 2 | 4;
  value &= MASK[size]!;
  if (step >= size) {
    h.write(offset, step, value >>> 0);
    return;
  }
  for (let i = 0; i < size; i += step) h.write(offset + i, step, (value >>> (i * 8)) & MASK[step]!);
}

class WindowMap {
  private windows: Window[] = [];

  map(owner: unknown, base: number, size: number, handler: BarHandler): void {
    this.windows.push({ base, size, handler, owner });
  }

  unmapOwner(owner: unknown): void {
    this.windows = this.windows.filter((w) => w.owner !== owner);
  }

  find(addr: number): Window | undefined {
    // Later mappings win, like QEMU's overlapping subregions of equal priority.
    for (let i = this.windows.length - 1; i >= 0; i--) {
      const w = this.windows[i]!;
      if (addr >= w.base && addr < w.base + w.size) return w;
    }
    return undefined;
  }

  list(): ReadonlyArray<Readonly<Window>> {
    return this.windows;
  }
}

/** Port I/O space. Unassigned ports read all-ones and ignore writes (QEMU's unassigned_io_ops). */
export class IoSpace {
  private readonly map = new WindowMap();
  unassignedReads = 0;
  unassignedWrites = 0;

  register(owner: unknown, base: number, size: number, handler: BarHandler): void {
    this.map.map(owner, base, size, handler);
  }

  unregister(owner: unknown): void {
    this.map.unmapOwner(owner);
  }

  read(port: number, size: 1 | 2 | 4): number {
    const w = this.map.find(port);
    if (!w) {
      this.unassignedReads++;
      return MASK[size]!;
    }
    return adjustedRead(w.handler, port - w.base, size);
  }

  write(port: number, size: 1 | 2 | 4, value: number): void {
    const w = this.map.find(port);
    if (!w) {
      this.unassignedWrites++;
      return;
    }
    adjustedWrite(w.handler, port - w.base, size, value);
  }
}

/**
 * Physical memory as the CPU sees it: RAM first (it shadows PCI windows, as
 * on a PC), then MMIO windows; unassigned addresses read 0.
 */
export class MemorySpace {
  private readonly mmio = new WindowMap();
  unassignedReads = 0;
  unassignedWrites = 0;

  constructor(readonly ram: GuestMemory) {}

  register(owner: unknown, base: number, size: number, handler: BarHandler): void {
    this.mmio.map(owner, base, size, handler);
  }

  unregister(owner: unknown): void {
    this.mmio.unmapOwner(owner);
  }

  windows(): ReadonlyArray<{ base: number; size: number }> {
    return this.mmio.list();
  }

  read(addr: number, size: 1 | 2 | 4): number {
    if (this.ram.contains(addr, size)) {
      const v = size === 1 ? this.ram.readU8(addr) : size === 2 ? this.ram.readU16(addr) : this.ram.readU32(addr);
      return typeof v === 'number' ? v : 0;
    }
    const w = this.mmio.find(addr);
    if (!w) {
      this.unassignedReads++;
      return 0;
    }
    return adjustedRead(w.handler, addr - w.base, size);
  }

  write(addr: number, size: 1 | 2 | 4, value: number): void {
    if (this.ram.contains(addr, size)) {
      if (size === 1) this.ram.writeU8(addr, value);
      else if (size === 2) this.ram.writeU16(addr, value);
      else this.ram.writeU32(addr, value);
      return;
    }
    const w = this.mmio.find(addr);
    if (!w) {
      this.unassignedWrites++;
      return;
    }
    adjustedWrite(w.handler, addr - w.base, size, value);
  }

  /** 64-bit access: two 32-bit halves, low first. */
  read64(addr: number): bigint {
    const lo = this.read(addr, 4);
    const hi = this.read(addr + 4, 4);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  write64(addr: number, value: bigint): void {
    this.write(addr, 4, Number(value & 0xffffffffn));
    this.write(addr + 4, 4, Number((value >> 32n) & 0xffffffffn));
  }

  /** Bulk read in memory order; RAM fast path, byte-wise through MMIO otherwise. */
  readBytes(addr: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    if (this.ram.read(addr, out) === undefined) return out;
    for (let i = 0; i < len; i++) out[i] = this.read(addr + i, 1);
    return out;
  }

  writeBytes(addr: number, data: Uint8Array): void {
    if (this.ram.write(addr, data) === undefined) return;
    for (let i = 0; i < data.length; i++) this.write(addr + i, 1, data[i]!);
  }
}

export type { AccessSize };
