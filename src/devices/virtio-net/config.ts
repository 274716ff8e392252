/**
 * struct virtio_net_config (virtio 1.2 §5.1.4) as a field table. Its size,
 * as QEMU computes it, runs to the end of the last field a offered feature
 * needs (MAC, STATUS, MQ, MTU, SPEED_DUPLEX, RSS); reads past it return all
 * ones (the transport's job).
 */
import { hasFeature } from '../../virtio/features.js';
import { VIRTIO_NET_F } from './features.js';

export interface ConfigField {
  readonly name: string;
  readonly offset: number;
  readonly width: 1 | 2 | 4 | 6;
  /** Driver-writable only through the legacy interface (the MAC, §5.1.4.2 legacy). */
  readonly access: 'ro' | 'rw-legacy';
  /** The feature that makes the field exist. */
  readonly feature: number;
}

export const NET_CONFIG: readonly ConfigField[] = [
  { name: 'mac', offset: 0, width: 6, access: 'rw-legacy', feature: VIRTIO_NET_F.MAC },
  { name: 'status', offset: 6, width: 2, access: 'ro', feature: VIRTIO_NET_F.STATUS },
  { name: 'max_virtqueue_pairs', offset: 8, width: 2, access: 'ro', feature: VIRTIO_NET_F.MQ },
  { name: 'mtu', offset: 10, width: 2, access: 'ro', feature: VIRTIO_NET_F.MTU },
  { name: 'speed', offset: 12, width: 4, access: 'ro', feature: VIRTIO_NET_F.SPEED_DUPLEX },
  { name: 'duplex', offset: 16, width: 1, access: 'ro', feature: VIRTIO_NET_F.SPEED_DUPLEX },
  { name: 'rss_max_key_size', offset: 17, width: 1, access: 'ro', feature: VIRTIO_NET_F.RSS },
  { name: 'rss_max_indirection_table_length', offset: 18, width: 2, access: 'ro', feature: VIRTIO_NET_F.RSS },
  { name: 'supported_hash_types', offset: 20, width: 4, access: 'ro', feature: VIRTIO_NET_F.RSS },
];

export const NET_CONFIG_MAX = 24;
export const NET_STATUS_LINK_UP = 1;
export const NET_STATUS_ANNOUNCE = 2;

export const CFG = Object.fromEntries(NET_CONFIG.map((f) => [f.name, f.offset])) as Readonly<Record<string, number>>;

/** Bytes of configuration space for an offered feature set (QEMU virtio_net_set_config_size). */
export function netConfigSize(offered: bigint): number {
  let size = 6; // the MAC is always there
  for (const f of NET_CONFIG) if (hasFeature(offered, f.feature)) size = Math.max(size, f.offset + f.width);
  return size;
}

export const DUPLEX = { HALF: 0, FULL: 1, UNKNOWN: 0xff } as const;
