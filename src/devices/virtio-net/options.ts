/**
 * virtio-net-pci options with QEMU 7.2's defaults, resolved from the parsed
 * `-device virtio-net-pci,...` properties (src/config) and nicemu's own
 * programmatic extras.
 */
import { NotSupportedError, OptionError } from '../../errors.js';
import type { DeviceOptions, VirtioNetPciDevice } from '../../config/index.js';

export interface VirtioNetOptions {
  /** Legacy I/O interface (transitional device, 1af4:1000). */
  legacy: boolean;
  /** Modern interface (VERSION_1, capabilities, memory BAR). */
  modern: boolean;
  /** MSI-X vectors; 0 = INTx only; -1 = QEMU's default, 2 per queue pair + config + control queue. */
  vectors: number;
  csum: boolean;
  guestCsum: boolean;
  gso: boolean;
  guestTso4: boolean;
  guestTso6: boolean;
  guestEcn: boolean;
  guestUfo: boolean;
  guestAnnounce: boolean;
  hostTso4: boolean;
  hostTso6: boolean;
  hostEcn: boolean;
  hostUfo: boolean;
  mrgRxbuf: boolean;
  status: boolean;
  ctrlVq: boolean;
  ctrlRx: boolean;
  ctrlVlan: boolean;
  ctrlRxExtra: boolean;
  ctrlMacAddr: boolean;
  ctrlGuestOffloads: boolean;
  mq: boolean;
  rss: boolean;
  indirectDesc: boolean;
  eventIdx: boolean;
  notifyOnEmpty: boolean;
  anyLayout: boolean;
  packed: boolean;
  queueReset: boolean;
  rxQueueSize: number;
  txQueueSize: number;
  /** VIRTIO_NET_F_MTU value; 0 = not offered. */
  hostMtu: number;
  /** Mbit/s, -1 = unknown. */
  speed: number;
  duplex: 'half' | 'full' | undefined;
  /**
   * nicemu: queue pairs the device has (max_virtqueue_pairs). QEMU takes
   * them from the netdev's `queues=`; a nicemu device has one network
   * client and steers flows across pairs itself. Default 1.
   */
  queuePairs: number;
}

export const CTRL_QUEUE_SIZE = 64;
/** QEMU's TX queue limit for backends without vhost (virtio_net_max_tx_queue_size). */
export const QEMU_TX_QUEUE_DEFAULT = 256;
/** Queue pairs at most (leaves room for the control queue in 1024 queues; §5.1.4 max 0x8000). */
export const MAX_QUEUE_PAIRS = 511;

export const DEFAULT_VIRTIO_NET_OPTIONS: VirtioNetOptions = {
  legacy: true,
  modern: true,
  vectors: -1,
  csum: true,
  guestCsum: true,
  gso: true,
  guestTso4: true,
  guestTso6: true,
  guestEcn: true,
  guestUfo: true,
  guestAnnounce: true,
  hostTso4: true,
  hostTso6: true,
  hostEcn: true,
  hostUfo: true,
  mrgRxbuf: true,
  status: true,
  ctrlVq: true,
  ctrlRx: true,
  ctrlVlan: true,
  ctrlRxExtra: true,
  ctrlMacAddr: true,
  ctrlGuestOffloads: true,
  mq: false,
  rss: false,
  indirectDesc: true,
  eventIdx: true,
  notifyOnEmpty: true,
  anyLayout: true,
  packed: false,
  queueReset: true,
  rxQueueSize: 256,
  txQueueSize: 256,
  hostMtu: 0,
  speed: -1,
  duplex: undefined,
  queuePairs: 1,
};

function isPow2(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

/** Resolve `-device` properties (absent = QEMU default) plus overrides; throws OptionError on nonsense. */
export function resolveOptions(dev: DeviceOptions | undefined, overrides: Partial<VirtioNetOptions> = {}): VirtioNetOptions {
  const o: VirtioNetOptions = { ...DEFAULT_VIRTIO_NET_OPTIONS };
  if (dev !== undefined) {
    if (dev.driver !== 'virtio-net-pci') throw new OptionError(`virtio-net: options for ${dev.driver}`);
    applyDevice(o, dev);
  }
  Object.assign(o, overrides);
  if (!o.legacy && !o.modern) throw new OptionError('virtio-net-pci: device cannot work as neither modern nor legacy mode is enabled');
  if (!Number.isInteger(o.queuePairs) || o.queuePairs < 1 || o.queuePairs > MAX_QUEUE_PAIRS) throw new OptionError(`virtio-net-pci: queue pairs must be 1..${MAX_QUEUE_PAIRS}`);
  if (!o.mq && o.queuePairs > 1 && !o.rss) throw new OptionError('virtio-net-pci: more than one queue pair needs mq=on or rss=on');
  for (const [name, v] of [['rx_queue_size', o.rxQueueSize], ['tx_queue_size', o.txQueueSize]] as const) {
    if (!isPow2(v) || v < 256 || v > 1024) throw new OptionError(`Invalid ${name} (= ${v}), must be a power of 2 between 256 and 1024.`);
  }
  if (!Number.isInteger(o.hostMtu) || o.hostMtu < 0 || (o.hostMtu > 0 && (o.hostMtu < 68 || o.hostMtu > 65535))) throw new OptionError(`virtio-net-pci: host_mtu ${o.hostMtu} must be 68..65535`);
  if (!Number.isInteger(o.vectors) || o.vectors < -1 || o.vectors > 2048) throw new OptionError(`virtio-net-pci: vectors ${o.vectors} must be 0..2048`);
  return o;
}

function applyDevice(o: VirtioNetOptions, d: VirtioNetPciDevice): void {
  if (d.hash) throw new NotSupportedError('virtio-net-pci hash=on (VIRTIO_NET_F_HASH_REPORT)');
  if (d.guestRscExt) throw new NotSupportedError('virtio-net-pci guest_rsc_ext=on (VIRTIO_NET_F_RSC_EXT)');
  if (d.failover) throw new NotSupportedError('virtio-net-pci failover=on');
  if (d.iommuPlatform) throw new NotSupportedError('virtio-net-pci iommu_platform=on');
  // On the pc machine's conventional PCI bus, disable-legacy=auto keeps the legacy interface.
  if (d.disableLegacy !== undefined) o.legacy = d.disableLegacy !== 'on';
  if (d.disableModern !== undefined) o.modern = !d.disableModern;
  const bools = [
    'csum', 'guestCsum', 'gso', 'guestTso4', 'guestTso6', 'guestEcn', 'guestUfo', 'guestAnnounce', 'hostTso4', 'hostTso6', 'hostEcn', 'hostUfo',
    'mrgRxbuf', 'status', 'ctrlVq', 'ctrlRx', 'ctrlVlan', 'ctrlRxExtra', 'ctrlMacAddr', 'ctrlGuestOffloads', 'mq', 'rss', 'indirectDesc', 'eventIdx',
    'notifyOnEmpty', 'anyLayout', 'packed', 'queueReset',
  ] as const;
  for (const k of bools) {
    const v = d[k];
    if (v !== undefined) o[k] = v;
  }
  if (d.rxQueueSize !== undefined) o.rxQueueSize = d.rxQueueSize;
  if (d.txQueueSize !== undefined) o.txQueueSize = d.txQueueSize;
  if (d.hostMtu !== undefined) o.hostMtu = d.hostMtu;
  if (d.speed !== undefined) o.speed = d.speed;
  if (d.duplex !== undefined) {
    if (d.duplex !== 'half' && d.duplex !== 'full') throw new OptionError("'duplex' must be 'half' or 'full'");
    o.duplex = d.duplex;
  }
  // QEMU: unspecified vectors (0xffffffff) = 2 per queue pair + config + control queue.
  if (d.vectors !== undefined && d.vectors !== 0xffffffff) o.vectors = d.vectors;
}

/** Vectors after the pair count is known (an unspecified count is -1 until then). */
export function finalVectors(o: VirtioNetOptions): number {
  return o.vectors < 0 ? 2 * o.queuePairs + 2 : o.vectors;
}
