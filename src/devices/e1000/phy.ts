/**
 * The integrated PHY as the MDI interface shows it (82540EM SDM 13.5, the
 * Marvell 88E1011-compatible register set), reached through MDIC at PHY
 * address 1. Registers are declared once as data with their access and
 * power-on value; a register not in the table answers with MDIC.E.
 */
import { MDIC } from './regs.js';

export const PHY_ADDRESS = 1;

/** MII register numbers. */
export const PHY = {
  BMCR: 0x00,
  BMSR: 0x01,
  PHYID1: 0x02,
  PHYID2: 0x03,
  ANAR: 0x04,
  ANLPAR: 0x05,
  ANER: 0x06,
  CTRL1000: 0x09,
  STAT1000: 0x0a,
  PSCR: 0x10,
  PSSR: 0x11,
  EPSCR: 0x14,
  RXERR: 0x15,
} as const;

export const BMCR = {
  SPEED1000: 1 << 6,
  FD: 1 << 8,
  ANRESTART: 1 << 9,
  ISOLATE: 1 << 10,
  PDOWN: 1 << 11,
  AUTOEN: 1 << 12,
  SPEED100: 1 << 13,
  LOOPBACK: 1 << 14,
  RESET: 1 << 15,
} as const;

export const BMSR = {
  EXTCAP: 1 << 0,
  LINK_ST: 1 << 2,
  AUTONEG: 1 << 3,
  AN_COMP: 1 << 5,
  MFPS: 1 << 6,
  EXTSTAT: 1 << 8,
  HD_10: 1 << 11,
  FD_10: 1 << 12,
  HD_100: 1 << 13,
  FD_100: 1 << 14,
} as const;

export const ANLPAR_ACK = 1 << 14;

/** PHY ID 2 per MAC: 82540EM/82545EM (M88E1011, rev 0) and 82544GC (M88E1000). */
export const PHY_ID2_8254X = 0x0c20;
export const PHY_ID2_82544 = 0x0c30;

export interface PhyRegDef {
  readonly name: string;
  readonly reg: number;
  readonly access: 'rw' | 'ro';
  readonly reset: number;
  /** Bits a write stores (rw registers). */
  readonly wmask?: number;
  readonly sdm?: string;
}

export const PHY_REGS: readonly PhyRegDef[] = [
  // BMCR bits 5:0 are reserved; RESET and ANRESTART self-clear (SDM 13.5.1).
  { name: 'BMCR', reg: PHY.BMCR, access: 'rw', reset: BMCR.SPEED1000 | BMCR.FD | BMCR.AUTOEN, wmask: 0xffc0 & ~(BMCR.RESET | BMCR.ANRESTART), sdm: '13.5.1' },
  {
    name: 'BMSR',
    reg: PHY.BMSR,
    access: 'ro',
    // Link up at power-on; autonegotiation not yet complete.
    reset: BMSR.EXTCAP | BMSR.LINK_ST | BMSR.AUTONEG | BMSR.MFPS | BMSR.EXTSTAT | BMSR.HD_10 | BMSR.FD_10 | BMSR.HD_100 | BMSR.FD_100,
    sdm: '13.5.2',
  },
  { name: 'PHYID1', reg: PHY.PHYID1, access: 'ro', reset: 0x0141 },
  { name: 'PHYID2', reg: PHY.PHYID2, access: 'ro', reset: PHY_ID2_8254X },
  { name: 'ANAR', reg: PHY.ANAR, access: 'rw', reset: 0x0de1, wmask: 0xffff },
  { name: 'ANLPAR', reg: PHY.ANLPAR, access: 'ro', reset: 0x01e0 },
  { name: 'ANER', reg: PHY.ANER, access: 'ro', reset: 0 },
  { name: 'CTRL1000', reg: PHY.CTRL1000, access: 'rw', reset: 0x0e00, wmask: 0xffff },
  { name: 'STAT1000', reg: PHY.STAT1000, access: 'ro', reset: 0x3c00 },
  { name: 'PSCR', reg: PHY.PSCR, access: 'rw', reset: 0x0360, wmask: 0xffff },
  { name: 'PSSR', reg: PHY.PSSR, access: 'ro', reset: 0xac00 },
  { name: 'EPSCR', reg: PHY.EPSCR, access: 'rw', reset: 0x0d60, wmask: 0xffff },
  { name: 'RXERR', reg: PHY.RXERR, access: 'ro', reset: 0 },
];

const READABLE = new Uint8Array(32);
const WMASK = new Uint32Array(32);
for (const r of PHY_REGS) {
  READABLE[r.reg] = 1;
  if (r.access === 'rw') WMASK[r.reg] = 0x10000 | (r.wmask ?? 0xffff); // bit 16 marks "writable"
}

export function phyReset(regs: Uint16Array, phyId2: number): void {
  regs.fill(0);
  for (const r of PHY_REGS) regs[r.reg] = r.reset;
  regs[PHY.PHYID2] = phyId2;
}

/** What an MDIC write asks of the rest of the device. */
export interface MdicResult {
  /** The new MDIC value. */
  mdic: number;
  /** Raise ICR.MDAC (MDIC.I was set). */
  interrupt: boolean;
  /** BMCR was written with ANRESTART while autonegotiation is enabled. */
  restartAutoneg: boolean;
}

/**
 * An MDIC write (SDM 13.4.7): the access completes at once (READY). A PHY
 * address other than 1 or a register the PHY does not have sets MDIC.E; a
 * wrong PHY address keeps the previous MDIC contents, as QEMU does.
 */
export function mdicWrite(regs: Uint16Array, previous: number, val: number, out: MdicResult): void {
  const data = val & MDIC.DATA_MASK;
  const addr = (val & MDIC.REG_MASK) >>> MDIC.REG_SHIFT;
  let v = val >>> 0;
  out.restartAutoneg = false;
  if ((val & MDIC.PHY_MASK) >>> MDIC.PHY_SHIFT !== PHY_ADDRESS) {
    v = previous | MDIC.ERROR;
  } else if (val & MDIC.OP_READ) {
    if (!READABLE[addr]) v |= MDIC.ERROR;
    else v = ((v ^ data) | regs[addr]!) >>> 0;
  } else if (val & MDIC.OP_WRITE) {
    const wm = WMASK[addr]!;
    if (!wm) v |= MDIC.ERROR;
    else {
      regs[addr] = data & wm;
      if (addr === PHY.BMCR && data & BMCR.ANRESTART) out.restartAutoneg = true;
    }
  }
  out.mdic = (v | MDIC.READY) >>> 0;
  out.interrupt = (v & MDIC.INT_EN) !== 0;
}
