/**
 * The 256 bytes of a function's configuration space with per-byte write and
 * write-1-to-clear masks (the same model as the PCI spec's register
 * attributes: RO, RW, RW1C).
 */
import { PCI_CONFIG_SPACE_SIZE, type ConfigReg } from './regs.js';

export type AccessSize = 1 | 2 | 4;

export class ConfigSpace {
  readonly bytes = new Uint8Array(PCI_CONFIG_SPACE_SIZE);
  readonly wmask = new Uint8Array(PCI_CONFIG_SPACE_SIZE);
  readonly w1cmask = new Uint8Array(PCI_CONFIG_SPACE_SIZE);

  getU8(off: number): number {
    return this.bytes[off] ?? 0;
  }
  getU16(off: number): number {
    return this.getU8(off) | (this.getU8(off + 1) << 8);
  }
  getU32(off: number): number {
    return (this.getU16(off) | (this.getU16(off + 2) << 16)) >>> 0;
  }
  setU8(off: number, v: number): void {
    this.bytes[off] = v;
  }
  setU16(off: number, v: number): void {
    this.bytes[off] = v;
    this.bytes[off + 1] = v >>> 8;
  }
  setU32(off: number, v: number): void {
    this.setU16(off, v);
    this.setU16(off + 2, v >>> 16);
  }

  /** Store `mask`'s bytes (little-endian, `width` bytes) into a mask array at `off`. */
  static putMask(arr: Uint8Array, off: number, width: number, mask: number): void {
    for (let i = 0; i < width; i++) arr[off + i] = (mask >>> (8 * i)) & 0xff;
  }

  /** Apply a register table's masks, relative to `base`. */
  applyRegs(regs: readonly ConfigReg[], base: number): void {
    for (const r of regs) {
      ConfigSpace.putMask(this.wmask, base + r.offset, r.width, r.wmask ?? 0);
      ConfigSpace.putMask(this.w1cmask, base + r.offset, r.width, r.w1cmask ?? 0);
    }
  }

  /** The masked write of one byte: writable bits take `v`, W1C bits set in `v` clear. */
  writeByte(off: number, v: number): void {
    const wm = this.wmask[off] ?? 0;
    const cm = this.w1cmask[off] ?? 0;
    const old = this.bytes[off] ?? 0;
    this.bytes[off] = ((old & ~wm) | (v & wm)) & ~(v & cm);
  }
}
