/**
 * The transport-independent part of a virtio device (virtio 1.2 §2, §3):
 * device status as a state machine, feature negotiation, the virtqueue
 * configuration slots and their rings, the ISR and interrupt vectors,
 * configuration generation, and DEVICE_NEEDS_RESET on unrecoverable guest
 * errors. A PCI (or MMIO) transport maps its registers onto this; a device
 * model gets its queues and interrupts from it.
 *
 * Nothing here throws on guest input: refused writes are counted and leave
 * the state as it was.
 */
import { addr64, type GuestMemory } from '../dma/memory.js';
import { brokenDependency, featureWord, fromWords, hasFeature, LEGACY_ONLY_FEATURES, ringFeatures, VIRTIO_F, type RingFeatures } from './features.js';
import type { VirtioDeviceModel } from './device.js';
import { Pop, type Chain, type RingError } from './queue/chain.js';
import { PACKED_ALIGN, PACKED_MAX_SIZE } from './queue/packed.js';
import { hasAvailable, hasUnpublished, newRing, pop, publish, push, rewind, mark, setNotify, shouldNotify, type Ring, type RingMark } from './queue/ring.js';
import { SPLIT_ALIGN } from './queue/split.js';
import { phaseOf, STATUS, statusWrite, type DevicePhase } from './status.js';
import type { CoreSaved, QueueSaved } from './state.js';

export const NO_VECTOR = 0xffff;
/** Legacy interface: QUEUE_PFN is in 4 KiB pages and the used ring is 4 KiB aligned (§4.1.4.8 legacy, 0.9.5 spec). */
export const LEGACY_PAGE = 4096;

/** One virtqueue's configuration as the driver sets it, and its ring once enabled. */
export interface QueueSlot {
  readonly index: number;
  readonly maxSize: number;
  size: number;
  descLo: number;
  descHi: number;
  driverLo: number;
  driverHi: number;
  deviceLo: number;
  deviceHi: number;
  vector: number;
  enabled: boolean;
  ring: Ring | undefined;
}

export type QueueSetupError =
  | { readonly kind: 'no-such-queue'; readonly index: number }
  | { readonly kind: 'already-enabled' }
  | { readonly kind: 'features-not-ok' }
  | { readonly kind: 'bad-size'; readonly size: number; readonly max: number; readonly why: 'zero' | 'too-big' | 'not-power-of-2' }
  | { readonly kind: 'misaligned'; readonly area: 'desc' | 'driver' | 'device'; readonly addr: number; readonly align: number }
  | { readonly kind: 'outside-ram'; readonly area: 'desc' | 'driver' | 'device'; readonly addr: number; readonly len: number };

/** Where interrupts go: the transport decides between MSI-X vectors and ISR + INTx. */
export interface VirtioIrqSink {
  /** A queue or configuration event for `vector` (NO_VECTOR when none); `isr` is the ISR after the event. */
  signal(vector: number, isr: number): void;
  /** The ISR was read (and cleared). */
  isrCleared(): void;
}

export interface VirtioCounters {
  statusWritesRefused: number;
  featuresRefused: number;
  featureWritesIgnored: number;
  queueSetupRefused: number;
  queueWritesIgnored: number;
  notifyNotReady: number;
  notifyBadQueue: number;
  chainErrors: number;
  ringErrors: number;
  needsReset: number;
  deviceResets: number;
  queueResets: number;
}

function newCounters(): VirtioCounters {
  return {
    statusWritesRefused: 0,
    featuresRefused: 0,
    featureWritesIgnored: 0,
    queueSetupRefused: 0,
    queueWritesIgnored: 0,
    notifyNotReady: 0,
    notifyBadQueue: 0,
    chainErrors: 0,
    ringErrors: 0,
    needsReset: 0,
    deviceResets: 0,
    queueResets: 0,
  };
}

function isPow2(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

export class VirtioCore {
  readonly queues: QueueSlot[];
  readonly counters: VirtioCounters = newCounters();
  /** Driver-owned status bits plus DEVICE_NEEDS_RESET. */
  status = 0;
  isr = 0;
  configGeneration = 0;
  configVector = NO_VECTOR;
  /** Feature words the driver wrote through the modern interface (read back as written). */
  readonly driverWords = new Uint32Array(2);
  /** The negotiated set (what the device acts on). */
  negotiated = 0n;
  ringFeatures: RingFeatures = ringFeatures(0n);
  /** Which interface the driver uses since the last reset (decided by its first access). */
  iface: 'legacy' | 'modern' | undefined;
  /** Why the device asked for a reset, if it did. */
  lastError: RingError | string | undefined;
  private readonly offered: bigint;
  /** device_feature words 0 and 1 (modern), computed once: a register read needs no BigInt work. */
  private readonly modernWords: readonly [number, number];

  constructor(
    readonly model: VirtioDeviceModel,
    readonly mem: GuestMemory,
    private readonly irq: VirtioIrqSink,
    /** DMA is allowed (PCI bus mastering on). */
    private readonly dmaAllowed: () => boolean = () => true,
  ) {
    this.offered = model.offeredFeatures();
    const modern = this.offeredFor('modern');
    this.modernWords = [featureWord(modern, 0), featureWord(modern, 1)];
    this.queues = model.queueMaxSizes.map((maxSize, index) => ({
      index,
      maxSize,
      size: maxSize,
      descLo: 0,
      descHi: 0,
      driverLo: 0,
      driverHi: 0,
      deviceLo: 0,
      deviceHi: 0,
      vector: NO_VECTOR,
      enabled: false,
      ring: undefined,
    }));
  }

  get phase(): DevicePhase {
    return phaseOf(this.status & ~STATUS.DEVICE_NEEDS_RESET);
  }

  get driverOk(): boolean {
    return (this.status & STATUS.DRIVER_OK) !== 0;
  }

  get needsReset(): boolean {
    return (this.status & STATUS.DEVICE_NEEDS_RESET) !== 0;
  }

  has(feature: number): boolean {
    return hasFeature(this.negotiated, feature);
  }

  // ------------------------------------------------------------------ features

  /** The features a driver sees through an interface. */
  offeredFor(iface: 'legacy' | 'modern'): bigint {
    if (iface === 'legacy') return this.offered & 0xffffffffn;
    return this.offered & ~(LEGACY_ONLY_FEATURES | this.model.legacyOnlyFeatures);
  }

  /** device_feature word `sel` (modern) */
  deviceFeatureWord(sel: number): number {
    return sel === 0 || sel === 1 ? this.modernWords[sel] : 0;
  }

  /** Legacy GUEST_FEATURES write: takes effect at once (no FEATURES_OK step). */
  writeLegacyFeatures(value: number): void {
    this.iface ??= 'legacy';
    if (this.driverOk) {
      this.counters.featureWritesIgnored++;
      return;
    }
    // A driver acking BAD_FEATURE is broken (virtio 0.9.5): the bit is not taken.
    const f = BigInt(value >>> 0) & this.offeredFor('legacy') & ~(1n << BigInt(VIRTIO_F.BAD_FEATURE));
    this.setNegotiated(f);
  }

  /** Modern driver_feature write of word `sel`: stored, applied at FEATURES_OK. */
  writeDriverFeatureWord(sel: number, value: number): void {
    this.iface ??= 'modern';
    if (sel !== 0 && sel !== 1) {
      this.counters.featureWritesIgnored++;
      return;
    }
    if (this.status & STATUS.FEATURES_OK) {
      // §3.1.1: features are fixed once FEATURES_OK is set.
      this.counters.featureWritesIgnored++;
      return;
    }
    this.driverWords[sel] = value >>> 0;
  }

  private setNegotiated(f: bigint): void {
    this.negotiated = f;
    this.ringFeatures = ringFeatures(f);
    this.model.featuresChanged(f);
  }

  /** Check the driver's modern feature words (§2.2.1, §3.1.1 step 5-6): a reason to refuse, or undefined. */
  private validateDriverFeatures(f: bigint): string | undefined {
    const extra = f & ~this.offeredFor('modern');
    if (extra !== 0n) return `features not offered: 0x${extra.toString(16)}`;
    if (!hasFeature(f, VIRTIO_F.VERSION_1)) return 'VERSION_1 not accepted through the modern interface';
    const dep = brokenDependency(f, this.model.featureDependencies);
    if (dep) return `feature ${dep.feature} without ${JSON.stringify(dep.needs ?? dep.needsAny)}`;
    return this.model.validateFeatures?.(f);
  }

  // ------------------------------------------------------------------ status

  /** A status write through `iface` (§2.1, §3.1.1), decided by the transition table. */
  writeStatus(value: number, iface: 'legacy' | 'modern'): void {
    this.iface ??= iface;
    const legacy = this.iface === 'legacy';
    const w = statusWrite(this.status & ~STATUS.DEVICE_NEEDS_RESET, value & 0xff, legacy);
    switch (w.kind) {
      case 'reset':
        this.reset();
        return;
      case 'reject':
        this.counters.statusWritesRefused++;
        return;
      case 'accept': {
        if (w.featuresOk) {
          const f = fromWords(this.driverWords[0]!, this.driverWords[1]!);
          const why = this.validateDriverFeatures(f);
          if (why !== undefined) {
            // FEATURES_OK stays clear: the driver reads it back and gives up (§3.1.1 step 6).
            this.counters.featuresRefused++;
            this.lastError = why;
            this.status = (this.status & STATUS.DEVICE_NEEDS_RESET) | (w.bits & ~STATUS.FEATURES_OK & ~STATUS.DRIVER_OK);
            return;
          }
          this.setNegotiated(f);
        }
        this.status = (this.status & STATUS.DEVICE_NEEDS_RESET) | w.bits;
        if (w.driverOk) this.model.driverOk();
        return;
      }
      default: {
        const never: never = w;
        return never;
      }
    }
  }

  /** Device reset (status 0 written, §2.4): everything back to its initial state. */
  reset(): void {
    this.counters.deviceResets++;
    this.status = 0;
    this.negotiated = 0n;
    this.ringFeatures = ringFeatures(0n);
    this.driverWords.fill(0);
    this.configVector = NO_VECTOR;
    this.iface = undefined;
    this.lastError = undefined;
    for (const q of this.queues) this.clearQueue(q);
    this.model.deviceReset();
    if (this.isr !== 0) {
      this.isr = 0;
      this.irq.isrCleared();
    }
  }

  private clearQueue(q: QueueSlot): void {
    q.size = q.maxSize;
    q.descLo = q.descHi = q.driverLo = q.driverHi = q.deviceLo = q.deviceHi = 0;
    q.vector = NO_VECTOR;
    q.enabled = false;
    q.ring = undefined;
  }

  /** Queue reset (VIRTIO_F_RING_RESET, §2.6.1): this queue alone returns to its initial state. */
  resetQueue(index: number): void {
    const q = this.queues[index];
    if (!q) return;
    this.counters.queueResets++;
    this.clearQueue(q);
    this.model.queueReset?.(index);
  }

  // ------------------------------------------------------------------ queues

  queue(index: number): QueueSlot | undefined {
    return this.queues[index];
  }

  /** Whether a queue's configuration registers may change now (not while enabled, §4.1.4.3.2). */
  queueWritable(q: QueueSlot): boolean {
    if (q.enabled) {
      this.counters.queueWritesIgnored++;
      return false;
    }
    return true;
  }

  /**
   * Enable a queue with its current size and addresses (modern queue_enable,
   * or a legacy QUEUE_PFN write). Refused, and counted, when the size is
   * not valid for the ring layout, an area is misaligned or not in RAM, or
   * (modern) FEATURES_OK is not set yet.
   */
  enableQueue(index: number, iface: 'legacy' | 'modern'): QueueSetupError | undefined {
    const e = this.tryEnable(index, iface);
    if (e) this.counters.queueSetupRefused++;
    return e;
  }

  private tryEnable(index: number, iface: 'legacy' | 'modern'): QueueSetupError | undefined {
    const q = this.queues[index];
    if (!q) return { kind: 'no-such-queue', index };
    if (q.enabled) return { kind: 'already-enabled' };
    if (iface === 'modern' && !(this.status & STATUS.FEATURES_OK)) return { kind: 'features-not-ok' };
    const packed = this.has(VIRTIO_F.RING_PACKED);
    const size = q.size;
    const max = Math.min(q.maxSize, packed ? PACKED_MAX_SIZE : 0x8000);
    if (size === 0) return { kind: 'bad-size', size, max, why: 'zero' };
    if (size > max) return { kind: 'bad-size', size, max, why: 'too-big' };
    // §2.7: split queue sizes are powers of 2; packed ones need not be (§2.8).
    if (!packed && !isPow2(size)) return { kind: 'bad-size', size, max, why: 'not-power-of-2' };
    const desc = addr64(q.descLo, q.descHi);
    const driver = addr64(q.driverLo, q.driverHi);
    const device = addr64(q.deviceLo, q.deviceHi);
    const align = packed ? PACKED_ALIGN : { desc: SPLIT_ALIGN.desc, driver: SPLIT_ALIGN.avail, device: SPLIT_ALIGN.used };
    const lens = packed ? { desc: 16 * size, driver: 4, device: 4 } : { desc: 16 * size, driver: 6 + 2 * size, device: 6 + 8 * size };
    for (const [area, addr] of [['desc', desc], ['driver', driver], ['device', device]] as const) {
      if (addr % align[area] !== 0) return { kind: 'misaligned', area, addr, align: align[area] };
      if (!this.mem.contains(addr, lens[area])) return { kind: 'outside-ram', area, addr, len: lens[area] };
    }
    q.ring = newRing(packed ? 'packed' : 'split', size, desc, driver, device);
    q.enabled = true;
    if (packed) setNotify(this.mem, q.ring, this.ringFeatures, true);
    this.model.queueEnabled?.(index);
    return undefined;
  }

  /** Legacy QUEUE_PFN (§4.1.4.8 legacy): the whole ring laid out from page `pfn`; 0 disables the queue. */
  setLegacyPfn(index: number, pfn: number): QueueSetupError | undefined {
    this.iface ??= 'legacy';
    const q = this.queues[index];
    if (!q) return { kind: 'no-such-queue', index };
    if (pfn === 0) {
      this.resetQueue(index);
      return undefined;
    }
    if (q.enabled) {
      this.counters.queueWritesIgnored++;
      return { kind: 'already-enabled' };
    }
    const desc = (pfn >>> 0) * LEGACY_PAGE;
    const avail = desc + 16 * q.maxSize;
    const used = Math.ceil((avail + 6 + 2 * q.maxSize) / LEGACY_PAGE) * LEGACY_PAGE;
    q.size = q.maxSize;
    q.descLo = desc >>> 0;
    q.descHi = Math.floor(desc / 0x1_0000_0000);
    q.driverLo = avail >>> 0;
    q.driverHi = Math.floor(avail / 0x1_0000_0000);
    q.deviceLo = used >>> 0;
    q.deviceHi = Math.floor(used / 0x1_0000_0000);
    return this.enableQueue(index, 'legacy');
  }

  /** The queue can move data now: enabled, driver ready, device healthy, DMA allowed. */
  ready(index: number): boolean {
    const q = this.queues[index];
    return !!q && q.ring !== undefined && (this.status & (STATUS.DRIVER_OK | STATUS.DEVICE_NEEDS_RESET)) === STATUS.DRIVER_OK && this.dmaAllowed();
  }

  /** Available buffer notification from the driver. */
  notify(index: number): void {
    if (index < 0 || index >= this.queues.length || !Number.isInteger(index)) {
      this.counters.notifyBadQueue++;
      return;
    }
    if (!this.ready(index)) {
      this.counters.notifyNotReady++;
      return;
    }
    this.model.queueNotify(index);
  }

  /**
   * Pop the next chain of a ready queue. A ring error sets DEVICE_NEEDS_RESET
   * and reads as Empty from then on; a chain error is counted and the chain
   * (its head in `chain`) must still be returned by the caller.
   */
  pop(index: number, chain: Chain): Pop {
    const r = this.queues[index]?.ring;
    if (!r || this.needsReset) return Pop.Empty;
    const p = pop(this.mem, r, this.ringFeatures, chain);
    if (p === Pop.BadRing) {
      this.counters.ringErrors++;
      this.fail(r.error ?? 'ring error');
      return Pop.Empty;
    }
    if (p === Pop.BadChain) this.counters.chainErrors++;
    return p;
  }

  /** Return a popped chain with `len` bytes written (not visible before `publish`). */
  push(index: number, chain: Chain, len: number): void {
    this.pushId(index, chain.head, chain.ringSlots, len);
  }

  /** `push` by head/buffer id and ring slots, for chains remembered after the `Chain` was reused. */
  pushId(index: number, head: number, slots: number, len: number): void {
    const r = this.queues[index]?.ring;
    if (!r) return;
    if (!push(this.mem, r, head, slots, len)) {
      this.counters.ringErrors++;
      this.fail(r.error ?? 'used ring unwritable');
    }
  }

  /**
   * Publish pushed used elements and send a used buffer notification unless
   * suppressed. A used ring that cannot be written (split rings write their
   * elements here, not at `push`) is a ring error, as at `push`.
   */
  publish(index: number): void {
    const q = this.queues[index];
    const r = q?.ring;
    if (!q || !r) return;
    if (!publish(this.mem, r)) {
      this.counters.ringErrors++;
      this.fail(r.error ?? 'used ring unwritable');
      return;
    }
    if (shouldNotify(this.mem, r, this.ringFeatures)) this.notifyQueue(q);
  }

  /** Used elements were pushed on this queue and not yet published. */
  hasUnpublished(index: number): boolean {
    const r = this.queues[index]?.ring;
    return !!r && hasUnpublished(r);
  }

  hasAvailable(index: number): boolean {
    const r = this.queues[index]?.ring;
    return !!r && !this.needsReset && hasAvailable(this.mem, r);
  }

  /** Ask for (or suppress) available buffer notifications on a queue. */
  setNotify(index: number, enable: boolean): void {
    const r = this.queues[index]?.ring;
    if (r) setNotify(this.mem, r, this.ringFeatures, enable);
  }

  /** Consumer position of a queue into the caller's `out`, to put chains back with `rewind`; false when the queue has no ring. */
  markInto(index: number, out: RingMark): boolean {
    const r = this.queues[index]?.ring;
    if (!r) return false;
    mark(r, out);
    return true;
  }

  rewind(index: number, m: RingMark): void {
    const r = this.queues[index]?.ring;
    if (r) rewind(r, m);
  }

  // ------------------------------------------------------------------ interrupts

  private notifyQueue(q: QueueSlot): void {
    this.isr |= 1;
    this.irq.signal(q.vector, this.isr);
  }

  /**
   * The device configuration changed (§2.5.1): bump the generation and, once
   * the driver is up, send a configuration change notification (ISR bit 1).
   */
  configChanged(): void {
    this.configGeneration = (this.configGeneration + 1) & 0xff;
    if (!this.driverOk) return;
    this.isr |= 2;
    this.irq.signal(this.configVector, this.isr);
  }

  /** ISR read (§4.1.4.5): the value, cleared, INTx deasserted. */
  readIsr(): number {
    const v = this.isr;
    this.isr = 0;
    this.irq.isrCleared();
    return v;
  }

  /**
   * An unrecoverable guest error (§2.1.2): set DEVICE_NEEDS_RESET, stop
   * every queue and tell the driver with a configuration change
   * notification. Only a device reset clears it.
   */
  fail(why: RingError | string): void {
    if (this.needsReset) return;
    this.counters.needsReset++;
    this.lastError = why;
    this.status |= STATUS.DEVICE_NEEDS_RESET;
    this.configChanged();
  }

  // ------------------------------------------------------------------ save / restore

  /**
   * Used elements pushed and not yet published (a device holds them until a
   * burst ends) are published first: the saved ring positions then match
   * what guest memory holds.
   */
  saveState(): CoreSaved {
    for (let i = 0; i < this.queues.length; i++) if (this.hasUnpublished(i)) this.publish(i);
    return {
      status: this.status,
      isr: this.isr,
      configGeneration: this.configGeneration,
      configVector: this.configVector,
      driverFeatureLo: this.driverWords[0]!,
      driverFeatureHi: this.driverWords[1]!,
      negotiated: this.negotiated,
      iface: this.iface,
      queues: this.queues.map((q): QueueSaved => {
        const r = q.ring;
        return {
          size: q.size,
          descLo: q.descLo,
          descHi: q.descHi,
          driverLo: q.driverLo,
          driverHi: q.driverHi,
          deviceLo: q.deviceLo,
          deviceHi: q.deviceHi,
          vector: q.vector,
          enabled: q.enabled,
          ring: r
            ? {
              kind: r.kind,
              nextAvail: r.nextAvail,
              availWrap: r.kind === 'packed' ? r.availWrap : true,
              nextUsed: r.nextUsed,
              usedWrap: r.kind === 'packed' ? r.usedWrap : true,
              signalledUsed: r.signalledUsed,
              signalledWrap: r.kind === 'packed' ? r.signalledWrap : true,
              signalledValid: r.signalledValid,
              inFlight: r.inFlight,
            }
            : undefined,
        };
      }),
    };
  }

  /**
   * Load saved state after checking it against this device (queue count,
   * offered features, ring placement in this machine's RAM). Nothing
   * changes when it is refused. The model's own state is restored by the
   * model; `featuresChanged` is not called.
   */
  restoreState(s: CoreSaved): string | undefined {
    const rings = this.prepare(s);
    if (typeof rings === 'string') return rings;
    this.apply(s, rings);
    return undefined;
  }

  /** The problem with a saved state, or undefined when `restoreState` would take it. */
  restoreCheck(s: CoreSaved): string | undefined {
    const r = this.prepare(s);
    return typeof r === 'string' ? r : undefined;
  }

  private prepare(s: CoreSaved): Array<Ring | undefined> | string {
    if (s.queues.length !== this.queues.length) return `queues: saved ${s.queues.length}, this device has ${this.queues.length}`;
    const modern = this.offeredFor('modern');
    const legacy = this.offeredFor('legacy');
    if ((s.negotiated & ~(modern | legacy)) !== 0n) return 'negotiated: features this device does not offer';
    if (s.configVector !== NO_VECTOR && s.configVector >= 2048) return 'configVector: out of range';
    const rings: Array<Ring | undefined> = [];
    for (let i = 0; i < s.queues.length; i++) {
      const q = s.queues[i]!;
      const slot = this.queues[i]!;
      if (q.enabled !== (q.ring !== undefined)) return `queues[${i}]: enabled and ring disagree`;
      const r = q.ring;
      if (!r) {
        // A queue not enabled holds whatever the driver wrote; it is checked when enabled.
        rings.push(undefined);
        continue;
      }
      if (q.size > slot.maxSize) return `queues[${i}].size: ${q.size} above ${slot.maxSize}`;
      if (q.size === 0) return `queues[${i}].size: 0 with a ring`;
      const packed = r.kind === 'packed';
      // §2.7: a split ring's size is a power of 2 (enableQueue refuses anything else).
      if (!packed && !isPow2(q.size)) return `queues[${i}].size: ${q.size} is not a power of 2 for a split ring`;
      const desc = addr64(q.descLo, q.descHi);
      const driver = addr64(q.driverLo, q.driverHi);
      const device = addr64(q.deviceLo, q.deviceHi);
      const lens = packed ? [16 * q.size, 4, 4] : [16 * q.size, 6 + 2 * q.size, 6 + 8 * q.size];
      const addrs = [desc, driver, device];
      for (let k = 0; k < 3; k++) if (!this.mem.contains(addrs[k]!, lens[k]!)) return `queues[${i}]: ring outside this machine's RAM`;
      if (r.inFlight > q.size) return `queues[${i}].ring.inFlight: above the queue size`;
      if (packed && (r.nextAvail >= q.size || r.nextUsed >= q.size || r.signalledUsed >= q.size)) return `queues[${i}].ring: packed index past the ring`;
      const ring = newRing(r.kind, q.size, desc, driver, device);
      ring.nextAvail = r.nextAvail;
      if (ring.kind === 'split') {
        ring.shadowAvail = r.nextAvail;
        ring.publishedUsed = r.nextUsed;
      }
      ring.nextUsed = r.nextUsed;
      ring.signalledUsed = r.signalledUsed;
      ring.signalledValid = r.signalledValid;
      ring.inFlight = r.inFlight;
      if (ring.kind === 'packed') {
        ring.availWrap = r.availWrap;
        ring.usedWrap = r.usedWrap;
        ring.signalledWrap = r.signalledWrap;
      }
      rings.push(ring);
    }
    return rings;
  }

  private apply(s: CoreSaved, rings: Array<Ring | undefined>): void {
    this.status = s.status;
    this.isr = s.isr;
    this.configGeneration = s.configGeneration;
    this.configVector = s.configVector;
    this.driverWords[0] = s.driverFeatureLo;
    this.driverWords[1] = s.driverFeatureHi;
    this.negotiated = s.negotiated;
    this.ringFeatures = ringFeatures(s.negotiated);
    this.iface = s.iface;
    this.lastError = undefined;
    for (let i = 0; i < s.queues.length; i++) {
      const q = s.queues[i]!;
      const slot = this.queues[i]!;
      slot.size = q.size;
      slot.descLo = q.descLo;
      slot.descHi = q.descHi;
      slot.driverLo = q.driverLo;
      slot.driverHi = q.driverHi;
      slot.deviceLo = q.deviceLo;
      slot.deviceHi = q.deviceHi;
      slot.vector = q.vector;
      slot.enabled = q.enabled;
      slot.ring = rings[i];
    }
  }
}
