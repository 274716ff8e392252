/**
 * Realtek RTL8139C+ (PCI revision 0x20, QEMU's model; Linux `8139cp`) and
 * RTL8139C (revision 0x10; Linux `8139too`) Fast Ethernet controller:
 * PCI 10EC:8139, class 0x020000, subsystem 1af4:1100, BAR0 256 B I/O, BAR1
 * 256 B memory (the same registers), INTA.
 *
 * Register behaviour follows the RTL8139C(L) and RTL8139C(L)+ datasheets,
 * checked against QEMU 7.2 with the qtest rig; see index.ts for the
 * deliberate differences.
 */
import { addr64, type GuestMemory } from '../../dma/memory.js';
import { OptionError } from '../../errors.js';
import { type FrameOffload, NetClient, type ReceiveResult } from '../../hub/client.js';
import type { AccessSize, BarHandler, DeviceContext, PciConfigTarget } from '../../machine/device.js';
import { PciFunction, type PciFunctionState } from '../../pci/index.js';
import { formatRestoreError, restore, save, type SavedState } from '../../state/index.js';
import type { Timer } from '../../time/clock.js';
import type { NicDevice, NicProps } from '../nic.js';
import { buildEepromImage, eepromDataOut, eepromReset, eepromSetPins, newEepromState, type EepromState } from './eeprom.js';
import {
  BMSR,
  CFG9346,
  CPCR,
  CR,
  CSCR,
  DTCCR,
  INT,
  INT_VALID,
  KEPT_ON_SOFT_RESET,
  MSR,
  REG,
  REG_AT,
  RTL8139_REGS,
  RegFile,
  TCR,
  TPPOLL,
  TSD,
  TXSUM,
  type RegDef,
} from './regs.js';
import { cplusDescriptorReady, newRxCounters, newRxState, receiveFrame, ringEmpty, ringSize, type RxCounters, type RxHost, type RxState } from './rx.js';
import { RTL8139_STATE, type Rtl8139SavedFields } from './state.js';
import { clearTally, encodeTally, newTally, TALLY_BYTES, type Tally } from './tally.js';
import { CP_TX_BUFFER, newTxCounters, newTxState, resetTxState, transmitCplus, transmitNormal, type TxCounters, type TxHost, type TxState } from './tx.js';

/** PCI revision IDs: 0x20 RTL8139C+ (C+ mode, 8139cp), 0x10 RTL8139C (8139too). */
export const REVISION_8139CP = 0x20;
export const REVISION_8139C = 0x10;

/** TCTR counts PCI clocks of 30 ns (QEMU's PCI_PERIOD; 33.3 MHz). */
export const PCI_PERIOD_NS = 30;
const TCTR_WRAP_NS = PCI_PERIOD_NS * 2 ** 32;
/** IntrMitigate timer unit (nicemu's reading of the 4-bit timer fields, see index.ts). */
export const MITIGATION_UNIT_NS = 100_000;
/**
 * How often a frame that waits for room looks again: in C+ mode for an RX
 * descriptor (besides every register access), in ring mode to report the
 * exhausted ring again (besides every CAPR write).
 */
export const RX_POLL_NS = 500_000;

export interface Rtl8139Options {
  /** PCI revision ID (`x-revision`): >= 0x20 is an RTL8139C+ with C+ mode, below is an RTL8139C. */
  revision: number;
}

export const DEFAULT_RTL8139_OPTIONS: Rtl8139Options = { revision: REVISION_8139CP };

export interface Rtl8139Counters extends RxCounters, TxCounters {
  unknownRegReads: number;
  unknownRegWrites: number;
  readOnlyWrites: number;
  lockedWrites: number;
  nestedAccesses: number;
  loopbackFrames: number;
  loopbackDropped: number;
  softResets: number;
  tallyDumps: number;
  dmaWhileBusMasterOff: number;
  rxDroppedDisabled: number;
}

function newCounters(): Rtl8139Counters {
  return {
    ...newRxCounters(),
    ...newTxCounters(),
    unknownRegReads: 0,
    unknownRegWrites: 0,
    readOnlyWrites: 0,
    lockedWrites: 0,
    nestedAccesses: 0,
    loopbackFrames: 0,
    loopbackDropped: 0,
    softResets: 0,
    tallyDumps: 0,
    dmaWhileBusMasterOff: 0,
    rxDroppedDisabled: 0,
  };
}

/** QEMU's rtl8139 leaves 0xdc in the capability pointer without the capability-list status bit. */
const QEMU_CAP_PTR = 0xdc;

/** The PCI function as the host bridge sees it: byte 0x34 reads as QEMU's does. */
class ConfigView implements PciConfigTarget {
  constructor(private readonly fn: PciFunction) {}
  configRead(offset: number, size: 1 | 2 | 4): number {
    const v = this.fn.configRead(offset, size);
    if (offset <= 0x34 && offset + size > 0x34 && offset >= 0) {
      const shift = 8 * (0x34 - offset);
      return ((v & ~(0xff << shift)) | (QEMU_CAP_PTR << shift)) >>> 0;
    }
    return v;
  }
  configWrite(offset: number, size: 1 | 2 | 4, value: number): void {
    this.fn.configWrite(offset, size, value);
  }
  activeBars(): ReturnType<PciConfigTarget['activeBars']> {
    return this.fn.activeBars();
  }
  onMappingChange(cb: () => void): void {
    this.fn.onMappingChange(() => cb());
  }
  reset(): void {
    this.fn.reset();
  }
}

export class Rtl8139 implements NicDevice, RxHost, TxHost {
  /** The PCI function (config space, INTx). */
  readonly fn: PciFunction;
  readonly pci: PciConfigTarget;
  readonly net: NetClient;
  readonly memory: GuestMemory;
  readonly regs = new RegFile();
  readonly eeprom: Uint16Array;
  readonly rx: RxState = newRxState();
  readonly tx: TxState = newTxState();
  readonly tally: Tally = newTally();
  readonly events: Rtl8139Counters = newCounters();
  readonly options: Rtl8139Options;
  readonly scratch = new Uint8Array(CP_TX_BUFFER + 4);
  readonly segment = new Uint8Array(CP_TX_BUFFER + 4);

  private readonly macAddress: Uint8Array;
  private readonly wire: EepromState = newEepromState();
  private readonly bar0: BarHandler;
  private readonly tallyBuf = new Uint8Array(TALLY_BYTES);
  /** C+ register map in force (DTCCR/TNPDS/THPDS): set by the first CPCR write, until reset (QEMU cplus_enabled). */
  private cplusMap = false;
  /** HltClk: 'R' runs the clock, 'H' halts it (RX off). */
  private clockRunning = true;
  private carrier = true;
  private irqLevel = false;
  private tctrBase = 0;
  /** ROK / TOK held back by IntrMitigate: number of events not yet signalled. */
  private rxHeld = 0;
  private txHeld = 0;
  private readonly tctrTimer: Timer;
  private readonly rxMitTimer: Timer;
  private readonly txMitTimer: Timer;
  private readonly rxPollTimer: Timer;
  /** Register accesses in progress (re-entrancy guard). */
  private accessDepth = 0;
  /**
   * The device is moving data (TX, RX, tally dump). A register access now can
   * only be its own DMA landing on its BAR: refused (QEMU MemReentrancyGuard,
   * CVE-2023-0330, CVE-2023-3019).
   */
  private dmaDepth = 0;

  constructor(
    private readonly ctx: DeviceContext,
    props: { mac: Uint8Array; name: string },
    options: Partial<Rtl8139Options> = {},
  ) {
    if (props.mac.length !== 6) throw new OptionError(`rtl8139: MAC address must have 6 bytes, got ${props.mac.length}`);
    this.options = { ...DEFAULT_RTL8139_OPTIONS, ...options };
    const rev = this.options.revision;
    if (!Number.isInteger(rev) || rev < 0 || rev > 0xff) throw new OptionError(`rtl8139: x-revision must be 0..0xff, got ${String(rev)}`);
    this.memory = ctx.memory;
    this.macAddress = props.mac.slice();
    this.eeprom = buildEepromImage(this.macAddress);
    this.fn = new PciFunction({
      vendorId: 0x10ec,
      deviceId: 0x8139,
      revision: rev,
      classCode: 0x020000,
      subsystemVendorId: 0x1af4,
      subsystemId: 0x1100,
      interruptPin: 1,
      bars: [{ kind: 'io', size: 0x100 }, { kind: 'mem32', size: 0x100 }],
      irq: ctx.intx,
    });
    this.pci = new ConfigView(this.fn);
    this.net = new NetClient(
      props.name,
      { canReceive: () => this.canReceive(), receive: (f) => this.receive(f), linkChanged: (up) => this.linkChanged(up) },
      { kind: 'nic' },
    );
    const clock = ctx.clock;
    this.tctrTimer = clock.timer(() => this.tctrFired(), `${props.name}.tctr`);
    this.rxMitTimer = clock.timer(() => this.releaseHeld(true), `${props.name}.rx-mitigation`);
    this.txMitTimer = clock.timer(() => this.releaseHeld(false), `${props.name}.tx-mitigation`);
    this.rxPollTimer = clock.timer(() => this.rxPollFired(), `${props.name}.rx-poll`);
    this.bar0 = {
      impl: { min: 1, max: 4 },
      read: (off, size) => this.read(off, size),
      write: (off, size, v) => this.write(off, size, v),
    };
    this.fn.onCommandChange(() => {
      if (this.fn.busMaster && this.accessDepth === 0) this.net.flushQueue();
    });
    this.powerOnReset();
  }

  get mac(): Uint8Array {
    return this.macAddress;
  }

  /** C+ mode features (revision >= 0x20). */
  get isCplusChip(): boolean {
    return this.options.revision >= REVISION_8139CP;
  }

  bar(index: number): BarHandler | undefined {
    return index === 0 || index === 1 ? this.bar0 : undefined;
  }

  counters(): Readonly<Record<string, number>> {
    return { ...this.events };
  }

  /** Tally counters as the next DTCCR dump would write them. */
  tallyCounters(): Readonly<Tally> {
    return { ...this.tally };
  }

  // ------------------------------------------------------------------ reset

  /** Machine reset: power-on values (the EEPROM keeps its contents, the PCI function is reset by the machine). */
  reset(): void {
    this.powerOnReset();
  }

  private powerOnReset(): void {
    this.resetRegisters();
    this.loadMacFromEeprom();
    clearTally(this.tally);
    eepromReset(this.wire);
    this.clockRunning = true;
  }

  /** QEMU rtl8139_reset: every register and engine to its reset state. */
  private resetRegisters(): void {
    const regs = this.regs;
    regs.reset();
    regs.set32(REG.TCR, this.isCplusChip ? TCR.HWVER_8139CP : TCR.HWVER_8139C);
    this.rx.bufPtr = 0;
    this.rx.bufAddr = 0;
    this.rx.cpDesc = 0;
    this.rx.waitReported = false;
    resetTxState(this.tx);
    this.cplusMap = false;
    this.rxHeld = this.txHeld = 0;
    this.rxMitTimer.cancel();
    this.txMitTimer.cancel();
    this.rxPollTimer.cancel();
    this.tctrBase = this.ctx.clock.now();
    this.setNextTctr();
    this.irqLevel = false;
    this.fn.setIntx(false);
  }

  /** Reset the registers except those a software reset keeps (KEPT_ON_SOFT_RESET). */
  private resetKeeping(): void {
    const bytes = this.regs.bytes;
    const kept = KEPT_ON_SOFT_RESET.map(([off, len]) => bytes.slice(off, off + len));
    this.resetRegisters();
    KEPT_ON_SOFT_RESET.forEach(([off], i) => bytes.set(kept[i]!, off));
  }

  /** The IDRs from EEPROM words 7-9 (datasheet §7, auto-load). */
  private loadMacFromEeprom(): void {
    for (let i = 0; i < 3; i++) {
      const w = this.eeprom[7 + i]!;
      this.regs.set8(REG.IDR0 + 2 * i, w & 0xff);
      this.regs.set8(REG.IDR0 + 2 * i + 1, w >>> 8);
    }
  }

  /**
   * CR.RST (datasheet §5.5): transmitter and receiver off, FIFOs and buffer
   * pointers back to their initial values; IDR0-5 and MAR0-7 keep their
   * values. The other registers return to reset values as in QEMU.
   */
  private softReset(): void {
    this.events.softResets++;
    this.resetKeeping();
    this.regs.set8(REG.CR, 0);
  }

  // ------------------------------------------------------------------ register access

  /** An access of `size` bytes at `off` in BAR0/BAR1. */
  read(off: number, size: AccessSize): number {
    if (this.dmaDepth > 0) {
      this.events.nestedAccesses++;
      return 0;
    }
    this.accessDepth++;
    this.net.enterIo();
    try {
      return this.readBytes(off & 0xff, size > 4 ? 4 : size);
    } finally {
      this.accessDepth--;
      this.net.exitIo();
    }
  }

  write(off: number, size: AccessSize, value: number): void {
    if (this.dmaDepth > 0) {
      this.events.nestedAccesses++;
      return;
    }
    this.accessDepth++;
    this.net.enterIo();
    try {
      this.writeBytes(off & 0xff, size > 4 ? 4 : size, value >>> 0);
    } finally {
      this.accessDepth--;
      this.net.exitIo();
    }
  }

  private readBytes(off: number, size: number): number {
    const first = REG_AT[off]!;
    if (first >= 0) {
      const r = RTL8139_REGS[first]!;
      if (r.offset === off && r.width === size) return this.readReg(r);
    }
    // Narrower, wider or unaligned: assemble from the registers covering each byte.
    let v = 0;
    let i = 0;
    while (i < size) {
      const o = (off + i) & 0xff;
      const idx = REG_AT[o]!;
      if (idx < 0) {
        if (i === 0) this.events.unknownRegReads++;
        i++;
        continue;
      }
      const r = RTL8139_REGS[idx]!;
      const rv = this.readReg(r);
      for (let b = o - r.offset; b < r.width && i < size; b++, i++) v |= ((rv >>> (8 * b)) & 0xff) << (8 * i);
    }
    return v >>> 0;
  }

  private writeBytes(off: number, size: number, value: number): void {
    const first = REG_AT[off]!;
    if (first >= 0) {
      const r = RTL8139_REGS[first]!;
      if (r.offset === off && r.width === size) {
        this.writeReg(r, value);
        return;
      }
    }
    let i = 0;
    while (i < size) {
      const o = (off + i) & 0xff;
      const idx = REG_AT[o]!;
      if (idx < 0) {
        this.events.unknownRegWrites++;
        i++;
        continue;
      }
      const r = RTL8139_REGS[idx]!;
      // Merge the written bytes into the register; W1C registers take 0 elsewhere.
      let rv = r.access === 'w1c' ? 0 : this.regs.get(r.offset, r.width);
      for (let b = o - r.offset; b < r.width && i < size; b++, i++) {
        const byte = (value >>> (8 * i)) & 0xff;
        rv = (rv & ~(0xff << (8 * b))) | (byte << (8 * b));
      }
      this.writeReg(r, rv >>> 0);
    }
  }

  private readReg(r: RegDef): number {
    const regs = this.regs;
    if (r.access === 'wo') return 0;
    switch (r.read) {
      case undefined:
        return regs.get(r.offset, r.width);
      case 'cr':
        return regs.u8(REG.CR) | (ringEmpty(regs, this.rx) ? CR.BUFE : 0);
      case 'capr':
        return (this.rx.bufPtr - 16) & 0xffff;
      case 'cbr':
        return this.rx.bufAddr & 0xffff;
      case 'tctr':
        return Math.floor((this.ctx.clock.now() - this.tctrBase) / PCI_PERIOD_NS) % 2 ** 32;
      case 'cfg9346': {
        const v = regs.u8(REG.CFG9346);
        if ((v & CFG9346.EEM_MASK) !== CFG9346.EEM_PROGRAM) return v;
        return eepromDataOut(this.wire) ? v | CFG9346.EEDO : v & ~CFG9346.EEDO;
      }
      case 'msr':
        return MSR.BASE | (this.carrier ? 0 : MSR.LINKB);
      case 'bmsr':
        return (regs.u16(REG.BMSR) & ~BMSR.LINK) | (this.carrier ? BMSR.LINK : 0);
      case 'cscr': {
        const v = regs.u16(REG.CSCR);
        regs.set16(REG.CSCR, v & ~CSCR.LINK_CHANGE);
        return v;
      }
      case 'txSummary':
        return this.txSummary();
      case 'revision':
        return this.options.revision;
      case 'hltClk':
        return this.clockRunning ? 1 : 0;
      default: {
        const never: never = r.read;
        return never;
      }
    }
  }

  /** TSAD (0x60): TOK, TUN, TABT and OWN of the four descriptors (datasheet §5.19). */
  private txSummary(): number {
    let v = 0;
    for (let d = 0; d < 4; d++) {
      const tsd = this.regs.u32(REG.TSD0 + 4 * d);
      if (tsd & TSD.TOK) v |= TXSUM.TOK0 << d;
      if (tsd & TSD.TUN) v |= TXSUM.TUN0 << d;
      if (tsd & TSD.TABT) v |= TXSUM.TABT0 << d;
      if (tsd & TSD.OWN) v |= TXSUM.OWN0 << d;
    }
    return v;
  }

  private writeReg(r: RegDef, val: number): void {
    const regs = this.regs;
    if (r.access === 'ro') {
      this.events.readOnlyWrites++;
      return;
    }
    if (r.locked && (regs.u8(REG.CFG9346) & CFG9346.EEM_MASK) !== CFG9346.EEM_CONFIG_WRITE) {
      this.events.lockedWrites++;
      return;
    }
    const mask = r.mask ?? (r.width === 4 ? 0xffffffff : r.width === 2 ? 0xffff : 0xff);
    if (r.write === undefined) {
      regs.set(r.offset, r.width, ((regs.get(r.offset, r.width) & ~mask) | (val & mask)) >>> 0);
      return;
    }
    switch (r.write) {
      case 'tsd':
        this.writeTsd((r.offset - REG.TSD0) >>> 2, val);
        return;
      case 'cr':
        this.writeCr(val & 0xff);
        return;
      case 'capr':
        this.rx.bufPtr = (val + 16) % ringSize(regs);
        return;
      case 'imr':
        regs.set16(REG.IMR, val & mask);
        this.updateIrq();
        return;
      case 'isr':
        this.writeIsr(val);
        return;
      case 'tcr':
        // Ignored while the transmitter is off (QEMU; 8139too: "Must enable Tx/Rx before setting transfer thresholds").
        if (!(regs.u8(REG.CR) & CR.TE)) return;
        regs.set32(REG.TCR, ((regs.u32(REG.TCR) & ~mask) | (val & mask)) >>> 0);
        return;
      case 'rcr': {
        regs.set32(REG.RCR, ((regs.u32(REG.RCR) & ~mask) | (val & mask)) >>> 0);
        // The ring keeps its pointers (QEMU resets them on every RCR write); a smaller ring wraps them.
        const size = ringSize(regs);
        this.rx.bufPtr %= size;
        this.rx.bufAddr %= size;
        return;
      }
      case 'tctr':
        this.tctrBase = this.ctx.clock.now();
        this.setNextTctr();
        return;
      case 'mpc':
        regs.set32(REG.MPC, 0);
        return;
      case 'cfg9346':
        this.writeCfg9346(val & 0xff);
        return;
      case 'timerInt':
        regs.set32(REG.TIMERINT, val);
        this.setNextTctr();
        return;
      case 'hltClk':
        if (val === 0x52) this.clockRunning = true; // 'R'
        else if (val === 0x48) this.clockRunning = false; // 'H'
        return;
      case 'tppoll':
        this.writeTpPoll(val & 0xff);
        return;
      case 'cpcr':
        if (!this.isCplusChip) {
          this.events.unknownRegWrites++;
          return;
        }
        this.cplusMap = true;
        regs.set16(REG.CPCR, val & mask);
        return;
      case 'intrMitigate':
        regs.set16(REG.INTR_MITIGATE, val & 0xffff);
        if (this.rxHeld && !(val & 0x00f0)) this.releaseHeld(true);
        if (this.txHeld && !(val & 0xf000)) this.releaseHeld(false);
        return;
      default: {
        const never: never = r.write;
        return never;
      }
    }
  }

  private writeCr(val: number): void {
    const regs = this.regs;
    const before = regs.u8(REG.CR);
    if (val & CR.RST) this.softReset();
    const now = (regs.u8(REG.CR) & ~(CR.RE | CR.TE | CR.RST)) | (val & (CR.RE | CR.TE));
    regs.set8(REG.CR, now & ~CR.BUFE);
    const rising = now & ~before;
    if (rising & CR.RE) {
      // Enabling the receiver starts at the first descriptor / the ring start.
      this.rx.cpDesc = 0;
      this.rx.bufPtr = 0;
      this.rx.bufAddr = 0;
      this.rx.waitReported = false;
    }
    if (rising & CR.TE) {
      this.tx.normal.desc = 0;
      this.tx.high.desc = 0;
    }
  }

  private writeIsr(val: number): void {
    const regs = this.regs;
    const next = regs.u16(REG.ISR) & ~val & INT_VALID;
    // QEMU drops the line for a moment and raises it again if causes remain.
    if (this.irqLevel) {
      this.irqLevel = false;
      this.fn.setIntx(false);
    }
    regs.set16(REG.ISR, next);
    this.setNextTctr();
    this.updateIrq();
  }

  private writeCfg9346(val: number): void {
    const regs = this.regs;
    let v = (val & 0xce) | (regs.u8(REG.CFG9346) & 0x31);
    const mode = v & CFG9346.EEM_MASK;
    if (mode === CFG9346.EEM_PROGRAM) {
      eepromSetPins(this.wire, this.eeprom, (v & CFG9346.EECS) !== 0, (v & CFG9346.EESK) !== 0, (v & CFG9346.EEDI) !== 0);
    } else if (mode === CFG9346.EEM_AUTOLOAD) {
      // Auto-load: reload from the EEPROM as after RSTB; the mode returns to normal.
      v = 0;
      this.resetKeeping();
      this.loadMacFromEeprom();
    }
    regs.set8(REG.CFG9346, v);
  }

  // ------------------------------------------------------------------ transmit

  private writeTsd(d: number, val: number): void {
    const regs = this.regs;
    const off = REG.TSD0 + 4 * d;
    if (this.cplusMap) {
      // C+ register map: TSD0/TSD1 are DTCCR (low/high), TSD2/TSD3 are reserved storage.
      regs.set32(off, val);
      if (d === 0 && val & DTCCR.CMD) this.dumpTally(addr64(val & DTCCR.ADDR_MASK, regs.u32(REG.TSD0 + 4)));
      return;
    }
    const old = regs.u32(off);
    regs.set32(off, ((val & ~TSD.CLEARED_ON_WRITE & ~TSD.RESERVED) | (old & TSD.RESERVED)) >>> 0);
    if (!(regs.u8(REG.CR) & CR.TE)) return;
    if (!this.fn.busMaster) {
      this.events.dmaWhileBusMasterOff++;
      return;
    }
    this.dmaDepth++;
    try {
      transmitNormal(this);
    } finally {
      this.dmaDepth--;
    }
  }

  /** DTCCR.Cmd: write the 64-byte tally block, then clear Cmd (C+ datasheet §6.2). */
  private dumpTally(addr: number): void {
    if (this.fn.busMaster) {
      encodeTally(this.tally, this.tallyBuf);
      this.dmaDepth++;
      try {
        if (this.memory.write(addr, this.tallyBuf) !== undefined) this.events.txDmaErrors++;
      } finally {
        this.dmaDepth--;
      }
      this.events.tallyDumps++;
    } else this.events.dmaWhileBusMasterOff++;
    this.regs.set32(REG.DTCCR, this.regs.u32(REG.DTCCR) & ~DTCCR.CMD);
  }

  private writeTpPoll(val: number): void {
    if (val & TPPOLL.FSWINT) this.raise(INT.SWINT);
    if (!(val & (TPPOLL.HPQ | TPPOLL.NPQ))) return;
    if (!this.cplusMap || !(this.regs.u16(REG.CPCR) & CPCR.CPTX) || !(this.regs.u8(REG.CR) & CR.TE)) return;
    if (!this.fn.busMaster) {
      this.events.dmaWhileBusMasterOff++;
      return;
    }
    let n = 0;
    this.dmaDepth++;
    try {
      if (val & TPPOLL.HPQ) n += transmitCplus(this, true);
      if (val & TPPOLL.NPQ) n += transmitCplus(this, false);
    } finally {
      this.dmaDepth--;
    }
    if (n > 0) this.raise(INT.TOK);
  }

  /** TxHost: a large send goes whole to a peer that segments it (never in TCR loopback). */
  transmitOffloaded(frame: Uint8Array, offload: FrameOffload): boolean {
    return (this.regs.u32(REG.TCR) & TCR.LOOPBACK) !== TCR.LOOPBACK && this.net.sendOffloaded(frame, offload);
  }

  /** TxHost: a finished frame leaves, or comes back with TCR loopback. */
  transmit(frame: Uint8Array): void {
    if ((this.regs.u32(REG.TCR) & TCR.LOOPBACK) === TCR.LOOPBACK) {
      if (this.net.incoming.push(frame)) this.events.loopbackFrames++;
      else this.events.loopbackDropped++;
      return;
    }
    this.net.send(frame);
  }

  // ------------------------------------------------------------------ receive

  cplusRx(): boolean {
    return this.cplusMap && (this.regs.u16(REG.CPCR) & CPCR.CPRX) !== 0;
  }

  /** Count a missed packet: MPC is a 24-bit counter (datasheet §5.12). */
  missed(): void {
    this.regs.set32(REG.MPC, (this.regs.u32(REG.MPC) + 1) & 0xffffff);
  }

  private receiverOn(): boolean {
    return (this.regs.u8(REG.CR) & CR.RE) !== 0 && this.clockRunning && this.fn.busMaster;
  }

  /**
   * Frames are refused (kept in the queue) only while the receiver is on but
   * has no room; with the receiver off they are taken and dropped, as on the
   * wire. In C+ mode the current descriptor's OWN bit is looked at; once a
   * wait has been reported, only a NIC-owned descriptor lets frames in.
   */
  private canReceive(): boolean {
    if (!this.receiverOn()) return true;
    if (this.cplusRx()) return !this.rx.waitReported || cplusDescriptorReady(this);
    return true;
  }

  private receive(frame: Uint8Array): ReceiveResult {
    if (this.accessDepth > 0 || this.dmaDepth > 0) {
      this.events.nestedAccesses++;
      return 'busy';
    }
    if (!this.receiverOn()) {
      this.events.rxDroppedDisabled++;
      return 'drop';
    }
    this.dmaDepth++;
    let r: ReceiveResult;
    try {
      r = receiveFrame(this, frame);
    } finally {
      this.dmaDepth--;
    }
    if (r === 'busy') {
      // Ring mode with RxOverflow still unacknowledged: the driver's ISR write looks again.
      if (!this.rxPollTimer.armed && (this.cplusRx() || !(this.regs.u16(REG.ISR) & INT.RXOVW))) this.rxPollTimer.armAfter(RX_POLL_NS);
    } else if (this.rxPollTimer.armed) this.rxPollTimer.cancel();
    return r;
  }

  /**
   * A frame has waited RX_POLL_NS. C+ mode: look at the descriptor again.
   * Ring mode: offer it again and, when it still does not fit, report the
   * exhausted ring with RxOverflow (datasheet ISR bit 4), as the chip does
   * for frames it cannot store. 8139too acknowledges ROK after every frame
   * it reads and can end a poll at its budget with frames left in the ring;
   * without a new ISR bit it would not come back for them nor make room.
   */
  private rxPollFired(): void {
    this.net.flushQueue();
    if (!this.cplusRx() && this.receiverOn() && this.net.incoming.length > 0) {
      this.events.rxOverflowReports++;
      this.raise(INT.RXOVW);
      // Reported once: the timer runs again after the driver acknowledges it
      // (its ISR write ends in a flush that finds the frame still waiting).
      this.rxPollTimer.cancel();
    }
  }

  // ------------------------------------------------------------------ interrupts

  /** Raise causes; ROK and TOK go through IntrMitigate when it is set. */
  raise(cause: number): void {
    const im = this.regs.u16(REG.INTR_MITIGATE);
    if (cause & INT.ROK && im & 0x00f0) {
      cause &= ~INT.ROK;
      this.rxHeld++;
      const n = im & 0xf;
      if (n !== 0 && this.rxHeld >= n) this.releaseHeld(true);
      else if (!this.rxMitTimer.armed) this.rxMitTimer.armAfter(((im >>> 4) & 0xf) * MITIGATION_UNIT_NS);
    }
    if (cause & INT.TOK && im & 0xf000) {
      cause &= ~INT.TOK;
      this.txHeld++;
      const n = (im >>> 8) & 0xf;
      if (n !== 0 && this.txHeld >= n) this.releaseHeld(false);
      else if (!this.txMitTimer.armed) this.txMitTimer.armAfter(((im >>> 12) & 0xf) * MITIGATION_UNIT_NS);
    }
    if (cause === 0) return;
    this.regs.set16(REG.ISR, (this.regs.u16(REG.ISR) | cause) & INT_VALID);
    this.updateIrq();
  }

  private releaseHeld(rx: boolean): void {
    if (rx) {
      this.rxMitTimer.cancel();
      if (this.rxHeld === 0) return;
      this.rxHeld = 0;
      this.regs.set16(REG.ISR, this.regs.u16(REG.ISR) | INT.ROK);
    } else {
      this.txMitTimer.cancel();
      if (this.txHeld === 0) return;
      this.txHeld = 0;
      this.regs.set16(REG.ISR, this.regs.u16(REG.ISR) | INT.TOK);
    }
    this.updateIrq();
  }

  private updateIrq(): void {
    const level = (this.regs.u16(REG.ISR) & this.regs.u16(REG.IMR)) !== 0;
    if (level === this.irqLevel) return;
    this.irqLevel = level;
    this.fn.setIntx(level);
  }

  /** Re-arm the TimerInt match (QEMU rtl8139_set_next_tctr_time): once per 2^32 ticks. */
  private setNextTctr(): void {
    const now = this.ctx.clock.now();
    while (this.tctrBase + TCTR_WRAP_NS <= now) this.tctrBase += TCTR_WRAP_NS;
    const ti = this.regs.u32(REG.TIMERINT);
    if (ti === 0) {
      this.tctrTimer.cancel();
      return;
    }
    let delta = ti * PCI_PERIOD_NS;
    if (this.tctrBase + delta <= now) delta += TCTR_WRAP_NS;
    this.tctrTimer.arm(this.tctrBase + delta);
  }

  private tctrFired(): void {
    this.raise(INT.TIMEOUT);
    this.setNextTctr();
  }

  // ------------------------------------------------------------------ link

  private linkChanged(up: boolean): void {
    if (up === this.carrier) return;
    this.carrier = up;
    // Link change: ISR.LinkChg and CSCR.LinkChange (8139too reads CSCR on this interrupt).
    this.regs.set16(REG.CSCR, this.regs.u16(REG.CSCR) | CSCR.LINK_CHANGE);
    this.raise(INT.LINKCHG);
    if (up && this.accessDepth === 0) this.net.flushQueue();
  }

  // ------------------------------------------------------------------ save / restore

  saveState(): SavedState {
    const now = this.ctx.clock.now();
    const left = (t: Timer): number | undefined => (t.armed ? Math.max(0, t.deadline - now) : undefined);
    const pci = this.fn.saveState();
    const ring = (r: TxState['normal']): { desc: number; data: Uint8Array; bad: boolean } => ({ desc: r.desc, data: r.buf.slice(0, r.offset), bad: r.bad });
    const fields: Rtl8139SavedFields = {
      revision: this.options.revision,
      macAddress: this.macAddress.slice(),
      pci: { config: pci.config, barSizing: pci.barSizing, intxLevel: pci.intxLevel },
      regs: this.regs.bytes.slice(),
      cplusMap: this.cplusMap,
      clockRunning: this.clockRunning,
      carrier: this.carrier,
      eeprom: this.eeprom.slice(),
      eepromWire: { ...this.wire },
      rx: { ...this.rx },
      tx: { cur: this.tx.cur, normal: ring(this.tx.normal), high: ring(this.tx.high) },
      tally: { ...this.tally },
      tctrElapsed: Math.max(0, now - this.tctrBase),
      interrupts: { level: this.irqLevel, rxHeld: this.rxHeld, txHeld: this.txHeld },
      timers: { tctr: left(this.tctrTimer), rxMitigation: left(this.rxMitTimer), txMitigation: left(this.txMitTimer), rxPoll: left(this.rxPollTimer) },
    };
    return save(RTL8139_STATE, fields);
  }

  restoreState(saved: unknown): string | undefined {
    const r = restore(RTL8139_STATE, saved);
    if (!r.ok) return formatRestoreError(r.error);
    const s = r.value;
    if (s.revision !== this.options.revision) {
      return `rtl8139.revision: saved by revision 0x${s.revision.toString(16)}, this device is 0x${this.options.revision.toString(16)}`;
    }
    const pciState: PciFunctionState = { config: s.pci.config, barSizing: s.pci.barSizing, intxLevel: s.pci.intxLevel };
    const pe = this.fn.restoreState(pciState);
    if (pe) return `rtl8139.pci.${pe.field}: ${pe.why}`;

    this.regs.bytes.set(s.regs);
    this.macAddress.set(s.macAddress);
    this.eeprom.set(s.eeprom);
    Object.assign(this.wire, s.eepromWire);
    this.cplusMap = s.cplusMap;
    this.clockRunning = s.clockRunning;
    this.carrier = s.carrier;
    Object.assign(this.rx, s.rx);
    this.tx.cur = s.tx.cur;
    for (const [ring, saved] of [[this.tx.normal, s.tx.normal], [this.tx.high, s.tx.high]] as const) {
      ring.desc = saved.desc;
      ring.bad = saved.bad;
      ring.buf.set(saved.data);
      ring.offset = saved.data.length;
    }
    Object.assign(this.tally, s.tally);
    const now = this.ctx.clock.now();
    this.tctrBase = now - s.tctrElapsed;
    this.irqLevel = s.interrupts.level;
    this.rxHeld = s.interrupts.rxHeld;
    this.txHeld = s.interrupts.txHeld;
    const rearm = (t: Timer, left: number | undefined): void => {
      if (left === undefined) t.cancel();
      else t.arm(now + left);
    };
    rearm(this.tctrTimer, s.timers.tctr);
    rearm(this.rxMitTimer, s.timers.rxMitigation);
    rearm(this.txMitTimer, s.timers.txMitigation);
    rearm(this.rxPollTimer, s.timers.rxPoll);
    this.fn.setIntx(this.irqLevel);
    return undefined;
  }
}

// ------------------------------------------------------------------ properties

/** Options from a parsed `-device rtl8139,...` (the `x-revision` extension). */
export function rtl8139OptionsFrom(props: NicProps): Partial<Rtl8139Options> {
  const o = props.options;
  if (o && o.driver === 'rtl8139' && o.xRevision !== undefined) return { revision: o.xRevision };
  return {};
}

export function createRtl8139(ctx: DeviceContext, props: NicProps, options: Partial<Rtl8139Options> = {}): Rtl8139 {
  return new Rtl8139(ctx, { mac: props.mac, name: props.name }, { ...rtl8139OptionsFrom(props), ...options });
}
