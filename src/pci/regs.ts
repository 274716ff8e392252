/**
 * PCI type-0 configuration header and capability registers, as data.
 * Offsets and bits are from the PCI Local Bus Specification 3.0 §6.1–6.2 and
 * §6.8 (MSI, MSI-X), and the PCI Bus Power Management Interface
 * Specification 1.2 §3.2.
 */

export const PCI_CONFIG_SPACE_SIZE = 256;
/** First byte available to capabilities (PCI 3.0 §6.7: after the 64-byte header). */
export const PCI_CAP_AREA_START = 0x40;

// Header offsets (PCI 3.0 figure 6-1).
export const PCI_VENDOR_ID = 0x00;
export const PCI_DEVICE_ID = 0x02;
export const PCI_COMMAND = 0x04;
export const PCI_STATUS = 0x06;
export const PCI_REVISION_ID = 0x08;
export const PCI_CLASS_PROG = 0x09;
export const PCI_CLASS_DEVICE = 0x0a;
export const PCI_CACHE_LINE_SIZE = 0x0c;
export const PCI_LATENCY_TIMER = 0x0d;
export const PCI_HEADER_TYPE = 0x0e;
export const PCI_BIST = 0x0f;
export const PCI_BASE_ADDRESS_0 = 0x10;
export const PCI_BASE_ADDRESS_1 = 0x14;
export const PCI_BASE_ADDRESS_2 = 0x18;
export const PCI_BASE_ADDRESS_3 = 0x1c;
export const PCI_BASE_ADDRESS_4 = 0x20;
export const PCI_BASE_ADDRESS_5 = 0x24;
export const PCI_CARDBUS_CIS = 0x28;
export const PCI_SUBSYSTEM_VENDOR_ID = 0x2c;
export const PCI_SUBSYSTEM_ID = 0x2e;
export const PCI_ROM_ADDRESS = 0x30;
export const PCI_CAPABILITY_LIST = 0x34;
export const PCI_INTERRUPT_LINE = 0x3c;
export const PCI_INTERRUPT_PIN = 0x3d;
export const PCI_MIN_GNT = 0x3e;
export const PCI_MAX_LAT = 0x3f;

export const PCI_NUM_BARS = 6;
/** Config offset of BAR `index` (0..5). */
export function barOffset(index: number): number {
  return PCI_BASE_ADDRESS_0 + index * 4;
}

// Command register bits (PCI 3.0 §6.2.2).
export const PCI_COMMAND_IO = 0x0001;
export const PCI_COMMAND_MEMORY = 0x0002;
export const PCI_COMMAND_MASTER = 0x0004;
export const PCI_COMMAND_SPECIAL = 0x0008;
export const PCI_COMMAND_INVALIDATE = 0x0010;
export const PCI_COMMAND_VGA_PALETTE = 0x0020;
export const PCI_COMMAND_PARITY = 0x0040;
export const PCI_COMMAND_WAIT = 0x0080;
export const PCI_COMMAND_SERR = 0x0100;
export const PCI_COMMAND_FAST_BACK = 0x0200;
export const PCI_COMMAND_INTX_DISABLE = 0x0400;

// Status register bits (PCI 3.0 §6.2.3).
export const PCI_STATUS_INTERRUPT = 0x0008;
export const PCI_STATUS_CAP_LIST = 0x0010;
export const PCI_STATUS_66MHZ = 0x0020;
export const PCI_STATUS_FAST_BACK = 0x0080;
export const PCI_STATUS_PARITY = 0x0100;
export const PCI_STATUS_DEVSEL_MASK = 0x0600;
export const PCI_STATUS_DEVSEL_FAST = 0x0000;
export const PCI_STATUS_DEVSEL_MEDIUM = 0x0200;
export const PCI_STATUS_DEVSEL_SLOW = 0x0400;
export const PCI_STATUS_SIG_TARGET_ABORT = 0x0800;
export const PCI_STATUS_REC_TARGET_ABORT = 0x1000;
export const PCI_STATUS_REC_MASTER_ABORT = 0x2000;
export const PCI_STATUS_SIG_SYSTEM_ERROR = 0x4000;
export const PCI_STATUS_DETECTED_PARITY = 0x8000;

/** Command bits a guest may change. IO/MEM/MASTER/PARITY/SERR/INTX_DISABLE; the rest are hardwired 0. */
export const PCI_COMMAND_WMASK =
  PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_PARITY | PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE;
/** Status error bits, write-1-to-clear (PCI 3.0 §6.2.3). */
export const PCI_STATUS_W1C =
  PCI_STATUS_PARITY |
  PCI_STATUS_SIG_TARGET_ABORT |
  PCI_STATUS_REC_TARGET_ABORT |
  PCI_STATUS_REC_MASTER_ABORT |
  PCI_STATUS_SIG_SYSTEM_ERROR |
  PCI_STATUS_DETECTED_PARITY;
/** Read-only status bits a device model may declare at build time. */
export const PCI_STATUS_STATIC = PCI_STATUS_66MHZ | PCI_STATUS_FAST_BACK | PCI_STATUS_DEVSEL_MASK;

// Header type (PCI 3.0 §6.2.1).
export const PCI_HEADER_TYPE_NORMAL = 0x00;
export const PCI_HEADER_TYPE_MULTI_FUNCTION = 0x80;

// Base address register bits (PCI 3.0 §6.2.5.1).
export const PCI_BASE_ADDRESS_SPACE_IO = 0x01;
export const PCI_BASE_ADDRESS_MEM_TYPE_32 = 0x00;
export const PCI_BASE_ADDRESS_MEM_TYPE_64 = 0x04;
export const PCI_BASE_ADDRESS_MEM_PREFETCH = 0x08;
export const PCI_BASE_ADDRESS_MEM_MASK = 0xfffffff0;
export const PCI_BASE_ADDRESS_IO_MASK = 0xfffffffc;
// Expansion ROM base address (PCI 3.0 §6.2.5.2): bits 31:11 address, bit 0 enable.
export const PCI_ROM_ADDRESS_ENABLE = 0x01;
export const PCI_ROM_ADDRESS_MASK = 0xfffff800;
export const PCI_ROM_MIN_SIZE = 0x800;

// Capability IDs (PCI Code and ID Assignment Specification).
export const PCI_CAP_ID_PM = 0x01;
export const PCI_CAP_ID_MSI = 0x05;
export const PCI_CAP_ID_VNDR = 0x09;
export const PCI_CAP_ID_MSIX = 0x11;
/** Offsets inside every capability. */
export const PCI_CAP_LIST_ID = 0;
export const PCI_CAP_LIST_NEXT = 1;

// Power management capability (PCI PM 1.2 §3.2.3, §3.2.4).
export const PCI_PM_PMC = 2;
export const PCI_PM_CTRL = 4;
export const PCI_PM_CAP_SIZE = 8;
export const PCI_PM_PMC_VERSION_1_2 = 0x0003;
export const PCI_PM_CAP_D1 = 0x0200;
export const PCI_PM_CAP_D2 = 0x0400;
export const PCI_PM_CAP_PME_MASK = 0xf800;
export const PCI_PM_CAP_PME_SHIFT = 11;
export const PCI_PM_CTRL_STATE_MASK = 0x0003;
export const PCI_PM_CTRL_NO_SOFT_RESET = 0x0008;
export const PCI_PM_CTRL_PME_ENABLE = 0x0100;
export const PCI_PM_CTRL_PME_STATUS = 0x8000;

// MSI capability (PCI 3.0 §6.8.1).
export const PCI_MSI_FLAGS = 2;
export const PCI_MSI_FLAGS_ENABLE = 0x0001;
export const PCI_MSI_FLAGS_QMASK = 0x000e;
export const PCI_MSI_FLAGS_QSIZE = 0x0070;
export const PCI_MSI_FLAGS_64BIT = 0x0080;
export const PCI_MSI_FLAGS_MASKBIT = 0x0100;
export const PCI_MSI_ADDRESS_LO = 4;
export const PCI_MSI_ADDRESS_HI = 8;
export const PCI_MSI_DATA_32 = 8;
export const PCI_MSI_DATA_64 = 12;
export const PCI_MSI_MASK_32 = 12;
export const PCI_MSI_MASK_64 = 16;
export const PCI_MSI_PENDING_32 = 16;
export const PCI_MSI_PENDING_64 = 20;

// MSI-X capability and table (PCI 3.0 §6.8.2).
export const PCI_MSIX_FLAGS = 2;
export const PCI_MSIX_FLAGS_QSIZE = 0x07ff;
export const PCI_MSIX_FLAGS_MASKALL = 0x4000;
export const PCI_MSIX_FLAGS_ENABLE = 0x8000;
export const PCI_MSIX_TABLE = 4;
export const PCI_MSIX_PBA = 8;
export const PCI_MSIX_BIR_MASK = 0x7;
export const PCI_MSIX_CAP_SIZE = 12;
export const PCI_MSIX_MAX_VECTORS = 2048;
export const PCI_MSIX_ENTRY_SIZE = 16;
export const PCI_MSIX_ENTRY_LOWER_ADDR = 0;
export const PCI_MSIX_ENTRY_UPPER_ADDR = 4;
export const PCI_MSIX_ENTRY_DATA = 8;
export const PCI_MSIX_ENTRY_VECTOR_CTRL = 12;
export const PCI_MSIX_ENTRY_CTRL_MASKBIT = 0x1;

/** How a register's bits respond to configuration writes. */
export type RegAccess = 'ro' | 'rw' | 'w1c' | 'bar';

/** One configuration register: offset relative to the header or to its capability. */
export interface ConfigReg {
  readonly name: string;
  readonly offset: number;
  readonly width: 1 | 2 | 4;
  readonly access: RegAccess;
  /** Bits the guest may write (for 'rw'); BAR masks come from the BAR's size. */
  readonly wmask?: number;
  /** Bits cleared by writing 1 (for 'w1c'). */
  readonly w1cmask?: number;
}

/** The type-0 header (PCI 3.0 §6.1). Power-on values come from the function's options. */
export const HEADER_REGS: readonly ConfigReg[] = [
  { name: 'VENDOR_ID', offset: PCI_VENDOR_ID, width: 2, access: 'ro' },
  { name: 'DEVICE_ID', offset: PCI_DEVICE_ID, width: 2, access: 'ro' },
  { name: 'COMMAND', offset: PCI_COMMAND, width: 2, access: 'rw', wmask: PCI_COMMAND_WMASK },
  { name: 'STATUS', offset: PCI_STATUS, width: 2, access: 'w1c', w1cmask: PCI_STATUS_W1C },
  { name: 'REVISION_ID', offset: PCI_REVISION_ID, width: 1, access: 'ro' },
  { name: 'CLASS_PROG', offset: PCI_CLASS_PROG, width: 1, access: 'ro' },
  { name: 'CLASS_DEVICE', offset: PCI_CLASS_DEVICE, width: 2, access: 'ro' },
  { name: 'CACHE_LINE_SIZE', offset: PCI_CACHE_LINE_SIZE, width: 1, access: 'rw', wmask: 0xff },
  { name: 'LATENCY_TIMER', offset: PCI_LATENCY_TIMER, width: 1, access: 'rw', wmask: 0xff },
  { name: 'HEADER_TYPE', offset: PCI_HEADER_TYPE, width: 1, access: 'ro' },
  { name: 'BIST', offset: PCI_BIST, width: 1, access: 'ro' },
  { name: 'BASE_ADDRESS_0', offset: PCI_BASE_ADDRESS_0, width: 4, access: 'bar' },
  { name: 'BASE_ADDRESS_1', offset: PCI_BASE_ADDRESS_1, width: 4, access: 'bar' },
  { name: 'BASE_ADDRESS_2', offset: PCI_BASE_ADDRESS_2, width: 4, access: 'bar' },
  { name: 'BASE_ADDRESS_3', offset: PCI_BASE_ADDRESS_3, width: 4, access: 'bar' },
  { name: 'BASE_ADDRESS_4', offset: PCI_BASE_ADDRESS_4, width: 4, access: 'bar' },
  { name: 'BASE_ADDRESS_5', offset: PCI_BASE_ADDRESS_5, width: 4, access: 'bar' },
  { name: 'CARDBUS_CIS', offset: PCI_CARDBUS_CIS, width: 4, access: 'ro' },
  { name: 'SUBSYSTEM_VENDOR_ID', offset: PCI_SUBSYSTEM_VENDOR_ID, width: 2, access: 'ro' },
  { name: 'SUBSYSTEM_ID', offset: PCI_SUBSYSTEM_ID, width: 2, access: 'ro' },
  { name: 'ROM_ADDRESS', offset: PCI_ROM_ADDRESS, width: 4, access: 'bar' },
  { name: 'CAPABILITY_LIST', offset: PCI_CAPABILITY_LIST, width: 1, access: 'ro' },
  { name: 'INTERRUPT_LINE', offset: PCI_INTERRUPT_LINE, width: 1, access: 'rw', wmask: 0xff },
  { name: 'INTERRUPT_PIN', offset: PCI_INTERRUPT_PIN, width: 1, access: 'ro' },
  { name: 'MIN_GNT', offset: PCI_MIN_GNT, width: 1, access: 'ro' },
  { name: 'MAX_LAT', offset: PCI_MAX_LAT, width: 1, access: 'ro' },
];

/** Power management capability registers (PCI PM 1.2 §3.2). PMCSR's mask depends on PME support. */
export const PM_REGS: readonly ConfigReg[] = [
  { name: 'PMC', offset: PCI_PM_PMC, width: 2, access: 'ro' },
  { name: 'PMCSR', offset: PCI_PM_CTRL, width: 2, access: 'rw', wmask: PCI_PM_CTRL_STATE_MASK | PCI_PM_CTRL_PME_ENABLE, w1cmask: PCI_PM_CTRL_PME_STATUS },
  { name: 'PMCSR_BSE', offset: 6, width: 1, access: 'ro' },
  { name: 'DATA', offset: 7, width: 1, access: 'ro' },
];

/** MSI-X capability registers (PCI 3.0 §6.8.2.3–6.8.2.5). */
export const MSIX_REGS: readonly ConfigReg[] = [
  { name: 'MSIX_FLAGS', offset: PCI_MSIX_FLAGS, width: 2, access: 'rw', wmask: PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL },
  { name: 'MSIX_TABLE', offset: PCI_MSIX_TABLE, width: 4, access: 'ro' },
  { name: 'MSIX_PBA', offset: PCI_MSIX_PBA, width: 4, access: 'ro' },
];

/** MSI capability registers for a given layout (PCI 3.0 §6.8.1, figure 6-9). */
export function msiRegs(addr64: boolean, perVectorMask: boolean, vectors: number): ConfigReg[] {
  const dataOff = addr64 ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32;
  const vecMask = vectors >= 32 ? 0xffffffff : (1 << vectors) - 1;
  const regs: ConfigReg[] = [
    { name: 'MSI_FLAGS', offset: PCI_MSI_FLAGS, width: 2, access: 'rw', wmask: PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE },
    { name: 'MSI_ADDRESS_LO', offset: PCI_MSI_ADDRESS_LO, width: 4, access: 'rw', wmask: 0xfffffffc },
  ];
  if (addr64) regs.push({ name: 'MSI_ADDRESS_HI', offset: PCI_MSI_ADDRESS_HI, width: 4, access: 'rw', wmask: 0xffffffff });
  regs.push({ name: 'MSI_DATA', offset: dataOff, width: 2, access: 'rw', wmask: 0xffff });
  if (perVectorMask) {
    regs.push({ name: 'MSI_MASK', offset: addr64 ? PCI_MSI_MASK_64 : PCI_MSI_MASK_32, width: 4, access: 'rw', wmask: vecMask });
    regs.push({ name: 'MSI_PENDING', offset: addr64 ? PCI_MSI_PENDING_64 : PCI_MSI_PENDING_32, width: 4, access: 'ro' });
  }
  return regs;
}

/** Size in bytes of an MSI capability with the given layout. */
export function msiCapSize(addr64: boolean, perVectorMask: boolean): number {
  if (perVectorMask) return addr64 ? 0x18 : 0x14;
  return addr64 ? 0x0e : 0x0a;
}
