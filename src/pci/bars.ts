/**
 * Base address registers: layout from options, write masks for the sizing
 * protocol (PCI 3.0 §6.2.5.1), and the rules that decide whether a BAR
 * currently decodes and where.
 */
import { OptionError } from '../errors.js';
import {
  PCI_BASE_ADDRESS_IO_MASK,
  PCI_BASE_ADDRESS_MEM_MASK,
  PCI_BASE_ADDRESS_MEM_PREFETCH,
  PCI_BASE_ADDRESS_MEM_TYPE_64,
  PCI_BASE_ADDRESS_SPACE_IO,
  PCI_NUM_BARS,
  PCI_ROM_ADDRESS_ENABLE,
  PCI_ROM_ADDRESS_MASK,
  PCI_ROM_MIN_SIZE,
} from './regs.js';

/** A BAR as a device model declares it. A mem64 BAR at index i also uses slot i+1. */
export type BarSpec =
  | { readonly kind: 'mem32'; readonly size: number; readonly prefetchable?: boolean }
  | { readonly kind: 'mem64'; readonly size: number; readonly prefetchable?: boolean }
  | { readonly kind: 'io'; readonly size: number };

/** A BAR that currently decodes. `addr` is exact: every decoding address is below 2^52. */
export interface ActiveBar {
  readonly index: number;
  readonly kind: 'mem' | 'io';
  readonly addr: number;
  readonly size: number;
}

/** The expansion ROM's current mapping. */
export interface RomMapping {
  readonly addr: number;
  readonly size: number;
}

/** Resolved layout of one BAR. */
export interface BarLayout {
  readonly index: number;
  readonly spec: BarSpec;
  /** Read-only type bits in the low dword (I/O bit, memory type, prefetchable). */
  readonly typeBits: number;
  /** Write mask of the low dword and, for mem64, of the high dword. */
  readonly lowMask: number;
  readonly highMask: number;
}

const TWO_32 = 0x1_0000_0000;
/** x86 I/O port space is 16 bits wide; an I/O BAR ending above it cannot be reached. */
export const IO_SPACE_END = 0x1_0000;
/** Widest physical address we decode (x86-64's architectural maximum, 52 bits). */
export const MAX_PHYS_END = 2 ** 52;
const MAX_IO_BAR = 0x1_0000;
const MIN_IO_BAR = 4;
const MIN_MEM_BAR = 16;

export function isPowerOfTwo(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}

/** Validate BAR options and compute each BAR's masks; throws OptionError for a bad layout. */
export function layoutBars(bars: ReadonlyArray<BarSpec | undefined> | undefined): Array<BarLayout | undefined> {
  const out: Array<BarLayout | undefined> = new Array<BarLayout | undefined>(PCI_NUM_BARS).fill(undefined);
  const specs = bars ?? [];
  if (specs.length > PCI_NUM_BARS) throw new OptionError(`at most ${PCI_NUM_BARS} BARs, got ${specs.length}`);
  let upperOf = -1;
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i];
    if (spec === undefined) continue;
    if (i === upperOf) throw new OptionError(`BAR ${i} is the upper half of 64-bit BAR ${i - 1}`);
    const size = spec.size;
    if (!isPowerOfTwo(size)) throw new OptionError(`BAR ${i}: size ${size} is not a power of two`);
    switch (spec.kind) {
      case 'io':
        if (size < MIN_IO_BAR || size > MAX_IO_BAR) throw new OptionError(`BAR ${i}: I/O size ${size} outside ${MIN_IO_BAR}..${MAX_IO_BAR}`);
        out[i] = { index: i, spec, typeBits: PCI_BASE_ADDRESS_SPACE_IO, lowMask: (PCI_BASE_ADDRESS_IO_MASK & ~(size - 1)) >>> 0, highMask: 0 };
        break;
      case 'mem32': {
        if (size < MIN_MEM_BAR || size > 2 ** 31) throw new OptionError(`BAR ${i}: 32-bit memory size ${size} outside 16..2^31`);
        const typeBits = spec.prefetchable ? PCI_BASE_ADDRESS_MEM_PREFETCH : 0;
        out[i] = { index: i, spec, typeBits, lowMask: (PCI_BASE_ADDRESS_MEM_MASK & ~(size - 1)) >>> 0, highMask: 0 };
        break;
      }
      case 'mem64': {
        if (size < MIN_MEM_BAR || size > 2 ** 51) throw new OptionError(`BAR ${i}: 64-bit memory size ${size} outside 16..2^51`);
        if (i + 1 >= PCI_NUM_BARS) throw new OptionError(`BAR ${i}: a 64-bit BAR needs slot ${i + 1}`);
        if (specs[i + 1] !== undefined) throw new OptionError(`BAR ${i + 1} is taken by the upper half of 64-bit BAR ${i}`);
        const typeBits = PCI_BASE_ADDRESS_MEM_TYPE_64 | (spec.prefetchable ? PCI_BASE_ADDRESS_MEM_PREFETCH : 0);
        const lowMask = size >= TWO_32 ? 0 : (PCI_BASE_ADDRESS_MEM_MASK & ~(size - 1)) >>> 0;
        const highMask = size > TWO_32 ? (~(size / TWO_32 - 1) >>> 0) : 0xffffffff;
        out[i] = { index: i, spec, typeBits, lowMask, highMask };
        upperOf = i + 1;
        break;
      }
      default: {
        const never: never = spec;
        throw new OptionError(`BAR ${i}: unknown kind ${String((never as { kind: unknown }).kind)}`);
      }
    }
  }
  return out;
}

export function validateRomSize(size: number | undefined): void {
  if (size === undefined) return;
  if (!isPowerOfTwo(size) || size < PCI_ROM_MIN_SIZE || size > 2 ** 31) {
    throw new OptionError(`expansion ROM size ${size} must be a power of two in 2 KiB..2 GiB`);
  }
}

export function romMask(size: number): number {
  return ((PCI_ROM_ADDRESS_MASK & ~(size - 1)) | PCI_ROM_ADDRESS_ENABLE) >>> 0;
}

/**
 * Where a BAR decodes, or undefined. Our version of QEMU's pci_bar_address
 * (hw/pci/pci.c) rules, plus a precise sizing check:
 *  - the command register's IO (I/O BARs) or MEM (memory BARs and the ROM) bit must be set;
 *  - a BAR whose dword holds the sizing pattern (last written all-ones) does not decode;
 *  - address 0 does not decode;
 *  - a 32-bit BAR (and the ROM) reaching the last byte below 4 GiB does not decode: that is
 *    exactly where the all-ones pattern puts it, and QEMU refuses it the same way;
 *  - an I/O BAR must end inside the 64 KiB port space;
 *  - a 64-bit BAR must end at or below 2^52 (which also excludes a high dword of all ones).
 */
export function decodeBar(
  layout: BarLayout,
  low: number,
  high: number,
  ioEnabled: boolean,
  memEnabled: boolean,
  sizing: boolean,
): ActiveBar | undefined {
  const size = layout.spec.size;
  if (sizing) return undefined;
  if (layout.spec.kind === 'io') {
    if (!ioEnabled) return undefined;
    const addr = (low & layout.lowMask) >>> 0;
    if (addr === 0 || addr + size > IO_SPACE_END) return undefined;
    return { index: layout.index, kind: 'io', addr, size };
  }
  if (!memEnabled) return undefined;
  if (layout.spec.kind === 'mem32') {
    const addr = (low & layout.lowMask) >>> 0;
    if (addr === 0 || addr + size - 1 >= 0xffffffff) return undefined;
    return { index: layout.index, kind: 'mem', addr, size };
  }
  const addr = (high & layout.highMask) * TWO_32 + ((low & layout.lowMask) >>> 0);
  if (addr === 0 || addr + size > MAX_PHYS_END) return undefined;
  return { index: layout.index, kind: 'mem', addr, size };
}

/** Where the expansion ROM decodes, or undefined (same rules, plus its enable bit). */
export function decodeRom(size: number, value: number, memEnabled: boolean): RomMapping | undefined {
  if (!memEnabled || (value & PCI_ROM_ADDRESS_ENABLE) === 0) return undefined;
  const addr = (value & PCI_ROM_ADDRESS_MASK & ~(size - 1)) >>> 0;
  if (addr === 0 || addr + size - 1 >= 0xffffffff) return undefined;
  return { addr, size };
}
