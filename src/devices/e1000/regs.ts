/**
 * The 82540EM register map (82540EP/EM, 82544GC/EI, 82545GM/EM SDM rev. 4.0,
 * chapter 13, table 13-2), declared once as data. Dispatch, reset, tracing
 * and fuzz dictionaries are built from `E1000_REGS`; nothing else in the
 * model lists offsets.
 *
 * Access kinds: `rw` read/write, `ro` read-only (writes ignored), `wo`
 * write-only (reads 0), `rc` clear-on-read (statistics, ICR), `w1c` write-1
 * to clear. `read`/`write` name a behaviour hook the device implements;
 * `mask` keeps only the implemented bits of a plain write. `gate` ties a
 * register to one of QEMU's compatibility properties (`mitigation`,
 * `extra_mac_registers`): when the property is off the register reads 0 and
 * ignores writes, as in QEMU.
 */

export type Access = 'rw' | 'ro' | 'wo' | 'rc' | 'w1c';

/** Read behaviours beyond "return the stored value". */
export type ReadHook =
  | 'icr' // return ICR, then clear it and re-evaluate the interrupt line (SDM 13.4.17)
  | 'ics' // ICS reads as ICR without clearing (QEMU; the VxWorks driver relies on it)
  | 'eecd' // EECD with PRES/GNT and the EEPROM data-out bit (SDM 13.4.3)
  | 'eerd' // EERD with DONE and data once START was written (SDM 13.4.4)
  | 'stat' // statistic: clear on read
  | 'stat64lo' // low half of a 64-bit statistic: plain read
  | 'stat64hi'; // high half: read, then clear both halves

/** Write behaviours beyond "store (masked)". */
export type WriteHook =
  | 'ctrl'
  | 'ctrlExt'
  | 'eecd'
  | 'mdic'
  | 'icr'
  | 'ics'
  | 'ims'
  | 'imc'
  | 'rctl'
  | 'rdt'
  | 'rdtr'
  | 'tctl'
  | 'tdt'
  | 'tidv';

/** QEMU compatibility property that enables the register (default on). */
export type Gate = 'mitigation' | 'mac';

export interface RegDef {
  readonly name: string;
  /** Byte offset in BAR0. */
  readonly offset: number;
  /** Number of 32-bit registers (tables such as MTA); default 1. */
  readonly count?: number;
  readonly access: Access;
  readonly reset: number;
  /** Writable bits of a plain write (default all). */
  readonly mask?: number;
  readonly read?: ReadHook;
  readonly write?: WriteHook;
  readonly gate?: Gate;
  /** SDM section, where the behaviour is not obvious. */
  readonly sdm?: string;
}

// ---------------------------------------------------------------- bit fields

export const CTRL = {
  FD: 1 << 0,
  LRST: 1 << 3,
  ASDE: 1 << 5,
  SLU: 1 << 6,
  ILOS: 1 << 7,
  SPD_1000: 2 << 8,
  FRCSPD: 1 << 11,
  FRCDPLX: 1 << 12,
  SWDPIN0: 1 << 18,
  SWDPIN2: 1 << 20,
  RST: 1 << 26,
  RFCE: 1 << 27,
  TFCE: 1 << 28,
  VME: 1 << 30,
  PHY_RST: 1 << 31,
} as const;

export const CTRL_EXT = {
  /** EEPROM reset: reload from the EEPROM; self-clearing (SDM 13.4.6). */
  EE_RST: 1 << 13,
} as const;

export const STATUS = {
  FD: 1 << 0,
  LU: 1 << 1,
  SPEED_1000: 2 << 6,
  ASDV_1000: 3 << 8,
  MTXCKOK: 1 << 10,
  GIO_MASTER_ENABLE: 1 << 19,
  /** Bit 31: reported set by QEMU's model; kept for identical reads. */
  BIT31: 1 << 31,
} as const;

export const EECD = {
  SK: 1 << 0,
  CS: 1 << 1,
  DI: 1 << 2,
  DO: 1 << 3,
  FWE_MASK: 3 << 4,
  REQ: 1 << 6,
  GNT: 1 << 7,
  PRES: 1 << 8,
} as const;

export const EERD = {
  START: 1 << 0,
  DONE: 1 << 4,
  ADDR_SHIFT: 8,
  DATA_SHIFT: 16,
} as const;

export const MDIC = {
  DATA_MASK: 0xffff,
  REG_SHIFT: 16,
  REG_MASK: 0x1f << 16,
  PHY_SHIFT: 21,
  PHY_MASK: 0x1f << 21,
  OP_WRITE: 1 << 26,
  OP_READ: 2 << 26,
  READY: 1 << 28,
  INT_EN: 1 << 29,
  ERROR: 1 << 30,
} as const;

/** ICR/ICS/IMS/IMC bits (SDM 13.4.17). */
export const ICR = {
  TXDW: 1 << 0,
  TXQE: 1 << 1,
  LSC: 1 << 2,
  RXSEQ: 1 << 3,
  RXDMT0: 1 << 4,
  RXO: 1 << 6,
  RXT0: 1 << 7,
  MDAC: 1 << 9,
  RXCFG: 1 << 10,
  GPI_EN0: 1 << 11,
  TXD_LOW: 1 << 15,
  SRPD: 1 << 16,
} as const;

export const RCTL = {
  EN: 1 << 1,
  SBP: 1 << 2,
  UPE: 1 << 3,
  MPE: 1 << 4,
  LPE: 1 << 5,
  LBM_MASK: 3 << 6,
  RDMTS_SHIFT: 8,
  RDMTS_MASK: 3 << 8,
  MO_SHIFT: 12,
  MO_MASK: 3 << 12,
  BAM: 1 << 15,
  BSIZE_SHIFT: 16,
  BSIZE_MASK: 3 << 16,
  VFE: 1 << 18,
  CFIEN: 1 << 19,
  CFI: 1 << 20,
  DPF: 1 << 22,
  PMCF: 1 << 23,
  BSEX: 1 << 25,
  SECRC: 1 << 26,
} as const;

export const TCTL = {
  EN: 1 << 1,
  PSP: 1 << 3,
} as const;

/** RDTR and TIDV bit 31: flush partial descriptor block (SDM 13.4.30, 13.4.44). */
export const FPD = 1 << 31;

export const RXCSUM = {
  PCSS_MASK: 0xff,
  IPOFLD: 1 << 8,
  TUOFLD: 1 << 9,
} as const;

export const RAH_AV = 1 << 31;

// ---------------------------------------------------------------- the table

const STAT = (name: string, offset: number): RegDef => ({ name, offset, access: 'rc', reset: 0, read: 'stat' });
const STAT64 = (name: string, offset: number): RegDef[] => [
  { name: `${name}L`, offset, access: 'ro', reset: 0, read: 'stat64lo' },
  { name: `${name}H`, offset: offset + 4, access: 'rc', reset: 0, read: 'stat64hi' },
];
/** Statistics QEMU only exposes with extra_mac_registers=on. */
const XSTAT = (name: string, offset: number): RegDef => ({ ...STAT(name, offset), gate: 'mac' });

export const E1000_REGS: readonly RegDef[] = [
  // General (SDM 13.4.1 - 13.4.9)
  { name: 'CTRL', offset: 0x0000, access: 'rw', reset: CTRL.SWDPIN2 | CTRL.SWDPIN0 | CTRL.SPD_1000 | CTRL.SLU, write: 'ctrl', sdm: '13.4.1' },
  {
    name: 'STATUS',
    offset: 0x0008,
    access: 'ro',
    reset: STATUS.BIT31 | STATUS.GIO_MASTER_ENABLE | STATUS.ASDV_1000 | STATUS.MTXCKOK | STATUS.SPEED_1000 | STATUS.FD | STATUS.LU,
    sdm: '13.4.2',
  },
  { name: 'EECD', offset: 0x0010, access: 'rw', reset: 0, read: 'eecd', write: 'eecd', sdm: '13.4.3' },
  { name: 'EERD', offset: 0x0014, access: 'rw', reset: 0, read: 'eerd', sdm: '13.4.4' },
  { name: 'CTRL_EXT', offset: 0x0018, access: 'rw', reset: 0, write: 'ctrlExt', sdm: '13.4.6' },
  { name: 'MDIC', offset: 0x0020, access: 'rw', reset: 0, write: 'mdic', sdm: '13.4.7' },
  { name: 'FCAL', offset: 0x0028, access: 'rw', reset: 0, sdm: '13.4.8' },
  { name: 'FCAH', offset: 0x002c, access: 'rw', reset: 0, mask: 0xffff },
  { name: 'FCT', offset: 0x0030, access: 'rw', reset: 0, mask: 0xffff },
  { name: 'VET', offset: 0x0038, access: 'rw', reset: 0x8100, sdm: '13.4.10' },
  { name: 'FCTTV', offset: 0x0170, access: 'rw', reset: 0, mask: 0xffff },
  { name: 'TXCW', offset: 0x0178, access: 'rw', reset: 0 },
  { name: 'RXCW', offset: 0x0180, access: 'ro', reset: 0 },
  { name: 'LEDCTL', offset: 0x0e00, access: 'rw', reset: 0x602 },
  { name: 'PBA', offset: 0x1000, access: 'rw', reset: 0x00100030 },

  // Interrupts (SDM 13.4.17 - 13.4.21)
  { name: 'ICR', offset: 0x00c0, access: 'rc', reset: 0, read: 'icr', write: 'icr', sdm: '13.4.17' },
  { name: 'ITR', offset: 0x00c4, access: 'rw', reset: 0, mask: 0xffff, gate: 'mitigation', sdm: '13.4.18' },
  { name: 'ICS', offset: 0x00c8, access: 'wo', reset: 0, read: 'ics', write: 'ics', sdm: '13.4.19' },
  { name: 'IMS', offset: 0x00d0, access: 'rw', reset: 0, write: 'ims', sdm: '13.4.20' },
  { name: 'IMC', offset: 0x00d8, access: 'wo', reset: 0, write: 'imc', sdm: '13.4.21' },

  // Receive (SDM 13.4.22 - 13.4.39)
  { name: 'RCTL', offset: 0x0100, access: 'rw', reset: 0, write: 'rctl', sdm: '13.4.22' },
  { name: 'FCRTL', offset: 0x2160, access: 'rw', reset: 0, mask: 0x8000fff8 },
  { name: 'FCRTH', offset: 0x2168, access: 'rw', reset: 0, mask: 0xfff8 },
  { name: 'RDFH', offset: 0x2410, access: 'rw', reset: 0, mask: 0x1fff, gate: 'mac' },
  { name: 'RDFT', offset: 0x2418, access: 'rw', reset: 0, mask: 0x1fff, gate: 'mac' },
  { name: 'RDFHS', offset: 0x2420, access: 'rw', reset: 0, mask: 0x1fff, gate: 'mac' },
  { name: 'RDFTS', offset: 0x2428, access: 'rw', reset: 0, mask: 0x1fff, gate: 'mac' },
  { name: 'RDFPC', offset: 0x2430, access: 'rw', reset: 0, mask: 0x1fff, gate: 'mac' },
  { name: 'RDBAL', offset: 0x2800, access: 'rw', reset: 0 },
  { name: 'RDBAH', offset: 0x2804, access: 'rw', reset: 0 },
  { name: 'RDLEN', offset: 0x2808, access: 'rw', reset: 0, mask: 0xfff80, sdm: '13.4.27' },
  { name: 'RDH', offset: 0x2810, access: 'rw', reset: 0, mask: 0xffff },
  { name: 'RDT', offset: 0x2818, access: 'rw', reset: 0, mask: 0xffff, write: 'rdt' },
  { name: 'RDTR', offset: 0x2820, access: 'rw', reset: 0, mask: 0xffff, write: 'rdtr', gate: 'mitigation', sdm: '13.4.30' },
  { name: 'RXDCTL', offset: 0x2828, access: 'rw', reset: 0, mask: 0x013f3f3f },
  { name: 'RADV', offset: 0x282c, access: 'rw', reset: 0, mask: 0xffff, gate: 'mitigation', sdm: '13.4.31' },
  { name: 'RSRPD', offset: 0x2c00, access: 'rw', reset: 0, mask: 0xfff },
  { name: 'RXCSUM', offset: 0x5000, access: 'rw', reset: 0, mask: 0x3ff, sdm: '13.4.35' },
  { name: 'MTA', offset: 0x5200, count: 128, access: 'rw', reset: 0, sdm: '13.4.36' },
  { name: 'RA', offset: 0x5400, count: 32, access: 'rw', reset: 0, sdm: '13.4.37' },
  { name: 'VFTA', offset: 0x5600, count: 128, access: 'rw', reset: 0, sdm: '13.4.39' },

  // Transmit (SDM 13.4.33 - 13.4.50)
  { name: 'TCTL', offset: 0x0400, access: 'rw', reset: 0, write: 'tctl', sdm: '13.4.33' },
  { name: 'TIPG', offset: 0x0410, access: 'rw', reset: 0, mask: 0x3fffffff },
  { name: 'AIT', offset: 0x0458, access: 'rw', reset: 0, mask: 0xffff, gate: 'mac' },
  { name: 'TXDMAC', offset: 0x3000, access: 'rw', reset: 0, mask: 0x1 },
  { name: 'TDFH', offset: 0x3410, access: 'rw', reset: 0, mask: 0x7ff, gate: 'mac' },
  { name: 'TDFT', offset: 0x3418, access: 'rw', reset: 0, mask: 0x7ff, gate: 'mac' },
  { name: 'TDFHS', offset: 0x3420, access: 'rw', reset: 0, mask: 0x1fff, gate: 'mac' },
  { name: 'TDFTS', offset: 0x3428, access: 'rw', reset: 0, mask: 0x1fff, gate: 'mac' },
  { name: 'TDFPC', offset: 0x3430, access: 'rw', reset: 0, mask: 0x1fff, gate: 'mac' },
  { name: 'TDBAL', offset: 0x3800, access: 'rw', reset: 0 },
  { name: 'TDBAH', offset: 0x3804, access: 'rw', reset: 0 },
  { name: 'TDLEN', offset: 0x3808, access: 'rw', reset: 0, mask: 0xfff80 },
  { name: 'TDH', offset: 0x3810, access: 'rw', reset: 0, mask: 0xffff },
  { name: 'TDT', offset: 0x3818, access: 'rw', reset: 0, mask: 0xffff, write: 'tdt' },
  { name: 'TIDV', offset: 0x3820, access: 'rw', reset: 0, mask: 0xffff, write: 'tidv', gate: 'mitigation', sdm: '13.4.44' },
  { name: 'TXDCTL', offset: 0x3828, access: 'rw', reset: 0 },
  { name: 'TADV', offset: 0x382c, access: 'rw', reset: 0, mask: 0xffff, gate: 'mitigation', sdm: '13.4.45' },
  { name: 'TSPMT', offset: 0x3830, access: 'rw', reset: 0x01000400 },

  // Wake-up and management (SDM 13.6)
  { name: 'WUC', offset: 0x5800, access: 'rw', reset: 0, gate: 'mac' },
  { name: 'WUFC', offset: 0x5808, access: 'rw', reset: 0 },
  { name: 'WUS', offset: 0x5810, access: 'rw', reset: 0, gate: 'mac' },
  { name: 'MANC', offset: 0x5820, access: 'rw', reset: 0x00222300 },
  { name: 'IPAV', offset: 0x5838, access: 'rw', reset: 0, gate: 'mac' },
  { name: 'IP4AT', offset: 0x5840, count: 7, access: 'rw', reset: 0, gate: 'mac' },
  { name: 'IP6AT', offset: 0x5880, count: 4, access: 'rw', reset: 0, gate: 'mac' },
  { name: 'WUPL', offset: 0x5900, access: 'ro', reset: 0 },
  { name: 'WUPM', offset: 0x5a00, count: 32, access: 'rw', reset: 0, gate: 'mac' },
  { name: 'FFLT', offset: 0x5f00, count: 7, access: 'rw', reset: 0, mask: 0x7ff, gate: 'mac' },
  { name: 'FFMT', offset: 0x9000, count: 255, access: 'rw', reset: 0, mask: 0xf, gate: 'mac' },
  { name: 'FFVT', offset: 0x9800, count: 255, access: 'rw', reset: 0, gate: 'mac' },
  { name: 'PBM', offset: 0x10000, count: 16384, access: 'rw', reset: 0, gate: 'mac', sdm: '13.8' },

  // Statistics (SDM 13.7): every counter clears when read.
  STAT('CRCERRS', 0x4000),
  STAT('ALGNERRC', 0x4004),
  STAT('SYMERRS', 0x4008),
  STAT('RXERRC', 0x400c),
  STAT('MPC', 0x4010),
  XSTAT('SCC', 0x4014),
  XSTAT('ECOL', 0x4018),
  XSTAT('MCC', 0x401c),
  XSTAT('LATECOL', 0x4020),
  XSTAT('COLC', 0x4028),
  XSTAT('DC', 0x4030),
  XSTAT('TNCRS', 0x4034),
  STAT('SEC', 0x4038),
  XSTAT('CEXTERR', 0x403c),
  XSTAT('RLEC', 0x4040),
  XSTAT('XONRXC', 0x4048),
  XSTAT('XONTXC', 0x404c),
  XSTAT('XOFFRXC', 0x4050),
  XSTAT('XOFFTXC', 0x4054),
  XSTAT('FCRUC', 0x4058),
  XSTAT('PRC64', 0x405c),
  XSTAT('PRC127', 0x4060),
  XSTAT('PRC255', 0x4064),
  XSTAT('PRC511', 0x4068),
  XSTAT('PRC1023', 0x406c),
  XSTAT('PRC1522', 0x4070),
  STAT('GPRC', 0x4074),
  XSTAT('BPRC', 0x4078),
  XSTAT('MPRC', 0x407c),
  STAT('GPTC', 0x4080),
  ...STAT64('GORC', 0x4088).map((r) => ({ ...r, gate: 'mac' as const })),
  ...STAT64('GOTC', 0x4090).map((r) => ({ ...r, gate: 'mac' as const })),
  XSTAT('RNBC', 0x40a0),
  XSTAT('RUC', 0x40a4),
  XSTAT('RFC', 0x40a8),
  XSTAT('ROC', 0x40ac),
  XSTAT('RJC', 0x40b0),
  XSTAT('MGTPRC', 0x40b4),
  XSTAT('MGTPDC', 0x40b8),
  XSTAT('MGTPTC', 0x40bc),
  ...STAT64('TOR', 0x40c0),
  ...STAT64('TOT', 0x40c8),
  STAT('TPR', 0x40d0),
  STAT('TPT', 0x40d4),
  XSTAT('PTC64', 0x40d8),
  XSTAT('PTC127', 0x40dc),
  XSTAT('PTC255', 0x40e0),
  XSTAT('PTC511', 0x40e4),
  XSTAT('PTC1023', 0x40e8),
  XSTAT('PTC1522', 0x40ec),
  XSTAT('MPTC', 0x40f0),
  XSTAT('BPTC', 0x40f4),
  XSTAT('TSCTC', 0x40f8),
  XSTAT('TSCTFC', 0x40fc),
];

// ---------------------------------------------------------------- derived dispatch tables

/** Number of 32-bit register slots in the 128 KiB BAR. */
export const REG_SLOTS = 0x20000 >> 2;

/** Register-file index (dword offset) of each named register, e.g. `R.RDT`. */
export const R = {} as Record<string, number>;

/** Slot -> index into E1000_REGS, or -1 for an offset with no register. */
export const SLOT_DEF = new Int16Array(REG_SLOTS).fill(-1);

for (let i = 0; i < E1000_REGS.length; i++) {
  const d = E1000_REGS[i]!;
  const base = d.offset >>> 2;
  R[d.name] = base;
  const n = d.count ?? 1;
  for (let k = 0; k < n; k++) {
    if (SLOT_DEF[base + k] !== -1) throw new Error(`e1000 register table: ${d.name} overlaps ${E1000_REGS[SLOT_DEF[base + k]!]!.name}`);
    SLOT_DEF[base + k] = i;
  }
}

/** Dword index of a register by name; throws for a name not in the table (a bug in this model). */
export function reg(name: string): number {
  const i = R[name];
  if (i === undefined) throw new Error(`e1000: no register ${name}`);
  return i;
}

/** The register covering a BAR0 offset, with the table index inside it (`RA[3]`), for tracing. */
export function regName(offset: number): string {
  const slot = (offset & 0x1ffff) >>> 2;
  const d = SLOT_DEF[slot]!;
  if (d < 0) return `0x${offset.toString(16).padStart(5, '0')}`;
  const def = E1000_REGS[d]!;
  return (def.count ?? 1) > 1 ? `${def.name}[${slot - (def.offset >>> 2)}]` : def.name;
}

/** Register-file indices used on hot paths. */
export const IDX = {
  CTRL: reg('CTRL'),
  STATUS: reg('STATUS'),
  EECD: reg('EECD'),
  EERD: reg('EERD'),
  CTRL_EXT: reg('CTRL_EXT'),
  MDIC: reg('MDIC'),
  VET: reg('VET'),
  ICR: reg('ICR'),
  ITR: reg('ITR'),
  ICS: reg('ICS'),
  IMS: reg('IMS'),
  IMC: reg('IMC'),
  RCTL: reg('RCTL'),
  RDBAL: reg('RDBAL'),
  RDBAH: reg('RDBAH'),
  RDLEN: reg('RDLEN'),
  RDH: reg('RDH'),
  RDT: reg('RDT'),
  RDTR: reg('RDTR'),
  RADV: reg('RADV'),
  RXCSUM: reg('RXCSUM'),
  MTA: reg('MTA'),
  RA: reg('RA'),
  VFTA: reg('VFTA'),
  TCTL: reg('TCTL'),
  TDBAL: reg('TDBAL'),
  TDBAH: reg('TDBAH'),
  TDLEN: reg('TDLEN'),
  TDH: reg('TDH'),
  TDT: reg('TDT'),
  TIDV: reg('TIDV'),
  TADV: reg('TADV'),
  MPC: reg('MPC'),
  PRC64: reg('PRC64'),
  GPRC: reg('GPRC'),
  BPRC: reg('BPRC'),
  MPRC: reg('MPRC'),
  GPTC: reg('GPTC'),
  GORCL: reg('GORCL'),
  GOTCL: reg('GOTCL'),
  RNBC: reg('RNBC'),
  ROC: reg('ROC'),
  TORL: reg('TORL'),
  TOTL: reg('TOTL'),
  TPR: reg('TPR'),
  TPT: reg('TPT'),
  PTC64: reg('PTC64'),
  MPTC: reg('MPTC'),
  BPTC: reg('BPTC'),
  TSCTC: reg('TSCTC'),
  TSCTFC: reg('TSCTFC'),
} as const;

/** Read operation codes per slot, built from the table (the dispatch is a switch on these). */
export const ReadOp = {
  Unknown: 0,
  Plain: 1,
  WriteOnly: 2,
  Stat: 3,
  Stat64Lo: 4,
  Stat64Hi: 5,
  Icr: 6,
  Ics: 7,
  Eecd: 8,
  Eerd: 9,
} as const;
export type ReadOp = (typeof ReadOp)[keyof typeof ReadOp];

export const WriteOp = {
  Unknown: 0,
  Plain: 1,
  ReadOnly: 2,
  Ctrl: 3,
  CtrlExt: 4,
  Eecd: 5,
  Mdic: 6,
  Icr: 7,
  Ics: 8,
  Ims: 9,
  Imc: 10,
  Rctl: 11,
  Rdt: 12,
  Rdtr: 13,
  Tctl: 14,
  Tdt: 15,
  Tidv: 16,
} as const;
export type WriteOp = (typeof WriteOp)[keyof typeof WriteOp];

const READ_HOOK_OP: Record<ReadHook, ReadOp> = {
  icr: ReadOp.Icr,
  ics: ReadOp.Ics,
  eecd: ReadOp.Eecd,
  eerd: ReadOp.Eerd,
  stat: ReadOp.Stat,
  stat64lo: ReadOp.Stat64Lo,
  stat64hi: ReadOp.Stat64Hi,
};

const WRITE_HOOK_OP: Record<WriteHook, WriteOp> = {
  ctrl: WriteOp.Ctrl,
  ctrlExt: WriteOp.CtrlExt,
  eecd: WriteOp.Eecd,
  mdic: WriteOp.Mdic,
  icr: WriteOp.Icr,
  ics: WriteOp.Ics,
  ims: WriteOp.Ims,
  imc: WriteOp.Imc,
  rctl: WriteOp.Rctl,
  rdt: WriteOp.Rdt,
  rdtr: WriteOp.Rdtr,
  tctl: WriteOp.Tctl,
  tdt: WriteOp.Tdt,
  tidv: WriteOp.Tidv,
};

export function readOpOf(d: RegDef): ReadOp {
  if (d.read) return READ_HOOK_OP[d.read];
  switch (d.access) {
    case 'wo':
      return ReadOp.WriteOnly;
    case 'rc':
      return ReadOp.Stat;
    case 'rw':
    case 'ro':
    case 'w1c':
      return ReadOp.Plain;
    default: {
      const never: never = d.access;
      return never;
    }
  }
}

export function writeOpOf(d: RegDef): WriteOp {
  if (d.write) return WRITE_HOOK_OP[d.write];
  switch (d.access) {
    case 'ro':
    case 'rc':
      return WriteOp.ReadOnly;
    case 'rw':
    case 'wo':
    case 'w1c':
      return WriteOp.Plain;
    default: {
      const never: never = d.access;
      return never;
    }
  }
}

/**
 * Per-slot dispatch for a device configuration: which registers are gated
 * off by the compatibility properties.
 */
export interface Dispatch {
  readonly readOp: Uint8Array;
  readonly writeOp: Uint8Array;
  readonly wmask: Uint32Array;
}

export function buildDispatch(enabled: { mitigation: boolean; mac: boolean }): Dispatch {
  const readOp = new Uint8Array(REG_SLOTS);
  const writeOp = new Uint8Array(REG_SLOTS);
  const wmask = new Uint32Array(REG_SLOTS);
  for (const d of E1000_REGS) {
    if (d.gate === 'mitigation' && !enabled.mitigation) continue;
    if (d.gate === 'mac' && !enabled.mac) continue;
    const r = readOpOf(d);
    const w = writeOpOf(d);
    const base = d.offset >>> 2;
    for (let k = 0; k < (d.count ?? 1); k++) {
      readOp[base + k] = r;
      writeOp[base + k] = w;
      wmask[base + k] = d.mask ?? 0xffffffff;
    }
  }
  return { readOp, writeOp, wmask };
}

/** Power-on register values, as (index, value) pairs of the non-zero resets. */
export const RESET_VALUES: ReadonlyArray<readonly [number, number]> = E1000_REGS.filter((d) => d.reset !== 0).flatMap((d) =>
  Array.from({ length: d.count ?? 1 }, (_, k) => [(d.offset >>> 2) + k, d.reset >>> 0] as const),
);

// ---------------------------------------------------------------- descriptors (SDM 3.2.3, 3.3.3)

/** Legacy/data TX descriptor CMD bits (byte 11). */
export const TXD_CMD = {
  EOP: 1 << 0,
  IFCS: 1 << 1,
  IC: 1 << 2,
  RS: 1 << 3,
  RPS: 1 << 4,
  DEXT: 1 << 5,
  VLE: 1 << 6,
  IDE: 1 << 7,
} as const;

/** TX descriptor DTYP (bits 23:20 of the length/cmd dword). */
export const TXD_DTYP_D = 1 << 20;
/** TSE in the cmd byte of context and data descriptors (dword bit 26). */
export const TXD_CMD_TSE = 1 << 26;
/** Context descriptor TUCMD IP (IPv4 when set) and TCP bits (dword bits 25, 24). */
export const TXD_CMD_IP = 1 << 25;
export const TXD_CMD_TCP = 1 << 24;
export const TXD_DEXT = 1 << 29;

export const TXD_STAT = { DD: 1 << 0, EC: 1 << 1, LC: 1 << 2, TU: 1 << 3 } as const;
/** Data descriptor POPTS (byte 13). */
export const TXD_POPTS = { IXSM: 1 << 0, TXSM: 1 << 1 } as const;

export const RXD_STAT = {
  DD: 1 << 0,
  EOP: 1 << 1,
  IXSM: 1 << 2,
  VP: 1 << 3,
  TCPCS: 1 << 5,
  IPCS: 1 << 6,
  PIF: 1 << 7,
} as const;

export const RXD_ERR = { CE: 1 << 0, SE: 1 << 1, SEQ: 1 << 2, CXE: 1 << 4, TCPE: 1 << 5, IPE: 1 << 6, RXE: 1 << 7 } as const;
