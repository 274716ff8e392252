/**
 * A guest driver for tests (after rust-vmm's MockSplitQueue and
 * Firecracker's TestHelper): builds split or packed rings in guest memory,
 * adds descriptor chains (direct or indirect), kicks queues through the
 * legacy or modern registers and collects used elements. Every completion
 * is checked against the invariants a Linux driver relies on
 * (bad-input.md item 27): used.id < queue size, used.id names a chain the
 * device owned, used.len <= that chain's writable capacity.
 */
import { expect } from 'vitest';
import { RegionMemory, type GuestMemory } from '../../../src/dma/memory.js';
import { ObservedMemory, isWriteOp } from '../../../src/dma/observed.js';
import { LevelIrq } from '../../../src/irq.js';
import type { BarHandler, DeviceContext } from '../../../src/machine/device.js';
import { VirtualClock } from '../../../src/time/clock.js';
import { SeededRandom } from '../../../src/time/random.js';
import { createVirtioNet, type VirtioNet, type VirtioNetOptions } from '../../../src/devices/virtio-net/index.js';
import { VIRTIO_NET_F } from '../../../src/devices/virtio-net/features.js';
import { VIRTIO_F } from '../../../src/virtio/features.js';
import { STATUS } from '../../../src/virtio/status.js';
import { COMMON, LEGACY } from '../../../src/virtio/pci/regs.js';
import { type FrameOffload, NetClient, type ReceiveResult } from '../../../src/hub/client.js';

export const RAM = 8 * 1024 * 1024;
export const NEXT = 1;
export const WRITE = 2;
export const INDIRECT = 4;
export const AVAIL = 1 << 7;
export const USED = 1 << 15;

export interface Buf {
  /** Guest address (allocated when absent). */
  addr?: number;
  len: number;
  write?: boolean;
  /** Bytes to put in the buffer (device-readable buffers). */
  data?: Uint8Array;
  /** Raw flags to OR in (bad-input tests). */
  flags?: number;
}

export interface UsedElem {
  id: number;
  len: number;
}

interface Outstanding {
  writable: number;
  bufs: Array<{ addr: number; len: number; write: boolean }>;
  descs: number[];
}

/** Bump allocator over guest RAM (never frees; tests are short). */
export class Alloc {
  private next: number;
  constructor(
    readonly mem: RegionMemory,
    start = 0x100000,
  ) {
    this.next = start;
  }
  take(len: number, align = 16): number {
    const a = Math.ceil(this.next / align) * align;
    this.next = a + Math.max(len, 1);
    if (this.next > RAM) throw new Error('test RAM exhausted');
    return a;
  }
}

export interface MockQueue {
  readonly index: number;
  readonly size: number;
  /** Addresses for the common configuration (desc, driver, device areas). */
  readonly areas: { desc: number; driver: number; device: number };
  add(bufs: readonly Buf[], opts?: { indirect?: boolean }): number;
  takeUsed(): UsedElem[];
  /** The chain's buffers, by id (for reading what the device wrote). */
  buffers(id: number): Array<{ addr: number; len: number; write: boolean }>;
  /** Free descriptors/ids left. */
  readonly free: number;
  /** EVENT_IDX: ask for an interrupt after the next used element; plain: enable/disable interrupts. */
  setInterrupts(on: boolean): void;
  /** Did the device ask to be kicked for what was added since the last kick (EVENT_IDX / NO_NOTIFY)? */
  needsKick(): boolean;
}

function writeDesc(mem: RegionMemory, at: number, addr: number, len: number, a: number, b: number): void {
  const d = new Uint8Array(16);
  const v = new DataView(d.buffer);
  v.setUint32(0, addr >>> 0, true);
  v.setUint32(4, Math.floor(addr / 0x1_0000_0000), true);
  v.setUint32(8, len >>> 0, true);
  v.setUint16(12, a, true);
  v.setUint16(14, b, true);
  if (mem.write(at, d) !== undefined) throw new Error(`descriptor at 0x${at.toString(16)} outside RAM`);
}

function u16(mem: RegionMemory, a: number): number {
  const v = mem.readU16(a);
  if (typeof v !== 'number') throw new Error('bad address');
  return v;
}
function u32(mem: RegionMemory, a: number): number {
  const v = mem.readU32(a);
  if (typeof v !== 'number') throw new Error('bad address');
  return v;
}

/** Place buffers: allocate, fill readable ones. */
function place(alloc: Alloc, bufs: readonly Buf[]): Array<{ addr: number; len: number; write: boolean; flags: number }> {
  return bufs.map((b) => {
    const addr = b.addr ?? alloc.take(Math.max(b.len, 1), 8);
    if (b.data) alloc.mem.write(addr, b.data);
    return { addr, len: b.len, write: !!b.write, flags: b.flags ?? 0 };
  });
}

export class MockSplitQueue implements MockQueue {
  readonly areas: { desc: number; driver: number; device: number };
  private freeDescs: number[];
  private availIdx = 0;
  private lastUsed = 0;
  private kickedAt = 0;
  private readonly out = new Map<number, Outstanding>();
  private readonly completed = new Map<number, Outstanding['bufs']>();

  constructor(
    readonly index: number,
    readonly size: number,
    private readonly alloc: Alloc,
    private readonly eventIdx: boolean,
    layout?: { desc: number; driver: number; device: number },
  ) {
    this.areas = layout ?? {
      desc: alloc.take(16 * size, 4096),
      driver: alloc.take(6 + 2 * size, 2),
      device: alloc.take(6 + 8 * size, 4096),
    };
    alloc.mem.fill(this.areas.desc, 16 * size, 0);
    alloc.mem.fill(this.areas.driver, 6 + 2 * size, 0);
    alloc.mem.fill(this.areas.device, 6 + 8 * size, 0);
    this.freeDescs = Array.from({ length: size }, (_, i) => size - 1 - i);
  }

  get free(): number {
    return this.freeDescs.length;
  }

  add(bufs: readonly Buf[], opts: { indirect?: boolean } = {}): number {
    const mem = this.alloc.mem;
    const placed = place(this.alloc, bufs);
    let head: number;
    const descs: number[] = [];
    if (opts.indirect) {
      const table = this.alloc.take(16 * placed.length, 16);
      placed.forEach((b, i) => {
        const last = i === placed.length - 1;
        writeDesc(mem, table + 16 * i, b.addr, b.len, (b.write ? WRITE : 0) | (last ? 0 : NEXT) | b.flags, last ? 0 : i + 1);
      });
      head = this.freeDescs.pop()!;
      descs.push(head);
      writeDesc(mem, this.areas.desc + 16 * head, table, 16 * placed.length, INDIRECT, 0);
    } else {
      if (this.freeDescs.length < placed.length) throw new Error('split queue full');
      for (let i = 0; i < placed.length; i++) descs.push(this.freeDescs.pop()!);
      head = descs[0]!;
      placed.forEach((b, i) => {
        const last = i === placed.length - 1;
        writeDesc(mem, this.areas.desc + 16 * descs[i]!, b.addr, b.len, (b.write ? WRITE : 0) | (last ? 0 : NEXT) | b.flags, last ? 0 : descs[i + 1]!);
      });
    }
    this.out.set(head, { writable: placed.filter((b) => b.write).reduce((s, b) => s + b.len, 0), bufs: placed, descs });
    mem.writeU16(this.areas.driver + 4 + 2 * (this.availIdx % this.size), head);
    this.availIdx = (this.availIdx + 1) & 0xffff;
    mem.writeU16(this.areas.driver + 2, this.availIdx);
    return head;
  }

  /** Publish a raw avail entry (bad-input tests). */
  rawAvail(head: number, idxAdvance = 1): void {
    const mem = this.alloc.mem;
    mem.writeU16(this.areas.driver + 4 + 2 * (this.availIdx % this.size), head);
    this.availIdx = (this.availIdx + idxAdvance) & 0xffff;
    mem.writeU16(this.areas.driver + 2, this.availIdx);
  }

  /** Write a raw descriptor (bad-input tests). */
  rawDesc(i: number, addr: number, len: number, flags: number, next: number): void {
    writeDesc(this.alloc.mem, this.areas.desc + 16 * i, addr, len, flags, next);
  }

  /** Remember a chain built by hand so its completion is checked. */
  expectChain(head: number, writable: number): void {
    this.out.set(head, { writable, bufs: [], descs: [] });
  }

  buffers(id: number): Array<{ addr: number; len: number; write: boolean }> {
    return this.out.get(id)?.bufs ?? this.completed.get(id) ?? [];
  }

  takeUsed(): UsedElem[] {
    const mem = this.alloc.mem;
    const idx = u16(mem, this.areas.device + 2);
    const got: UsedElem[] = [];
    const pending = (idx - this.lastUsed) & 0xffff;
    if (pending > this.size) throw new CompletionError(`queue ${this.index}: used.idx ran ahead of the ring`);
    while (this.lastUsed !== idx) {
      const at = this.areas.device + 4 + 8 * (this.lastUsed % this.size);
      const e = { id: u32(mem, at), len: u32(mem, at + 4) };
      checkCompletion(this.index, this.size, this.out, e);
      const o = this.out.get(e.id)!;
      this.out.delete(e.id);
      this.completed.set(e.id, o.bufs);
      for (const d of o.descs) this.freeDescs.push(d);
      got.push(e);
      this.lastUsed = (this.lastUsed + 1) & 0xffff;
    }
    if (this.eventIdx) mem.writeU16(this.areas.driver + 4 + 2 * this.size, this.lastUsed);
    return got;
  }

  setInterrupts(on: boolean): void {
    const mem = this.alloc.mem;
    if (this.eventIdx) mem.writeU16(this.areas.driver + 4 + 2 * this.size, on ? this.lastUsed : (this.lastUsed - 1) & 0xffff);
    else mem.writeU16(this.areas.driver, on ? 0 : 1);
  }

  needsKick(): boolean {
    const mem = this.alloc.mem;
    const old = this.kickedAt;
    this.kickedAt = this.availIdx;
    if (!this.eventIdx) return (u16(mem, this.areas.device) & 1) === 0;
    const ev = u16(mem, this.areas.device + 4 + 8 * this.size);
    return ((this.availIdx - ev - 1) & 0xffff) < ((this.availIdx - old) & 0xffff);
  }

  get usedIdx(): number {
    return u16(this.alloc.mem, this.areas.device + 2);
  }
}

export class MockPackedQueue implements MockQueue {
  readonly areas: { desc: number; driver: number; device: number };
  private nextAvail = 0;
  private availWrap = true;
  private nextUsed = 0;
  private usedWrap = true;
  private freeIds: number[];
  private freeSlots: number;
  private readonly out = new Map<number, Outstanding & { slots: number }>();
  private readonly completed = new Map<number, Outstanding['bufs']>();

  constructor(
    readonly index: number,
    readonly size: number,
    private readonly alloc: Alloc,
    private readonly eventIdx: boolean,
  ) {
    this.areas = { desc: alloc.take(16 * size, 16), driver: alloc.take(4, 4), device: alloc.take(4, 4) };
    alloc.mem.fill(this.areas.desc, 16 * size, 0);
    alloc.mem.fill(this.areas.driver, 4, 0);
    alloc.mem.fill(this.areas.device, 4, 0);
    this.freeIds = Array.from({ length: size }, (_, i) => size - 1 - i);
    this.freeSlots = size;
  }

  get free(): number {
    return Math.min(this.freeSlots, this.freeIds.length);
  }

  private flagsFor(write: boolean, next: boolean, extra = 0): number {
    return (write ? WRITE : 0) | (next ? NEXT : 0) | (this.availWrap ? AVAIL : USED) | extra;
  }

  add(bufs: readonly Buf[], opts: { indirect?: boolean } = {}): number {
    const mem = this.alloc.mem;
    const placed = place(this.alloc, bufs);
    const id = this.freeIds.pop();
    if (id === undefined) throw new Error('packed queue: no free id');
    const entries: Array<{ addr: number; len: number; flags: number }> = [];
    if (opts.indirect) {
      const table = this.alloc.take(16 * placed.length, 16);
      placed.forEach((b, i) => writeDesc(mem, table + 16 * i, b.addr, b.len, 0, (b.write ? WRITE : 0) | b.flags));
      entries.push({ addr: table, len: 16 * placed.length, flags: INDIRECT });
    } else {
      placed.forEach((b, i) => entries.push({ addr: b.addr, len: b.len, flags: (b.write ? WRITE : 0) | (i < placed.length - 1 ? NEXT : 0) | b.flags }));
    }
    if (entries.length > this.freeSlots) throw new Error('packed queue full');
    const first = this.nextAvail;
    let firstFlags = 0;
    entries.forEach((e, i) => {
      const f = e.flags | (this.availWrap ? AVAIL : USED);
      const at = this.areas.desc + 16 * this.nextAvail;
      // The id goes in the last descriptor; the first one's flags are written last (§2.8.6).
      writeDesc(mem, at, e.addr, e.len, i === entries.length - 1 ? id : 0, i === 0 ? 0 : f);
      if (i === 0) firstFlags = f;
      this.nextAvail++;
      if (this.nextAvail === this.size) {
        this.nextAvail = 0;
        this.availWrap = !this.availWrap;
      }
    });
    mem.writeU16(this.areas.desc + 16 * first + 14, firstFlags);
    this.freeSlots -= entries.length;
    this.out.set(id, { writable: placed.filter((b) => b.write).reduce((s, b) => s + b.len, 0), bufs: placed, descs: [], slots: entries.length });
    return id;
  }

  buffers(id: number): Array<{ addr: number; len: number; write: boolean }> {
    return this.out.get(id)?.bufs ?? this.completed.get(id) ?? [];
  }

  takeUsed(): UsedElem[] {
    const mem = this.alloc.mem;
    const got: UsedElem[] = [];
    for (let n = 0; n <= this.size; n++) {
      const at = this.areas.desc + 16 * this.nextUsed;
      const flags = u16(mem, at + 14);
      const avail = (flags & AVAIL) !== 0;
      const used = (flags & USED) !== 0;
      if (avail !== used || used !== this.usedWrap) break;
      const e = { id: u16(mem, at + 12), len: u32(mem, at + 8) };
      checkCompletion(this.index, this.size, this.out, e);
      const o = this.out.get(e.id)!;
      this.out.delete(e.id);
      this.completed.set(e.id, o.bufs);
      this.freeIds.push(e.id);
      this.freeSlots += o.slots;
      got.push(e);
      this.nextUsed += o.slots;
      if (this.nextUsed >= this.size) {
        this.nextUsed -= this.size;
        this.usedWrap = !this.usedWrap;
      }
    }
    if (this.eventIdx) this.writeDriverEvent(true);
    return got;
  }

  private writeDriverEvent(on: boolean): void {
    const mem = this.alloc.mem;
    if (!on) {
      mem.writeU16(this.areas.driver + 2, 1);
      return;
    }
    if (this.eventIdx) {
      mem.writeU16(this.areas.driver, this.nextUsed | (this.usedWrap ? 0x8000 : 0));
      mem.writeU16(this.areas.driver + 2, 2);
    } else {
      mem.writeU16(this.areas.driver + 2, 0);
    }
  }

  setInterrupts(on: boolean): void {
    this.writeDriverEvent(on);
  }

  needsKick(): boolean {
    return (u16(this.alloc.mem, this.areas.device + 2) & 3) !== 1;
  }
}

/** Thrown when a completion breaks a driver-side invariant (bad-input.md item 27). */
export class CompletionError extends Error {}

function checkCompletion(q: number, size: number, out: Map<number, { writable: number }>, e: UsedElem): void {
  if (!(e.id < size)) throw new CompletionError(`queue ${q}: used.id ${e.id} >= queue size ${size}`);
  const o = out.get(e.id);
  if (!o) throw new CompletionError(`queue ${q}: used.id ${e.id} was not in flight`);
  if (!(e.len <= o.writable)) throw new CompletionError(`queue ${q}: used.len ${e.len} > writable capacity ${o.writable}`);
}

// ---------------------------------------------------------------------------

export interface Combo {
  name: string;
  transport: 'legacy' | 'modern';
  mrg: boolean;
  eventIdx: boolean;
  indirect: boolean;
  packed: boolean;
}

/** The feature combinations every scenario runs under. */
export const COMBOS: readonly Combo[] = [
  { name: 'legacy plain', transport: 'legacy', mrg: false, eventIdx: false, indirect: false, packed: false },
  { name: 'modern plain', transport: 'modern', mrg: false, eventIdx: false, indirect: false, packed: false },
  { name: 'modern MRG_RXBUF', transport: 'modern', mrg: true, eventIdx: false, indirect: false, packed: false },
  { name: 'modern EVENT_IDX', transport: 'modern', mrg: false, eventIdx: true, indirect: false, packed: false },
  { name: 'modern indirect', transport: 'modern', mrg: false, eventIdx: false, indirect: true, packed: false },
  { name: 'modern packed', transport: 'modern', mrg: false, eventIdx: false, indirect: false, packed: true },
  { name: 'modern packed + MRG + EVENT_IDX + indirect', transport: 'modern', mrg: true, eventIdx: true, indirect: true, packed: true },
  { name: 'legacy MRG + EVENT_IDX + indirect', transport: 'legacy', mrg: true, eventIdx: true, indirect: true, packed: false },
];

export interface DriverOptions {
  combo: Combo;
  /** Extra feature bits to accept (beyond the combo's). */
  features?: readonly number[];
  /** Device options (packed is switched on when the combo needs it). */
  device?: Partial<VirtioNetOptions>;
  mac?: Uint8Array;
  msix?: boolean;
  /** Queue size to ask for (modern only; default the maximum). */
  queueSize?: number;
  /** Skip queue setup and DRIVER_OK. */
  noInit?: boolean;
  /** Wrap the guest memory the device sees (counting, fault injection). */
  deviceMemory?: (ram: RegionMemory) => GuestMemory;
}

export const DEFAULT_MAC = Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, 0x56);

/** A peer that records what the device sends and can refuse frames. */
export class Peer {
  readonly frames: Uint8Array[] = [];
  busy = false;
  /** Take frames with offload work left (`NetClient.sendOffloaded`) into `whole`. */
  takesOffloaded = false;
  readonly whole: Array<{ frame: Uint8Array; offload: FrameOffload }> = [];
  readonly client = new NetClient('peer', {
    canReceive: () => !this.busy,
    receive: (f): ReceiveResult => {
      if (this.busy) return 'busy';
      this.frames.push(f.slice());
      return 'ok';
    },
    receiveOffloaded: (f, o): boolean => {
      if (!this.takesOffloaded) return false;
      this.whole.push({ frame: f.slice(), offload: { ...o } });
      return true;
    },
  });
  send(frame: Uint8Array): ReturnType<NetClient['send']> {
    return this.client.send(frame);
  }
}

export class Driver {
  readonly mem = RegionMemory.ofSize(RAM);
  readonly alloc = new Alloc(this.mem);
  readonly irq = new LevelIrq();
  readonly msgs: Array<{ address: bigint; data: number }> = [];
  readonly clock = new VirtualClock();
  readonly dev: VirtioNet;
  readonly peer = new Peer();
  readonly combo: Combo;
  readonly queues: MockQueue[] = [];
  features = 0n;
  private readonly bar: BarHandler;
  readonly legacy: boolean;

  constructor(readonly opts: DriverOptions) {
    const c = opts.combo;
    this.combo = c;
    this.legacy = c.transport === 'legacy';
    const ctx: DeviceContext = {
      memory: opts.deviceMemory ? opts.deviceMemory(this.mem) : this.mem,
      clock: this.clock,
      random: new SeededRandom(1),
      intx: this.irq,
      msi: (address, data) => this.msgs.push({ address, data }),
    };
    this.dev = createVirtioNet(ctx, { mac: opts.mac ?? DEFAULT_MAC, name: 'vnet0' }, { packed: c.packed, ...opts.device });
    NetClient.connect(this.dev.net, this.peer.client);
    // Enable decoding and bus mastering (the handlers are called directly, BAR addresses do not matter).
    this.dev.pci.configWrite(0x04, 2, 0x0007);
    const bar = this.dev.bar(this.legacy ? 0 : 4);
    if (!bar) throw new Error(`no ${c.transport} BAR`);
    this.bar = bar;
    if (opts.msix) this.enableMsix();
    if (!opts.noInit) this.init();
  }

  // ----------------------------------------------------------------- registers

  rd(off: number, size: 1 | 2 | 4): number {
    return this.bar.read(off, size) >>> 0;
  }
  wr(off: number, size: 1 | 2 | 4, v: number): void {
    this.bar.write(off, size, v >>> 0);
  }
  /** A legacy or modern status register access. */
  get status(): number {
    return this.legacy ? this.rd(LEGACY.STATUS, 1) : this.rd(COMMON.STATUS, 1);
  }
  set status(v: number) {
    if (this.legacy) this.wr(LEGACY.STATUS, 1, v);
    else this.wr(COMMON.STATUS, 1, v);
  }
  readIsr(): number {
    return this.legacy ? this.rd(LEGACY.ISR, 1) : this.rd(0x1000, 1);
  }
  /** Device configuration byte `off` (legacy: after the header). */
  cfg(off: number, size: 1 | 2 | 4): number {
    if (this.legacy) return this.rd((this.dev.pci.isMsixEnabled() ? 0x18 : 0x14) + off, size);
    return this.rd(0x2000 + off, size);
  }
  kick(q: number): void {
    if (this.legacy) this.wr(LEGACY.QUEUE_NOTIFY, 2, q);
    else this.wr(0x3000 + 4 * q, 2, q);
  }

  deviceFeatures(): bigint {
    if (this.legacy) return BigInt(this.rd(LEGACY.HOST_FEATURES, 4));
    this.wr(COMMON.DFSELECT, 4, 0);
    const lo = this.rd(COMMON.DF, 4);
    this.wr(COMMON.DFSELECT, 4, 1);
    const hi = this.rd(COMMON.DF, 4);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** Feature bits the combo asks for. */
  wanted(): bigint {
    const c = this.combo;
    const bits = [VIRTIO_NET_F.MAC, VIRTIO_NET_F.STATUS, VIRTIO_NET_F.CTRL_VQ, VIRTIO_NET_F.CTRL_RX, ...(this.opts.features ?? [])];
    if (c.mrg) bits.push(VIRTIO_NET_F.MRG_RXBUF);
    if (c.eventIdx) bits.push(VIRTIO_F.EVENT_IDX);
    if (c.indirect) bits.push(VIRTIO_F.INDIRECT_DESC);
    if (c.packed) bits.push(VIRTIO_F.RING_PACKED);
    if (!this.legacy) bits.push(VIRTIO_F.VERSION_1);
    let f = 0n;
    for (const b of bits) f |= 1n << BigInt(b);
    return f;
  }

  /** §3.1.1 steps 1-6. Returns the status read back after FEATURES_OK (modern). */
  negotiate(features = this.wanted() & this.deviceFeatures()): number {
    this.status = 0;
    this.status = STATUS.ACKNOWLEDGE;
    this.status = STATUS.ACKNOWLEDGE | STATUS.DRIVER;
    this.features = features;
    if (this.legacy) {
      this.wr(LEGACY.GUEST_FEATURES, 4, Number(features & 0xffffffffn));
      return this.status;
    }
    this.wr(COMMON.GFSELECT, 4, 0);
    this.wr(COMMON.GF, 4, Number(features & 0xffffffffn));
    this.wr(COMMON.GFSELECT, 4, 1);
    this.wr(COMMON.GF, 4, Number(features >> 32n));
    this.status = STATUS.ACKNOWLEDGE | STATUS.DRIVER | STATUS.FEATURES_OK;
    return this.status;
  }

  has(bit: number): boolean {
    return ((this.features >> BigInt(bit)) & 1n) === 1n;
  }

  /** Header length for the negotiated features. */
  get hdrLen(): number {
    return this.has(VIRTIO_F.VERSION_1) || this.has(VIRTIO_NET_F.MRG_RXBUF) ? 12 : 10;
  }

  numQueues(): number {
    return this.dev.queueMaxSizes.length;
  }

  /** Set up queue `q` (§3.1.1 step 7, §4.1.5.1.3). */
  setupQueue(q: number, size?: number): MockQueue {
    const c = this.combo;
    if (this.legacy) {
      this.wr(LEGACY.QUEUE_SEL, 2, q);
      const max = this.rd(LEGACY.QUEUE_NUM, 2);
      // Legacy layout: one block from a page, used ring on the next 4 KiB boundary.
      const base = this.alloc.take(16 * max + 6 + 2 * max + 4096 + 6 + 8 * max, 4096);
      const avail = base + 16 * max;
      const used = Math.ceil((avail + 6 + 2 * max) / 4096) * 4096;
      const mq = new MockSplitQueue(q, max, this.alloc, c.eventIdx, { desc: base, driver: avail, device: used });
      this.wr(LEGACY.QUEUE_PFN, 4, base / 4096);
      if (this.opts.msix) this.wr(LEGACY.QUEUE_VECTOR, 2, q + 1);
      this.queues[q] = mq;
      return mq;
    }
    this.wr(COMMON.Q_SELECT, 2, q);
    const max = this.rd(COMMON.Q_SIZE, 2);
    const n = Math.min(size ?? this.opts.queueSize ?? max, max);
    this.wr(COMMON.Q_SIZE, 2, n);
    const mq = c.packed ? new MockPackedQueue(q, n, this.alloc, c.eventIdx) : new MockSplitQueue(q, n, this.alloc, c.eventIdx);
    const a = mq.areas;
    this.wr(COMMON.Q_DESCLO, 4, a.desc);
    this.wr(COMMON.Q_DESCHI, 4, 0);
    this.wr(COMMON.Q_AVAILLO, 4, a.driver);
    this.wr(COMMON.Q_AVAILHI, 4, 0);
    this.wr(COMMON.Q_USEDLO, 4, a.device);
    this.wr(COMMON.Q_USEDHI, 4, 0);
    if (this.opts.msix) this.wr(COMMON.Q_MSIX, 2, q + 1);
    this.wr(COMMON.Q_ENABLE, 2, 1);
    expect(this.rd(COMMON.Q_ENABLE, 2), `queue ${q} enabled`).toBe(1);
    this.queues[q] = mq;
    return mq;
  }

  init(): void {
    const s = this.negotiate();
    if (!this.legacy) expect(s & STATUS.FEATURES_OK, 'FEATURES_OK accepted').toBe(STATUS.FEATURES_OK);
    if (this.opts.msix) {
      if (this.legacy) this.wr(LEGACY.CONFIG_VECTOR, 2, 0);
      else this.wr(COMMON.MSIX, 2, 0);
    }
    const n = this.numQueues();
    for (let q = 0; q < n; q++) this.setupQueue(q);
    this.status = STATUS.ACKNOWLEDGE | STATUS.DRIVER | (this.legacy ? 0 : STATUS.FEATURES_OK) | STATUS.DRIVER_OK;
  }

  get rxq(): MockQueue {
    return this.queues[0]!;
  }
  get txq(): MockQueue {
    return this.queues[1]!;
  }
  get ctrlq(): MockQueue {
    return this.queues[this.numQueues() - 1]!;
  }

  // ----------------------------------------------------------------- MSI-X

  enableMsix(): void {
    const cap = this.dev.pci.capabilityOffset('msix');
    if (cap === undefined) throw new Error('no MSI-X');
    const msixBar = this.dev.bar(1)!;
    const vectors = (this.dev.pci.configRead(cap + 2, 2) & 0x7ff) + 1;
    for (let v = 0; v < vectors; v++) {
      msixBar.write(16 * v, 4, 0xfee00000);
      msixBar.write(16 * v + 4, 4, 0);
      msixBar.write(16 * v + 8, 4, 0x40 + v);
      msixBar.write(16 * v + 12, 4, 0);
    }
    this.dev.pci.configWrite(cap + 2, 2, 0x8000);
  }

  // ----------------------------------------------------------------- net helpers

  /** Post `n` receive buffers of `size` bytes (one descriptor each, or `segs` descriptors). */
  postRx(n: number, size: number, segs = 1): number[] {
    const ids: number[] = [];
    for (let i = 0; i < n; i++) {
      const per = Math.ceil(size / segs);
      const bufs: Buf[] = [];
      for (let s = 0; s < segs; s++) bufs.push({ len: Math.min(per, size - s * per), write: true });
      ids.push(this.rxq.add(bufs, { indirect: this.combo.indirect && segs > 1 }));
    }
    return ids;
  }

  /** Queue one frame for transmission (header + frame in `split` pieces). */
  queueTx(frame: Uint8Array, hdr: Partial<{ flags: number; gsoType: number; hdrLen: number; gsoSize: number; csumStart: number; csumOffset: number }> = {}, split = this.combo.indirect ? 2 : 1): number {
    const h = new Uint8Array(this.hdrLen);
    const v = new DataView(h.buffer);
    h[0] = hdr.flags ?? 0;
    h[1] = hdr.gsoType ?? 0;
    v.setUint16(2, hdr.hdrLen ?? 0, true);
    v.setUint16(4, hdr.gsoSize ?? 0, true);
    v.setUint16(6, hdr.csumStart ?? 0, true);
    v.setUint16(8, hdr.csumOffset ?? 0, true);
    const whole = new Uint8Array(h.length + frame.length);
    whole.set(h);
    whole.set(frame, h.length);
    const bufs: Buf[] = split <= 1 ? [{ len: whole.length, data: whole }] : [{ len: h.length, data: h }, { len: frame.length, data: frame }];
    return this.txq.add(bufs, { indirect: this.combo.indirect });
  }

  send(frame: Uint8Array, hdr?: Parameters<Driver['queueTx']>[1]): UsedElem[] {
    this.queueTx(frame, hdr);
    this.kick(1);
    return this.txq.takeUsed();
  }

  /** Used RX elements with their data: header fields and the frame (following num_buffers). */
  receive(): Array<{ hdr: Uint8Array; frame: Uint8Array; numBuffers: number; ids: number[] }> {
    const used = this.rxq.takeUsed();
    const out: Array<{ hdr: Uint8Array; frame: Uint8Array; numBuffers: number; ids: number[] }> = [];
    let i = 0;
    while (i < used.length) {
      const first = used[i]!;
      const data = this.readChain(this.rxq, first.id, first.len);
      const hl = this.hdrLen;
      const numBuffers = hl === 12 ? data[10]! | (data[11]! << 8) : 1;
      const parts = [data.subarray(hl)];
      const ids = [first.id];
      const n = this.has(VIRTIO_NET_F.MRG_RXBUF) ? numBuffers : 1;
      for (let k = 1; k < n; k++) {
        const e = used[i + k];
        expect(e, `num_buffers ${n} but only ${used.length - i} used elements`).toBeDefined();
        parts.push(this.readChain(this.rxq, e!.id, e!.len));
        ids.push(e!.id);
      }
      const total = parts.reduce((s, p) => s + p.length, 0);
      const frame = new Uint8Array(total);
      let o = 0;
      for (const p of parts) {
        frame.set(p, o);
        o += p.length;
      }
      out.push({ hdr: data.subarray(0, hl), frame, numBuffers, ids });
      i += n;
    }
    return out;
  }

  /** The first `len` device-written bytes of a chain. */
  readChain(q: MockQueue, id: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    let o = 0;
    for (const b of q.buffers(id)) {
      if (!b.write || o >= len) continue;
      const n = Math.min(b.len, len - o);
      const part = new Uint8Array(n);
      this.mem.read(b.addr, part);
      out.set(part, o);
      o += n;
    }
    return out;
  }

  /** Send a control command; returns the ack byte (or undefined when no used element came back). */
  ctrl(cls: number, cmd: number, data: Uint8Array = new Uint8Array(0)): number | undefined {
    const q = this.ctrlq;
    const hdr = Uint8Array.of(cls, cmd);
    const bufs: Buf[] = [{ len: 2, data: hdr }];
    if (data.length) bufs.push({ len: data.length, data });
    bufs.push({ len: 1, write: true, data: Uint8Array.of(0xee) });
    const id = q.add(bufs, { indirect: this.combo.indirect });
    this.kick(this.numQueues() - 1);
    const used = q.takeUsed();
    const e = used.find((u) => u.id === id);
    if (!e) return undefined;
    expect(e.len).toBe(1);
    return this.readChain(q, id, 1)[0];
  }

  counters(): Readonly<Record<string, number>> {
    return this.dev.counters();
  }
}

/** An Ethernet frame to `dst` from `src` with an experimental ethertype and a patterned payload. */
export function ethFrame(dst: Uint8Array, src: Uint8Array, payloadLen: number, seed = 0, type = 0x88b5): Uint8Array {
  const f = new Uint8Array(14 + payloadLen);
  f.set(dst, 0);
  f.set(src, 6);
  f[12] = type >> 8;
  f[13] = type & 0xff;
  for (let i = 0; i < payloadLen; i++) f[14 + i] = (i + seed) & 0xff;
  return f;
}

export const BROADCAST = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
export const OTHER_MAC = Uint8Array.of(0x02, 0, 0, 0, 0, 1);

/** Guest memory that counts the device's accesses and records any that fall outside RAM. */
export class CountingMemory extends ObservedMemory {
  calls = 0;
  readonly outside: Array<{ op: string; addr: number; len: number }> = [];
  /** Writes in order (address, length), for ordering checks. */
  readonly writes: Array<{ addr: number; len: number }> = [];
  constructor(inner: RegionMemory) {
    super(inner, {
      after: (op, addr, len, failed) => {
        this.calls++;
        if (failed) this.outside.push({ op, addr, len });
        if (isWriteOp(op) && op !== 'fill') this.writes.push({ addr, len });
      },
    });
  }
}
