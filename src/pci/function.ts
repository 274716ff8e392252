/**
 * A PCI type-0 function: configuration space with the sizing protocol,
 * capabilities (PM, MSI, MSI-X, vendor-specific), INTx, MSI and MSI-X
 * delivery, mapping events for the machine, reset and save/restore.
 *
 * Bad guest accesses never throw: out-of-range reads return all ones and
 * out-of-range writes are dropped. Bad build options throw OptionError.
 */
import { OptionError } from '../errors.js';
import type { IrqLine, MsiSink } from '../irq.js';
import { decodeBar, decodeRom, layoutBars, romMask, validateRomSize, type ActiveBar, type BarLayout, type BarSpec, type RomMapping } from './bars.js';
import { installCap, placeCaps, type CapabilitySpec, type CapWindow, type PlacedCap } from './caps.js';
import { ConfigSpace, type AccessSize } from './config.js';
import { Listeners } from './events.js';
import { MsiCapability } from './msi.js';
import { MsixTable, type MsiResult } from './msix.js';
import {
  HEADER_REGS,
  PCI_CAPABILITY_LIST,
  PCI_CLASS_PROG,
  PCI_COMMAND,
  PCI_COMMAND_INTX_DISABLE,
  PCI_COMMAND_IO,
  PCI_COMMAND_MASTER,
  PCI_COMMAND_MEMORY,
  PCI_CONFIG_SPACE_SIZE,
  PCI_DEVICE_ID,
  PCI_HEADER_TYPE,
  PCI_HEADER_TYPE_MULTI_FUNCTION,
  PCI_INTERRUPT_PIN,
  PCI_MAX_LAT,
  PCI_MIN_GNT,
  PCI_MSI_FLAGS,
  PCI_MSIX_FLAGS,
  PCI_MSIX_FLAGS_ENABLE,
  PCI_MSIX_FLAGS_MASKALL,
  PCI_NUM_BARS,
  PCI_PM_CTRL,
  PCI_PM_CTRL_NO_SOFT_RESET,
  PCI_PM_CTRL_STATE_MASK,
  PCI_REVISION_ID,
  PCI_ROM_ADDRESS,
  PCI_STATUS,
  PCI_STATUS_CAP_LIST,
  PCI_STATUS_INTERRUPT,
  PCI_STATUS_STATIC,
  PCI_STATUS_W1C,
  PCI_SUBSYSTEM_ID,
  PCI_SUBSYSTEM_VENDOR_ID,
  PCI_VENDOR_ID,
  barOffset,
} from './regs.js';
import { decodeState, toHex, type PciFunctionState, type PciStateError, type StateRules } from './state.js';

export interface PciFunctionOptions {
  readonly vendorId: number;
  readonly deviceId: number;
  readonly revision?: number;
  /** 24-bit class code: class << 16 | subclass << 8 | prog-if. */
  readonly classCode: number;
  readonly subsystemVendorId?: number;
  readonly subsystemId?: number;
  /** 0 = no INTx, 1..4 = INTA#..INTD#. */
  readonly interruptPin?: number;
  /** BARs by index 0..5; a mem64 BAR at i also occupies i+1, which must be left undefined. */
  readonly bars?: ReadonlyArray<BarSpec | undefined>;
  /** Expansion ROM size in bytes (power of two, >= 2 KiB); no ROM BAR when absent. */
  readonly romSize?: number;
  readonly capabilities?: readonly CapabilitySpec[];
  readonly multiFunction?: boolean;
  /** Read-only status bits to advertise: 66MHZ, FAST_BACK, DEVSEL timing. */
  readonly statusBits?: number;
  readonly minGnt?: number;
  readonly maxLat?: number;
  /** Where INTx goes (the machine routes it through PIRQ); can be set later with setIrqLine. */
  readonly irq?: IrqLine;
  /** Where MSI/MSI-X messages go; can be set later with setMsiSink. */
  readonly msiSink?: MsiSink;
}

export type PowerState = 'D0' | 'D1' | 'D2' | 'D3hot';
const POWER_STATES: readonly PowerState[] = ['D0', 'D1', 'D2', 'D3hot'];

/** The effective mapping after a change, and what it was before. */
export interface MappingChange {
  readonly bars: readonly ActiveBar[];
  readonly rom: RomMapping | undefined;
  readonly previousBars: readonly ActiveBar[];
  readonly previousRom: RomMapping | undefined;
}

interface Mapping {
  bars: ActiveBar[];
  rom: RomMapping | undefined;
}

interface PlacedWindow {
  readonly capOffset: number;
  readonly capSize: number;
  /** Absolute config offsets [start, end). */
  readonly start: number;
  readonly end: number;
  readonly window: CapWindow;
}

/** Snapshot of the control state that config writes can change. */
interface ControlSnapshot {
  command: number;
  power: PowerState;
}

function checkInt(name: string, v: number | undefined, max: number): number {
  const x = v ?? 0;
  if (!Number.isInteger(x) || x < 0 || x > max) throw new OptionError(`${name} ${String(v)} must be an integer in 0..0x${max.toString(16)}`);
  return x;
}

const ALL_ONES: Record<AccessSize, number> = { 1: 0xff, 2: 0xffff, 4: 0xffffffff };

function isAccessSize(size: number): size is AccessSize {
  return size === 1 || size === 2 || size === 4;
}

export class PciFunction {
  /** The MSI-X table, when the function has an MSI-X capability; the device maps it into its BAR. */
  readonly msix: MsixTable | undefined;
  /** Capabilities in list order, with their offsets. */
  readonly capabilities: readonly PlacedCap[];
  readonly interruptPin: number;

  private readonly cfg = new ConfigSpace();
  private readonly powerOn: Uint8Array;
  private readonly bars: ReadonlyArray<BarLayout | undefined>;
  /** Which BAR slot's layout covers each slot (a mem64's upper slot points at its lower one). */
  private readonly barOwner: ReadonlyArray<BarLayout | undefined>;
  private readonly romSize: number | undefined;
  private readonly pmOffset: number | undefined;
  private readonly pmSupported: ReadonlySet<PowerState>;
  private readonly msi: MsiCapability | undefined;
  private readonly msixOffset: number | undefined;
  private readonly windows: readonly PlacedWindow[];
  private readonly dynamicRo = new Uint8Array(PCI_CONFIG_SPACE_SIZE);

  /** Per BAR slot: the dword holds the all-ones sizing pattern a guest just wrote. */
  private readonly sizing: boolean[] = new Array<boolean>(PCI_NUM_BARS).fill(false);
  private level = false;
  private intxOut = false;
  private irq: IrqLine | undefined;
  private sink: MsiSink | undefined;
  private mapping: Mapping;

  private readonly mappingListeners = new Listeners<[MappingChange]>();
  private readonly commandListeners = new Listeners<[number, number]>();
  private readonly powerListeners = new Listeners<[PowerState, PowerState]>();

  constructor(opts: PciFunctionOptions) {
    const vendorId = checkInt('vendorId', opts.vendorId, 0xffff);
    const deviceId = checkInt('deviceId', opts.deviceId, 0xffff);
    const classCode = checkInt('classCode', opts.classCode, 0xffffff);
    this.interruptPin = checkInt('interruptPin', opts.interruptPin, 4);
    this.bars = layoutBars(opts.bars);
    validateRomSize(opts.romSize);
    this.romSize = opts.romSize;
    const caps = placeCaps(opts.capabilities ?? []);
    this.capabilities = caps;

    const cfg = this.cfg;
    cfg.applyRegs(HEADER_REGS, 0);
    cfg.setU16(PCI_VENDOR_ID, vendorId);
    cfg.setU16(PCI_DEVICE_ID, deviceId);
    cfg.setU8(PCI_REVISION_ID, checkInt('revision', opts.revision, 0xff));
    cfg.setU8(PCI_CLASS_PROG, classCode & 0xff);
    cfg.setU16(PCI_CLASS_PROG + 1, classCode >>> 8);
    cfg.setU8(PCI_HEADER_TYPE, opts.multiFunction ? PCI_HEADER_TYPE_MULTI_FUNCTION : 0);
    cfg.setU16(PCI_SUBSYSTEM_VENDOR_ID, checkInt('subsystemVendorId', opts.subsystemVendorId, 0xffff));
    cfg.setU16(PCI_SUBSYSTEM_ID, checkInt('subsystemId', opts.subsystemId, 0xffff));
    cfg.setU8(PCI_INTERRUPT_PIN, this.interruptPin);
    cfg.setU8(PCI_MIN_GNT, checkInt('minGnt', opts.minGnt, 0xff));
    cfg.setU8(PCI_MAX_LAT, checkInt('maxLat', opts.maxLat, 0xff));
    const statusBits = checkInt('statusBits', opts.statusBits, 0xffff);
    if ((statusBits & ~PCI_STATUS_STATIC) !== 0) throw new OptionError(`statusBits may only hold 66MHZ, FAST_BACK and DEVSEL bits`);
    cfg.setU16(PCI_STATUS, statusBits | (caps.length > 0 ? PCI_STATUS_CAP_LIST : 0));
    this.dynamicRo[PCI_STATUS] = PCI_STATUS_INTERRUPT;

    const owner: Array<BarLayout | undefined> = new Array<BarLayout | undefined>(PCI_NUM_BARS).fill(undefined);
    for (const b of this.bars) {
      if (!b) continue;
      owner[b.index] = b;
      cfg.setU32(barOffset(b.index), b.typeBits);
      ConfigSpace.putMask(cfg.wmask, barOffset(b.index), 4, b.lowMask);
      if (b.spec.kind === 'mem64') {
        owner[b.index + 1] = b;
        ConfigSpace.putMask(cfg.wmask, barOffset(b.index + 1), 4, b.highMask);
      }
    }
    this.barOwner = owner;
    if (this.romSize !== undefined) ConfigSpace.putMask(cfg.wmask, PCI_ROM_ADDRESS, 4, romMask(this.romSize));

    // Capabilities, linked in option order from the pointer at 0x34.
    cfg.setU8(PCI_CAPABILITY_LIST, caps[0]?.offset ?? 0);
    let pmOffset: number | undefined;
    const pmSupported = new Set<PowerState>(['D0', 'D3hot']);
    let msi: MsiCapability | undefined;
    let msixOffset: number | undefined;
    let msix: MsixTable | undefined;
    const windows: PlacedWindow[] = [];
    caps.forEach((cap, i) => {
      installCap(cfg, cap, caps[i + 1]?.offset ?? 0);
      const spec = cap.spec;
      switch (spec.kind) {
        case 'pm':
          if (pmOffset !== undefined) throw new OptionError('more than one PM capability');
          pmOffset = cap.offset;
          if (spec.d1) pmSupported.add('D1');
          if (spec.d2) pmSupported.add('D2');
          break;
        case 'msi': {
          if (msi !== undefined) throw new OptionError('more than one MSI capability');
          msi = new MsiCapability(cfg, cap.offset, cap.size, spec.addr64 ?? false, spec.perVectorMask ?? false, (a, d) => this.deliver(a, d));
          const pending = msi.pendingRange;
          if (pending) this.dynamicRo.fill(0xff, pending[0], pending[1]);
          break;
        }
        case 'msix': {
          if (msix !== undefined) throw new OptionError('more than one MSI-X capability');
          this.checkMsixBar('table', spec.tableBar, spec.tableOffset, spec.vectors * 16);
          this.checkMsixBar('PBA', spec.pbaBar, spec.pbaOffset, Math.ceil(spec.vectors / 64) * 8);
          msixOffset = cap.offset;
          msix = new MsixTable(spec.vectors, (a, d) => this.deliver(a, d));
          break;
        }
        case 'vendor':
          if (spec.window) {
            const start = cap.offset + spec.window.start;
            windows.push({ capOffset: cap.offset, capSize: cap.size, start, end: start + spec.window.length, window: spec.window });
          }
          break;
      }
    });
    this.pmOffset = pmOffset;
    this.pmSupported = pmSupported;
    this.msi = msi;
    this.msixOffset = msixOffset;
    this.msix = msix;
    this.windows = windows;

    this.powerOn = cfg.bytes.slice();
    this.irq = opts.irq;
    this.sink = opts.msiSink;
    this.mapping = this.computeMapping();
  }

  private checkMsixBar(what: string, bir: number, offset: number, len: number): void {
    const b = this.bars[bir];
    if (!Number.isInteger(bir) || bir < 0 || bir >= PCI_NUM_BARS || b === undefined || b.spec.kind === 'io') {
      throw new OptionError(`MSI-X ${what} BAR ${bir} is not a memory BAR of this function`);
    }
    if (offset + len > b.spec.size) throw new OptionError(`MSI-X ${what} at 0x${offset.toString(16)}+${len} runs past BAR ${bir} (${b.spec.size} bytes)`);
  }

  // ---------------------------------------------------------------- wiring

  setIrqLine(line: IrqLine | undefined): void {
    this.irq = line;
    line?.set(this.intxOut);
  }

  setMsiSink(sink: MsiSink | undefined): void {
    this.sink = sink;
  }

  /** Called after any change of the effective BAR/ROM mapping. Returns an unsubscribe function. */
  onMappingChange(cb: (change: MappingChange) => void): () => void {
    return this.mappingListeners.add(cb);
  }

  /** Called when the command register changes, with the new and old values. */
  onCommandChange(cb: (command: number, previous: number) => void): () => void {
    return this.commandListeners.add(cb);
  }

  /**
   * Called when PMCSR's power state changes. When the PM capability says
   * No_Soft_Reset = 0, a D3hot→D0 transition has already reset the
   * configuration space; the device should reset its own state too.
   */
  onPowerStateChange(cb: (state: PowerState, previous: PowerState) => void): () => void {
    return this.powerListeners.add(cb);
  }

  // ---------------------------------------------------------------- queries

  get command(): number {
    return this.cfg.getU16(PCI_COMMAND);
  }
  get status(): number {
    return this.cfg.getU16(PCI_STATUS);
  }
  /** Bus Master Enable: the device may DMA (and send MSI) only while this is set. */
  get busMaster(): boolean {
    return (this.command & PCI_COMMAND_MASTER) !== 0;
  }
  /** The level the device drives on INTx (status bit 3), whatever the disable bit says. */
  get intxLevel(): boolean {
    return this.level;
  }
  /** The level actually presented on the INTx line. */
  get intxOutput(): boolean {
    return this.intxOut;
  }
  get powerState(): PowerState {
    if (this.pmOffset === undefined) return 'D0';
    return POWER_STATES[this.cfg.getU16(this.pmOffset + PCI_PM_CTRL) & PCI_PM_CTRL_STATE_MASK]!;
  }
  /** The expansion ROM's current mapping, if it decodes. */
  get romBar(): RomMapping | undefined {
    return this.mapping.rom;
  }
  /** BARs that currently decode, by index. */
  activeBars(): ActiveBar[] {
    return [...this.mapping.bars];
  }
  isMsiEnabled(): boolean {
    return this.msi?.isEnabled() ?? false;
  }
  isMsixEnabled(): boolean {
    return this.msixOffset !== undefined && (this.cfg.getU16(this.msixOffset + PCI_MSIX_FLAGS) & PCI_MSIX_FLAGS_ENABLE) !== 0;
  }
  /** Offset of the `nth` capability of a kind, or undefined. */
  capabilityOffset(kind: CapabilitySpec['kind'], nth = 0): number | undefined {
    return this.capabilities.filter((c) => c.spec.kind === kind)[nth]?.offset;
  }
  /** Copies of the write and W1C masks (for tracing and fuzz dictionaries). */
  writeMasks(): { wmask: Uint8Array; w1cmask: Uint8Array } {
    return { wmask: this.cfg.wmask.slice(), w1cmask: this.cfg.w1cmask.slice() };
  }

  // ---------------------------------------------------------------- config access

  configRead(offset: number, size: AccessSize): number {
    if (!isAccessSize(size)) return 0xffffffff;
    if (!Number.isInteger(offset) || offset < 0 || offset >= PCI_CONFIG_SPACE_SIZE) return ALL_ONES[size];
    const w = this.windowFor(offset, size);
    if (w) return (w.window.read(offset - w.start, size, this.capView(w)) & ALL_ONES[size]) >>> 0;
    let v = 0;
    for (let i = 0; i < size; i++) v |= this.readByte(offset + i) << (8 * i);
    return v >>> 0;
  }

  configWrite(offset: number, size: AccessSize, value: number): void {
    if (!isAccessSize(size) || !Number.isInteger(offset) || offset < 0 || offset >= PCI_CONFIG_SPACE_SIZE) return;
    const v = Number.isFinite(value) ? Math.trunc(value) >>> 0 : 0;
    const w = this.windowFor(offset, size);
    if (w) {
      w.window.write(offset - w.start, size, v & ALL_ONES[size], this.capView(w));
      return;
    }
    const before = this.snapshot();
    const pmState = this.pmOffset === undefined ? 0 : this.cfg.getU16(this.pmOffset + PCI_PM_CTRL) & PCI_PM_CTRL_STATE_MASK;
    const end = Math.min(offset + size, PCI_CONFIG_SPACE_SIZE);
    for (let off = offset; off < end; off++) {
      const byte = (v >>> (8 * (off - offset))) & 0xff;
      const win = this.windowAt(off);
      if (win) win.window.write(off - win.start, 1, byte, this.capView(win));
      else this.cfg.writeByte(off, byte);
    }
    this.afterWrite(offset, end, v, pmState);
    this.settle(before);
  }

  private readByte(off: number): number {
    if (off >= PCI_CONFIG_SPACE_SIZE) return 0xff;
    const w = this.windowAt(off);
    if (w) return w.window.read(off - w.start, 1, this.capView(w)) & 0xff;
    return this.cfg.getU8(off);
  }

  private windowAt(off: number): PlacedWindow | undefined {
    for (const w of this.windows) if (off >= w.start && off < w.end) return w;
    return undefined;
  }

  private windowFor(offset: number, size: number): PlacedWindow | undefined {
    for (const w of this.windows) if (offset >= w.start && offset + size <= w.end) return w;
    return undefined;
  }

  private capView(w: PlacedWindow): Uint8Array {
    return this.cfg.bytes.subarray(w.capOffset, w.capOffset + w.capSize);
  }

  /** Side effects of a write to [start, end) with raw little-endian value `v`. */
  private afterWrite(start: number, end: number, v: number, oldPmState: number): void {
    const touches = (off: number, len: number): boolean => start < off + len && off < end;

    // BAR sizing: a dword all of whose written bytes were 0xFF and whose address bits are now all set.
    for (let slot = 0; slot < PCI_NUM_BARS; slot++) {
      const base = barOffset(slot);
      if (!touches(base, 4) || this.barOwner[slot] === undefined) continue;
      let allFF = true;
      for (let off = Math.max(start, base); off < Math.min(end, base + 4); off++) {
        if (((v >>> (8 * (off - start))) & 0xff) !== 0xff) allFF = false;
      }
      let full = true;
      for (let i = 0; i < 4; i++) {
        const m = this.cfg.wmask[base + i]!;
        if ((this.cfg.getU8(base + i) & m) !== m) full = false;
      }
      this.sizing[slot] = allFF && full;
    }

    // PM: writes of unsupported power states are discarded (PCI PM 1.2 §3.2.4).
    if (this.pmOffset !== undefined && touches(this.pmOffset + PCI_PM_CTRL, 1)) {
      const off = this.pmOffset + PCI_PM_CTRL;
      const ctrl = this.cfg.getU16(off);
      const state = POWER_STATES[ctrl & PCI_PM_CTRL_STATE_MASK]!;
      if (!this.pmSupported.has(state)) this.cfg.setU16(off, (ctrl & ~PCI_PM_CTRL_STATE_MASK) | oldPmState);
    }

    // MSI: clamp Multiple Message Enable, send pending vectors that are unmasked now.
    if (this.msi !== undefined && touches(this.msi.offset, this.msi.size)) this.msi.afterWrite();

    // MSI-X: Enable and Function Mask live in config space, the table elsewhere.
    if (this.msix !== undefined && this.msixOffset !== undefined && touches(this.msixOffset + PCI_MSIX_FLAGS, 2)) {
      const flags = this.cfg.getU16(this.msixOffset + PCI_MSIX_FLAGS);
      this.msix.setControl((flags & PCI_MSIX_FLAGS_ENABLE) !== 0, (flags & PCI_MSIX_FLAGS_MASKALL) !== 0);
    }
  }

  private snapshot(): ControlSnapshot {
    return { command: this.command, power: this.powerState };
  }

  /** After any state change: soft reset on D3hot→D0, INTx output, then events. */
  private settle(before: ControlSnapshot): void {
    let power = this.powerState;
    if (before.power === 'D3hot' && power === 'D0' && this.pmOffset !== undefined && (this.cfg.getU16(this.pmOffset + PCI_PM_CTRL) & PCI_PM_CTRL_NO_SOFT_RESET) === 0) {
      // PCI PM 1.2 §5.4.1: D3hot→D0 without No_Soft_Reset returns the function to its default state.
      this.resetConfig();
      power = this.powerState;
    }
    this.updateIntx();
    const command = this.command;
    if (command !== before.command) this.commandListeners.emit(command, before.command);
    if (power !== before.power) this.powerListeners.emit(power, before.power);
    this.updateMapping();
  }

  // ---------------------------------------------------------------- mapping

  private computeMapping(): Mapping {
    if (this.powerState !== 'D0') return { bars: [], rom: undefined };
    const cmd = this.command;
    const io = (cmd & PCI_COMMAND_IO) !== 0;
    const mem = (cmd & PCI_COMMAND_MEMORY) !== 0;
    const bars: ActiveBar[] = [];
    for (const b of this.bars) {
      if (!b) continue;
      const wide = b.spec.kind === 'mem64';
      const low = this.cfg.getU32(barOffset(b.index));
      const high = wide ? this.cfg.getU32(barOffset(b.index + 1)) : 0;
      const sizing = this.sizing[b.index]! || (wide && this.sizing[b.index + 1]!);
      const a = decodeBar(b, low, high, io, mem, sizing);
      if (a) bars.push(a);
    }
    const rom = this.romSize === undefined ? undefined : decodeRom(this.romSize, this.cfg.getU32(PCI_ROM_ADDRESS), mem);
    return { bars, rom };
  }

  private updateMapping(): void {
    const next = this.computeMapping();
    const prev = this.mapping;
    if (sameMapping(prev, next)) return;
    this.mapping = next;
    this.mappingListeners.emit({ bars: [...next.bars], rom: next.rom, previousBars: prev.bars, previousRom: prev.rom });
  }

  // ---------------------------------------------------------------- interrupts

  /**
   * The device drives its INTx pin. Status bit 3 follows `level`; the line
   * carries it unless Interrupt Disable is set or MSI/MSI-X is enabled
   * (PCI 3.0 §6.2.2, §6.8.1.3: an MSI-enabled function must not use INTx#).
   */
  setIntx(level: boolean): void {
    if (this.interruptPin === 0) return;
    this.level = level;
    const st = this.cfg.getU16(PCI_STATUS);
    this.cfg.setU16(PCI_STATUS, level ? st | PCI_STATUS_INTERRUPT : st & ~PCI_STATUS_INTERRUPT);
    this.updateIntx();
  }

  private updateIntx(force = false): void {
    const out = this.level && (this.command & PCI_COMMAND_INTX_DISABLE) === 0 && !this.isMsiEnabled() && !this.isMsixEnabled();
    if (out === this.intxOut && !force) return;
    this.intxOut = out;
    this.irq?.set(out);
  }

  /** Set status error bits the device detected (master abort, parity...); only the W1C bits stick. */
  raiseStatus(bits: number): void {
    const st = this.cfg.getU16(PCI_STATUS);
    this.cfg.setU16(PCI_STATUS, st | (bits & PCI_STATUS_W1C));
  }

  private deliver(address: bigint, data: number): MsiResult {
    if (!this.busMaster) return 'no-master';
    if (this.sink === undefined) return 'no-sink';
    this.sink(address, data >>> 0);
    return 'sent';
  }

  /** Signal MSI `vector` (< enabled vector count): sent, held pending while masked, or dropped. */
  msiNotify(vector: number): MsiResult {
    return this.msi?.notify(vector) ?? 'disabled';
  }

  // ---------------------------------------------------------------- reset, state

  /** Power-on state: command 0, BARs unassigned, capabilities' control bits clear, MSI-X masked, INTx low. */
  reset(): void {
    const before = this.snapshot();
    this.level = false;
    this.resetConfig();
    this.settle(before);
  }

  private resetConfig(): void {
    this.cfg.bytes.set(this.powerOn);
    if (this.level) this.cfg.setU16(PCI_STATUS, this.cfg.getU16(PCI_STATUS) | PCI_STATUS_INTERRUPT);
    this.sizing.fill(false);
    this.msix?.reset();
  }

  saveState(): PciFunctionState {
    const s: PciFunctionState = {
      config: toHex(this.cfg.bytes),
      barSizing: this.sizing.flatMap((on, i) => (on ? [i] : [])),
      intxLevel: this.level,
    };
    if (this.msix) {
      s.msixTable = toHex(this.msix.table);
      s.msixPba = toHex(this.msix.pba);
    }
    return s;
  }

  /** Load a saved state; nothing changes when it is rejected. */
  restoreState(obj: unknown): PciStateError | undefined {
    const d = decodeState(obj, this.stateRules());
    if ('kind' in d) return d;
    const before = this.snapshot();
    this.cfg.bytes.set(d.config);
    this.level = d.intxLevel;
    const st = this.cfg.getU16(PCI_STATUS);
    this.cfg.setU16(PCI_STATUS, d.intxLevel ? st | PCI_STATUS_INTERRUPT : st & ~PCI_STATUS_INTERRUPT);
    for (let i = 0; i < PCI_NUM_BARS; i++) this.sizing[i] = d.barSizing[i]!;
    if (this.msix && this.msixOffset !== undefined && d.msixTable && d.msixPba) {
      const flags = this.cfg.getU16(this.msixOffset + PCI_MSIX_FLAGS);
      this.msix.load(d.msixTable, d.msixPba, (flags & PCI_MSIX_FLAGS_ENABLE) !== 0, (flags & PCI_MSIX_FLAGS_MASKALL) !== 0);
    }
    this.updateIntx(true);
    const command = this.command;
    const power = this.powerState;
    if (command !== before.command) this.commandListeners.emit(command, before.command);
    if (power !== before.power) this.powerListeners.emit(power, before.power);
    this.updateMapping();
    return undefined;
  }

  private stateRules(): StateRules {
    return {
      powerOn: this.powerOn,
      wmask: this.cfg.wmask,
      w1cmask: this.cfg.w1cmask,
      dynamicRo: this.dynamicRo,
      barSlots: this.barOwner.map((b) => b !== undefined),
      hasIntx: this.interruptPin !== 0,
      msixVectors: this.msix?.vectors,
      checkConfig: (config) => {
        if (this.pmOffset !== undefined) {
          const state = POWER_STATES[(config[this.pmOffset + PCI_PM_CTRL]! & PCI_PM_CTRL_STATE_MASK)]!;
          if (!this.pmSupported.has(state)) return `power state ${state} is not supported`;
        }
        if (this.msi !== undefined) {
          if (!MsiCapability.flagsValid(config[this.msi.offset + PCI_MSI_FLAGS]!)) return 'MSI multiple message enable exceeds capable';
        }
        return undefined;
      },
    };
  }
}


function sameMapping(a: Mapping, b: Mapping): boolean {
  if (a.bars.length !== b.bars.length) return false;
  for (let i = 0; i < a.bars.length; i++) {
    const x = a.bars[i]!;
    const y = b.bars[i]!;
    if (x.index !== y.index || x.kind !== y.kind || x.addr !== y.addr || x.size !== y.size) return false;
  }
  if (a.rom === undefined || b.rom === undefined) return a.rom === b.rom;
  return a.rom.addr === b.rom.addr && a.rom.size === b.rom.size;
}
