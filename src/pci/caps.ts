/**
 * Capability list builder (PCI 3.0 §6.7): places capabilities from 0x40
 * upward or at explicit offsets, links them from the capabilities pointer at
 * 0x34, writes their power-on bytes and their write masks.
 */
import { OptionError } from '../errors.js';
import { ConfigSpace, type AccessSize } from './config.js';
import {
  MSIX_REGS,
  PCI_CAP_AREA_START,
  PCI_CAP_ID_MSI,
  PCI_CAP_ID_MSIX,
  PCI_CAP_ID_PM,
  PCI_CAP_ID_VNDR,
  PCI_CAP_LIST_ID,
  PCI_CAP_LIST_NEXT,
  PCI_CONFIG_SPACE_SIZE,
  PCI_MSI_FLAGS,
  PCI_MSI_FLAGS_64BIT,
  PCI_MSI_FLAGS_MASKBIT,
  PCI_MSIX_CAP_SIZE,
  PCI_MSIX_FLAGS,
  PCI_MSIX_MAX_VECTORS,
  PCI_MSIX_PBA,
  PCI_MSIX_TABLE,
  PCI_PM_CAP_D1,
  PCI_PM_CAP_D2,
  PCI_PM_CAP_PME_MASK,
  PCI_PM_CAP_PME_SHIFT,
  PCI_PM_CAP_SIZE,
  PCI_PM_CTRL,
  PCI_PM_CTRL_NO_SOFT_RESET,
  PCI_PM_CTRL_STATE_MASK,
  PCI_PM_PMC,
  PCI_PM_PMC_VERSION_1_2,
  PM_REGS,
  msiCapSize,
  msiRegs,
  type ConfigReg,
} from './regs.js';

/**
 * A device-served window inside a vendor capability (virtio's PCI_CFG
 * `pci_cfg_data`). Offsets passed to the callbacks are relative to the
 * window's start; `cap` is a live view of the capability's bytes.
 * An access that lies wholly inside the window reaches the callback once with
 * its own size; a straddling access reaches it byte by byte.
 */
export interface CapWindow {
  /** Start of the window relative to the capability's first byte. */
  readonly start: number;
  readonly length: number;
  read(offset: number, size: AccessSize, cap: Uint8Array): number;
  write(offset: number, size: AccessSize, value: number, cap: Uint8Array): void;
}

/** PCI Power Management capability (PCI PM 1.2). */
export interface PmCapSpec {
  readonly kind: 'pm';
  readonly offset?: number;
  readonly d1?: boolean;
  readonly d2?: boolean;
  /** PMC PME_Support bits 15:11 as a 5-bit value (bit 0 = D0 ... bit 4 = D3cold); 0 = no PME. */
  readonly pmeSupport?: number;
  /** PMCSR No_Soft_Reset: true (default) means D3hot→D0 keeps the function's state. */
  readonly noSoftReset?: boolean;
}

/** MSI capability (PCI 3.0 §6.8.1). */
export interface MsiCapSpec {
  readonly kind: 'msi';
  readonly offset?: number;
  /** Multiple Message Capable: 1, 2, 4, 8, 16 or 32 vectors. */
  readonly vectors: number;
  readonly addr64?: boolean;
  readonly perVectorMask?: boolean;
}

/** MSI-X capability (PCI 3.0 §6.8.2). Offsets inside a BAR must be 8-byte aligned. */
export interface MsixCapSpec {
  readonly kind: 'msix';
  readonly offset?: number;
  /** Table size, 1..2048. */
  readonly vectors: number;
  readonly tableBar: number;
  readonly tableOffset: number;
  readonly pbaBar: number;
  readonly pbaOffset: number;
}

/**
 * Vendor-specific capability (PCI 3.0 §6.7, ID 0x09). `bytes` is the whole
 * capability from its first byte (bytes 0 and 1 are replaced by the ID and
 * next pointer; byte 2, the length, is set to `bytes.length`). `wmask` (same
 * length) makes bits guest-writable; header bytes 0..2 are always read-only.
 */
export interface VendorCapSpec {
  readonly kind: 'vendor';
  readonly offset?: number;
  readonly bytes: Uint8Array;
  readonly wmask?: Uint8Array;
  readonly window?: CapWindow;
}

export type CapabilitySpec = PmCapSpec | MsiCapSpec | MsixCapSpec | VendorCapSpec;

/** A capability after placement. */
export interface PlacedCap {
  readonly spec: CapabilitySpec;
  readonly offset: number;
  readonly size: number;
}

export function capSize(spec: CapabilitySpec): number {
  switch (spec.kind) {
    case 'pm':
      return PCI_PM_CAP_SIZE;
    case 'msi':
      return msiCapSize(spec.addr64 ?? false, spec.perVectorMask ?? false);
    case 'msix':
      return PCI_MSIX_CAP_SIZE;
    case 'vendor':
      return spec.bytes.length;
    default: {
      const never: never = spec;
      throw new OptionError(`unknown capability ${String((never as { kind: unknown }).kind)}`);
    }
  }
}

function validateSpec(spec: CapabilitySpec, i: number): void {
  const where = `capability ${i} (${spec.kind})`;
  switch (spec.kind) {
    case 'pm':
      if (spec.pmeSupport !== undefined && !(Number.isInteger(spec.pmeSupport) && spec.pmeSupport >= 0 && spec.pmeSupport <= 0x1f)) {
        throw new OptionError(`${where}: pmeSupport must be a 5-bit value`);
      }
      break;
    case 'msi':
      if (![1, 2, 4, 8, 16, 32].includes(spec.vectors)) throw new OptionError(`${where}: vectors must be 1, 2, 4, 8, 16 or 32`);
      break;
    case 'msix':
      if (!Number.isInteger(spec.vectors) || spec.vectors < 1 || spec.vectors > PCI_MSIX_MAX_VECTORS) {
        throw new OptionError(`${where}: vectors must be 1..${PCI_MSIX_MAX_VECTORS}`);
      }
      for (const [name, v] of [['tableOffset', spec.tableOffset], ['pbaOffset', spec.pbaOffset]] as const) {
        if (!Number.isSafeInteger(v) || v < 0 || v > 0xfffffff8 || v % 8 !== 0) throw new OptionError(`${where}: ${name} must be 8-byte aligned and below 4 GiB`);
      }
      break;
    case 'vendor':
      if (spec.bytes.length < 3 || spec.bytes.length > 0xff) throw new OptionError(`${where}: length must be 3..255 bytes`);
      if (spec.wmask !== undefined && spec.wmask.length !== spec.bytes.length) throw new OptionError(`${where}: wmask length differs from bytes`);
      if (spec.window !== undefined) {
        const w = spec.window;
        if (!Number.isInteger(w.start) || !Number.isInteger(w.length) || w.start < 3 || w.length < 1 || w.start + w.length > spec.bytes.length) {
          throw new OptionError(`${where}: window must lie inside the capability after its header`);
        }
      }
      break;
    default: {
      const never: never = spec;
      throw new OptionError(`unknown capability ${String((never as { kind: unknown }).kind)}`);
    }
  }
}

/**
 * Place capabilities: explicit offsets first, then the rest from 0x40 upward in
 * the first DWORD-aligned gap. The list is linked in option order.
 */
export function placeCaps(specs: readonly CapabilitySpec[]): PlacedCap[] {
  const used = new Uint8Array(PCI_CONFIG_SPACE_SIZE);
  used.fill(1, 0, PCI_CAP_AREA_START);
  const offsets: number[] = new Array<number>(specs.length).fill(-1);
  const claim = (off: number, size: number): boolean => {
    if (off + size > PCI_CONFIG_SPACE_SIZE) return false;
    for (let b = off; b < off + size; b++) if (used[b]) return false;
    used.fill(1, off, off + size);
    return true;
  };
  specs.forEach((spec, i) => {
    validateSpec(spec, i);
    if (spec.offset === undefined) return;
    const off = spec.offset;
    if (!Number.isInteger(off) || off < PCI_CAP_AREA_START || off % 4 !== 0) {
      throw new OptionError(`capability ${i} (${spec.kind}): offset 0x${off.toString(16)} must be DWORD aligned and >= 0x40`);
    }
    if (!claim(off, capSize(spec))) throw new OptionError(`capability ${i} (${spec.kind}) at 0x${off.toString(16)} overlaps another or runs past 0xff`);
    offsets[i] = off;
  });
  specs.forEach((spec, i) => {
    if (offsets[i] !== -1) return;
    const size = capSize(spec);
    for (let off = PCI_CAP_AREA_START; off + size <= PCI_CONFIG_SPACE_SIZE; off += 4) {
      if (claim(off, size)) {
        offsets[i] = off;
        return;
      }
    }
    throw new OptionError(`capability ${i} (${spec.kind}): no room for ${size} bytes`);
  });
  return specs.map((spec, i) => ({ spec, offset: offsets[i]!, size: capSize(spec) }));
}

/** The PMC value for a PM capability. */
export function pmcValue(spec: PmCapSpec): number {
  return (
    PCI_PM_PMC_VERSION_1_2 |
    (spec.d1 ? PCI_PM_CAP_D1 : 0) |
    (spec.d2 ? PCI_PM_CAP_D2 : 0) |
    (((spec.pmeSupport ?? 0) << PCI_PM_CAP_PME_SHIFT) & PCI_PM_CAP_PME_MASK)
  );
}

/** Write a placed capability's power-on bytes and masks, with `next` as its next pointer. */
export function installCap(cfg: ConfigSpace, cap: PlacedCap, next: number): void {
  const base = cap.offset;
  const spec = cap.spec;
  const id = spec.kind === 'pm' ? PCI_CAP_ID_PM : spec.kind === 'msi' ? PCI_CAP_ID_MSI : spec.kind === 'msix' ? PCI_CAP_ID_MSIX : PCI_CAP_ID_VNDR;
  let regs: readonly ConfigReg[] = [];
  switch (spec.kind) {
    case 'pm': {
      cfg.setU16(base + PCI_PM_PMC, pmcValue(spec));
      cfg.setU16(base + PCI_PM_CTRL, spec.noSoftReset === false ? 0 : PCI_PM_CTRL_NO_SOFT_RESET);
      regs = PM_REGS;
      break;
    }
    case 'msi': {
      const addr64 = spec.addr64 ?? false;
      const pvm = spec.perVectorMask ?? false;
      const mmc = Math.log2(spec.vectors);
      cfg.setU16(base + PCI_MSI_FLAGS, (mmc << 1) | (addr64 ? PCI_MSI_FLAGS_64BIT : 0) | (pvm ? PCI_MSI_FLAGS_MASKBIT : 0));
      regs = msiRegs(addr64, pvm, spec.vectors);
      break;
    }
    case 'msix': {
      cfg.setU16(base + PCI_MSIX_FLAGS, spec.vectors - 1);
      cfg.setU32(base + PCI_MSIX_TABLE, (spec.tableOffset | spec.tableBar) >>> 0);
      cfg.setU32(base + PCI_MSIX_PBA, (spec.pbaOffset | spec.pbaBar) >>> 0);
      regs = MSIX_REGS;
      break;
    }
    case 'vendor': {
      cfg.bytes.set(spec.bytes, base);
      cfg.setU8(base + 2, spec.bytes.length);
      if (spec.wmask) {
        cfg.wmask.set(spec.wmask, base);
        cfg.wmask.fill(0, base, base + 3);
      }
      break;
    }
    default: {
      const never: never = spec;
      throw new OptionError(`unknown capability ${String((never as { kind: unknown }).kind)}`);
    }
  }
  cfg.setU8(base + PCI_CAP_LIST_ID, id);
  cfg.setU8(base + PCI_CAP_LIST_NEXT, next);
  cfg.applyRegs(regs, base);
  if (spec.kind === 'pm' && !spec.pmeSupport) {
    // Without PME support, PME_En and PME_Status are hardwired 0 (PCI PM 1.2 §3.2.4).
    ConfigSpace.putMask(cfg.wmask, base + PCI_PM_CTRL, 2, PCI_PM_CTRL_STATE_MASK);
    ConfigSpace.putMask(cfg.w1cmask, base + PCI_PM_CTRL, 2, 0);
  }
}
