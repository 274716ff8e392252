/**
 * The RTL8139C / RTL8139C+ register map (RTL8139C(L) datasheet rev 1.4 §5,
 * RTL8139C(L)+ datasheet rev 1.6 §6), declared once as data. The register
 * file is 256 bytes of I/O space (BAR0) mirrored in memory space (BAR1).
 * Dispatch (including accesses narrower or wider than a register), reset,
 * save/restore and fuzz dictionaries are all built from `RTL8139_REGS`.
 *
 * Access kinds: `rw` read/write, `ro` read-only (writes ignored), `wo`
 * write-only (reads 0), `rc` clear-on-read, `w1c` write 1 to clear. `mask`
 * keeps only the writable bits of a plain write; `locked` registers are
 * writable only while Cfg9346 is in config-write mode (EEM = 11). `read` /
 * `write` name a behaviour the device implements.
 */

export type Access = 'rw' | 'ro' | 'wo' | 'rc' | 'w1c';

export type ReadHook =
  | 'cr' // BUFE computed from the ring pointers
  | 'capr' // RxBufPtr - 16
  | 'cbr' // RxBufAddr
  | 'tctr' // PCI clocks since the last write
  | 'cfg9346' // EEDO from the EEPROM
  | 'msr' // LINKB from the link
  | 'txSummary' // TSAD: TOK/TUN/TABT/OWN of the four TSDs
  | 'bmsr' // link status bit from the link
  | 'cscr' // LinkChange clears on read
  | 'revision' // the PCI revision ID
  | 'hltClk'; // 1 while the clock runs (QEMU)

export type WriteHook =
  | 'tsd'
  | 'cr'
  | 'capr'
  | 'imr'
  | 'isr'
  | 'tcr'
  | 'rcr'
  | 'tctr'
  | 'mpc'
  | 'cfg9346'
  | 'timerInt'
  | 'hltClk'
  | 'tppoll'
  | 'cpcr'
  | 'intrMitigate';

export interface RegDef {
  readonly name: string;
  /** Byte offset in the 256-byte register file. */
  readonly offset: number;
  readonly width: 1 | 2 | 4;
  readonly access: Access;
  readonly reset: number;
  /** Writable bits of a plain write (default: all). */
  readonly mask?: number;
  /** Writable only with Cfg9346.EEM = 11 (config register write enable). */
  readonly locked?: boolean;
  readonly read?: ReadHook;
  readonly write?: WriteHook;
  /** Datasheet section, where the behaviour is not obvious. */
  readonly doc?: string;
}

// ---------------------------------------------------------------- offsets

export const REG = {
  IDR0: 0x00,
  MAR0: 0x08,
  TSD0: 0x10,
  /** C+ mode: Dump Tally Counter Command (64-bit, aliases TSD0/TSD1). */
  DTCCR: 0x10,
  TSAD0: 0x20,
  /** C+ mode: Transmit Normal Priority Descriptors Start (64-bit, aliases TSAD0/TSAD1). */
  TNPDS: 0x20,
  /** C+ mode: Transmit High Priority Descriptors Start (64-bit, aliases TSAD2/TSAD3). */
  THPDS: 0x28,
  RBSTART: 0x30,
  ERBCR: 0x34,
  ERSR: 0x36,
  CR: 0x37,
  CAPR: 0x38,
  CBR: 0x3a,
  IMR: 0x3c,
  ISR: 0x3e,
  TCR: 0x40,
  RCR: 0x44,
  TCTR: 0x48,
  MPC: 0x4c,
  CFG9346: 0x50,
  CONFIG0: 0x51,
  CONFIG1: 0x52,
  TIMERINT: 0x54,
  MSR: 0x58,
  CONFIG3: 0x59,
  CONFIG4: 0x5a,
  HLTCLK: 0x5b,
  MULINT: 0x5c,
  RERID: 0x5e,
  TSAD: 0x60,
  BMCR: 0x62,
  BMSR: 0x64,
  ANAR: 0x66,
  ANLPAR: 0x68,
  ANER: 0x6a,
  DIS: 0x6c,
  FCSC: 0x6e,
  NWAYTR: 0x70,
  REC: 0x72,
  CSCR: 0x74,
  PHY1_PARM: 0x78,
  TW_PARM: 0x7c,
  PHY2_PARM: 0x80,
  CONFIG5: 0xd8,
  TPPOLL: 0xd9,
  RMS: 0xda,
  CPCR: 0xe0,
  INTR_MITIGATE: 0xe2,
  RDSAR: 0xe4,
  ETTHR: 0xec,
} as const;

// ---------------------------------------------------------------- bit fields

/** Command register (CR, 0x37). */
export const CR = { BUFE: 0x01, TE: 0x04, RE: 0x08, RST: 0x10 } as const;

/** Interrupt status / mask bits (ISR 0x3E, IMR 0x3C). */
export const INT = {
  ROK: 0x0001,
  RER: 0x0002,
  TOK: 0x0004,
  TER: 0x0008,
  /** Normal mode: RX buffer overflow. C+ mode: RX descriptor unavailable (RDU). */
  RXOVW: 0x0010,
  /** Packet underrun / link change. */
  LINKCHG: 0x0020,
  FOVW: 0x0040,
  /** C+ mode: TX descriptor unavailable. */
  TDU: 0x0080,
  /** C+ mode: software interrupt (TPPoll.FSWInt). */
  SWINT: 0x0100,
  LENCHG: 0x2000,
  TIMEOUT: 0x4000,
  SERR: 0x8000,
} as const;

/** IMR/ISR bits 9..12 do not exist. */
export const INT_VALID = 0xe1ff;

/** Transmit status of descriptor (TSD0-3). */
export const TSD = {
  SIZE_MASK: 0x1fff,
  OWN: 0x2000,
  TUN: 0x4000,
  TOK: 0x8000,
  TABT: 0x40000000,
  /** Cleared by every write: TOK, TUN and NCC/CDH/OWC/TABT/CRS (bits 24-31). */
  CLEARED_ON_WRITE: 0xff00c000,
  /** Reserved bits 22-23 keep their value. */
  RESERVED: 0x00c00000,
} as const;

/** TSAD (Transmit Status of All Descriptors, 0x60). */
export const TXSUM = { OWN0: 0x0001, TABT0: 0x0010, TUN0: 0x0100, TOK0: 0x1000 } as const;

/** Receive configuration (RCR, 0x44). */
export const RCR = {
  AAP: 0x01,
  APM: 0x02,
  AM: 0x04,
  AB: 0x08,
  AR: 0x10,
  AER: 0x20,
  WRAP: 0x80,
  RBLEN_SHIFT: 11,
  RBLEN_MASK: 0x1800,
} as const;

/** Transmit configuration (TCR, 0x40). */
export const TCR = {
  /** Loopback: bits 17-18 both set. */
  LOOPBACK: 0x00060000,
  /** Hardware version bits (read-only). */
  HWVERID_MASK: 0x7c800000,
  /** RTL8139C+ (8139too HW_REVID(1,1,1,0,1,1,0)). */
  HWVER_8139CP: 0x74800000,
  /** RTL8139C (HW_REVID(1,1,1,0,1,0,0)). */
  HWVER_8139C: 0x74000000,
} as const;

/** 93C46 command register (Cfg9346, 0x50). */
export const CFG9346 = {
  EEDO: 0x01,
  EEDI: 0x02,
  EESK: 0x04,
  EECS: 0x08,
  EEM_MASK: 0xc0,
  EEM_NORMAL: 0x00,
  EEM_AUTOLOAD: 0x40,
  EEM_PROGRAM: 0x80,
  EEM_CONFIG_WRITE: 0xc0,
} as const;

/** Media status (MSR, 0x58): TXFCE | RXFCE | AUX_Status; LINKB (bit 2) set when the link is down. */
export const MSR = { BASE: 0xd0, LINKB: 0x04 } as const;

/** MII basic mode status (BMSR 0x64). */
export const BMSR = { LINK: 0x0004, AN_COMPLETE: 0x0020, RESET: 0x782d } as const;

/** CS configuration (CSCR 0x74). */
export const CSCR = { LINK_OK: 0x0400, LINK_CHANGE: 0x0800, RESET: 0x0340 } as const;

/** C+ command register (CPCR, 0xE0). */
export const CPCR = {
  CPTX: 0x0001,
  CPRX: 0x0002,
  MULRW: 0x0008,
  DAC: 0x0010,
  RXCHKSUM: 0x0020,
  RXVLAN: 0x0040,
  /** Writable bits (QEMU masks 0xff84). */
  WRITABLE: 0x007b,
} as const;

/** TPPoll (0xD9). */
export const TPPOLL = { FSWINT: 0x01, NPQ: 0x40, HPQ: 0x80 } as const;

/** DTCCR low dword: Dump command bit; the address is 64-byte aligned. */
export const DTCCR = { CMD: 0x08, ADDR_MASK: 0xffffffc0 } as const;

/** Ring-buffer packet header (datasheet §6.1 "Receive status register in Rx packet header"). */
export const RXHDR = { ROK: 0x0001, FAE: 0x0002, CRC: 0x0004, LONG: 0x0008, RUNT: 0x0010, ISE: 0x0020, BAR: 0x2000, PAM: 0x4000, MAR: 0x8000 } as const;

/** C+ descriptor dword 0 bits common to TX and RX. */
export const DESC = {
  OWN: 0x80000000,
  EOR: 0x40000000,
  FS: 0x20000000,
  LS: 0x10000000,
} as const;

/** C+ TX descriptor command/status bits (dword 0 and 1). */
export const TXD = {
  LGSEN: 0x08000000,
  MSS_SHIFT: 16,
  MSS_MASK: 0x7ff,
  IPCS: 0x00040000,
  UDPCS: 0x00020000,
  TCPCS: 0x00010000,
  LEN_MASK: 0xffff,
  /** Status bits the device clears: UNF, TES, OWC, LNKF, EXC. */
  ERRORS: 0x02f00000,
  TES: 0x00800000,
  /** Dword 1: VLAN tag control (insert the tag). */
  TAGC: 0x00020000,
  TAG_MASK: 0xffff,
} as const;

/** C+ RX descriptor status bits (dword 0 and 1). */
export const RXD = {
  BUF_MASK: 0x1fff,
  MAR: 0x04000000,
  PAM: 0x02000000,
  BAR: 0x01000000,
  RES: 0x00200000,
  RUNT: 0x00080000,
  CRC: 0x00040000,
  PID_SHIFT: 16,
  PID_TCP: 1,
  PID_UDP: 2,
  PID_IP: 3,
  IPF: 0x00008000,
  UDPF: 0x00004000,
  TCPF: 0x00002000,
  /** Dword 1: tag available. */
  TAVA: 0x00010000,
} as const;

// ---------------------------------------------------------------- the table

const bytes = (prefix: string, base: number, n: number, extra: Partial<RegDef> = {}): RegDef[] =>
  Array.from({ length: n }, (_, i) => ({ name: `${prefix}${i}`, offset: base + i, width: 1 as const, access: 'rw' as const, reset: 0, ...extra }));

export const RTL8139_REGS: readonly RegDef[] = [
  // ID and multicast registers (§5.1, §5.2). The IDRs are loaded from the EEPROM at power-on.
  ...bytes('IDR', REG.IDR0, 6),
  ...bytes('MAR', REG.MAR0, 8),
  // Transmit (§5.3-5.4). In C+ mode TSD0/1 are DTCCR and TSAD0-3 hold TNPDS/THPDS.
  ...[0, 1, 2, 3].map((i): RegDef => ({ name: `TSD${i}`, offset: REG.TSD0 + 4 * i, width: 4, access: 'rw', reset: TSD.OWN, write: 'tsd', doc: '5.3' })),
  ...[0, 1, 2, 3].map((i): RegDef => ({ name: `TSAD${i}`, offset: REG.TSAD0 + 4 * i, width: 4, access: 'rw', reset: 0 })),
  { name: 'RBSTART', offset: REG.RBSTART, width: 4, access: 'rw', reset: 0 },
  { name: 'ERBCR', offset: REG.ERBCR, width: 2, access: 'ro', reset: 0 },
  { name: 'ERSR', offset: REG.ERSR, width: 1, access: 'ro', reset: 0 },
  // QEMU powers on with RST set (reads 0x11 until the first CR.RST write).
  { name: 'CR', offset: REG.CR, width: 1, access: 'rw', reset: CR.RST, read: 'cr', write: 'cr', doc: '5.5' },
  { name: 'CAPR', offset: REG.CAPR, width: 2, access: 'rw', reset: 0, read: 'capr', write: 'capr', doc: '5.6' },
  { name: 'CBR', offset: REG.CBR, width: 2, access: 'ro', reset: 0, read: 'cbr' },
  { name: 'IMR', offset: REG.IMR, width: 2, access: 'rw', reset: 0, mask: INT_VALID, write: 'imr', doc: '5.7' },
  { name: 'ISR', offset: REG.ISR, width: 2, access: 'w1c', reset: 0, write: 'isr', doc: '5.8' },
  { name: 'TCR', offset: REG.TCR, width: 4, access: 'rw', reset: TCR.HWVER_8139CP, mask: 0x030f07f0, write: 'tcr', doc: '5.9' },
  { name: 'RCR', offset: REG.RCR, width: 4, access: 'rw', reset: 0, mask: 0x0f03ffbf, write: 'rcr', doc: '5.10' },
  { name: 'TCTR', offset: REG.TCTR, width: 4, access: 'rw', reset: 0, read: 'tctr', write: 'tctr', doc: '5.11' },
  { name: 'MPC', offset: REG.MPC, width: 4, access: 'rw', reset: 0, write: 'mpc', doc: '5.12 (24 bits, any write clears)' },
  { name: 'Cfg9346', offset: REG.CFG9346, width: 1, access: 'rw', reset: 0, mask: 0xce, read: 'cfg9346', write: 'cfg9346', doc: '5.13' },
  { name: 'CONFIG0', offset: REG.CONFIG0, width: 1, access: 'rw', reset: 0, mask: 0x07, locked: true },
  { name: 'CONFIG1', offset: REG.CONFIG1, width: 1, access: 'rw', reset: 0x0c, mask: 0xf3, locked: true },
  { name: 'TimerInt', offset: REG.TIMERINT, width: 4, access: 'rw', reset: 0, write: 'timerInt', doc: '5.15' },
  { name: 'MSR', offset: REG.MSR, width: 1, access: 'ro', reset: MSR.BASE, read: 'msr' },
  { name: 'CONFIG3', offset: REG.CONFIG3, width: 1, access: 'rw', reset: 0x01, mask: 0x70, locked: true },
  { name: 'CONFIG4', offset: REG.CONFIG4, width: 1, access: 'rw', reset: 0, mask: 0xf5, locked: true },
  { name: 'HLTCLK', offset: REG.HLTCLK, width: 1, access: 'rw', reset: 0, read: 'hltClk', write: 'hltClk' },
  { name: 'MULINT', offset: REG.MULINT, width: 2, access: 'rw', reset: 0, mask: 0x0fff },
  { name: 'RERID', offset: REG.RERID, width: 1, access: 'ro', reset: 0, read: 'revision' },
  { name: 'TSAD', offset: REG.TSAD, width: 2, access: 'ro', reset: 0, read: 'txSummary', doc: '5.19' },
  // Internal PHY, MII register set (§5.20-5.24). BMCR: only Restart-AN (bit 9) sticks, as in QEMU.
  { name: 'BMCR', offset: REG.BMCR, width: 2, access: 'rw', reset: 0x1000, mask: 0x0200 },
  { name: 'BMSR', offset: REG.BMSR, width: 2, access: 'rw', reset: BMSR.RESET, mask: 0x00c0, read: 'bmsr' },
  { name: 'ANAR', offset: REG.ANAR, width: 2, access: 'rw', reset: 0x05e1 },
  { name: 'ANLPAR', offset: REG.ANLPAR, width: 2, access: 'ro', reset: 0x05e1 },
  { name: 'ANER', offset: REG.ANER, width: 2, access: 'ro', reset: 0x0001 },
  { name: 'DIS', offset: REG.DIS, width: 2, access: 'ro', reset: 0 },
  { name: 'FCSC', offset: REG.FCSC, width: 2, access: 'ro', reset: 0 },
  { name: 'NWAYTR', offset: REG.NWAYTR, width: 2, access: 'rw', reset: 0 },
  { name: 'REC', offset: REG.REC, width: 2, access: 'ro', reset: 0 },
  { name: 'CSCR', offset: REG.CSCR, width: 2, access: 'rw', reset: CSCR.RESET, mask: 0, read: 'cscr' },
  { name: 'PHY1_PARM', offset: REG.PHY1_PARM, width: 4, access: 'rw', reset: 0 },
  { name: 'TW_PARM', offset: REG.TW_PARM, width: 4, access: 'rw', reset: 0 },
  { name: 'PHY2_PARM', offset: REG.PHY2_PARM, width: 1, access: 'rw', reset: 0 },
  { name: 'CONFIG5', offset: REG.CONFIG5, width: 1, access: 'rw', reset: 0, mask: 0x7f },
  // C+ mode registers (RTL8139C+ datasheet §6.30-6.36).
  { name: 'TPPoll', offset: REG.TPPOLL, width: 1, access: 'wo', reset: 0, write: 'tppoll', doc: 'C+ 6.31' },
  { name: 'RMS', offset: REG.RMS, width: 2, access: 'rw', reset: 0, mask: 0x1fff },
  { name: 'CPCR', offset: REG.CPCR, width: 2, access: 'rw', reset: 0, mask: CPCR.WRITABLE, write: 'cpcr', doc: 'C+ 6.33' },
  { name: 'IntrMitigate', offset: REG.INTR_MITIGATE, width: 2, access: 'rw', reset: 0, write: 'intrMitigate' },
  { name: 'RDSAR_LO', offset: REG.RDSAR, width: 4, access: 'rw', reset: 0 },
  { name: 'RDSAR_HI', offset: REG.RDSAR + 4, width: 4, access: 'rw', reset: 0 },
  { name: 'ETThR', offset: REG.ETTHR, width: 1, access: 'rw', reset: 0 },
];

/**
 * Registers a software reset (CR.RST, EEPROM auto-load) leaves alone: the
 * IDRs and MARs (datasheet §5.5) and what QEMU's reset does not touch (RCR,
 * TSAD0-3, MPC, MULINT, CONFIG4, ETThR).
 */
export const KEPT_ON_SOFT_RESET: readonly (readonly [number, number])[] = [
  [REG.IDR0, 6],
  [REG.MAR0, 8],
  [REG.TSAD0, 16],
  [REG.RCR, 4],
  [REG.MPC, 4],
  [REG.CONFIG4, 1],
  [REG.MULINT, 2],
  [REG.ETTHR, 1],
];

/** `REG_AT[offset]` is the index in RTL8139_REGS of the register covering that byte, or -1. */
export const REG_AT: Int16Array = (() => {
  const at = new Int16Array(256).fill(-1);
  RTL8139_REGS.forEach((r, i) => {
    for (let b = 0; b < r.width; b++) {
      if (at[r.offset + b] !== -1) throw new Error(`rtl8139 register table: ${r.name} overlaps at 0x${(r.offset + b).toString(16)}`);
      at[r.offset + b] = i;
    }
  });
  return at;
})();

/** Register name at a byte offset (for traces and error messages). */
export function regName(offset: number): string {
  const i = REG_AT[offset & 0xff]!;
  return i < 0 ? `0x${(offset & 0xff).toString(16)}` : RTL8139_REGS[i]!.name;
}

/** The 256-byte register file, little-endian, every offset masked to the file. */
export class RegFile {
  readonly bytes = new Uint8Array(256);

  u8(off: number): number {
    return this.bytes[off & 0xff]!;
  }
  u16(off: number): number {
    const b = this.bytes;
    return b[off & 0xff]! | (b[(off + 1) & 0xff]! << 8);
  }
  u32(off: number): number {
    const b = this.bytes;
    return (b[off & 0xff]! | (b[(off + 1) & 0xff]! << 8) | (b[(off + 2) & 0xff]! << 16) | (b[(off + 3) & 0xff]! << 24)) >>> 0;
  }
  get(off: number, width: 1 | 2 | 4): number {
    return width === 1 ? this.u8(off) : width === 2 ? this.u16(off) : this.u32(off);
  }
  set8(off: number, v: number): void {
    this.bytes[off & 0xff] = v;
  }
  set16(off: number, v: number): void {
    this.bytes[off & 0xff] = v;
    this.bytes[(off + 1) & 0xff] = v >>> 8;
  }
  set32(off: number, v: number): void {
    const b = this.bytes;
    b[off & 0xff] = v;
    b[(off + 1) & 0xff] = v >>> 8;
    b[(off + 2) & 0xff] = v >>> 16;
    b[(off + 3) & 0xff] = v >>> 24;
  }
  set(off: number, width: 1 | 2 | 4, v: number): void {
    if (width === 1) this.set8(off, v);
    else if (width === 2) this.set16(off, v);
    else this.set32(off, v);
  }
  /** Every register to its reset value (bytes outside registers to 0). */
  reset(): void {
    this.bytes.fill(0);
    for (const r of RTL8139_REGS) this.set(r.offset, r.width, r.reset);
  }
}
