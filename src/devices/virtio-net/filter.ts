/**
 * Receive filtering (virtio 1.2 §5.1.6.5.1-3): RX modes, the MAC filter
 * table and the VLAN filter. The defaults are QEMU's: promiscuous until the
 * driver says otherwise through CTRL_RX (the spec calls the filters
 * best-effort), every VLAN accepted until CTRL_VLAN is negotiated.
 */

/** QEMU's MAC_TABLE_ENTRIES. */
export const MAC_TABLE_ENTRIES = 64;
export const VLAN_IDS = 4096;

export interface RxFilter {
  promisc: boolean;
  allmulti: boolean;
  alluni: boolean;
  nomulti: boolean;
  nouni: boolean;
  nobcast: boolean;
  /** Unicast entries first (`uniCount`), then multicast (`multiCount`). */
  readonly macs: Uint8Array;
  uniCount: number;
  multiCount: number;
  uniOverflow: boolean;
  multiOverflow: boolean;
  /** One bit per VLAN ID. */
  readonly vlans: Uint32Array;
}

export function newRxFilter(): RxFilter {
  const f: RxFilter = {
    promisc: true,
    allmulti: false,
    alluni: false,
    nomulti: false,
    nouni: false,
    nobcast: false,
    macs: new Uint8Array(MAC_TABLE_ENTRIES * 6),
    uniCount: 0,
    multiCount: 0,
    uniOverflow: false,
    multiOverflow: false,
    vlans: new Uint32Array(VLAN_IDS / 32),
  };
  resetRxFilter(f, false);
  return f;
}

/** Device reset: RX modes and MAC table to defaults; VLANs all allowed unless `vlanFiltering`. */
export function resetRxFilter(f: RxFilter, vlanFiltering: boolean): void {
  f.promisc = true;
  f.allmulti = f.alluni = f.nomulti = f.nouni = f.nobcast = false;
  f.macs.fill(0);
  f.uniCount = f.multiCount = 0;
  f.uniOverflow = f.multiOverflow = false;
  f.vlans.fill(vlanFiltering ? 0 : 0xffffffff);
}

function macAt(table: Uint8Array, i: number, frame: Uint8Array): boolean {
  const o = i * 6;
  return table[o] === frame[0] && table[o + 1] === frame[1] && table[o + 2] === frame[2] && table[o + 3] === frame[3] && table[o + 4] === frame[4] && table[o + 5] === frame[5];
}

/** Whether a frame (at least 14 bytes) passes the filter for a device whose address is `mac`. */
export function filterAccepts(f: RxFilter, mac: Uint8Array, frame: Uint8Array): boolean {
  if (f.promisc) return true;
  // 802.1Q tagged: the VLAN filter applies (§5.1.6.5.3).
  if (frame[12] === 0x81 && frame[13] === 0x00 && frame.length >= 16) {
    const vid = ((frame[14]! << 8) | frame[15]!) & 0xfff;
    if ((f.vlans[vid >>> 5]! & (1 << (vid & 31))) === 0) return false;
  }
  if (frame[0]! & 1) {
    if (frame[0] === 0xff && frame[1] === 0xff && frame[2] === 0xff && frame[3] === 0xff && frame[4] === 0xff && frame[5] === 0xff) return !f.nobcast;
    if (f.nomulti) return false;
    if (f.allmulti || f.multiOverflow) return true;
    for (let i = f.uniCount; i < f.uniCount + f.multiCount; i++) if (macAt(f.macs, i, frame)) return true;
    return false;
  }
  if (f.nouni) return false;
  if (f.alluni || f.uniOverflow) return true;
  if (mac[0] === frame[0] && mac[1] === frame[1] && mac[2] === frame[2] && mac[3] === frame[3] && mac[4] === frame[4] && mac[5] === frame[5]) return true;
  for (let i = 0; i < f.uniCount; i++) if (macAt(f.macs, i, frame)) return true;
  return false;
}
