/**
 * Guest RAM for device DMA: RegionMemory over v86's `cpu.mem8`.
 *
 * Two regions, as a PC's DMA sees RAM: [0, 0xA0000) and [1 MiB, memory_size).
 * The legacy hole (VGA window, option ROMs, BIOS shadow) is left out: v86
 * maps devices there and a DMA into it would bypass them.
 *
 * Every DMA write tells v86's JIT to drop code translated from those pages
 * (`cpu.jit_dirty_cache`, what `cpu.write_blob` does before writing), so a
 * guest that runs code a NIC just received does not run stale translations.
 *
 * `cpu.mem8` is read through a getter: a view on the wasm memory that v86
 * may replace; the region views follow it.
 */
import { RegionMemory, type RamRegion } from '../dma/memory.js';
import type { V86Cpu, V86MemView } from './internals.js';

const LOW_END = 0xa0000;
const HIGH_START = 0x100000;

class MemRegion implements RamRegion {
  private cachedFrom: V86MemView | undefined;
  private view: Uint8Array = new Uint8Array(0);

  constructor(
    private readonly cpu: V86Cpu,
    readonly base: number,
    private readonly end: () => number,
  ) {}

  get bytes(): Uint8Array {
    const mem8 = this.cpu.mem8;
    if (mem8 !== this.cachedFrom || this.view.byteLength === 0) {
      this.cachedFrom = mem8;
      const whole = mem8.subarray(0);
      const end = Math.min(this.end(), whole.length);
      this.view = end > this.base ? whole.subarray(this.base, end) : new Uint8Array(0);
    }
    return this.view;
  }

  written(addr: number, len: number): void {
    this.cpu.jit_dirty_cache(addr, addr + len);
  }
}

/** DMA view of a v86 guest's RAM. */
export function v86GuestMemory(cpu: V86Cpu): RegionMemory {
  const size = (): number => (cpu.memory_size[0] ?? 0) >>> 0;
  const regions: RamRegion[] = [new MemRegion(cpu, 0, () => Math.min(LOW_END, size()))];
  if (size() > HIGH_START) regions.push(new MemRegion(cpu, HIGH_START, size));
  return new RegionMemory(regions);
}
