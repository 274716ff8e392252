/**
 * The control virtqueue's commands (virtio 1.2 §5.1.6.5). Each handler
 * checks its feature and its data completely before changing anything, so a
 * malformed command answers VIRTIO_NET_ERR and leaves the device as it was
 * (CVE-2014-0150: MAC_TABLE_SET entry counts larger than the data).
 */
import { le16 } from '../../wire/bytes.js';
import { hasFeature } from '../../virtio/features.js';
import { GUEST_OFFLOAD_BITS, VIRTIO_NET_F } from './features.js';
import { MAC_TABLE_ENTRIES, VLAN_IDS, type RxFilter } from './filter.js';
import { RSS_MAX_INDIRECTION_TABLE_LENGTH, RSS_MAX_KEY_SIZE, SUPPORTED_HASH_TYPES, type RssConfig } from './steer.js';

export const VIRTIO_NET_OK = 0;
export const VIRTIO_NET_ERR = 1;

export const CTRL = {
  RX: 0,
  MAC: 1,
  VLAN: 2,
  ANNOUNCE: 3,
  MQ: 4,
  GUEST_OFFLOADS: 5,
} as const;

export const CTRL_RX = { PROMISC: 0, ALLMULTI: 1, ALLUNI: 2, NOMULTI: 3, NOUNI: 4, NOBCAST: 5 } as const;
export const CTRL_MAC = { TABLE_SET: 0, ADDR_SET: 1 } as const;
export const CTRL_VLAN = { ADD: 0, DEL: 1 } as const;
export const CTRL_ANNOUNCE = { ACK: 0 } as const;
export const CTRL_MQ = { VQ_PAIRS_SET: 0, RSS_CONFIG: 1, HASH_CONFIG: 2 } as const;
export const CTRL_GUEST_OFFLOADS = { SET: 0 } as const;

/** What the commands act on. */
export interface CtrlTarget {
  readonly negotiated: bigint;
  readonly filter: RxFilter;
  readonly maxPairs: number;
  readonly rss: RssConfig;
  setMac(mac: Uint8Array): void;
  /** Clear VIRTIO_NET_S_ANNOUNCE; false when it was not set. */
  ackAnnounce(): boolean;
  /** Automatic steering over `pairs` pairs (RSS off). */
  setPairs(pairs: number): void;
  /** RSS on, with `pairs` transmit queues in use (the config is already in `rss`). */
  enableRss(pairs: number): void;
  setGuestOffloads(bits: bigint): void;
}

/** Why a command was refused (for counters and tests). */
export type CtrlRefusal = 'feature' | 'length' | 'value' | 'unknown';

export interface CtrlResult {
  ack: number;
  refusal?: CtrlRefusal;
}

const OK: CtrlResult = { ack: VIRTIO_NET_OK };
const refuse = (refusal: CtrlRefusal): CtrlResult => ({ ack: VIRTIO_NET_ERR, refusal });

function le32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

/** Run one command: `data` is the command-specific data after class and command. */
export function runCtrl(t: CtrlTarget, cls: number, cmd: number, data: Uint8Array): CtrlResult {
  const has = (f: number): boolean => hasFeature(t.negotiated, f);
  switch (cls) {
    case CTRL.RX:
      return rxMode(t, has, cmd, data);
    case CTRL.MAC:
      return macCommand(t, has, cmd, data);
    case CTRL.VLAN: {
      if (!has(VIRTIO_NET_F.CTRL_VLAN)) return refuse('feature');
      if (cmd !== CTRL_VLAN.ADD && cmd !== CTRL_VLAN.DEL) return refuse('unknown');
      if (data.length !== 2) return refuse('length');
      const vid = le16(data, 0);
      if (vid >= VLAN_IDS) return refuse('value');
      const w = vid >>> 5;
      const m = 1 << (vid & 31);
      t.filter.vlans[w] = cmd === CTRL_VLAN.ADD ? t.filter.vlans[w]! | m : t.filter.vlans[w]! & ~m;
      return OK;
    }
    case CTRL.ANNOUNCE:
      if (!has(VIRTIO_NET_F.GUEST_ANNOUNCE)) return refuse('feature');
      if (cmd !== CTRL_ANNOUNCE.ACK) return refuse('unknown');
      if (data.length !== 0) return refuse('length');
      return t.ackAnnounce() ? OK : refuse('value');
    case CTRL.MQ:
      return mqCommand(t, has, cmd, data);
    case CTRL.GUEST_OFFLOADS: {
      if (!has(VIRTIO_NET_F.CTRL_GUEST_OFFLOADS)) return refuse('feature');
      if (cmd !== CTRL_GUEST_OFFLOADS.SET) return refuse('unknown');
      if (data.length !== 8) return refuse('length');
      const bits = (BigInt(le32(data, 4)) << 32n) | BigInt(le32(data, 0));
      // §5.1.6.5.6.2: only offloads that were negotiated can be enabled.
      if ((bits & ~(GUEST_OFFLOAD_BITS & t.negotiated)) !== 0n) return refuse('value');
      t.setGuestOffloads(bits);
      return OK;
    }
    default:
      return refuse('unknown');
  }
}

function rxMode(t: CtrlTarget, has: (f: number) => boolean, cmd: number, data: Uint8Array): CtrlResult {
  const basic = cmd === CTRL_RX.PROMISC || cmd === CTRL_RX.ALLMULTI;
  const extra = cmd === CTRL_RX.ALLUNI || cmd === CTRL_RX.NOMULTI || cmd === CTRL_RX.NOUNI || cmd === CTRL_RX.NOBCAST;
  if (!basic && !extra) return refuse('unknown');
  if (!has(VIRTIO_NET_F.CTRL_RX) || (extra && !has(VIRTIO_NET_F.CTRL_RX_EXTRA))) return refuse('feature');
  if (data.length !== 1) return refuse('length');
  const on = data[0] !== 0;
  const f = t.filter;
  switch (cmd) {
    case CTRL_RX.PROMISC:
      f.promisc = on;
      break;
    case CTRL_RX.ALLMULTI:
      f.allmulti = on;
      break;
    case CTRL_RX.ALLUNI:
      f.alluni = on;
      break;
    case CTRL_RX.NOMULTI:
      f.nomulti = on;
      break;
    case CTRL_RX.NOUNI:
      f.nouni = on;
      break;
    default:
      f.nobcast = on;
      break;
  }
  return OK;
}

function macCommand(t: CtrlTarget, has: (f: number) => boolean, cmd: number, data: Uint8Array): CtrlResult {
  if (cmd === CTRL_MAC.ADDR_SET) {
    if (!has(VIRTIO_NET_F.CTRL_MAC_ADDR)) return refuse('feature');
    if (data.length !== 6) return refuse('length');
    t.setMac(data.slice(0, 6));
    return OK;
  }
  if (cmd !== CTRL_MAC.TABLE_SET) return refuse('unknown');
  if (!has(VIRTIO_NET_F.CTRL_RX)) return refuse('feature');
  // Two tables, unicast then multicast: le32 entries, entries * 6 bytes (§5.1.6.5.2).
  if (data.length < 4) return refuse('length');
  const uni = le32(data, 0);
  const uniEnd = 4 + uni * 6;
  if (uniEnd + 4 > data.length) return refuse('length');
  const multi = le32(data, uniEnd);
  const end = uniEnd + 4 + multi * 6;
  if (end !== data.length) return refuse('length');
  // Validated: commit. Overflowing tables fall back to accepting every address of that kind.
  const f = t.filter;
  f.macs.fill(0);
  f.uniOverflow = uni > MAC_TABLE_ENTRIES;
  f.uniCount = f.uniOverflow ? 0 : uni;
  if (!f.uniOverflow) f.macs.set(data.subarray(4, uniEnd), 0);
  f.multiOverflow = multi > MAC_TABLE_ENTRIES - f.uniCount;
  f.multiCount = f.multiOverflow ? 0 : multi;
  if (!f.multiOverflow) f.macs.set(data.subarray(uniEnd + 4, end), f.uniCount * 6);
  return OK;
}

function mqCommand(t: CtrlTarget, has: (f: number) => boolean, cmd: number, data: Uint8Array): CtrlResult {
  if (cmd === CTRL_MQ.VQ_PAIRS_SET) {
    if (!has(VIRTIO_NET_F.MQ)) return refuse('feature');
    if (data.length !== 2) return refuse('length');
    const pairs = le16(data, 0);
    // §5.1.6.5.5: 1 ..= max_virtqueue_pairs.
    if (pairs < 1 || pairs > t.maxPairs) return refuse('value');
    t.setPairs(pairs);
    return OK;
  }
  if (cmd === CTRL_MQ.RSS_CONFIG) {
    if (!has(VIRTIO_NET_F.RSS)) return refuse('feature');
    return rssConfig(t, data);
  }
  if (cmd === CTRL_MQ.HASH_CONFIG) return refuse('feature');
  return refuse('unknown');
}

/**
 * struct virtio_net_rss_config (§5.1.6.5.7.1): le32 hash_types,
 * le16 indirection_table_mask, le16 unclassified_queue,
 * le16 indirection_table[mask + 1], le16 max_tx_vq, u8 hash_key_length,
 * u8 hash_key_data[]. Every queue named must be below max_tx_vq
 * (CVE-2024-6505: an entry past the active queues indexed out of bounds).
 */
function rssConfig(t: CtrlTarget, data: Uint8Array): CtrlResult {
  if (data.length < 8) return refuse('length');
  const hashTypes = le32(data, 0);
  const mask = le16(data, 4);
  const unclassified = le16(data, 6);
  const entries = mask + 1;
  if (entries > RSS_MAX_INDIRECTION_TABLE_LENGTH || (entries & mask) !== 0) return refuse('value');
  const tableEnd = 8 + 2 * entries;
  if (tableEnd + 3 > data.length) return refuse('length');
  const maxTx = le16(data, tableEnd);
  const keyLen = data[tableEnd + 2]!;
  if (tableEnd + 3 + keyLen !== data.length) return refuse('length');
  if (keyLen > RSS_MAX_KEY_SIZE) return refuse('value');
  if ((hashTypes & ~SUPPORTED_HASH_TYPES) !== 0) return refuse('value');
  if (maxTx < 1 || maxTx > t.maxPairs) return refuse('value');
  if (unclassified >= maxTx) return refuse('value');
  for (let i = 0; i < entries; i++) if (le16(data, 8 + 2 * i) >= maxTx) return refuse('value');
  const c = t.rss;
  c.hashTypes = hashTypes;
  c.tableLen = entries;
  for (let i = 0; i < entries; i++) c.table[i] = le16(data, 8 + 2 * i);
  c.unclassified = unclassified;
  c.key.fill(0);
  c.key.set(data.subarray(tableEnd + 3, tableEnd + 3 + keyLen));
  c.keyLen = keyLen;
  t.enableRss(maxTx);
  return OK;
}
