/**
 * Register maps of the virtio PCI transport as data (virtio 1.2 §4.1.4):
 * the modern common configuration structure and the legacy I/O header.
 * Dispatch, tracing and fuzz dictionaries come from these tables. An access
 * must start at a field's offset (any size, the value truncated to it, as
 * QEMU 7.2 does); anything else reads as the table's `unknownRead` and is
 * ignored on write.
 */

export type RegAccess = 'rw' | 'ro' | 'wo' | 'rc';

export interface RegDef<T> {
  readonly name: string;
  readonly offset: number;
  readonly width: 1 | 2 | 4;
  readonly access: RegAccess;
  /** Reset value (documentation and tests; the transport state holds the live value). */
  readonly reset: number;
  read?(t: T): number;
  write?(t: T, value: number): void;
}

export interface RegTable<T> {
  readonly regs: readonly RegDef<T>[];
  /** Value of a read that does not start at a readable field. */
  readonly unknownRead: number;
  /** Per-offset lookup (built from `regs`). */
  readonly byOffset: ReadonlyMap<number, RegDef<T>>;
}

export function regTable<T>(regs: readonly RegDef<T>[], unknownRead: number): RegTable<T> {
  const byOffset = new Map<number, RegDef<T>>();
  for (const r of regs) {
    if (byOffset.has(r.offset)) throw new Error(`register table: two registers at 0x${r.offset.toString(16)}`);
    byOffset.set(r.offset, r);
  }
  return { regs, unknownRead, byOffset };
}

const MASK = [0, 0xff, 0xffff, 0, 0xffffffff] as const;

export function tableRead<T>(t: RegTable<T>, target: T, offset: number, size: 1 | 2 | 4): number {
  const r = t.byOffset.get(offset);
  const v = r?.read ? r.read(target) : t.unknownRead;
  return (v & MASK[size]) >>> 0;
}

/** Returns false when nothing at `offset` takes writes. */
export function tableWrite<T>(t: RegTable<T>, target: T, offset: number, size: 1 | 2 | 4, value: number): boolean {
  const r = t.byOffset.get(offset);
  if (!r?.write) return false;
  r.write(target, (value & MASK[size]) >>> 0);
  return true;
}

/** struct virtio_pci_common_cfg (§4.1.4.3). */
export const COMMON = {
  DFSELECT: 0x00,
  DF: 0x04,
  GFSELECT: 0x08,
  GF: 0x0c,
  MSIX: 0x10,
  NUMQ: 0x12,
  STATUS: 0x14,
  CFGGEN: 0x15,
  Q_SELECT: 0x16,
  Q_SIZE: 0x18,
  Q_MSIX: 0x1a,
  Q_ENABLE: 0x1c,
  Q_NOFF: 0x1e,
  Q_DESCLO: 0x20,
  Q_DESCHI: 0x24,
  Q_AVAILLO: 0x28,
  Q_AVAILHI: 0x2c,
  Q_USEDLO: 0x30,
  Q_USEDHI: 0x34,
  Q_NDATA: 0x38,
  Q_RESET: 0x3a,
} as const;

/** Legacy I/O header (§4.1.4.8); the MSI-X vector registers exist while MSI-X is enabled. */
export const LEGACY = {
  HOST_FEATURES: 0x00,
  GUEST_FEATURES: 0x04,
  QUEUE_PFN: 0x08,
  QUEUE_NUM: 0x0c,
  QUEUE_SEL: 0x0e,
  QUEUE_NOTIFY: 0x10,
  STATUS: 0x12,
  ISR: 0x13,
  CONFIG_VECTOR: 0x14,
  QUEUE_VECTOR: 0x16,
} as const;

/** Device configuration starts here in the legacy header, without and with MSI-X enabled. */
export const LEGACY_CONFIG_OFFSET = 0x14;
export const LEGACY_CONFIG_OFFSET_MSIX = 0x18;

/** virtio_pci_cap cfg_type values (§4.1.4). */
export const VIRTIO_PCI_CAP = { COMMON: 1, NOTIFY: 2, ISR: 3, DEVICE: 4, PCI: 5 } as const;

/**
 * QEMU's layout of the modern memory BAR (hw/virtio/virtio-pci.c): four 4 KiB
 * regions, notify multiplier 4 (one dword per queue, room for 1024 queues).
 */
export const MODERN_LAYOUT = {
  COMMON: { offset: 0x0000, size: 0x1000 },
  ISR: { offset: 0x1000, size: 0x1000 },
  DEVICE: { offset: 0x2000, size: 0x1000 },
  NOTIFY: { offset: 0x3000, size: 0x1000 },
  BAR_SIZE: 0x4000,
  NOTIFY_MULTIPLIER: 4,
} as const;

/** QEMU's BAR numbers and capability offsets for virtio-net-pci (matches its traces). */
export const PCI_LAYOUT = {
  LEGACY_BAR: 0,
  MSIX_BAR: 1,
  MODERN_BAR: 4,
  MSIX_BAR_SIZE: 0x1000,
  MSIX_PBA_OFFSET: 0x800,
  CAP_COMMON: 0x40,
  CAP_ISR: 0x50,
  CAP_DEVICE: 0x60,
  CAP_NOTIFY: 0x70,
  CAP_PCI: 0x84,
  CAP_MSIX: 0x98,
} as const;
