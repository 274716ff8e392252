/**
 * One v86 instance as nicemu devices see it: configuration space, port I/O,
 * MMIO, INTx, RAM and the clock, mapped onto v86's internals. Shared by all
 * nicemu devices attached to that emulator (one per CPU, in a WeakMap).
 *
 * ## PCI configuration space
 * v86 keeps each function's config space in `pci.device_spaces[bdf]`
 * (Int32Array(64)) and answers the guest from it directly (src/pci.js
 * pci_query / pci_write8/16/32), with its own rules: 32-bit command writes
 * dropped, memory BARs fixed, I/O BARs moved by copying port entries. For
 * our devices the PciFunction model must see every access (BAR sizing
 * masks, command gating, capabilities, INTx disable), so the host overrides
 * those four methods **on the PCI instance** (own properties that shadow the
 * prototype; other devices go to the originals) and answers our bdfs from
 * the device's `configRead`/`configWrite`. After every write the result is
 * mirrored into `device_spaces[bdf]`, so what v86 itself reads there
 * (interrupt pin for `raise_irq`, `save_state`) agrees. We register with
 * `pci_bars: []`: v86 never moves our ports, we do.
 *
 * Memory BARs keep v86's rule: a fixed, 128 KiB aligned base chosen at
 * attach time (v86 cannot unmap MMIO and has fixed maps SeaBIOS does not
 * know about). A write of another base is replaced by the fixed one (sizing
 * with all-ones still works), so the guest reads back where the BAR is, as
 * Linux does after SeaBIOS. I/O BARs go wherever the guest puts them: we
 * re-register port handlers on every mapping change (never over a port a
 * v86 device owns).
 *
 * ## MMIO
 * `io.mmap_register` works in 128 KiB blocks and passes signed addresses.
 * 8- and 32-bit accesses reach the BarHandler through `adjustedRead/Write`
 * (the QEMU-style widening/splitting); v86 splits 16-bit writes into two
 * byte writes, so the host also wraps `cpu.mmap_write16` to hand 16-bit
 * writes in our windows over whole. 16-bit reads arrive as byte reads of
 * a and a+1 (v86 has no 16-bit MMIO read hook): a byte read at an even
 * offset is performed as a 16-bit read and its high byte answers a read of
 * a+1 that comes right after (any other MMIO access forgets it). So 16-bit
 * registers read whole (virtio's queue_size); a lone byte read at an even
 * offset reads 16 bits from the device. 64/128-bit writes arrive as 32-bit ones.
 *
 * ## INTx
 * `pci.raise_irq/lower_irq` route slot/pin through the PIIX3 PIRQ registers
 * to an ISA IRQ, and v86's lines are not wired-OR: lowering one device's
 * line clears it for every device on that IRQ. The host keeps the level of
 * each nicemu function and re-raises a line that another of ours still
 * asserts. v86's own devices are not tracked: attach to a slot whose IRQ no
 * active v86 PCI device uses (the default slots route to IRQ 11; v86's ne2k
 * and virtio devices use 10).
 */
import { adjustedRead, adjustedWrite } from '../machine/bus.js';
import type { BarHandler, PciDevice } from '../machine/device.js';
import type { IrqLine } from '../irq.js';
import { V86Clock } from './clock.js';
import { shadowMethod, undoAll } from './shadow.js';
import { v86GuestMemory } from './memory.js';
import { V86CompatError, type V86Cpu, type V86Internals, type V86Io, type V86Pci } from './internals.js';
import type { RegionMemory } from '../dma/memory.js';

export const MMIO_BLOCK = 0x20000;
/** Default window for fixed memory BARs: above any RAM v86 can have, below v86's VGA ROM window (0xFEB00000). */
export const DEFAULT_MMIO_START = 0xfe000000;
export const DEFAULT_MMIO_END = 0xfeb00000;
/** Slots tried in order when none is given: their INTA# routes to PIRQC/D (IRQ 11 after SeaBIOS), not to v86's NICs' IRQ 10. */
export const DEFAULT_SLOTS: readonly number[] = [3, 4, 7, 8, 11, 12, 15, 16, 19, 20];

const BAR_MEM_MASK = 0xfffffff0;

interface MemWindow {
  base: number;
  size: number;
  handler: BarHandler;
  /** `handler` behind the host's guard (set when mapped). */
  guarded?: BarHandler;
  active: boolean;
}

interface IoMapping {
  addr: number;
  size: number;
  ports: number[];
}

/** Counters of things the host refused or repaired. */
export interface HostCounters {
  /** Ports of an I/O BAR left unmapped because a v86 device owns them. */
  ioPortConflicts: number;
  /** Memory BAR writes of another base, replaced by the fixed base. */
  memBarRelocationsRefused: number;
  /** Partial (8/16-bit) writes to a memory BAR, dropped. */
  memBarPartialWrites: number;
  /** Lines re-raised because another nicemu device still asserted them. */
  irqReasserts: number;
  /** Raises made at the next instruction boundary because they came up inside a register access. */
  irqDeferred: number;
  /** Raises of v86's own NICs (behind connectV86Network) made at the next instruction boundary. */
  v86NicIrqDeferred: number;
  /**
   * v86's master PIC found with the cascade (IRQ 2) in service while nothing
   * is in service on the slave and the CPU halted with interrupts on; the
   * stale in-service bit was cleared (see V86Host.repairCascade).
   */
  picCascadeRepairs: number;
  /**
   * Exceptions a device threw from a register access (a bug of ours): kept
   * out of v86's loop, which would stop the emulator for good; the read
   * answers 0.
   */
  deviceErrors: number;
}

/** A BAR found by the sizing protocol. */
export interface SizedBar {
  index: number;
  kind: 'mem' | 'io';
  size: number;
  mem64: boolean;
}

/** Size the BARs of a config target with the PCI sizing protocol (all-ones write, read back, restore). */
export function sizeBars(pci: PciDevice['pci']): SizedBar[] {
  const out: SizedBar[] = [];
  for (let i = 0; i < 6; i++) {
    const off = 0x10 + 4 * i;
    const orig = pci.configRead(off, 4);
    pci.configWrite(off, 4, 0xffffffff);
    const v = pci.configRead(off, 4) >>> 0;
    pci.configWrite(off, 4, orig);
    if (v === 0) continue;
    if (v & 1) {
      const mask = (v & 0xfffffffc) | 0xffff0000;
      out.push({ index: i, kind: 'io', size: (~mask >>> 0) + 1, mem64: false });
      continue;
    }
    const mem64 = ((v >>> 1) & 3) === 2;
    out.push({ index: i, kind: 'mem', size: (~(v & BAR_MEM_MASK) >>> 0) + 1, mem64 });
    if (mem64) i++;
  }
  return out;
}

/** One of our functions on v86's bus. */
export class V86Function {
  private readonly memBars = new Map<number, MemWindow>();
  private io = new Map<number, IoMapping>();
  private level = false;
  readonly portOwner: { name: string };
  private attached = false;
  private device: PciDevice | undefined;

  constructor(
    readonly host: V86Host,
    readonly pciId: number,
    readonly name: string,
  ) {
    this.portOwner = { name };
  }

  /**
   * Put `device` on v86's bus: fixed bases for its memory BARs (from
   * `mmioBase`, else the host's allocator), MMIO handlers, register_device
   * with our config space mirrored, config hooks.
   */
  bind(device: PciDevice, mmioBase?: number): void {
    this.device = device;
    const bars = sizeBars(device.pci);
    let next = mmioBase;
    const placed: Array<{ bar: SizedBar; base: number }> = [];
    for (const bar of bars) {
      if (bar.kind !== 'mem') continue;
      const base = this.host.allocMmio(bar.size, next);
      if (next !== undefined) next = base + Math.max(bar.size, MMIO_BLOCK);
      placed.push({ bar, base });
    }
    for (const { bar, base } of placed) {
      device.pci.configWrite(0x10 + 4 * bar.index, 4, base);
      if (bar.mem64) device.pci.configWrite(0x14 + 4 * bar.index, 4, 0);
      const handler = device.bar(bar.index);
      if (!handler) continue;
      const w: MemWindow = { base, size: bar.size, handler, active: false };
      this.memBars.set(bar.index, w);
      this.host.mapMmio(w);
    }
    const space: number[] = [];
    for (let i = 0; i < 256; i++) space.push(device.pci.configRead(i, 1) & 0xff);
    this.host.pci.register_device({ name: this.name, pci_id: this.pciId, pci_space: space, pci_bars: [] });
    this.attached = true;
    this.host.add(this);
    this.sync();
  }

  /** The INTx line handed to the device model. */
  readonly intx: IrqLine = {
    set: (level: boolean): void => {
      if (!this.attached || level === this.level) return;
      this.level = level;
      this.host.setIntx(this, level);
    },
  };

  get intxLevel(): boolean {
    return this.level;
  }

  configRead(offset: number, size: 1 | 2 | 4): number {
    return this.device ? this.device.pci.configRead(offset, size) : 0xffffffff;
  }

  configWrite(offset: number, size: 1 | 2 | 4, value: number): void {
    const device = this.device;
    if (!device) return;
    const barIndex = offset >= 0x10 && offset < 0x28 ? (offset - 0x10) >> 2 : -1;
    const mem = barIndex >= 0 ? this.memBars.get(barIndex) : undefined;
    if (mem) {
      if (size !== 4 || (offset & 3) !== 0) {
        this.host.counters.memBarPartialWrites++;
        return;
      }
      const v = value >>> 0;
      // Sizing (all address bits set) passes; any other base becomes the fixed one.
      const sizing = ((v | (mem.size - 1) | 0xf) >>> 0) === 0xffffffff;
      if (!sizing && ((v & BAR_MEM_MASK) >>> 0) !== mem.base) this.host.counters.memBarRelocationsRefused++;
      device.pci.configWrite(offset, 4, sizing ? v : mem.base);
    } else {
      device.pci.configWrite(offset, size, value);
    }
    this.sync();
  }

  /** Mirror config space into v86 and follow BAR/command changes. */
  sync(): void {
    const device = this.device;
    if (!this.attached || !device) return;
    const space = this.host.pci.device_spaces[this.pciId];
    if (space) for (let i = 0; i < 64; i++) space[i] = device.pci.configRead(i * 4, 4) | 0;
    const active = device.pci.activeBars();
    for (const [index, w] of this.memBars) {
      const a = active.find((b) => b.index === index && b.kind === 'mem');
      w.active = a !== undefined && a.addr === w.base;
    }
    const wanted = new Map<number, { addr: number; size: number }>();
    for (const b of active) if (b.kind === 'io') wanted.set(b.index, { addr: b.addr, size: b.size });
    for (const [index, m] of [...this.io]) {
      const w = wanted.get(index);
      if (!w || w.addr !== m.addr || w.size !== m.size) {
        this.host.unmapPorts(this, m);
        this.io.delete(index);
      }
    }
    for (const [index, w] of wanted) {
      if (this.io.has(index)) continue;
      const handler = device.bar(index);
      if (!handler) continue;
      this.io.set(index, this.host.mapPorts(this, w.addr, w.size, handler));
    }
  }

  /** Current I/O BAR placements (for stats and tests). */
  ioBars(): Array<{ index: number; addr: number; size: number }> {
    return [...this.io].map(([index, m]) => ({ index, addr: m.addr, size: m.size }));
  }

  memWindows(): Array<{ index: number; base: number; size: number; active: boolean }> {
    return [...this.memBars].map(([index, w]) => ({ index, base: w.base, size: w.size, active: w.active }));
  }

  /** Remove everything this function put into v86. */
  detach(): void {
    if (!this.attached) return;
    if (this.level) this.host.setIntx(this, false);
    this.level = false;
    for (const m of this.io.values()) this.host.unmapPorts(this, m);
    this.io.clear();
    for (const w of this.memBars.values()) {
      w.active = false;
      this.host.unmapMmio(w);
    }
    this.attached = false;
    this.host.remove(this);
  }
}

/** Route (as v86 computes it in raise_irq): ISA IRQ for a pci_id's INTA# through the PIIX3 PIRQ registers. */
function routedIrq(pci: V86Pci, pciId: number): number {
  const space = pci.device_spaces[pciId];
  const pin = space ? (space[15]! >> 8) & 0xff : 1;
  return pci.isa_bridge_space8[0x60 + ((pin - 1 + ((pciId >> 3) - 1)) & 3)]!;
}

export class V86Host {
  readonly cpu: V86Cpu;
  readonly pci: V86Pci;
  readonly io: V86Io;
  readonly clock: V86Clock;
  readonly memory: RegionMemory;
  readonly counters: HostCounters = { ioPortConflicts: 0, memBarRelocationsRefused: 0, memBarPartialWrites: 0, irqReasserts: 0, irqDeferred: 0, v86NicIrqDeferred: 0, picCascadeRepairs: 0, deviceErrors: 0 };
  /** Guest register accesses in progress (MMIO/PIO handlers on the stack). */
  private accessDepth = 0;
  /** Functions whose INTx rose during a register access, raised at the next safe point. */
  private readonly pendingRaise = new Set<V86Function>();
  /** v86's own devices (by PCI id, with their number of guards) whose raises wait for the next safe point. */
  private readonly guardedV86 = new Map<number, number>();
  /** Those of them with a raise waiting. */
  private readonly pendingV86 = new Set<number>();
  /** v86's raise/lower while they are shadowed for the guards, and the undo. */
  private irqOriginals: { raise: V86Pci['raise_irq']; lower: V86Pci['lower_irq']; undo: () => void } | undefined;
  /** Attached functions and networks using the clock hook. */
  private clockUsers = 0;
  /** A view on v86's wasm memory for the cascade repair (made again when the memory grows). */
  private wasmView: Uint8Array | undefined;
  /** The last exception counted in `counters.deviceErrors`. */
  lastDeviceError: unknown;
  private readonly functions = new Map<number, V86Function>();
  private readonly windows: MemWindow[] = [];
  private configUndo: Array<() => void> | undefined;
  private originalWrite16: V86Cpu['mmap_write16'] | undefined;
  private nextMmio = DEFAULT_MMIO_START;
  /** High byte of the last even-offset MMIO byte read (done as 16-bit), for the next byte read. */
  private pendingHigh: { addr: number; window: MemWindow; value: number } | undefined;
  /** NICs attached so far (for QEMU-style default MACs). */
  nicCount = 0;

  constructor(
    readonly internals: V86Internals,
    isRunning: () => boolean,
  ) {
    this.cpu = internals.cpu;
    this.pci = internals.pci;
    this.io = internals.io;
    this.clock = new V86Clock(this.cpu, isRunning, () => this.flushIntx());
    this.memory = v86GuestMemory(this.cpu);
  }

  get size(): number {
    return this.functions.size;
  }

  /** A free slot: `wanted` if given (checked), else the first free default slot. */
  pickSlot(wanted: number | undefined): number {
    const free = (slot: number): boolean => this.pci.devices[slot << 3] === undefined && this.pci.device_spaces[slot << 3] === undefined;
    if (wanted !== undefined) {
      if (!Number.isInteger(wanted) || wanted < 1 || wanted > 31) throw new V86CompatError(`attachToV86: slot ${wanted} is not a PCI device number in 1..31`);
      if (!free(wanted)) throw new V86CompatError(`attachToV86: PCI slot ${wanted} is taken by ${this.pci.devices[wanted << 3]?.name ?? 'another device'}`);
      return wanted;
    }
    const slot = DEFAULT_SLOTS.find(free);
    if (slot === undefined) throw new V86CompatError('attachToV86: no free PCI slot');
    return slot;
  }

  /** A fixed base for a memory BAR: 128 KiB granular, aligned to its size, inside [start, DEFAULT_MMIO_END). */
  allocMmio(size: number, start?: number): number {
    const span = Math.max(size, MMIO_BLOCK);
    let base = start ?? this.nextMmio;
    if (base % MMIO_BLOCK !== 0) throw new V86CompatError(`attachToV86: mmioBase 0x${base.toString(16)} is not 128 KiB aligned`);
    base = Math.ceil(base / span) * span;
    if (start === undefined && base + span > DEFAULT_MMIO_END) throw new V86CompatError('attachToV86: no room left for memory BARs below 0xFEB00000; pass mmioBase');
    for (const w of this.windows) {
      if (base < w.base + Math.max(w.size, MMIO_BLOCK) && w.base < base + span) {
        throw new V86CompatError(`attachToV86: memory BAR at 0x${base.toString(16)} overlaps another nicemu device's BAR at 0x${w.base.toString(16)}`);
      }
    }
    if (start === undefined) this.nextMmio = base + span;
    return base;
  }

  add(fn: V86Function): void {
    if (!this.functions.has(fn.pciId)) this.retainClock();
    this.functions.set(fn.pciId, fn);
    this.installConfigHooks();
  }

  remove(fn: V86Function): void {
    if (this.functions.delete(fn.pciId)) this.releaseClock();
    this.pci.devices[fn.pciId] = undefined;
    this.pci.device_spaces[fn.pciId] = undefined;
    if (this.functions.size === 0) this.uninstallConfigHooks();
  }

  /**
   * The clock hook (device timers, deferred raises, the cascade repair) stays
   * in v86's loop while anyone uses it: each attached function and each
   * connectV86Network. Returns nothing; pair with `releaseClock`.
   */
  retainClock(): void {
    if (this.clockUsers++ === 0) this.clock.install();
  }

  releaseClock(): void {
    if (this.clockUsers > 0 && --this.clockUsers === 0) this.clock.uninstall();
  }

  // ------------------------------------------------------------- config space

  private installConfigHooks(): void {
    if (this.configUndo) return;
    const pci = this.pci;
    const orig = { query: pci.pci_query, write8: pci.pci_write8, write16: pci.pci_write16, write32: pci.pci_write32 };
    const fns = this.functions;
    const query = function (this: V86Pci): void {
      const fn = fns.get((this.pci_addr[2]! << 8) | this.pci_addr[1]!);
      if (!fn) return orig.query.call(this);
      this.pci_status32[0] = -0x80000000;
      this.pci_response32[0] = fn.configRead(this.pci_addr[0]! & 0xfc, 4) | 0;
    };
    const writer = (size: 1 | 2 | 4, original: (this: V86Pci, a: number, v: number) => void) =>
      function (this: V86Pci, address: number, value: number): void {
        const fn = fns.get((address >> 8) & 0xffff);
        if (!fn) return original.call(this, address, value);
        fn.configWrite(address & 0xff, size, value);
      };
    this.configUndo = [
      shadowMethod(pci, 'pci_query', query),
      shadowMethod(pci, 'pci_write8', writer(1, orig.write8)),
      shadowMethod(pci, 'pci_write16', writer(2, orig.write16)),
      shadowMethod(pci, 'pci_write32', writer(4, orig.write32)),
    ];
  }

  private uninstallConfigHooks(): void {
    if (!this.configUndo) return;
    undoAll(this.configUndo);
    this.configUndo = undefined;
  }

  // ------------------------------------------------------------- port I/O

  /** A handler whose exceptions are counted instead of escaping into v86. */
  private guarded(h: BarHandler): BarHandler {
    return {
      ...(h.impl ? { impl: h.impl } : {}),
      read: (off, size) => {
        this.accessDepth++;
        try {
          return h.read(off, size);
        } catch (e) {
          this.counters.deviceErrors++;
          this.lastDeviceError = e;
          return 0;
        } finally {
          this.accessDepth--;
        }
      },
      write: (off, size, v) => {
        this.accessDepth++;
        try {
          h.write(off, size, v);
        } catch (e) {
          this.counters.deviceErrors++;
          this.lastDeviceError = e;
        } finally {
          this.accessDepth--;
        }
      },
    };
  }

  mapPorts(fn: V86Function, addr: number, size: number, raw: BarHandler): IoMapping {
    const handler = this.guarded(raw);
    const ports: number[] = [];
    for (let off = 0; off < size; off++) {
      const port = addr + off;
      if (port > 0xffff) break;
      const entry = this.io.ports[port];
      if (entry && entry.device !== undefined && entry.device !== fn.portOwner) {
        this.counters.ioPortConflicts++;
        continue;
      }
      // One closure per port: v86 passes write handlers only the value.
      this.io.register_read(
        port,
        fn.portOwner,
        () => adjustedRead(handler, off, 1) & 0xff,
        () => adjustedRead(handler, off, 2) & 0xffff,
        () => adjustedRead(handler, off, 4) | 0,
      );
      this.io.register_write(
        port,
        fn.portOwner,
        (v) => adjustedWrite(handler, off, 1, v & 0xff),
        (v) => adjustedWrite(handler, off, 2, v & 0xffff),
        (v) => adjustedWrite(handler, off, 4, v >>> 0),
      );
      ports.push(port);
    }
    return { addr, size, ports };
  }

  unmapPorts(fn: V86Function, m: IoMapping): void {
    for (const p of m.ports) {
      if (this.io.ports[p]?.device === fn.portOwner) this.io.ports[p] = this.io.create_empty_entry();
    }
  }

  // ------------------------------------------------------------- MMIO

  mapMmio(w: MemWindow): void {
    this.windows.push(w);
    const base = w.base;
    const size = w.size;
    const h = this.guarded(w.handler);
    w.guarded = h;
    const span = Math.max(MMIO_BLOCK, Math.ceil(size / MMIO_BLOCK) * MMIO_BLOCK);
    this.io.mmap_register(
      base,
      span,
      (addr) => {
        const a = addr >>> 0;
        const off = a - base;
        if (!w.active || off >= size) return 0xff;
        // v86 splits a 16-bit MMIO read into byte reads at a, a+1 (no read16 hook):
        // an even-offset byte read is done as a 16-bit read and its high byte kept
        // for a read of a+1 that comes next (virtio's 16-bit queue_size would read 0x00 otherwise).
        const pend = this.pendingHigh;
        this.pendingHigh = undefined;
        if (pend && pend.addr === a && pend.window === w) return pend.value;
        if ((off & 1) === 0 && off + 2 <= size) {
          const v16 = adjustedRead(h, off, 2);
          this.pendingHigh = { addr: a + 1, window: w, value: (v16 >>> 8) & 0xff };
          return v16 & 0xff;
        }
        return adjustedRead(h, off, 1) & 0xff;
      },
      (addr, v) => {
        this.pendingHigh = undefined;
        const off = (addr >>> 0) - base;
        if (w.active && off < size) adjustedWrite(h, off, 1, v & 0xff);
      },
      (addr) => {
        this.pendingHigh = undefined;
        const off = (addr >>> 0) - base;
        return w.active && off + 4 <= size ? adjustedRead(h, off, 4) | 0 : -1;
      },
      (addr, v) => {
        this.pendingHigh = undefined;
        const off = (addr >>> 0) - base;
        if (w.active && off + 4 <= size) adjustedWrite(h, off, 4, v >>> 0);
      },
    );
    this.installWrite16();
  }

  unmapMmio(w: MemWindow): void {
    const i = this.windows.indexOf(w);
    if (i >= 0) this.windows.splice(i, 1);
    const span = Math.max(MMIO_BLOCK, Math.ceil(w.size / MMIO_BLOCK) * MMIO_BLOCK);
    // v86 cannot unmap: leave an empty window (reads all-ones, writes ignored) like its unassigned space.
    this.io.mmap_register(w.base, span, () => 0xff, () => {}, () => -1, () => {});
    if (this.windows.length === 0 && this.originalWrite16) {
      const cpu = this.cpu as unknown as Record<string, unknown>;
      const orig = this.originalWrite16;
      this.originalWrite16 = undefined;
      delete cpu['mmap_write16'];
      if (this.cpu.mmap_write16 !== orig) this.cpu.mmap_write16 = orig;
    }
  }

  private installWrite16(): void {
    if (this.originalWrite16) return;
    const orig = this.cpu.mmap_write16;
    this.originalWrite16 = orig;
    const windows = this.windows;
    const host = this;
    this.cpu.mmap_write16 = function (this: V86Cpu, addr: number, value: number): void {
      const a = addr >>> 0;
      host.pendingHigh = undefined;
      for (const w of windows) {
        const off = a - w.base;
        if (off >= 0 && off < Math.max(w.size, MMIO_BLOCK)) {
          if (w.active && off + 2 <= w.size) adjustedWrite(w.guarded ?? w.handler, off, 2, value & 0xffff);
          return;
        }
      }
      orig.call(this, addr, value);
    };
  }

  // ------------------------------------------------------------- INTx

  /**
   * Follow a function's INTx level. Raising is deferred while a guest
   * register access is in progress: v86 acknowledges and delivers an
   * interrupt from inside `raise_irq`, and in the middle of an instruction
   * (our MMIO/PIO handler) its compiled code carries on as if nothing
   * happened: the PIC keeps the IRQ in service with no handler run, and the
   * line (and everything of lower priority, the serial port included) is
   * dead from then on. The deferred raise is made at the next instruction
   * boundary, in the main loop's `run_hardware_timers` call (`flushIntx`).
   */
  setIntx(fn: V86Function, level: boolean): void {
    if (level) {
      this.raise(fn);
      return;
    }
    this.pendingRaise.delete(fn);
    this.pci.lower_irq(fn.pciId);
    // Not wired-OR in v86: re-assert for any other of ours on the same IRQ.
    const irq = routedIrq(this.pci, fn.pciId);
    for (const other of this.functions.values()) {
      if (other !== fn && other.intxLevel && routedIrq(this.pci, other.pciId) === irq) {
        this.counters.irqReasserts++;
        this.raise(other);
        break;
      }
    }
  }

  private raise(fn: V86Function): void {
    if (this.accessDepth > 0) {
      this.pendingRaise.add(fn);
      this.counters.irqDeferred++;
      return;
    }
    this.pci.raise_irq(fn.pciId);
  }

  /**
   * Move every raise of v86's own device `pciId` (its ne2k or virtio-net) to
   * the next instruction boundary, as `setIntx` does for ours: v86's NICs
   * raise from inside their port handlers (and, behind connectV86Network,
   * when a frame for the guest arrives during the guest's own transmit), and
   * such an interrupt gets lost in the same way, leaving the cascade in
   * service and the guest deaf. Lowering stays immediate and cancels a raise
   * still waiting. Returns the undo.
   */
  guardV86Intx(pciId: number): () => void {
    if (!this.irqOriginals) {
      const pci = this.pci;
      const orig = { raise: pci.raise_irq, lower: pci.lower_irq };
      const undo = [
        shadowMethod(pci, 'raise_irq', (id: number): void => {
          // Without the clock hook in v86's loop nothing would make the raise later.
          if (!this.guardedV86.has(id) || this.clockUsers === 0) return orig.raise.call(pci, id);
          this.pendingV86.add(id);
          this.counters.v86NicIrqDeferred++;
          // Wakes the main loop if it sleeps (a halted guest); a no-op while it runs.
          this.cpu.stop_idling();
        }),
        shadowMethod(pci, 'lower_irq', (id: number): void => {
          this.pendingV86.delete(id);
          orig.lower.call(pci, id);
        }),
      ];
      this.irqOriginals = { ...orig, undo: () => undoAll(undo) };
    }
    this.guardedV86.set(pciId, (this.guardedV86.get(pciId) ?? 0) + 1);
    let undone = false;
    return () => {
      if (undone) return;
      undone = true;
      const users = (this.guardedV86.get(pciId) ?? 1) - 1;
      if (users > 0) {
        this.guardedV86.set(pciId, users);
        return;
      }
      this.guardedV86.delete(pciId);
      if (this.pendingV86.delete(pciId)) this.irqOriginals?.raise.call(this.pci, pciId);
      if (this.guardedV86.size === 0 && this.irqOriginals) {
        this.irqOriginals.undo();
        this.irqOriginals = undefined;
      }
    };
  }

  /**
   * Work around v86's 8259 cascade. When the CPU takes IRQ 2 from the master
   * and the slave has no request left (the device lowered its line, or the
   * driver masked it, between the request and the CPU's acknowledge), v86
   * delivers nothing and leaves IRQ 2 in service on the master, where a real
   * slave answers with the spurious IRQ 15 the OS then acknowledges. From
   * then on no slave interrupt (IRQ 8-15: every PCI NIC here) reaches the
   * CPU. The state is unambiguous once the CPU halts with interrupts enabled
   * and the slave has nothing in service: no EOI for it is on its way. The
   * stale bit is cleared; v86's next interrupt check delivers what waits.
   */
  private repairCascade(): void {
    const cpu = this.cpu;
    if (!cpu.in_hlt || cpu.in_hlt[0] === 0 || !cpu.get_pic_addr_master || !cpu.get_pic_addr_slave || !cpu.wasm_memory || !cpu.get_eflags) return;
    if ((cpu.get_eflags() & EFLAGS_IF) === 0) return;
    const buffer = cpu.wasm_memory.buffer;
    if (this.wasmView?.buffer !== buffer) this.wasmView = new Uint8Array(buffer);
    const mem = this.wasmView;
    const masterIsr = cpu.get_pic_addr_master() + PIC_ISR;
    if ((mem[masterIsr]! & CASCADE_BIT) === 0 || mem[cpu.get_pic_addr_slave() + PIC_ISR] !== 0) return;
    mem[masterIsr] = mem[masterIsr]! & ~CASCADE_BIT;
    this.counters.picCascadeRepairs++;
  }

  /** Make the raises deferred during register accesses (called at an instruction boundary). */
  flushIntx(): void {
    this.repairCascade();
    if (this.pendingV86.size > 0 && this.irqOriginals) {
      const ids = [...this.pendingV86];
      this.pendingV86.clear();
      for (const id of ids) this.irqOriginals.raise.call(this.pci, id);
    }
    if (this.pendingRaise.size === 0 || this.accessDepth > 0) return;
    const fns = [...this.pendingRaise];
    this.pendingRaise.clear();
    for (const fn of fns) if (fn.intxLevel && this.functions.has(fn.pciId)) this.pci.raise_irq(fn.pciId);
  }
}

/** EFLAGS.IF. */
const EFLAGS_IF = 0x200;
/** Offset of the in-service register in v86's packed PIC struct. */
const PIC_ISR = 2;
/** The slave hangs off the master's IRQ 2. */
const CASCADE_BIT = 1 << 2;

const hosts = new WeakMap<V86Cpu, V86Host>();

/** The shared host of an emulator (created on first use). */
export function hostFor(internals: V86Internals, isRunning: () => boolean): V86Host {
  let h = hosts.get(internals.cpu);
  if (!h) {
    h = new V86Host(internals, isRunning);
    hosts.set(internals.cpu, h);
  }
  return h;
}
