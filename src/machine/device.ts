/**
 * What a PCI device model offers the machine (or an emulator adapter): its
 * PCI function (config space, BAR mapping) and handlers for each BAR.
 */
import type { GuestMemory } from '../dma/memory.js';
import type { IrqLine, MsiSink } from '../irq.js';
import type { TimerHost } from '../time/clock.js';
import type { RandomSource } from '../time/random.js';

export type AccessSize = 1 | 2 | 4 | 8;

/** Register access for one BAR. Offsets are relative to the BAR base. */
export interface BarHandler {
  read(offset: number, size: AccessSize): number;
  write(offset: number, size: AccessSize, value: number): void;
  /**
   * Access sizes the handler implements. The bus widens or splits other
   * accesses (QEMU's access_with_adjusted_size): a 2-byte read of a 4-byte
   * register reads 4 bytes and extracts the half. Default 1..4.
   */
  readonly impl?: { readonly min: 1 | 2 | 4; readonly max: 1 | 2 | 4 };
}

export interface ActiveBar {
  index: number;
  kind: 'mem' | 'io';
  addr: number;
  size: number;
}

/** The part of a PCI function the machine's host bridge needs. */
export interface PciConfigTarget {
  configRead(offset: number, size: 1 | 2 | 4): number;
  configWrite(offset: number, size: 1 | 2 | 4, value: number): void;
  /** BARs that decode right now (command enables, address assigned). */
  activeBars(): ActiveBar[];
  /** Called after a config write changed the effective mapping. */
  onMappingChange(cb: () => void): void;
  /** Power-on values. */
  reset(): void;
}

export interface PciDevice {
  readonly pci: PciConfigTarget;
  /** Handler for BAR `index` (undefined: the BAR has no registers). */
  bar(index: number): BarHandler | undefined;
  /** Device reset (the machine resets config space separately). */
  reset(): void;
}

/** Everything a device model is given by the machine that hosts it. */
export interface DeviceContext {
  memory: GuestMemory;
  clock: TimerHost;
  random: RandomSource;
  /** The INTx line of the device's interrupt pin. */
  intx: IrqLine;
  msi: MsiSink;
}
