/** Test helper shared by the virtio ring tests. */
import type { RegionMemory } from '../../src/dma/memory.js';

/** Write a split-ring descriptor at `at`: addr (low 32 bits), len, and the two 16-bit fields (flags, next). */
export function desc(mem: RegionMemory, at: number, addr: number, len: number, a: number, b: number): void {
  mem.writeU32(at, addr);
  mem.writeU32(at + 4, 0);
  mem.writeU32(at + 8, len);
  mem.writeU16(at + 12, a);
  mem.writeU16(at + 14, b);
}
