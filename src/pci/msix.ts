/**
 * MSI-X table and pending bit array (PCI 3.0 §6.8.2). The device maps the
 * table and the PBA into its BAR(s) and forwards MMIO accesses here; the
 * capability's Enable and Function Mask bits arrive through `setControl`.
 */
import type { AccessSize } from './config.js';
import { PCI_MSIX_ENTRY_CTRL_MASKBIT, PCI_MSIX_ENTRY_DATA, PCI_MSIX_ENTRY_LOWER_ADDR, PCI_MSIX_ENTRY_SIZE, PCI_MSIX_ENTRY_UPPER_ADDR, PCI_MSIX_ENTRY_VECTOR_CTRL } from './regs.js';

/** What happened to one interrupt message. */
export type MsiResult =
  | 'sent' // written to the MSI sink
  | 'masked' // held as pending; sent on unmask
  | 'disabled' // MSI/MSI-X off: dropped
  | 'no-master' // Bus Master Enable clear: the memory write cannot be issued, dropped
  | 'no-sink' // nobody wired to receive messages
  | 'bad-vector'; // vector outside the enabled range

/** Issues one message (the function checks Bus Master Enable and the sink). */
export type MsiDeliver = (address: bigint, data: number) => MsiResult;

/** Per-entry write masks (PCI 3.0 §6.8.2.6–6.8.2.9): address bits 1:0 and control bits 31:1 are read-only 0. */
export const MSIX_ENTRY_WMASK: readonly number[] = [
  0xfc, 0xff, 0xff, 0xff, // Message Address
  0xff, 0xff, 0xff, 0xff, // Message Upper Address
  0xff, 0xff, 0xff, 0xff, // Message Data
  PCI_MSIX_ENTRY_CTRL_MASKBIT, 0, 0, 0, // Vector Control
];

export class MsixTable {
  readonly table: Uint8Array;
  readonly pba: Uint8Array;
  private enabled = false;
  private functionMasked = false;

  constructor(
    readonly vectors: number,
    private readonly deliver: MsiDeliver,
  ) {
    this.table = new Uint8Array(vectors * PCI_MSIX_ENTRY_SIZE);
    // The PBA is read as QWORDs (PCI 3.0 §6.8.2.10): round up to 64 vectors.
    this.pba = new Uint8Array(Math.ceil(vectors / 64) * 8);
    this.reset();
  }

  /** Bytes of table and PBA, for mapping into a BAR. */
  get tableSize(): number {
    return this.table.length;
  }
  get pbaSize(): number {
    return this.pba.length;
  }

  isMsixEnabled(): boolean {
    return this.enabled;
  }
  isFunctionMasked(): boolean {
    return this.functionMasked;
  }

  /** Power-on state: every vector masked (PCI 3.0 §6.8.2.9), addresses and data 0, nothing pending. */
  reset(): void {
    this.table.fill(0);
    this.pba.fill(0);
    for (let v = 0; v < this.vectors; v++) this.table[v * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VECTOR_CTRL] = PCI_MSIX_ENTRY_CTRL_MASKBIT;
    this.enabled = false;
    this.functionMasked = false;
  }

  /** The capability's Message Control changed. Unmasking sends pending messages. */
  setControl(enabled: boolean, functionMasked: boolean): void {
    const changed = enabled !== this.enabled || functionMasked !== this.functionMasked;
    this.enabled = enabled;
    this.functionMasked = functionMasked;
    if (changed) this.flushPending();
  }

  /** Load saved table, PBA and control bits without sending anything (restore). */
  load(table: Uint8Array, pba: Uint8Array, enabled: boolean, functionMasked: boolean): void {
    this.table.set(table);
    this.pba.set(pba);
    this.enabled = enabled;
    this.functionMasked = functionMasked;
  }

  isVectorMasked(vector: number): boolean {
    const ctrl = this.table[vector * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VECTOR_CTRL] ?? PCI_MSIX_ENTRY_CTRL_MASKBIT;
    return (ctrl & PCI_MSIX_ENTRY_CTRL_MASKBIT) !== 0;
  }

  /** Masked as far as delivery goes: function mask or the vector's own mask. */
  isMasked(vector: number): boolean {
    return this.functionMasked || this.isVectorMasked(vector);
  }

  isPending(vector: number): boolean {
    return ((this.pba[vector >> 3] ?? 0) & (1 << (vector & 7))) !== 0;
  }

  /** The vector's message address (64-bit) and data. */
  message(vector: number): { address: bigint; data: number } {
    const o = vector * PCI_MSIX_ENTRY_SIZE;
    const lo = readLe(this.table, o + PCI_MSIX_ENTRY_LOWER_ADDR, 4);
    const hi = readLe(this.table, o + PCI_MSIX_ENTRY_UPPER_ADDR, 4);
    return { address: (BigInt(hi) << 32n) | BigInt(lo), data: readLe(this.table, o + PCI_MSIX_ENTRY_DATA, 4) };
  }

  /** Signal `vector`: sent now, held pending while masked, or dropped while MSI-X is off. */
  notify(vector: number): MsiResult {
    if (!Number.isInteger(vector) || vector < 0 || vector >= this.vectors) return 'bad-vector';
    if (!this.enabled) return 'disabled';
    if (this.isMasked(vector)) {
      this.setPending(vector, true);
      return 'masked';
    }
    const m = this.message(vector);
    return this.deliver(m.address, m.data);
  }

  tableRead(offset: number, size: AccessSize): number {
    return readLe(this.table, offset, size);
  }

  tableWrite(offset: number, size: AccessSize, value: number): void {
    if (!validAccess(offset, size)) return;
    let touchedCtrl = false;
    for (let i = 0; i < size; i++) {
      const o = offset + i;
      if (o >= this.table.length) break;
      const rel = o % PCI_MSIX_ENTRY_SIZE;
      const wm = MSIX_ENTRY_WMASK[rel] ?? 0;
      const old = this.table[o]!;
      this.table[o] = (old & ~wm) | ((value >>> (8 * i)) & wm);
      if (rel === PCI_MSIX_ENTRY_VECTOR_CTRL && this.table[o] !== old) touchedCtrl = true;
    }
    if (touchedCtrl) this.flushPending();
  }

  pbaRead(offset: number, size: AccessSize): number {
    return readLe(this.pba, offset, size);
  }

  /** The PBA is read-only (PCI 3.0 §6.8.2.10): writes are ignored. */
  pbaWrite(_offset: number, _size: AccessSize, _value: number): void {}

  /** Send and clear every pending vector that is no longer masked. */
  private flushPending(): void {
    if (!this.enabled || this.functionMasked) return;
    for (let v = 0; v < this.vectors; v++) {
      if (this.isPending(v) && !this.isVectorMasked(v)) {
        this.setPending(v, false);
        const m = this.message(v);
        this.deliver(m.address, m.data);
      }
    }
  }

  private setPending(vector: number, on: boolean): void {
    const i = vector >> 3;
    const bit = 1 << (vector & 7);
    const b = this.pba[i] ?? 0;
    this.pba[i] = on ? b | bit : b & ~bit;
  }
}

function validAccess(offset: number, size: number): boolean {
  return Number.isInteger(offset) && offset >= 0 && (size === 1 || size === 2 || size === 4);
}

/** Little-endian read of `size` bytes; bytes outside `buf` read as 0 (reserved space in the BAR). */
function readLe(buf: Uint8Array, offset: number, size: number): number {
  if (!validAccess(offset, size)) return 0;
  let v = 0;
  for (let i = 0; i < size; i++) v |= (buf[offset + i] ?? 0) << (8 * i);
  return v >>> 0;
}
