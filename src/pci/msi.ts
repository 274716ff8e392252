/**
 * MSI capability behaviour (PCI 3.0 §6.8.1) over the registers that live in
 * configuration space: enable, multiple message enable, address/data, and the
 * optional per-vector mask and pending bits.
 */
import type { ConfigSpace } from './config.js';
import type { MsiDeliver, MsiResult } from './msix.js';
import {
  PCI_MSI_ADDRESS_HI,
  PCI_MSI_ADDRESS_LO,
  PCI_MSI_DATA_32,
  PCI_MSI_DATA_64,
  PCI_MSI_FLAGS,
  PCI_MSI_FLAGS_ENABLE,
  PCI_MSI_FLAGS_QMASK,
  PCI_MSI_FLAGS_QSIZE,
  PCI_MSI_MASK_32,
  PCI_MSI_MASK_64,
  PCI_MSI_PENDING_32,
  PCI_MSI_PENDING_64,
} from './regs.js';

export class MsiCapability {
  private readonly maskOff: number;
  private readonly pendingOff: number;
  private readonly dataOff: number;

  constructor(
    private readonly cfg: ConfigSpace,
    readonly offset: number,
    readonly size: number,
    readonly addr64: boolean,
    readonly perVectorMask: boolean,
    private readonly deliver: MsiDeliver,
  ) {
    this.maskOff = offset + (addr64 ? PCI_MSI_MASK_64 : PCI_MSI_MASK_32);
    this.pendingOff = offset + (addr64 ? PCI_MSI_PENDING_64 : PCI_MSI_PENDING_32);
    this.dataOff = offset + (addr64 ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32);
  }

  /** Config bytes that are read-only to the guest but change at run time (the pending bits). */
  get pendingRange(): [number, number] | undefined {
    return this.perVectorMask ? [this.pendingOff, this.pendingOff + 4] : undefined;
  }

  isEnabled(): boolean {
    return (this.cfg.getU16(this.offset + PCI_MSI_FLAGS) & PCI_MSI_FLAGS_ENABLE) !== 0;
  }

  /** 2^MME: how many vectors software enabled. */
  enabledVectors(): number {
    return 1 << ((this.cfg.getU16(this.offset + PCI_MSI_FLAGS) & PCI_MSI_FLAGS_QSIZE) >> 4);
  }

  /** Whether saved flags are consistent: MME must not exceed MMC. */
  static flagsValid(flags: number): boolean {
    return (flags & PCI_MSI_FLAGS_QSIZE) >> 4 <= (flags & PCI_MSI_FLAGS_QMASK) >> 1;
  }

  /** The message for `vector`: the function puts the vector in the low bits of Message Data (§6.8.1.6). */
  message(vector: number): { address: bigint; data: number } {
    const lo = this.cfg.getU32(this.offset + PCI_MSI_ADDRESS_LO);
    const hi = this.addr64 ? this.cfg.getU32(this.offset + PCI_MSI_ADDRESS_HI) : 0;
    const n = this.enabledVectors();
    const data = ((this.cfg.getU16(this.dataOff) & ~(n - 1)) | vector) & 0xffff;
    return { address: (BigInt(hi) << 32n) | BigInt(lo), data };
  }

  notify(vector: number): MsiResult {
    if (!this.isEnabled()) return 'disabled';
    if (!Number.isInteger(vector) || vector < 0 || vector >= this.enabledVectors()) return 'bad-vector';
    if (this.perVectorMask && (this.cfg.getU32(this.maskOff) & (1 << vector)) !== 0) {
      this.setPending(vector, true);
      return 'masked';
    }
    const m = this.message(vector);
    return this.deliver(m.address, m.data);
  }

  /** After a guest write into the capability: clamp MME (§6.8.1.3), drop stale pending bits, send unmasked pending. */
  afterWrite(): void {
    const fo = this.offset + PCI_MSI_FLAGS;
    const flags = this.cfg.getU16(fo);
    const mmc = (flags & PCI_MSI_FLAGS_QMASK) >> 1;
    if (!MsiCapability.flagsValid(flags)) this.cfg.setU16(fo, (flags & ~PCI_MSI_FLAGS_QSIZE) | (mmc << 4));
    if (!this.perVectorMask) return;
    const n = this.enabledVectors();
    this.cfg.setU32(this.pendingOff, this.cfg.getU32(this.pendingOff) & (n >= 32 ? 0xffffffff : (1 << n) - 1));
    if (!this.isEnabled()) return;
    for (let v = 0; v < n; v++) {
      const bit = 1 << v;
      if ((this.cfg.getU32(this.pendingOff) & bit) !== 0 && (this.cfg.getU32(this.maskOff) & bit) === 0) {
        this.setPending(v, false);
        const m = this.message(v);
        this.deliver(m.address, m.data);
      }
    }
  }

  private setPending(vector: number, on: boolean): void {
    const p = this.cfg.getU32(this.pendingOff);
    this.cfg.setU32(this.pendingOff, on ? p | (1 << vector) : p & ~(1 << vector));
  }
}
