/**
 * Registers of nicemu-testdev, a small PCI test function (in the spirit of
 * QEMU's pci-testdev and edu devices) that exercises everything a NIC model
 * stands on without being one: BAR decoding, INTx, a timer on the virtual
 * clock, DMA through guest memory, and frames through a netdev.
 * The same registers appear in BAR0 (MMIO, 4 KiB) and BAR1 (I/O, 64 bytes).
 */
export type Access = 'ro' | 'rw' | 'wo';

export interface RegDef {
  readonly name: RegName;
  readonly offset: number;
  readonly access: Access;
  readonly reset: number;
}

export type RegName =
  | 'ID' | 'SCRATCH' | 'INTX' | 'TIMER' | 'TX_ADDR' | 'TX_LEN' | 'TX_GO'
  | 'RX_ADDR' | 'RX_SIZE' | 'RX_LEN' | 'STATUS' | 'RX_COUNT' | 'TX_COUNT' | 'CLOCK_LO' | 'CLOCK_HI';

export const TESTDEV_ID = 0x6d63696e; // "nicm"

export const REGS: readonly RegDef[] = [
  { name: 'ID', offset: 0x00, access: 'ro', reset: TESTDEV_ID },
  { name: 'SCRATCH', offset: 0x04, access: 'rw', reset: 0 },
  /** bit 0: INTx level (write to set); bit 1: raise on frame received; bit 2: raise on timer. */
  { name: 'INTX', offset: 0x08, access: 'rw', reset: 0 },
  /** Write N: timer fires after N ns of virtual time (0 cancels). Read: ns left. */
  { name: 'TIMER', offset: 0x0c, access: 'rw', reset: 0 },
  { name: 'TX_ADDR', offset: 0x10, access: 'rw', reset: 0 },
  { name: 'TX_LEN', offset: 0x14, access: 'rw', reset: 0 },
  /** Write 1: send TX_LEN bytes from TX_ADDR to the netdev. */
  { name: 'TX_GO', offset: 0x18, access: 'wo', reset: 0 },
  { name: 'RX_ADDR', offset: 0x1c, access: 'rw', reset: 0 },
  { name: 'RX_SIZE', offset: 0x20, access: 'rw', reset: 0 },
  /** Length of the frame in the RX buffer; non-zero means full. Write 0 to take the next frame. */
  { name: 'RX_LEN', offset: 0x24, access: 'rw', reset: 0 },
  /** bit 0: last DMA failed; bit 1: timer expired; bit 2: last TX refused by the link. Write 1s to clear. */
  { name: 'STATUS', offset: 0x28, access: 'rw', reset: 0 },
  { name: 'RX_COUNT', offset: 0x2c, access: 'ro', reset: 0 },
  { name: 'TX_COUNT', offset: 0x30, access: 'ro', reset: 0 },
  { name: 'CLOCK_LO', offset: 0x34, access: 'ro', reset: 0 },
  { name: 'CLOCK_HI', offset: 0x38, access: 'ro', reset: 0 },
];

export const REG_BY_OFFSET: ReadonlyMap<number, RegDef> = new Map(REGS.map((r) => [r.offset, r]));

export const INTX_LEVEL = 1 << 0;
export const INTX_ON_RX = 1 << 1;
export const INTX_ON_TIMER = 1 << 2;
export const STATUS_DMA_ERROR = 1 << 0;
export const STATUS_TIMER = 1 << 1;
export const STATUS_TX_REFUSED = 1 << 2;
