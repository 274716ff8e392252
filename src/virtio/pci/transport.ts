/**
 * Virtio over PCI (virtio 1.2 §4.1), laid out as QEMU 7.2 lays out
 * virtio-*-pci so recorded traces replay:
 *   BAR0  I/O, legacy header + device configuration (transitional devices)
 *   BAR1  32-bit memory, 4 KiB: MSI-X table at 0, PBA at 0x800
 *   BAR4  64-bit prefetchable memory, 16 KiB: common 0x0000, ISR 0x1000,
 *         device 0x2000, notify 0x3000 (multiplier 4)
 *   capabilities: common 0x40, ISR 0x50, device 0x60, notify 0x70,
 *         PCI_CFG 0x84, MSI-X 0x98 (listed newest first from 0x34)
 * Transitional: 1af4:(0x1000 + type - 1) rev 0, subsystem ID = device type.
 * Modern only (disable-legacy): 1af4:(0x1040 + type) rev 1, subsystem 0x1100.
 *
 * With MSI-X enabled, queue and configuration events go to their vectors;
 * otherwise INTx follows the ISR (v86 has only INTx). Bus mastering gates DMA.
 */
import { OptionError } from '../../errors.js';
import type { BarHandler, DeviceContext } from '../../machine/device.js';
import { PciFunction, type CapabilitySpec, type CapWindow } from '../../pci/index.js';
import { VirtioCore, NO_VECTOR, type VirtioIrqSink } from '../core.js';
import type { VirtioDeviceModel } from '../device.js';
import { featureWord } from '../features.js';
import type { PciTransportSaved } from '../state.js';
import {
  COMMON,
  LEGACY,
  LEGACY_CONFIG_OFFSET,
  LEGACY_CONFIG_OFFSET_MSIX,
  MODERN_LAYOUT,
  PCI_LAYOUT,
  VIRTIO_PCI_CAP,
  regTable,
  tableRead,
  tableWrite,
  type RegDef,
} from './regs.js';

/** Queue indices a transport accepts in selectors and notifications (QEMU VIRTIO_QUEUE_MAX). */
export const VIRTIO_QUEUE_MAX = 1024;

export interface VirtioPciOptions {
  /** Legacy I/O interface (transitional device). */
  legacy: boolean;
  /** Modern capabilities and memory BAR. */
  modern: boolean;
  /** MSI-X vectors (0: no MSI-X capability, INTx only). */
  vectors: number;
  /** 24-bit class code. */
  classCode: number;
}

/** Lets the device refuse register access while it is busy with its own DMA (re-entrancy guard). */
export interface AccessGuard {
  /** False: refuse this access. */
  enter(): boolean;
  exit(): void;
}

export interface TransportCounters {
  accessesRefused: number;
  unknownWrites: number;
  pciCfgAccesses: number;
}

const MASK: Record<number, number> = { 1: 0xff, 2: 0xffff, 4: 0xffffffff };

function vendorCap(cfgType: number, bar: number, offset: number, length: number, extra = 0): Uint8Array {
  const b = new Uint8Array(16 + extra);
  b[3] = cfgType;
  b[4] = bar;
  const v = new DataView(b.buffer);
  v.setUint32(8, offset, true);
  v.setUint32(12, length, true);
  return b;
}

function pow2ceil(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

type T = VirtioPciTransport;

const COMMON_REGS: readonly RegDef<T>[] = [
  { name: 'device_feature_select', offset: COMMON.DFSELECT, width: 4, access: 'rw', reset: 0, read: (t) => t.dfselect, write: (t, v) => (t.dfselect = v) },
  { name: 'device_feature', offset: COMMON.DF, width: 4, access: 'ro', reset: 0, read: (t) => t.core.deviceFeatureWord(t.dfselect) },
  { name: 'driver_feature_select', offset: COMMON.GFSELECT, width: 4, access: 'rw', reset: 0, read: (t) => t.gfselect, write: (t, v) => (t.gfselect = v) },
  {
    name: 'driver_feature',
    offset: COMMON.GF,
    width: 4,
    access: 'rw',
    reset: 0,
    read: (t) => (t.gfselect < 2 ? t.core.driverWords[t.gfselect]! : 0),
    write: (t, v) => t.core.writeDriverFeatureWord(t.gfselect, v),
  },
  { name: 'config_msix_vector', offset: COMMON.MSIX, width: 2, access: 'rw', reset: NO_VECTOR, read: (t) => t.core.configVector, write: (t, v) => (t.core.configVector = t.vectorOrNone(v)) },
  { name: 'num_queues', offset: COMMON.NUMQ, width: 2, access: 'ro', reset: 0, read: (t) => t.core.queues.length },
  { name: 'device_status', offset: COMMON.STATUS, width: 1, access: 'rw', reset: 0, read: (t) => t.core.status, write: (t, v) => t.core.writeStatus(v & 0xff, 'modern') },
  { name: 'config_generation', offset: COMMON.CFGGEN, width: 1, access: 'ro', reset: 0, read: (t) => t.core.configGeneration },
  { name: 'queue_select', offset: COMMON.Q_SELECT, width: 2, access: 'rw', reset: 0, read: (t) => t.queueSel, write: (t, v) => t.selectQueue(v) },
  {
    name: 'queue_size',
    offset: COMMON.Q_SIZE,
    width: 2,
    access: 'rw',
    reset: 0,
    read: (t) => t.selected()?.size ?? 0,
    write: (t, v) => {
      const q = t.selected();
      if (q && t.core.queueWritable(q)) q.size = v & 0xffff;
    },
  },
  {
    name: 'queue_msix_vector',
    offset: COMMON.Q_MSIX,
    width: 2,
    access: 'rw',
    reset: NO_VECTOR,
    read: (t) => t.selected()?.vector ?? NO_VECTOR,
    write: (t, v) => {
      const q = t.selected();
      if (q) q.vector = t.vectorOrNone(v);
    },
  },
  {
    name: 'queue_enable',
    offset: COMMON.Q_ENABLE,
    width: 2,
    access: 'rw',
    reset: 0,
    read: (t) => (t.selected()?.enabled ? 1 : 0),
    write: (t, v) => {
      // §4.1.4.3.2: the driver writes 1 to enable; 0 is not a way to disable (that is queue_reset).
      if ((v & 0xffff) !== 1) {
        t.core.counters.queueWritesIgnored++;
        return;
      }
      t.core.enableQueue(t.queueSel, 'modern');
    },
  },
  // Queues are notified in order, one multiplier apart (QEMU: "simply map queues in order").
  { name: 'queue_notify_off', offset: COMMON.Q_NOFF, width: 2, access: 'ro', reset: 0, read: (t) => t.queueSel },
  ...(['desc', 'driver', 'device'] as const).flatMap((area, i): RegDef<T>[] => [
    {
      name: `queue_${area}_lo`,
      offset: COMMON.Q_DESCLO + 8 * i,
      width: 4,
      access: 'rw',
      reset: 0,
      read: (t) => t.selected()?.[`${area}Lo`] ?? 0,
      write: (t, v) => {
        const q = t.selected();
        if (q && t.core.queueWritable(q)) q[`${area}Lo`] = v >>> 0;
      },
    },
    {
      name: `queue_${area}_hi`,
      offset: COMMON.Q_DESCHI + 8 * i,
      width: 4,
      access: 'rw',
      reset: 0,
      read: (t) => t.selected()?.[`${area}Hi`] ?? 0,
      write: (t, v) => {
        const q = t.selected();
        if (q && t.core.queueWritable(q)) q[`${area}Hi`] = v >>> 0;
      },
    },
  ]),
  { name: 'queue_notify_data', offset: COMMON.Q_NDATA, width: 2, access: 'ro', reset: 0, read: () => 0 },
  {
    name: 'queue_reset',
    offset: COMMON.Q_RESET,
    width: 2,
    access: 'rw',
    reset: 0,
    // The reset is synchronous, so it always reads back as done (0, §4.1.4.3.1).
    read: () => 0,
    write: (t, v) => {
      if ((v & 0xffff) === 1 && t.queueResetOffered && t.selected()) t.core.resetQueue(t.queueSel);
      else t.core.counters.queueWritesIgnored++;
    },
  },
];

const LEGACY_REGS: readonly RegDef<T>[] = [
  { name: 'HOST_FEATURES', offset: LEGACY.HOST_FEATURES, width: 4, access: 'ro', reset: 0, read: (t) => featureWord(t.core.offeredFor('legacy'), 0) },
  {
    name: 'GUEST_FEATURES',
    offset: LEGACY.GUEST_FEATURES,
    width: 4,
    access: 'rw',
    reset: 0,
    read: (t) => featureWord(t.core.negotiated, 0),
    write: (t, v) => t.core.writeLegacyFeatures(v),
  },
  {
    name: 'QUEUE_PFN',
    offset: LEGACY.QUEUE_PFN,
    width: 4,
    access: 'rw',
    reset: 0,
    read: (t) => {
      const q = t.selected();
      return q ? Math.floor((q.descHi * 0x1_0000_0000 + q.descLo) / 4096) >>> 0 : 0;
    },
    write: (t, v) => {
      if (t.selected()) t.core.setLegacyPfn(t.queueSel, v >>> 0);
    },
  },
  { name: 'QUEUE_NUM', offset: LEGACY.QUEUE_NUM, width: 2, access: 'ro', reset: 0, read: (t) => t.selected()?.size ?? 0 },
  { name: 'QUEUE_SEL', offset: LEGACY.QUEUE_SEL, width: 2, access: 'rw', reset: 0, read: (t) => t.queueSel, write: (t, v) => t.selectQueue(v) },
  { name: 'QUEUE_NOTIFY', offset: LEGACY.QUEUE_NOTIFY, width: 2, access: 'wo', reset: 0, write: (t, v) => t.notify(v) },
  { name: 'STATUS', offset: LEGACY.STATUS, width: 1, access: 'rw', reset: 0, read: (t) => t.core.status, write: (t, v) => t.core.writeStatus(v & 0xff, 'legacy') },
  { name: 'ISR', offset: LEGACY.ISR, width: 1, access: 'rc', reset: 0, read: (t) => t.core.readIsr() },
  { name: 'CONFIG_VECTOR', offset: LEGACY.CONFIG_VECTOR, width: 2, access: 'rw', reset: NO_VECTOR, read: (t) => t.core.configVector, write: (t, v) => (t.core.configVector = t.vectorOrNone(v)) },
  {
    name: 'QUEUE_VECTOR',
    offset: LEGACY.QUEUE_VECTOR,
    width: 2,
    access: 'rw',
    reset: NO_VECTOR,
    read: (t) => t.selected()?.vector ?? NO_VECTOR,
    write: (t, v) => {
      const q = t.selected();
      if (q) q.vector = t.vectorOrNone(v);
    },
  },
];

/** The modern common configuration: fields at their offsets, everything else reads 0. */
export const COMMON_CFG = regTable(COMMON_REGS, 0);
/** The legacy header: fields at their offsets, everything else reads all ones (QEMU virtio_ioport_read). */
export const LEGACY_HEADER = regTable(LEGACY_REGS, 0xffffffff);

/** A register as a fuzzer or tracer sees it. */
export interface VirtioRegisterSpot {
  readonly bar: number;
  readonly offset: number;
  readonly width: 1 | 2 | 4;
  readonly name: string;
}

/**
 * Every register of a virtio PCI function, from the tables above: legacy
 * header and device configuration (BAR0), MSI-X table and PBA (BAR1),
 * common configuration, ISR, device configuration and notify addresses (BAR4).
 */
export function virtioRegisterSpots(o: { legacy: boolean; modern: boolean; vectors: number; queues: number; configSize: number; configNames?: (offset: number) => string }): VirtioRegisterSpot[] {
  const out: VirtioRegisterSpot[] = [];
  const cfgName = (i: number): string => `config.${o.configNames?.(i) ?? i}`;
  if (o.legacy) {
    for (const r of LEGACY_HEADER.regs) out.push({ bar: PCI_LAYOUT.LEGACY_BAR, offset: r.offset, width: r.width, name: r.name });
    for (let i = 0; i < o.configSize; i++) out.push({ bar: PCI_LAYOUT.LEGACY_BAR, offset: LEGACY_CONFIG_OFFSET + i, width: 1, name: `legacy.${cfgName(i)}` });
  }
  if (o.vectors > 0) {
    for (let v = 0; v < o.vectors; v++) {
      for (const [off, name] of [[0, 'addr_lo'], [4, 'addr_hi'], [8, 'data'], [12, 'ctrl']] as const) out.push({ bar: PCI_LAYOUT.MSIX_BAR, offset: 16 * v + off, width: 4, name: `msix[${v}].${name}` });
    }
    out.push({ bar: PCI_LAYOUT.MSIX_BAR, offset: PCI_LAYOUT.MSIX_PBA_OFFSET, width: 4, name: 'msix.pba' });
  }
  if (o.modern) {
    const L = MODERN_LAYOUT;
    for (const r of COMMON_CFG.regs) out.push({ bar: PCI_LAYOUT.MODERN_BAR, offset: L.COMMON.offset + r.offset, width: r.width, name: r.name });
    out.push({ bar: PCI_LAYOUT.MODERN_BAR, offset: L.ISR.offset, width: 1, name: 'isr' });
    for (let i = 0; i < o.configSize; i++) out.push({ bar: PCI_LAYOUT.MODERN_BAR, offset: L.DEVICE.offset + i, width: 1, name: cfgName(i) });
    for (let q = 0; q < o.queues; q++) out.push({ bar: PCI_LAYOUT.MODERN_BAR, offset: L.NOTIFY.offset + L.NOTIFY_MULTIPLIER * q, width: 2, name: `notify[${q}]` });
  }
  return out;
}

export class VirtioPciTransport implements VirtioIrqSink {
  readonly pci: PciFunction;
  readonly core: VirtioCore;
  readonly counters: TransportCounters = { accessesRefused: 0, unknownWrites: 0, pciCfgAccesses: 0 };
  dfselect = 0;
  gfselect = 0;
  queueSel = 0;
  /** The PCI_CFG capability's data window (§4.1.4.9). */
  readonly cfgData = new Uint8Array(4);
  readonly vectors: number;
  readonly legacy: boolean;
  readonly modern: boolean;
  readonly queueResetOffered: boolean;
  /** PCI Bus Master Enable, cached from command register changes (read on every DMA decision). */
  private busMaster = false;
  private readonly legacyBar: BarHandler | undefined;
  private readonly msixBar: BarHandler | undefined;
  private readonly modernBar: BarHandler | undefined;

  constructor(
    ctx: DeviceContext,
    readonly model: VirtioDeviceModel,
    opts: VirtioPciOptions,
    private readonly guard: AccessGuard = { enter: () => true, exit: () => {} },
  ) {
    if (!opts.legacy && !opts.modern) throw new OptionError('virtio-pci: device cannot work as neither modern nor legacy mode is enabled');
    if (!Number.isInteger(opts.vectors) || opts.vectors < 0 || opts.vectors > 2048) throw new OptionError(`virtio-pci: vectors must be 0..2048, got ${opts.vectors}`);
    this.vectors = opts.vectors;
    this.legacy = opts.legacy;
    this.modern = opts.modern;
    this.queueResetOffered = (model.offeredFeatures() >> 40n & 1n) === 1n;
    this.core = new VirtioCore(model, ctx.memory, this, () => this.busMaster);

    const caps: CapabilitySpec[] = [];
    if (opts.vectors > 0) {
      caps.push({
        kind: 'msix',
        ...(opts.modern ? { offset: PCI_LAYOUT.CAP_MSIX } : {}),
        vectors: opts.vectors,
        tableBar: PCI_LAYOUT.MSIX_BAR,
        tableOffset: 0,
        pbaBar: PCI_LAYOUT.MSIX_BAR,
        pbaOffset: PCI_LAYOUT.MSIX_PBA_OFFSET,
      });
    }
    if (opts.modern) {
      const cfgWmask = new Uint8Array(20);
      cfgWmask[4] = 0xff; // bar
      cfgWmask.fill(0xff, 8, 16); // offset, length
      const notify = vendorCap(VIRTIO_PCI_CAP.NOTIFY, PCI_LAYOUT.MODERN_BAR, MODERN_LAYOUT.NOTIFY.offset, MODERN_LAYOUT.NOTIFY.size, 4);
      new DataView(notify.buffer).setUint32(16, MODERN_LAYOUT.NOTIFY_MULTIPLIER, true);
      caps.push(
        { kind: 'vendor', offset: PCI_LAYOUT.CAP_PCI, bytes: vendorCap(VIRTIO_PCI_CAP.PCI, 0, 0, 0, 4), wmask: cfgWmask, window: this.pciCfgWindow() },
        { kind: 'vendor', offset: PCI_LAYOUT.CAP_NOTIFY, bytes: notify },
        { kind: 'vendor', offset: PCI_LAYOUT.CAP_DEVICE, bytes: vendorCap(VIRTIO_PCI_CAP.DEVICE, PCI_LAYOUT.MODERN_BAR, MODERN_LAYOUT.DEVICE.offset, MODERN_LAYOUT.DEVICE.size) },
        { kind: 'vendor', offset: PCI_LAYOUT.CAP_ISR, bytes: vendorCap(VIRTIO_PCI_CAP.ISR, PCI_LAYOUT.MODERN_BAR, MODERN_LAYOUT.ISR.offset, MODERN_LAYOUT.ISR.size) },
        { kind: 'vendor', offset: PCI_LAYOUT.CAP_COMMON, bytes: vendorCap(VIRTIO_PCI_CAP.COMMON, PCI_LAYOUT.MODERN_BAR, MODERN_LAYOUT.COMMON.offset, MODERN_LAYOUT.COMMON.size) },
      );
    }
    const type = model.deviceType;
    const legacyRegion = (opts.vectors > 0 ? LEGACY_CONFIG_OFFSET_MSIX : LEGACY_CONFIG_OFFSET) + model.configSize();
    this.pci = new PciFunction({
      vendorId: 0x1af4,
      deviceId: opts.legacy ? 0x1000 + type - 1 : 0x1040 + type,
      revision: opts.legacy ? 0 : 1,
      classCode: opts.classCode,
      subsystemVendorId: 0x1af4,
      subsystemId: opts.legacy ? type : 0x1100,
      interruptPin: 1,
      bars: [
        opts.legacy ? { kind: 'io', size: Math.max(4, pow2ceil(legacyRegion)) } : undefined,
        opts.vectors > 0 ? { kind: 'mem32', size: PCI_LAYOUT.MSIX_BAR_SIZE } : undefined,
        undefined,
        undefined,
        opts.modern ? { kind: 'mem64', size: MODERN_LAYOUT.BAR_SIZE, prefetchable: true } : undefined,
      ],
      capabilities: caps,
      irq: ctx.intx,
      msiSink: ctx.msi,
    });

    this.pci.onCommandChange(() => {
      this.busMaster = this.pci.busMaster;
    });
    this.legacyBar = opts.legacy
      ? { impl: { min: 1, max: 4 }, read: (o, s) => this.guarded(() => this.legacyRead(o, s as 1 | 2 | 4), 0), write: (o, s, v) => this.guarded(() => this.legacyWrite(o, s as 1 | 2 | 4, v), undefined) }
      : undefined;
    this.msixBar =
      opts.vectors > 0
        ? {
          impl: { min: 1, max: 4 },
          read: (o, s) => {
            const m = this.pci.msix!;
            return o >= PCI_LAYOUT.MSIX_PBA_OFFSET ? m.pbaRead(o - PCI_LAYOUT.MSIX_PBA_OFFSET, s as 1 | 2 | 4) : m.tableRead(o, s as 1 | 2 | 4);
          },
          write: (o, s, v) => {
            const m = this.pci.msix!;
            if (o >= PCI_LAYOUT.MSIX_PBA_OFFSET) m.pbaWrite(o - PCI_LAYOUT.MSIX_PBA_OFFSET, s as 1 | 2 | 4, v);
            else m.tableWrite(o, s as 1 | 2 | 4, v);
          },
        }
        : undefined;
    this.modernBar = opts.modern
      ? { impl: { min: 1, max: 4 }, read: (o, s) => this.guarded(() => this.modernRead(o, s as 1 | 2 | 4), 0), write: (o, s, v) => this.guarded(() => this.modernWrite(o, s as 1 | 2 | 4, v), undefined) }
      : undefined;
  }

  bar(index: number): BarHandler | undefined {
    if (index === PCI_LAYOUT.LEGACY_BAR) return this.legacyBar;
    if (index === PCI_LAYOUT.MSIX_BAR) return this.msixBar;
    if (index === PCI_LAYOUT.MODERN_BAR) return this.modernBar;
    return undefined;
  }

  /** Machine reset: the device and the transport's selectors (the PCI function is reset by the machine). */
  reset(): void {
    this.core.reset();
    this.dfselect = this.gfselect = this.queueSel = 0;
    this.cfgData.fill(0);
    this.pci.setIntx(false);
  }

  private guarded<R>(fn: () => R, refused: R): R {
    if (!this.guard.enter()) {
      this.counters.accessesRefused++;
      return refused;
    }
    try {
      return fn();
    } finally {
      this.guard.exit();
    }
  }

  // ------------------------------------------------------------------ helpers for the tables

  selected(): ReturnType<VirtioCore['queue']> {
    return this.core.queue(this.queueSel);
  }

  selectQueue(v: number): void {
    if (v < VIRTIO_QUEUE_MAX) this.queueSel = v;
  }

  notify(queue: number): void {
    if (queue < VIRTIO_QUEUE_MAX) this.core.notify(queue);
  }

  /** A vector number the driver asked for, or NO_VECTOR when it is out of range (§4.1.4.3, §4.1.5.1.2.1). */
  vectorOrNone(v: number): number {
    return v < this.vectors ? v : NO_VECTOR;
  }

  // ------------------------------------------------------------------ interrupts

  signal(vector: number, isr: number): void {
    if (this.pci.isMsixEnabled()) {
      if (vector !== NO_VECTOR) this.pci.msix?.notify(vector);
      return;
    }
    this.pci.setIntx(isr !== 0);
  }

  isrCleared(): void {
    this.pci.setIntx(false);
  }

  // ------------------------------------------------------------------ legacy I/O BAR

  private legacyConfigOffset(): number {
    return this.pci.isMsixEnabled() ? LEGACY_CONFIG_OFFSET_MSIX : LEGACY_CONFIG_OFFSET;
  }

  legacyRead(offset: number, size: 1 | 2 | 4): number {
    const cfg = this.legacyConfigOffset();
    if (offset < cfg) return tableRead(LEGACY_HEADER, this, offset, size);
    return this.configRead(offset - cfg, size);
  }

  legacyWrite(offset: number, size: 1 | 2 | 4, value: number): void {
    const cfg = this.legacyConfigOffset();
    if (offset < cfg) {
      if (!tableWrite(LEGACY_HEADER, this, offset, size, value)) this.counters.unknownWrites++;
      return;
    }
    this.configWrite(offset - cfg, size, value, true);
  }

  // ------------------------------------------------------------------ device configuration window

  /** Little-endian read of device configuration; all ones when the access does not fit (QEMU virtio_config_readX). */
  configRead(offset: number, size: 1 | 2 | 4): number {
    if (offset < 0 || offset + size > this.model.configSize()) return MASK[size]!;
    let v = 0;
    for (let i = 0; i < size; i++) v |= this.model.configReadByte(offset + i) << (8 * i);
    return v >>> 0;
  }

  configWrite(offset: number, size: 1 | 2 | 4, value: number, legacy: boolean): void {
    if (offset < 0 || offset + size > this.model.configSize()) {
      this.counters.unknownWrites++;
      return;
    }
    for (let i = 0; i < size; i++) this.model.configWriteByte(offset + i, (value >>> (8 * i)) & 0xff, legacy);
  }

  // ------------------------------------------------------------------ modern memory BAR

  modernRead(offset: number, size: 1 | 2 | 4): number {
    const L = MODERN_LAYOUT;
    if (offset < L.ISR.offset) return tableRead(COMMON_CFG, this, offset - L.COMMON.offset, size);
    if (offset < L.DEVICE.offset) return this.core.readIsr() & MASK[size]!;
    if (offset < L.NOTIFY.offset) return this.configRead(offset - L.DEVICE.offset, size);
    return 0;
  }

  modernWrite(offset: number, size: 1 | 2 | 4, value: number): void {
    const L = MODERN_LAYOUT;
    if (offset < L.ISR.offset) {
      if (!tableWrite(COMMON_CFG, this, offset - L.COMMON.offset, size, value)) this.counters.unknownWrites++;
    } else if (offset < L.DEVICE.offset) {
      this.counters.unknownWrites++;
    } else if (offset < L.NOTIFY.offset) {
      this.configWrite(offset - L.DEVICE.offset, size, value, false);
    } else {
      // The queue is the notify address (§4.1.4.4: queue_notify_off * multiplier), the value is not used.
      this.notify(Math.floor((offset - L.NOTIFY.offset) / L.NOTIFY_MULTIPLIER));
    }
  }

  // ------------------------------------------------------------------ PCI_CFG access window (§4.1.4.9)

  private pciCfgWindow(): CapWindow {
    const target = (cap: Uint8Array): { off: number; len: 1 | 2 | 4 } | undefined => {
      const bar = cap[4]!;
      const off = (cap[8]! | (cap[9]! << 8) | (cap[10]! << 16) | (cap[11]! << 24)) >>> 0;
      const len = (cap[12]! | (cap[13]! << 8) | (cap[14]! << 16) | (cap[15]! << 24)) >>> 0;
      if (bar !== PCI_LAYOUT.MODERN_BAR || (len !== 1 && len !== 2 && len !== 4)) return undefined;
      // The access is naturally aligned (QEMU aligns guest-controlled offsets down).
      const aligned = off - (off % len);
      if (aligned + len > MODERN_LAYOUT.BAR_SIZE) return undefined;
      return { off: aligned, len };
    };
    return {
      start: 16,
      length: 4,
      read: (offset, size, cap) => {
        this.counters.pciCfgAccesses++;
        const t = target(cap);
        if (t) {
          const v = this.guarded(() => this.modernRead(t.off, t.len), 0);
          for (let i = 0; i < 4; i++) this.cfgData[i] = i < t.len ? (v >>> (8 * i)) & 0xff : this.cfgData[i]!;
        }
        let v = 0;
        for (let i = 0; i < size; i++) v |= (this.cfgData[offset + i] ?? 0) << (8 * i);
        return v >>> 0;
      },
      write: (offset, size, value, cap) => {
        this.counters.pciCfgAccesses++;
        for (let i = 0; i < size && offset + i < 4; i++) this.cfgData[offset + i] = (value >>> (8 * i)) & 0xff;
        const t = target(cap);
        if (!t) return;
        let v = 0;
        for (let i = 0; i < t.len; i++) v |= this.cfgData[i]! << (8 * i);
        this.guarded(() => this.modernWrite(t.off, t.len, v >>> 0), undefined);
      },
    };
  }

  // ------------------------------------------------------------------ save / restore

  saveState(): PciTransportSaved {
    const p = this.pci.saveState();
    return {
      pci: { config: p.config, barSizing: p.barSizing, intxLevel: p.intxLevel, msixTable: p.msixTable, msixPba: p.msixPba },
      dfselect: this.dfselect,
      gfselect: this.gfselect,
      queueSel: this.queueSel,
      cfgData: this.cfgData.slice(),
      core: this.core.saveState(),
    };
  }

  /** Validate everything, then load; nothing changes on error. */
  restoreState(s: PciTransportSaved): string | undefined {
    const ce = this.core.restoreCheck(s.core);
    if (ce) return `core.${ce}`;
    const pe = this.pci.restoreState({
      config: s.pci.config,
      barSizing: s.pci.barSizing,
      intxLevel: s.pci.intxLevel,
      ...(s.pci.msixTable !== undefined ? { msixTable: s.pci.msixTable } : {}),
      ...(s.pci.msixPba !== undefined ? { msixPba: s.pci.msixPba } : {}),
    });
    if (pe) return `pci.${pe.field}: ${pe.why}`;
    this.core.restoreState(s.core);
    this.dfselect = s.dfselect;
    this.gfselect = s.gfselect;
    this.queueSel = s.queueSel;
    this.cfgData.set(s.cfgData);
    return undefined;
  }
}
