/**
 * virtio-net-pci (virtio 1.2 §5.1) on the PCI transport (src/virtio/pci),
 * with QEMU 7.2's identity and layout: transitional 1af4:1000 (or modern
 * 1af4:1041 with disable-legacy=on), queues receiveq/transmitq pairs plus
 * the control queue (256/256/64), MSI-X in BAR1, INTx + ISR without it.
 *
 * The device is the glue: transmit (tx.ts), receive (rx.ts), control
 * commands (ctrl.ts), filtering (filter.ts) and steering (steer.ts) are
 * functions over explicit state.
 */
import { OptionError } from '../../errors.js';
import { type FrameOffload, NetClient, OFFLOAD_CSUM, OFFLOAD_TSO4, OFFLOAD_TSO6, type ReceiveResult } from '../../hub/client.js';
import type { BarHandler, DeviceContext } from '../../machine/device.js';
import type { PciFunction } from '../../pci/index.js';
import { formatRestoreError, restore, save, type SavedState } from '../../state/index.js';
import { asBurst, beginBurst, endBurst } from '../../virtio/burst.js';
import type { VirtioCore } from '../../virtio/core.js';
import type { VirtioDeviceModel } from '../../virtio/device.js';
import { hasFeature, VIRTIO_F } from '../../virtio/features.js';
import { Chain, Pop } from '../../virtio/queue/chain.js';
import { VirtioPciTransport } from '../../virtio/pci/transport.js';
import type { NicDevice, NicProps } from '../nic.js';
import { CFG, DUPLEX, NET_CONFIG_MAX, NET_STATUS_ANNOUNCE, NET_STATUS_LINK_UP, netConfigSize } from './config.js';
import { runCtrl, VIRTIO_NET_ERR, type CtrlTarget } from './ctrl.js';
import { newNetCounters, type NetCounters } from './counters.js';
import { GUEST_OFFLOAD_BITS, NET_FEATURE_DEPENDENCIES, NET_LEGACY_ONLY, offeredFeatures, VIRTIO_NET_F } from './features.js';
import { filterAccepts, newRxFilter, resetRxFilter, type RxFilter } from './filter.js';
import { VNET_HDR_GSO, VNET_HDR_LEN, VNET_HDR_LEN_LEGACY } from '../../wire/vnet-hdr.js';
import { offloadToHdr } from '../../wire/offload.js';
import { CTRL_QUEUE_SIZE, finalVectors, resolveOptions, type VirtioNetOptions } from './options.js';
import { newRxState, publishDeferred, receiveInto, receiveOffloadedInto, type RxHost, type RxState } from './rx.js';
import { VIRTIO_NET_STATE, type VirtioNetSaved } from './state.js';
import { flowInfo, newRssConfig, rssPair, symmetricFlowHash, RSS_MAX_INDIRECTION_TABLE_LENGTH, RSS_MAX_KEY_SIZE, SUPPORTED_HASH_TYPES, type FlowInfo, type RssConfig } from './steer.js';
import { newTxState, processTx, type TxHost, type TxState } from './tx.js';

/** Largest control command read (a MAC table of 10 000 addresses). */
const MAX_CTRL_COMMAND = 64 * 1024;
const STEERING_SLOTS = 256;
const VIRTIO_ID_NET = 1;

export class VirtioNet implements NicDevice, VirtioDeviceModel, TxHost, RxHost, CtrlTarget {
  readonly deviceType = VIRTIO_ID_NET;
  readonly queueMaxSizes: readonly number[];
  readonly legacyOnlyFeatures = NET_LEGACY_ONLY;
  readonly featureDependencies = NET_FEATURE_DEPENDENCIES;

  readonly transport: VirtioPciTransport;
  readonly pci: PciFunction;
  readonly core: VirtioCore;
  readonly net: NetClient;
  readonly options: VirtioNetOptions;
  readonly stats: NetCounters = newNetCounters();
  readonly filter: RxFilter = newRxFilter();
  readonly rss: RssConfig = newRssConfig();
  readonly tx: TxState;
  readonly rx: RxState;
  readonly maxPairs: number;
  readonly ctrlQueue: number;

  /** Negotiated-state shortcuts for the hot paths. */
  hdrLen = VNET_HDR_LEN_LEGACY;
  mergeable = false;
  negotiated = 0n;
  currentPairs = 1;
  rssEnabled = false;
  private offloads = 0n;
  private csum = false;
  /** What the driver takes on receive as `OFFLOAD_*` bits (`offloadsTaken`). */
  private offloadKinds = 0;
  /** GUEST_CSUM negotiated and enabled: received frames whose checksum checks out carry DATA_VALID (a boolean: read per frame). */
  get guestCsum(): boolean {
    return this.csum;
  }
  get guestOffloads(): bigint {
    return this.offloads;
  }
  set guestOffloads(bits: bigint) {
    this.offloads = bits;
    this.csum = hasFeature(bits, VIRTIO_NET_F.GUEST_CSUM);
    // GSO types need GUEST_CSUM too (§5.1.3.1): a GSO frame's checksum is always partial.
    this.offloadKinds = this.csum
      ? OFFLOAD_CSUM | (hasFeature(bits, VIRTIO_NET_F.GUEST_TSO4) ? OFFLOAD_TSO4 : 0) | (hasFeature(bits, VIRTIO_NET_F.GUEST_TSO6) ? OFFLOAD_TSO6 : 0)
      : 0;
  }
  linkUp = true;
  announcing = false;
  readonly steering = new Uint8Array(STEERING_SLOTS);

  private readonly offered: bigint;
  private readonly cfgSize: number;
  private readonly cfg = new Uint8Array(NET_CONFIG_MAX);
  private readonly permanentMac: Uint8Array;
  private readonly currentMac: Uint8Array;
  private readonly ctrlChain = new Chain();
  private readonly ctrlBuf = new Uint8Array(MAX_CTRL_COMMAND);
  private readonly ack = new Uint8Array(1);
  private readonly flow: FlowInfo = { version: 0, l3: 0, l4: -1, proto: 0 };
  /** In the middle of moving data (TX walk, RX delivery): register accesses now are our own DMA (re-entrancy guard). */
  private dmaDepth = 0;

  constructor(
    private readonly ctx: DeviceContext,
    props: { mac: Uint8Array; name: string },
    options: VirtioNetOptions,
  ) {
    if (props.mac.length !== 6) throw new OptionError(`virtio-net: MAC address must have 6 bytes, got ${props.mac.length}`);
    this.options = options;
    this.maxPairs = options.mq || options.rss ? options.queuePairs : 1;
    const sizes: number[] = [];
    for (let i = 0; i < this.maxPairs; i++) sizes.push(options.rxQueueSize, options.txQueueSize);
    sizes.push(CTRL_QUEUE_SIZE);
    this.queueMaxSizes = sizes;
    this.ctrlQueue = 2 * this.maxPairs;
    this.offered = offeredFeatures(options);
    this.cfgSize = netConfigSize(this.offered);
    this.permanentMac = props.mac.slice();
    this.currentMac = props.mac.slice();
    this.tx = newTxState(ctx.random.nextU32());
    this.rx = newRxState(Math.max(options.rxQueueSize, options.txQueueSize), sizes.length);
    this.net = new NetClient(
      props.name,
      {
        canReceive: () => this.canReceive(),
        hasRoom: () => this.hasRoom(),
        receive: (frame) => this.receive(frame),
        receiveOffloaded: (frame, o) => this.receiveOffloaded(frame, o),
        offloadsTaken: () => this.offloadKinds,
        linkChanged: (up) => this.linkChanged(up),
      },
      { kind: 'nic' },
    );
    this.transport = new VirtioPciTransport(
      ctx,
      this,
      { legacy: options.legacy, modern: options.modern, vectors: finalVectors(options), classCode: 0x020000 },
      {
        enter: () => {
          if (this.dmaDepth > 0) {
            this.stats.nestedAccesses++;
            return false;
          }
          this.net.enterIo();
          return true;
        },
        // Frames that waited for this access are delivered now, as one burst (one publish).
        exit: () => {
          if (this.net.incoming.length === 0) {
            this.net.exitIo();
            return;
          }
          beginBurst();
          try {
            this.net.exitIo();
          } finally {
            endBurst();
          }
        },
      },
    );
    this.pci = this.transport.pci;
    this.core = this.transport.core;
    // Bus mastering switched on: frames that waited may go in now.
    this.pci.onCommandChange(() => {
      if (this.pci.busMaster && !this.net.inIo) this.net.flushQueue();
    });
    this.refreshConfig();
  }

  get mac(): Uint8Array {
    return this.permanentMac;
  }

  /** The MAC address in use now (after CTRL_MAC_ADDR_SET or a legacy config write). */
  get currentAddress(): Uint8Array {
    return this.currentMac;
  }

  bar(index: number): BarHandler | undefined {
    return this.transport.bar(index);
  }

  /** Machine reset: the device and its transport (the PCI function is reset by the machine). */
  reset(): void {
    this.transport.reset();
  }

  counters(): Readonly<Record<string, number>> {
    return { ...this.stats, ...this.core.counters, ...this.transport.counters };
  }

  // ------------------------------------------------------------------ VirtioDeviceModel

  offeredFeatures(): bigint {
    return this.offered;
  }

  configSize(): number {
    return this.cfgSize;
  }

  configReadByte(offset: number): number {
    return this.cfg[offset] ?? 0xff;
  }

  configWriteByte(offset: number, value: number, legacy: boolean): void {
    // Only the MAC, only through the legacy interface, only without CTRL_MAC_ADDR (§5.1.4.2 legacy).
    if (offset < 6 && legacy && !this.has(VIRTIO_NET_F.CTRL_MAC_ADDR) && !this.has(VIRTIO_F.VERSION_1)) {
      this.currentMac[offset] = value;
      this.cfg[offset] = value;
    }
  }

  featuresChanged(f: bigint): void {
    this.negotiated = f;
    this.hdrLen = hasFeature(f, VIRTIO_F.VERSION_1) || hasFeature(f, VIRTIO_NET_F.MRG_RXBUF) ? VNET_HDR_LEN : VNET_HDR_LEN_LEGACY;
    this.mergeable = hasFeature(f, VIRTIO_NET_F.MRG_RXBUF);
    // Negotiating an offload enables it (§5.1.6.5.6.1).
    this.guestOffloads = f & GUEST_OFFLOAD_BITS;
    // §5.1.6.5.3: the VLAN table starts empty when CTRL_VLAN is negotiated; otherwise every VLAN passes.
    this.filter.vlans.fill(hasFeature(f, VIRTIO_NET_F.CTRL_VLAN) ? 0 : 0xffffffff);
  }

  driverOk(): void {
    // Frames that waited for the driver are offered when this access ends (NetClient.exitIo).
  }

  queueNotify(index: number): void {
    if (index === this.ctrlQueue) this.processCtrl(index);
    // A transmit queue is drained as one burst: receivers reached through the
    // network publish their used rings once at its end (src/virtio/burst.ts).
    else if (index & 1) this.withDma(() => asBurst(() => processTx(this, index)));
    else if (!this.net.inIo) asBurst(() => this.net.flushQueue());
    // (inside a register access the queue is flushed when the access ends)
  }

  deviceReset(): void {
    resetRxFilter(this.filter, false);
    this.currentMac.set(this.permanentMac);
    this.negotiated = 0n;
    this.hdrLen = VNET_HDR_LEN_LEGACY;
    this.mergeable = false;
    this.currentPairs = 1;
    this.rssEnabled = false;
    const r = this.rss;
    r.hashTypes = 0;
    r.table.fill(0);
    r.tableLen = 1;
    r.unclassified = 0;
    r.key.fill(0);
    r.keyLen = 0;
    this.guestOffloads = 0n;
    this.announcing = false;
    this.steering.fill(0);
    this.refreshConfig();
  }

  // ------------------------------------------------------------------ TX / RX hosts

  /** A burst in which frames were received ended (BurstListener). */
  burstEnded(): void {
    publishDeferred(this);
  }

  private has(f: number): boolean {
    return hasFeature(this.negotiated, f);
  }

  private withDma(fn: () => void): void {
    this.dmaDepth++;
    try {
      fn();
    } finally {
      this.dmaDepth--;
    }
  }

  transmit(frame: Uint8Array, pair: number): void {
    this.steer(frame, pair);
    this.net.send(frame);
  }

  transmitOffloaded(frame: Uint8Array, pair: number, offload: FrameOffload): boolean {
    this.steer(frame, pair);
    return this.net.sendOffloaded(frame, offload);
  }

  /** Automatic receive steering (§5.1.6.5.5): remember which pair sends this flow. */
  private steer(frame: Uint8Array, pair: number): void {
    if (this.currentPairs <= 1 || this.rssEnabled) return;
    const f = flowInfo(frame, this.flow);
    if (f.version !== 0) this.steering[symmetricFlowHash(frame, f) & (STEERING_SLOTS - 1)] = pair;
  }

  private rxQueueFor(frame: Uint8Array): number {
    if (this.rssEnabled) return 2 * rssPair(this.rss, frame, flowInfo(frame, this.flow));
    if (this.currentPairs <= 1) return 0;
    const f = flowInfo(frame, this.flow);
    if (f.version === 0) return 0;
    const pair = this.steering[symmetricFlowHash(frame, f) & (STEERING_SLOTS - 1)]!;
    return pair < this.currentPairs ? 2 * pair : 0;
  }

  /** The receive queue for `frame`; one being reset or not set up falls back to the first (§5.1.6.5.5 re-select); -1 when that is not ready either. */
  private rxQueueReady(frame: Uint8Array): number {
    const q = this.rxQueueFor(frame);
    if (q !== 0 && this.core.ready(q)) return q;
    return this.core.ready(0) ? 0 : -1;
  }

  /** `canReceive` without counting or asking for a notification. */
  private hasRoom(): boolean {
    if (this.dmaDepth > 0 || !this.core.ready(0)) return false;
    return this.currentPairs > 1 || this.rssEnabled || this.core.hasAvailable(0);
  }

  private canReceive(): boolean {
    if (this.dmaDepth > 0 || !this.core.ready(0)) return false;
    if (this.currentPairs > 1 || this.rssEnabled) return true;
    if (this.core.hasAvailable(0)) return true;
    this.core.setNotify(0, true);
    if (this.core.hasAvailable(0)) return true;
    this.stats.rxNoBuffers++;
    return false;
  }

  private receive(frame: Uint8Array): ReceiveResult {
    if (this.dmaDepth > 0) {
      this.stats.nestedAccesses++;
      return 'busy';
    }
    if (frame.length < 14) {
      this.stats.rxRunt++;
      return 'drop';
    }
    if (!filterAccepts(this.filter, this.currentMac, frame)) {
      this.stats.rxFiltered++;
      return 'drop';
    }
    const q = this.rxQueueReady(frame);
    if (q < 0) return 'busy';
    this.dmaDepth++;
    try {
      return receiveInto(this, q, frame);
    } finally {
      this.dmaDepth--;
    }
  }

  /**
   * A frame with offload work left (`FrameOffload`), placed as it is with a
   * header that hands the work to the driver (§5.1.6.4): taken when the
   * driver enabled that offload (GUEST_CSUM; GUEST_TSO4/6 for GSO, and
   * GUEST_ECN for a GSO frame with CWR set), the checksum lies inside a TCP
   * or UDP header, and the buffers hold the frame now. Otherwise false,
   * nothing taken: the sender sends plain frames.
   */
  private receiveOffloaded(frame: Uint8Array, o: FrameOffload): boolean {
    const kinds = this.offloadKinds;
    if (this.dmaDepth > 0 || (kinds & OFFLOAD_CSUM) === 0) return false;
    if (o.gso !== 'none' && (kinds & (o.gso === 'tcpv4' ? OFFLOAD_TSO4 : OFFLOAD_TSO6)) === 0) return false;
    const hdr = this.rx.fields;
    if (!offloadToHdr(frame, o, hdr)) return false;
    // CWR in a GSO frame: only with GUEST_ECN (§5.1.6.4).
    if ((hdr.gsoType & VNET_HDR_GSO.ECN) !== 0 && !hasFeature(this.offloads, VIRTIO_NET_F.GUEST_ECN)) return false;
    if (!filterAccepts(this.filter, this.currentMac, frame)) return false;
    const q = this.rxQueueReady(frame);
    if (q < 0) return false;
    this.dmaDepth++;
    try {
      return receiveOffloadedInto(this, q, frame, hdr) === 'ok';
    } finally {
      this.dmaDepth--;
    }
  }

  private linkChanged(up: boolean): void {
    if (up === this.linkUp) return;
    this.linkUp = up;
    this.refreshConfig();
    // The link is in config space only with VIRTIO_NET_F_STATUS (§5.1.4).
    if (hasFeature(this.offered, VIRTIO_NET_F.STATUS)) this.core.configChanged();
    if (up && !this.net.inIo) this.net.flushQueue();
  }

  // ------------------------------------------------------------------ control queue

  private processCtrl(q: number): void {
    const core = this.core;
    const chain = this.ctrlChain;
    const size = core.queue(q)?.ring?.size ?? 0;
    if (!this.has(VIRTIO_NET_F.CTRL_VQ)) {
      core.counters.notifyNotReady++;
      return;
    }
    let pending = false;
    this.dmaDepth++;
    try {
      for (let budget = 2 * size + 1; budget > 0; budget--) {
        const p = core.pop(q, chain);
        if (p === Pop.Empty) {
          if (core.needsReset) break;
          core.setNotify(q, true);
          if (core.hasAvailable(q)) continue;
          break;
        }
        pending = true;
        if (p === Pop.BadChain) {
          this.stats.ctrlBadChains++;
          core.push(q, chain, 0);
          continue;
        }
        // The ack byte is the first device-writable byte; without it there is nothing to answer.
        if (chain.writableBytes < 1) {
          this.stats.ctrlNoAck++;
          core.push(q, chain, 0);
          continue;
        }
        this.stats.ctrlCommands++;
        const n = chain.readableBytes;
        let ack = VIRTIO_NET_ERR;
        if (n >= 2 && n <= MAX_CTRL_COMMAND) {
          const buf = this.ctrlBuf.subarray(0, n);
          if (chain.read(core.mem, 0, buf) === n) ack = runCtrl(this, buf[0]!, buf[1]!, buf.subarray(2)).ack;
        }
        if (ack !== 0) this.stats.ctrlErrors++;
        this.ack[0] = ack;
        chain.write(core.mem, 0, this.ack);
        core.push(q, chain, 1);
      }
    } finally {
      this.dmaDepth--;
    }
    if (pending) core.publish(q);
  }

  // CtrlTarget

  setMac(mac: Uint8Array): void {
    this.currentMac.set(mac);
    this.refreshConfig();
    this.core.configGeneration = (this.core.configGeneration + 1) & 0xff;
  }

  ackAnnounce(): boolean {
    if (!this.announcing) return false;
    this.announcing = false;
    this.refreshConfig();
    this.core.configGeneration = (this.core.configGeneration + 1) & 0xff;
    return true;
  }

  setPairs(pairs: number): void {
    this.currentPairs = pairs;
    this.rssEnabled = false;
  }

  enableRss(pairs: number): void {
    this.currentPairs = pairs;
    this.rssEnabled = true;
  }

  setGuestOffloads(bits: bigint): void {
    this.guestOffloads = bits;
  }

  /**
   * Ask the driver to announce itself (gratuitous ARP etc., §5.1.6.5.4): with
   * GUEST_ANNOUNCE negotiated, set VIRTIO_NET_S_ANNOUNCE and notify. Returns
   * false when the driver cannot be asked.
   */
  announce(): boolean {
    if (!this.has(VIRTIO_NET_F.GUEST_ANNOUNCE) || !this.has(VIRTIO_NET_F.CTRL_VQ) || !this.core.driverOk) return false;
    this.announcing = true;
    this.refreshConfig();
    this.core.configChanged();
    return true;
  }

  // ------------------------------------------------------------------ config space

  private refreshConfig(): void {
    const c = this.cfg;
    const o = this.options;
    c.set(this.currentMac, CFG['mac']!);
    const status = (this.linkUp ? NET_STATUS_LINK_UP : 0) | (this.announcing ? NET_STATUS_ANNOUNCE : 0);
    const put16 = (off: number, v: number): void => {
      c[off] = v & 0xff;
      c[off + 1] = (v >>> 8) & 0xff;
    };
    const put32 = (off: number, v: number): void => {
      put16(off, v & 0xffff);
      put16(off + 2, (v >>> 16) & 0xffff);
    };
    put16(CFG['status']!, status);
    put16(CFG['max_virtqueue_pairs']!, this.maxPairs);
    put16(CFG['mtu']!, o.hostMtu);
    put32(CFG['speed']!, o.speed >>> 0);
    c[CFG['duplex']!] = o.duplex === 'full' ? DUPLEX.FULL : o.duplex === 'half' ? DUPLEX.HALF : DUPLEX.UNKNOWN;
    c[CFG['rss_max_key_size']!] = RSS_MAX_KEY_SIZE;
    put16(CFG['rss_max_indirection_table_length']!, RSS_MAX_INDIRECTION_TABLE_LENGTH);
    put32(CFG['supported_hash_types']!, SUPPORTED_HASH_TYPES);
  }

  // ------------------------------------------------------------------ save / restore

  saveState(): SavedState {
    const f = this.filter;
    const r = this.rss;
    const fields: VirtioNetSaved = {
      offered: this.offered,
      queuePairs: this.maxPairs,
      transport: this.transport.saveState(),
      permanentMac: this.permanentMac.slice(),
      mac: this.currentMac.slice(),
      linkUp: this.linkUp,
      announce: this.announcing,
      filter: {
        promisc: f.promisc,
        allmulti: f.allmulti,
        alluni: f.alluni,
        nomulti: f.nomulti,
        nouni: f.nouni,
        nobcast: f.nobcast,
        macs: f.macs.slice(),
        uniCount: f.uniCount,
        multiCount: f.multiCount,
        uniOverflow: f.uniOverflow,
        multiOverflow: f.multiOverflow,
        vlans: f.vlans.slice(),
      },
      currentPairs: this.currentPairs,
      rssEnabled: this.rssEnabled,
      rss: { hashTypes: r.hashTypes, table: r.table.slice(), tableLen: r.tableLen, unclassified: r.unclassified, key: r.key.slice(), keyLen: r.keyLen },
      guestOffloads: this.guestOffloads,
      steering: this.steering.slice(),
      ufoId: this.tx.ufoId,
    };
    return save(VIRTIO_NET_STATE, fields);
  }

  restoreState(saved: unknown): string | undefined {
    const res = restore(VIRTIO_NET_STATE, saved);
    if (!res.ok) return formatRestoreError(res.error);
    const s = res.value;
    if (s.offered !== this.offered) return `virtio-net.offered: saved by a device offering 0x${s.offered.toString(16)}, this one offers 0x${this.offered.toString(16)}`;
    if (s.queuePairs !== this.maxPairs) return `virtio-net.queuePairs: saved ${s.queuePairs}, this device has ${this.maxPairs}`;
    if (s.currentPairs < 1 || s.currentPairs > this.maxPairs) return `virtio-net.currentPairs: ${s.currentPairs} outside 1..${this.maxPairs}`;
    if (s.filter.uniCount + s.filter.multiCount > 64) return 'virtio-net.filter: more than 64 MAC table entries';
    if ((s.rss.tableLen & (s.rss.tableLen - 1)) !== 0) return 'virtio-net.rss.tableLen: not a power of 2';
    for (let i = 0; i < s.rss.tableLen; i++) if (s.rss.table[i]! >= this.maxPairs) return `virtio-net.rss.table[${i}]: queue pair past max_virtqueue_pairs`;
    if (s.rss.unclassified >= this.maxPairs) return 'virtio-net.rss.unclassified: queue pair past max_virtqueue_pairs';
    if ((s.rss.hashTypes & ~SUPPORTED_HASH_TYPES) !== 0) return 'virtio-net.rss.hashTypes: unsupported hash types';
    if ((s.guestOffloads & ~GUEST_OFFLOAD_BITS) !== 0n) return 'virtio-net.guestOffloads: not receive offloads';
    const te = this.transport.restoreState(s.transport);
    if (te) return `virtio-net.transport.${te}`;
    // Derived shortcuts first (featuresChanged resets the VLAN table, which is restored next).
    this.featuresChanged(s.transport.core.negotiated);
    this.permanentMac.set(s.permanentMac);
    this.currentMac.set(s.mac);
    this.linkUp = s.linkUp;
    this.announcing = s.announce;
    const f = this.filter;
    f.promisc = s.filter.promisc;
    f.allmulti = s.filter.allmulti;
    f.alluni = s.filter.alluni;
    f.nomulti = s.filter.nomulti;
    f.nouni = s.filter.nouni;
    f.nobcast = s.filter.nobcast;
    f.macs.set(s.filter.macs);
    f.uniCount = s.filter.uniCount;
    f.multiCount = s.filter.multiCount;
    f.uniOverflow = s.filter.uniOverflow;
    f.multiOverflow = s.filter.multiOverflow;
    f.vlans.set(s.filter.vlans);
    this.currentPairs = s.currentPairs;
    this.rssEnabled = s.rssEnabled;
    const r = this.rss;
    r.hashTypes = s.rss.hashTypes;
    r.table.set(s.rss.table);
    r.tableLen = s.rss.tableLen;
    r.unclassified = s.rss.unclassified;
    r.key.set(s.rss.key);
    r.keyLen = s.rss.keyLen;
    this.guestOffloads = s.guestOffloads;
    this.steering.set(s.steering);
    this.tx.ufoId = s.ufoId;
    this.refreshConfig();
    return undefined;
  }
}

export function createVirtioNet(ctx: DeviceContext, props: NicProps, overrides: Partial<VirtioNetOptions> = {}): VirtioNet {
  return new VirtioNet(ctx, { mac: props.mac, name: props.name }, resolveOptions(props.options, overrides));
}
