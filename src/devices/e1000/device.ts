/**
 * Intel 82540EM (and 82544GC / 82545EM) Gigabit Ethernet controller, as
 * QEMU's `e1000` presents it: PCI 8086:100E rev 3, subsystem 1af4:1100,
 * class 0x020000, BAR0 128 KiB MMIO, BAR1 64 B I/O, INTA, no capabilities.
 *
 * Register behaviour follows the 8254x SDM, checked against QEMU 7.2 with
 * the qtest rig. Where QEMU falls short this model goes further (the list
 * of deliberate differences is in index.ts): a working IOADDR/IODATA
 * window, RX checksum offload, the TIDV/RDTR delay timers, CTRL.RST,
 * backpressure instead of drops for frames spanning descriptors.
 *
 * Register accesses are guarded: a write runs inside the network client's
 * I/O section (frames that arrive meanwhile are delivered after it), and an
 * access that arrives while the device itself is doing DMA is refused.
 */
import type { GuestMemory } from '../../dma/memory.js';
import { OptionError } from '../../errors.js';
import { type FrameOffload, NetClient, type ReceiveResult } from '../../hub/client.js';
import type { BarHandler, DeviceContext } from '../../machine/device.js';
import { PciFunction, type PciFunctionState } from '../../pci/index.js';
import { formatRestoreError, restore, save, type SavedState } from '../../state/index.js';
import type { Timer } from '../../time/clock.js';
import type { DeviceOptions } from '../../config/index.js';
import type { NicDevice, NicProps } from '../nic.js';
import { buildEepromImage, eecdRead, eecdWrite, eerdRead, microwireReset, newMicrowireState, type MicrowireState } from './eeprom.js';
import { AUTONEG_MS, enterLinkPhase, nextLinkPhase, type LinkEvent, type LinkPhase } from './link.js';
import * as phyRegs from './phy.js';
import type { MdicResult } from './phy.js';
import * as regs from './regs.js';
import type { Dispatch } from './regs.js';
import { newRxState, receiveFrame, rxReady, type RxCounters, type RxHost, type RxState } from './rx.js';
import { E1000_STATE, type E1000SavedFields } from './state.js';
import { incStat } from './stats.js';
import { newTxState, resetTxState, startXmit, TX_BUFFER_SIZE, type TxCounters, type TxHost, type TxState } from './tx.js';

// Register slots, bit masks and dispatch codes as this module's own constants:
// V8 folds a module's `const` bindings into optimized code, but loads an
// imported binding (and then its field) at every use (see rx.ts).
const { buildDispatch, CTRL, CTRL_EXT, FPD, ICR, IDX, RAH_AV, RCTL, ReadOp, REG_SLOTS, RESET_VALUES, STATUS, WriteOp } = regs;
type ReadOp = regs.ReadOp;
type WriteOp = regs.WriteOp;
const { BMCR, BMSR, mdicWrite, PHY, phyReset } = phyRegs;

/** One of the three QEMU e1000 models. */
export interface E1000Variant {
  readonly driver: 'e1000' | 'e1000-82544gc' | 'e1000-82545em';
  readonly deviceId: number;
  readonly phyId2: number;
  readonly description: string;
}

/** Options beyond the MAC address, by QEMU property name. */
export interface E1000Options {
  /** Interrupt moderation registers (ITR, RADV, TADV, RDTR, TIDV) and the 128 us floor (QEMU `mitigation`, default on). */
  mitigation: boolean;
  /** Autonegotiation on link up and BMCR restart (QEMU `autonegotiation`, default on). */
  autonegotiation: boolean;
  /** Statistics and wake-up registers beyond the basic set (QEMU `extra_mac_registers`, default on). */
  extraMacRegisters: boolean;
  /** VET starts at 0x8100 (QEMU `init-vet`, default on). */
  initVet: boolean;
  /**
   * After an RCTL write, refuse frames for this many ms of virtual time, as
   * QEMU does (its `flush_queue_timer`); frames wait in the queue meanwhile.
   * 0 turns the quirk off. nicemu property `x-rctl-flush-ms`, default 1000.
   */
  rctlFlushMs: number;
}

export const DEFAULT_E1000_OPTIONS: E1000Options = {
  mitigation: true,
  autonegotiation: true,
  extraMacRegisters: true,
  initVet: true,
  rctlFlushMs: 1000,
};

/** Named counters of device events (not guest-visible). */
export interface E1000Counters extends TxCounters, RxCounters {
  unknownRegReads: number;
  unknownRegWrites: number;
  readOnlyWrites: number;
  ioWindowOutOfRange: number;
  loopbackFrames: number;
  loopbackDropped: number;
  softResets: number;
  nestedAccesses: number;
}

function newCounters(): E1000Counters {
  return {
    txFrames: 0,
    txDescriptors: 0,
    txDmaErrors: 0,
    txTruncatedBytes: 0,
    txTsoUnderflow: 0,
    txRingWrapStops: 0,
    txEmptyFrames: 0,
    rxFrames: 0,
    rxFiltered: 0,
    rxOversize: 0,
    rxNoBuffers: 0,
    rxOverrun: 0,
    rxNullDescriptors: 0,
    rxDmaErrors: 0,
    unknownRegReads: 0,
    unknownRegWrites: 0,
    readOnlyWrites: 0,
    ioWindowOutOfRange: 0,
    txOffloaded: 0,
    loopbackFrames: 0,
    loopbackDropped: 0,
    softResets: 0,
    nestedAccesses: 0,
  };
}

/** Minimum mitigation window, 500 x 256 ns (QEMU's reading of the SDM's 7813 interrupts/s). */
const MIN_ITR = 500;
const ITR_UNIT_NS = 256;
/** RDTR, RADV, TIDV, TADV count in 1.024 us units (SDM 13.4.30). */
const DELAY_UNIT_NS = 1024;
/** IOADDR selects registers and internal memory below 128 KiB (SDM 13.2.2). */
const IO_WINDOW = 0x20000;

export class E1000 implements NicDevice, TxHost, RxHost {
  readonly pci: PciFunction;
  readonly net: NetClient;
  /** The register file, one slot per dword of BAR0. */
  readonly regs: Uint32Array = new Uint32Array(REG_SLOTS);
  readonly phy = new Uint16Array(32);
  readonly eeprom: Uint16Array;
  readonly memory: GuestMemory;
  readonly tx: TxState = newTxState();
  readonly rx: RxState = newRxState();
  /** Named event counters (what `counters()` reports). */
  readonly events: E1000Counters = newCounters();
  readonly options: E1000Options;
  readonly variant: E1000Variant;

  private readonly macAddress: Uint8Array;
  private readonly dispatch: Dispatch;
  private readonly microwire: MicrowireState = newMicrowireState();
  private readonly mdicOut: MdicResult = { mdic: 0, interrupt: false, restartAutoneg: false };
  private readonly bar0: BarHandler;
  private readonly bar1: BarHandler;

  private linkPhase: LinkPhase = 'up';
  /** The cable (netdev link) as last reported. */
  private carrier = true;
  private ioaddr = 0;

  // Interrupt line and the mitigation window (QEMU mit_timer).
  private irqLevel = false;
  private mitWindowOn = false;
  private readonly mitTimer: Timer;
  private readonly autonegTimer: Timer;
  private readonly flushTimer: Timer;
  // RDTR/RADV and TIDV/TADV delay timers: absolute deadlines (ns), -1 when idle.
  private readonly rxDelayTimer: Timer;
  private readonly txDelayTimer: Timer;
  private rxRelDeadline = -1;
  private rxAbsDeadline = -1;
  private txRelDeadline = -1;
  private txAbsDeadline = -1;
  /** Depth of register accesses in progress (re-entrancy guard). */
  private accessDepth = 0;
  /**
   * The device is moving data (TX ring walk, RX delivery). A register access
   * arriving now can only be its own DMA landing on its BAR (through an
   * emulator's memory that maps MMIO): it is refused, as QEMU's
   * MemReentrancyGuard refuses it (CVE-2023-0330, CVE-2023-3019).
   */
  private dmaDepth = 0;
  /** canReceive() said no because the ring was empty (for RNBC). */
  private starved = false;
  /** PCI command Bus Master Enable, kept in step by the command-change listener. */
  private busMaster = false;

  constructor(
    private readonly ctx: DeviceContext,
    variant: E1000Variant,
    props: { mac: Uint8Array; name: string },
    options: Partial<E1000Options> = {},
  ) {
    if (props.mac.length !== 6) throw new OptionError(`e1000: MAC address must have 6 bytes, got ${props.mac.length}`);
    this.variant = variant;
    this.options = { ...DEFAULT_E1000_OPTIONS, ...options };
    this.memory = ctx.memory;
    this.macAddress = props.mac.slice();
    this.eeprom = buildEepromImage(this.macAddress, variant.deviceId);
    this.dispatch = buildDispatch({ mitigation: this.options.mitigation, mac: this.options.extraMacRegisters });
    this.pci = new PciFunction({
      vendorId: 0x8086,
      deviceId: variant.deviceId,
      revision: 0x03,
      classCode: 0x020000,
      subsystemVendorId: 0x1af4,
      subsystemId: 0x1100,
      interruptPin: 1,
      bars: [{ kind: 'mem32', size: 0x20000 }, { kind: 'io', size: 0x40 }],
      irq: ctx.intx,
    });
    this.net = new NetClient(
      props.name,
      {
        canReceive: () => this.canReceive(),
        receive: (frame) => this.receive(frame),
        linkChanged: (up) => this.linkChanged(up),
      },
      { kind: 'nic' },
    );
    const clock = ctx.clock;
    this.mitTimer = clock.timer(() => this.mitWindowEnd(), `${props.name}.mit`);
    this.autonegTimer = clock.timer(() => this.linkEvent('an-complete'), `${props.name}.autoneg`);
    this.flushTimer = clock.timer(() => this.net.flushQueue(), `${props.name}.rctl-flush`);
    this.rxDelayTimer = clock.timer(() => this.rxDelayFired(), `${props.name}.rdtr`);
    this.txDelayTimer = clock.timer(() => this.txDelayFired(), `${props.name}.tidv`);
    this.bar0 = {
      impl: { min: 4, max: 4 },
      read: (off) => this.readReg(off),
      write: (off, _size, v) => this.writeReg(off, v),
    };
    this.bar1 = {
      impl: { min: 4, max: 4 },
      read: (off) => this.ioRead(off),
      write: (off, _size, v) => this.ioWrite(off, v),
    };
    // Bus mastering switched on: frames that waited may go in now (QEMU e1000_write_config).
    this.pci.onCommandChange(() => {
      this.busMaster = this.pci.busMaster;
      if (this.busMaster && this.accessDepth === 0) this.net.flushQueue();
    });
    this.powerOnReset();
  }

  /** The MAC address the device was created with. */
  get mac(): Uint8Array {
    return this.macAddress;
  }

  bar(index: number): BarHandler | undefined {
    return index === 0 ? this.bar0 : index === 1 ? this.bar1 : undefined;
  }

  counters(): Readonly<Record<string, number>> {
    return { ...this.events };
  }

  /** The current link state machine phase. */
  get link(): LinkPhase {
    return this.linkPhase;
  }

  // ------------------------------------------------------------------ reset

  /** Machine reset: every register to its power-on value (the PCI function is reset by the machine). */
  reset(): void {
    this.powerOnReset();
  }

  private powerOnReset(): void {
    phyReset(this.phy, this.variant.phyId2);
    this.resetMac();
    this.ioaddr = 0;
    this.autonegTimer.cancel();
    this.linkPhase = this.carrier ? 'up' : 'down';
    if (!this.carrier) enterLinkPhase(this.regs, this.phy, 'down', 'carrier-lost');
  }

  /** MAC registers, DMA engines, timers and the interrupt line to their reset state; the PHY is kept. */
  private resetMac(): void {
    const mac = this.regs;
    mac.fill(0);
    for (const [i, v] of RESET_VALUES) mac[i] = v;
    if (!this.options.initVet) mac[IDX.VET] = 0;
    // RAL0/RAH0 from the EEPROM's MAC address (SDM 5.6.1), Address Valid.
    const m = this.macAddress;
    mac[IDX.RA] = (m[0]! | (m[1]! << 8) | (m[2]! << 16) | (m[3]! << 24)) >>> 0;
    mac[IDX.RA + 1] = (m[4]! | (m[5]! << 8) | RAH_AV) >>> 0;
    resetTxState(this.tx);
    this.rx.waitCounted = false;
    this.starved = false;
    microwireReset(this.microwire);
    this.mitTimer.cancel();
    this.flushTimer.cancel();
    this.rxDelayTimer.cancel();
    this.txDelayTimer.cancel();
    this.rxRelDeadline = this.rxAbsDeadline = this.txRelDeadline = this.txAbsDeadline = -1;
    this.mitWindowOn = false;
    this.irqLevel = false;
    this.pci.setIntx(false);
  }

  /**
   * CTRL.RST (SDM 13.4.1): a global reset of the MAC. Registers, descriptor
   * engines and interrupt state return to power-on values; the PHY and the
   * link keep their state, so STATUS.LU is taken from the link. QEMU 7.2
   * ignores the bit.
   */
  private softReset(): void {
    this.events.softResets++;
    this.resetMac();
    if (this.linkPhase !== 'up') this.regs[IDX.STATUS] = this.regs[IDX.STATUS]! & ~STATUS.LU;
  }

  // ------------------------------------------------------------------ register access

  /** A 32-bit read of BAR0 at `off` (SDM table 13-2). */
  readReg(off: number): number {
    if (this.dmaDepth > 0) {
      this.events.nestedAccesses++;
      return 0;
    }
    const mac = this.regs;
    const idx = (off & 0x1ffff) >>> 2;
    switch (this.dispatch.readOp[idx] as ReadOp) {
      case ReadOp.Plain:
      case ReadOp.Stat64Lo:
        return mac[idx]!;
      case ReadOp.Unknown:
        this.events.unknownRegReads++;
        return 0;
      case ReadOp.WriteOnly:
        return 0;
      case ReadOp.Stat: {
        const v = mac[idx]!;
        mac[idx] = 0;
        return v;
      }
      case ReadOp.Stat64Hi: {
        const v = mac[idx]!;
        mac[idx] = 0;
        mac[idx - 1] = 0;
        return v;
      }
      case ReadOp.Icr: {
        // Read-to-clear (SDM 13.4.17); the line follows.
        const v = mac[IDX.ICR]!;
        this.setInterruptCause(0);
        return v;
      }
      case ReadOp.Ics:
        return mac[IDX.ICR]!;
      case ReadOp.Eecd:
        return eecdRead(this.microwire, this.eeprom);
      case ReadOp.Eerd:
        return eerdRead(mac[IDX.EERD]!, this.eeprom);
      default:
        return 0;
    }
  }

  /** A 32-bit write of BAR0 at `off`. */
  writeReg(off: number, value: number): void {
    if (this.dmaDepth > 0) {
      this.events.nestedAccesses++;
      return;
    }
    this.accessDepth++;
    this.net.enterIo();
    try {
      this.doWrite((off & 0x1ffff) >>> 2, value >>> 0);
    } finally {
      this.accessDepth--;
      this.net.exitIo();
    }
  }

  private doWrite(idx: number, val: number): void {
    const mac = this.regs;
    const d = this.dispatch;
    switch (d.writeOp[idx] as WriteOp) {
      case WriteOp.Plain:
        mac[idx] = val & d.wmask[idx]!;
        return;
      case WriteOp.Unknown:
        this.events.unknownRegWrites++;
        return;
      case WriteOp.ReadOnly:
        this.events.readOnlyWrites++;
        return;
      case WriteOp.Ctrl:
        mac[IDX.CTRL] = val & ~CTRL.RST;
        if (val & CTRL.RST) this.softReset();
        return;
      case WriteOp.CtrlExt:
        // EE_RST reloads from the EEPROM (already in place) and self-clears.
        mac[IDX.CTRL_EXT] = val & ~CTRL_EXT.EE_RST;
        return;
      case WriteOp.Eecd:
        eecdWrite(this.microwire, val);
        return;
      case WriteOp.Mdic:
        this.writeMdic(val);
        return;
      case WriteOp.Icr:
        this.setInterruptCause(mac[IDX.ICR]! & ~val);
        return;
      case WriteOp.Ics:
        this.setInterruptCause(val | mac[IDX.ICR]!);
        return;
      case WriteOp.Ims:
        mac[IDX.IMS] = mac[IDX.IMS]! | val;
        this.setInterruptCause(mac[IDX.ICR]!);
        return;
      case WriteOp.Imc:
        mac[IDX.IMS] = mac[IDX.IMS]! & ~val;
        this.setInterruptCause(mac[IDX.ICR]!);
        return;
      case WriteOp.Rctl:
        mac[IDX.RCTL] = val;
        if (this.options.rctlFlushMs > 0) this.armMs(this.flushTimer, this.options.rctlFlushMs);
        return;
      case WriteOp.Rdt:
        // New descriptors: waiting frames are offered when this access ends (exitIo).
        mac[IDX.RDT] = val & 0xffff;
        return;
      case WriteOp.Rdtr:
        mac[IDX.RDTR] = val & 0xffff;
        if (val & FPD && this.rxDelayTimer.armed) this.rxDelayFired();
        return;
      case WriteOp.Tctl:
        mac[IDX.TCTL] = val;
        mac[IDX.TDT] = mac[IDX.TDT]! & 0xffff;
        this.runTx();
        return;
      case WriteOp.Tdt:
        mac[IDX.TDT] = val & 0xffff;
        this.runTx();
        return;
      case WriteOp.Tidv:
        mac[IDX.TIDV] = val & 0xffff;
        if (val & FPD && this.txDelayTimer.armed) this.txDelayFired();
        return;
      default:
        return;
    }
  }

  private writeMdic(val: number): void {
    const o = this.mdicOut;
    mdicWrite(this.phy, this.regs[IDX.MDIC]!, val, o);
    if (o.restartAutoneg && this.autonegEnabled()) this.linkEvent('an-restart');
    this.regs[IDX.MDIC] = o.mdic;
    if (o.interrupt) this.setIcs(ICR.MDAC);
  }

  // I/O BAR: IOADDR at 0, IODATA at 4 (SDM 13.2.2); the rest of the 64 bytes is reserved.
  private ioRead(off: number): number {
    if (off === 0) return this.ioaddr;
    if (off === 4) {
      if (this.ioaddr < IO_WINDOW) return this.readReg(this.ioaddr);
      this.events.ioWindowOutOfRange++;
    }
    return 0;
  }

  private ioWrite(off: number, v: number): void {
    if (off === 0) this.ioaddr = v >>> 0;
    else if (off === 4) {
      if (this.ioaddr < IO_WINDOW) this.writeReg(this.ioaddr, v);
      else this.events.ioWindowOutOfRange++;
    }
  }

  // ------------------------------------------------------------------ interrupts

  /** Raise causes (ICS semantics). */
  private setIcs(cause: number): void {
    this.setInterruptCause(cause | this.regs[IDX.ICR]!);
  }

  raise(cause: number): void {
    this.setIcs(cause);
  }

  /**
   * ICR changes; drive INTx from ICR & IMS. A rising edge inside the
   * mitigation window (ITR, at least 500 x 256 ns with `mitigation` on) is
   * held back until the window closes (SDM 13.4.18; QEMU set_interrupt_cause).
   */
  private setInterruptCause(val: number): void {
    const mac = this.regs;
    mac[IDX.ICR] = val;
    mac[IDX.ICS] = val;
    const pending = mac[IDX.IMS]! & val;
    if (!this.irqLevel && pending) {
      if (this.mitWindowOn) return;
      if (this.options.mitigation) {
        let delay = mac[IDX.ITR]!;
        if (delay < MIN_ITR) delay = MIN_ITR;
        this.mitWindowOn = true;
        this.mitTimer.armAfter(delay * ITR_UNIT_NS);
      }
    }
    const level = pending !== 0;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.pci.setIntx(level);
    }
  }

  private mitWindowEnd(): void {
    this.mitWindowOn = false;
    this.setInterruptCause(this.regs[IDX.ICR]!);
  }

  /** RX finished a frame: RXT0 now, or after the RDTR/RADV delay (SDM 13.4.30-31). */
  rxDone(cause: number): void {
    const mac = this.regs;
    const rdtr = mac[IDX.RDTR]! & 0xffff;
    if (rdtr === 0) {
      this.setIcs(cause);
      return;
    }
    const other = cause & ~ICR.RXT0;
    if (other) this.setIcs(other);
    const now = this.ctx.clock.now();
    this.rxRelDeadline = now + rdtr * DELAY_UNIT_NS;
    const radv = mac[IDX.RADV]! & 0xffff;
    if (radv !== 0 && this.rxAbsDeadline < 0) this.rxAbsDeadline = now + radv * DELAY_UNIT_NS;
    this.rxDelayTimer.arm(this.rxAbsDeadline >= 0 ? Math.min(this.rxRelDeadline, this.rxAbsDeadline) : this.rxRelDeadline);
  }

  private rxDelayFired(): void {
    this.rxDelayTimer.cancel();
    this.rxRelDeadline = this.rxAbsDeadline = -1;
    this.setIcs(ICR.RXT0);
  }

  private runTx(): void {
    const t = this.tx;
    t.delayedWriteback = false;
    t.immediateWriteback = false;
    this.dmaDepth++;
    let cause: number;
    try {
      cause = startXmit(this);
    } finally {
      this.dmaDepth--;
    }
    if (cause === 0) return;
    if (t.immediateWriteback) {
      // An immediate TXDW also reports descriptors whose interrupt was delayed.
      this.txDelayTimer.cancel();
      this.txRelDeadline = this.txAbsDeadline = -1;
    } else if (t.delayedWriteback) {
      const tidv = this.regs[IDX.TIDV]! & 0xffff;
      if (tidv === 0) cause |= ICR.TXDW;
      else {
        // TIDV restarts with each delayed descriptor; TADV caps the total delay (SDM 13.4.44-45).
        const now = this.ctx.clock.now();
        this.txRelDeadline = now + tidv * DELAY_UNIT_NS;
        const tadv = this.regs[IDX.TADV]! & 0xffff;
        if (tadv !== 0 && this.txAbsDeadline < 0) this.txAbsDeadline = now + tadv * DELAY_UNIT_NS;
        this.txDelayTimer.arm(this.txAbsDeadline >= 0 ? Math.min(this.txRelDeadline, this.txAbsDeadline) : this.txRelDeadline);
      }
    }
    this.setIcs(cause);
  }

  private txDelayFired(): void {
    this.txDelayTimer.cancel();
    this.txRelDeadline = this.txAbsDeadline = -1;
    this.setIcs(ICR.TXDW);
  }

  /**
   * Arm a timer `ms` milliseconds ahead on a millisecond grid, as QEMU's
   * millisecond-scale timers (autonegotiation, RX flush) do: the deadline is
   * the current time truncated to whole ms, plus `ms`.
   */
  private armMs(t: Timer, ms: number): void {
    t.arm((Math.floor(this.ctx.clock.now() / 1_000_000) + ms) * 1_000_000);
  }

  // ------------------------------------------------------------------ TX/RX hosts

  dmaAllowed(): boolean {
    return this.busMaster;
  }

  takesOffloaded(): boolean {
    return !(this.phy[PHY.BMCR]! & BMCR.LOOPBACK) && this.net.peerTakesOffloaded();
  }

  transmitOffloaded(frame: Uint8Array, offload: FrameOffload): boolean {
    return !(this.phy[PHY.BMCR]! & BMCR.LOOPBACK) && this.net.sendOffloaded(frame, offload);
  }

  transmit(frame: Uint8Array): void {
    if (this.phy[PHY.BMCR]! & BMCR.LOOPBACK) {
      // PHY loopback (SDM 13.5.1): the frame comes back to our own receiver,
      // after this access ends (never re-entrantly).
      if (this.net.incoming.push(frame)) this.events.loopbackFrames++;
      else this.events.loopbackDropped++;
      return;
    }
    this.net.send(frame);
  }

  private canReceive(): boolean {
    if (this.flushTimer.armed) return false;
    if (rxReady(this)) return true;
    // Out of descriptors (the rest of the receiver is ready): a frame offered now has to wait.
    const mac = this.regs;
    if (mac[IDX.RDH] === mac[IDX.RDT] && mac[IDX.STATUS]! & STATUS.LU && mac[IDX.RCTL]! & RCTL.EN) this.starved = true;
    return false;
  }

  private receive(frame: Uint8Array): ReceiveResult {
    if (this.accessDepth > 0) {
      // A delivery inside our own register access: refuse, it will be retried.
      this.events.nestedAccesses++;
      return 'busy';
    }
    if (this.flushTimer.armed) return 'busy';
    if (this.starved) {
      // The frame at the head of the queue arrived while no descriptor was free (RNBC, SDM 13.7).
      this.starved = false;
      if (this.net.incoming.length > 0 && !this.rx.waitCounted) {
        incStat(this.regs, IDX.RNBC);
        this.events.rxNoBuffers++;
      }
    }
    this.dmaDepth++;
    try {
      return receiveFrame(this, frame);
    } finally {
      this.dmaDepth--;
    }
  }

  // ------------------------------------------------------------------ link

  private autonegEnabled(): boolean {
    return this.options.autonegotiation && (this.phy[PHY.BMCR]! & BMCR.AUTOEN) !== 0;
  }

  private linkChanged(up: boolean): void {
    this.carrier = up;
    if (!up) this.linkEvent('carrier-lost');
    else if (this.autonegEnabled() && !(this.phy[PHY.BMSR]! & BMSR.AN_COMP)) this.linkEvent('carrier-up-autoneg');
    else this.linkEvent('carrier-up-forced');
  }

  private linkEvent(event: LinkEvent): void {
    if (event === 'an-complete' && !this.carrier) return;
    const next = nextLinkPhase(this.linkPhase, event);
    if (next === undefined) return;
    const before = this.regs[IDX.STATUS]!;
    this.linkPhase = next;
    enterLinkPhase(this.regs, this.phy, next, event);
    if (next === 'negotiating') this.armMs(this.autonegTimer, AUTONEG_MS);
    else this.autonegTimer.cancel();
    // LSC when STATUS changed; QEMU raises it unconditionally when negotiation completes,
    // and not when a BMCR restart takes the link down.
    if (event === 'an-complete' || (event !== 'an-restart' && this.regs[IDX.STATUS] !== before)) this.setIcs(ICR.LSC);
    if (next === 'up' && this.accessDepth === 0) this.net.flushQueue();
  }

  // ------------------------------------------------------------------ save / restore

  saveState(): SavedState {
    const t = this.tx;
    const now = this.ctx.clock.now();
    const left = (tm: Timer): number | undefined => (tm.armed ? Math.max(0, tm.deadline - now) : undefined);
    const pci = this.pci.saveState();
    const fields: E1000SavedFields = {
      deviceId: this.variant.deviceId,
      macAddress: this.macAddress.slice(),
      pci: { config: pci.config, barSizing: pci.barSizing, intxLevel: pci.intxLevel },
      regs: this.regs.slice(),
      phy: this.phy.slice(),
      eeprom: this.eeprom.slice(),
      microwire: { ...this.microwire },
      link: this.linkPhase,
      carrier: this.carrier,
      ioaddr: this.ioaddr,
      tx: {
        data: t.buf.slice(4, 4 + t.size),
        header: t.header.slice(),
        vlanTag: t.vlanTag,
        sumNeeded: t.sumNeeded,
        cptse: t.cptse,
        whole: t.whole,
        props: { ...t.props },
        tsoProps: { ...t.tsoProps },
        tsoFrames: t.tsoFrames,
      },
      rxWaitCounted: this.rx.waitCounted,
      interrupts: { level: this.irqLevel, mitigationWindow: this.mitWindowOn ? (left(this.mitTimer) ?? 0) : undefined },
      timers: {
        autoneg: left(this.autonegTimer),
        rctlFlush: left(this.flushTimer),
        rxRelative: this.rxRelDeadline >= 0 ? Math.max(0, this.rxRelDeadline - now) : undefined,
        rxAbsolute: this.rxAbsDeadline >= 0 ? Math.max(0, this.rxAbsDeadline - now) : undefined,
        txRelative: this.txRelDeadline >= 0 ? Math.max(0, this.txRelDeadline - now) : undefined,
        txAbsolute: this.txAbsDeadline >= 0 ? Math.max(0, this.txAbsDeadline - now) : undefined,
      },
    };
    return save(E1000_STATE, fields);
  }

  restoreState(saved: unknown): string | undefined {
    const r = restore(E1000_STATE, saved);
    if (!r.ok) return formatRestoreError(r.error);
    const s = r.value;
    if (s.deviceId !== this.variant.deviceId) {
      return `e1000.deviceId: saved by device 0x${s.deviceId.toString(16)}, this is ${this.variant.driver} (0x${this.variant.deviceId.toString(16)})`;
    }
    if (s.tx.data.length > TX_BUFFER_SIZE) return 'e1000.tx.data: longer than the 64 KiB staging buffer';
    if (s.link === 'up' && !s.carrier) return 'e1000.link: "up" while the carrier is down';
    // PCI first: it validates everything before changing anything.
    const pciState: PciFunctionState = { config: s.pci.config, barSizing: s.pci.barSizing, intxLevel: s.pci.intxLevel };
    const pe = this.pci.restoreState(pciState);
    if (pe) return `e1000.pci.${pe.field}: ${pe.why}`;

    this.regs.set(s.regs);
    this.phy.set(s.phy);
    this.eeprom.set(s.eeprom);
    this.macAddress.set(s.macAddress);
    Object.assign(this.microwire, s.microwire);
    this.linkPhase = s.link;
    this.carrier = s.carrier;
    this.ioaddr = s.ioaddr;
    const t = this.tx;
    resetTxState(t);
    t.buf.set(s.tx.data, 4);
    t.size = s.tx.data.length;
    t.header.set(s.tx.header);
    t.vlanTag = s.tx.vlanTag;
    t.sumNeeded = s.tx.sumNeeded;
    t.cptse = s.tx.cptse;
    t.whole = s.tx.whole ?? false;
    Object.assign(t.props, s.tx.props);
    Object.assign(t.tsoProps, s.tx.tsoProps);
    t.tsoFrames = s.tx.tsoFrames;
    this.rx.waitCounted = s.rxWaitCounted;

    const now = this.ctx.clock.now();
    const rearm = (tm: Timer, left: number | undefined): void => {
      if (left === undefined) tm.cancel();
      else tm.arm(now + left);
    };
    this.irqLevel = s.interrupts.level;
    this.mitWindowOn = s.interrupts.mitigationWindow !== undefined;
    rearm(this.mitTimer, s.interrupts.mitigationWindow);
    rearm(this.autonegTimer, s.timers.autoneg);
    rearm(this.flushTimer, s.timers.rctlFlush);
    this.rxRelDeadline = s.timers.rxRelative === undefined ? -1 : now + s.timers.rxRelative;
    this.rxAbsDeadline = s.timers.rxAbsolute === undefined ? -1 : now + s.timers.rxAbsolute;
    this.txRelDeadline = s.timers.txRelative === undefined ? -1 : now + s.timers.txRelative;
    this.txAbsDeadline = s.timers.txAbsolute === undefined ? -1 : now + s.timers.txAbsolute;
    const first = (a: number, b: number): number => (a < 0 ? b : b < 0 ? a : Math.min(a, b));
    const rxAt = first(this.rxRelDeadline, this.rxAbsDeadline);
    const txAt = first(this.txRelDeadline, this.txAbsDeadline);
    if (rxAt >= 0) this.rxDelayTimer.arm(rxAt);
    else this.rxDelayTimer.cancel();
    if (txAt >= 0) this.txDelayTimer.arm(txAt);
    else this.txDelayTimer.cancel();
    this.busMaster = this.pci.busMaster;
    this.pci.setIntx(this.irqLevel);
    // The cable is the network's: if it changed while the state was stored, catch up (with LSC).
    if (this.net.linkDown === this.carrier) this.linkChanged(!this.net.linkDown);
    return undefined;
  }
}

// ------------------------------------------------------------------ properties

/** Options from a parsed `-device e1000,...` (src/config), by their QEMU meaning. */
export function e1000OptionsFrom(options: DeviceOptions | undefined): Partial<E1000Options> {
  const o: Partial<E1000Options> = {};
  if (!options || (options.driver !== 'e1000' && options.driver !== 'e1000-82544gc' && options.driver !== 'e1000-82545em')) return o;
  if (options.mitigation !== undefined) o.mitigation = options.mitigation;
  if (options.autonegotiation !== undefined) o.autonegotiation = options.autonegotiation;
  if (options.extraMacRegisters !== undefined) o.extraMacRegisters = options.extraMacRegisters;
  if (options.initVet !== undefined) o.initVet = options.initVet;
  // nicemu's own property, once the option parser knows it.
  const flush = (options as { xRctlFlushMs?: unknown }).xRctlFlushMs;
  if (typeof flush === 'number') o.rctlFlushMs = checkFlushMs(options.driver, flush);
  return o;
}

function checkFlushMs(driver: string, n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 60_000) throw new OptionError(`${driver}: x-rctl-flush-ms must be an integer in 0..60000, got '${String(n)}'`);
  return n;
}

function boolProp(name: string, v: string | number | boolean): boolean {
  if (typeof v === 'boolean') return v;
  const s = String(v).toLowerCase();
  if (s === 'on' || s === 'yes' || s === 'true' || s === '1') return true;
  if (s === 'off' || s === 'no' || s === 'false' || s === '0') return false;
  throw new OptionError(`e1000: property '${name}' expects on/off, got '${String(v)}'`);
}

const GENERIC_PROPS = new Set(['bootindex', 'romfile', 'romsize', 'rombar', 'multifunction', 'addr', 'id', 'bus', 'netdev', 'mac', 'x-pcie-lnksta-dllla', 'x-pcie-extcap-init', 'acpi-index', 'failover_pair_id', 'migrate_tso_props']);

/** Properties spelled as on a QEMU command line (`mitigation=off`), e.g. from a trace's `device` field. */
export function parseE1000Props(driver: string, props: Readonly<Record<string, string | number | boolean>>): Partial<E1000Options> {
  const o: Partial<E1000Options> = {};
  for (const [k, v] of Object.entries(props)) {
    switch (k) {
      case 'mitigation':
        o.mitigation = boolProp(k, v);
        break;
      case 'autonegotiation':
        o.autonegotiation = boolProp(k, v);
        break;
      case 'extra_mac_registers':
        o.extraMacRegisters = boolProp(k, v);
        break;
      case 'init-vet':
        o.initVet = boolProp(k, v);
        break;
      case 'x-rctl-flush-ms':
        o.rctlFlushMs = checkFlushMs(driver, typeof v === 'number' ? v : Number(v));
        break;
      default:
        if (!GENERIC_PROPS.has(k)) throw new OptionError(`${driver}: property '${k}' not found`);
    }
  }
  return o;
}

export function createE1000(ctx: DeviceContext, variant: E1000Variant, props: NicProps, extra: Partial<E1000Options> = {}): E1000 {
  return new E1000(ctx, variant, { mac: props.mac, name: props.name }, { ...e1000OptionsFrom(props.options), ...extra });
}
