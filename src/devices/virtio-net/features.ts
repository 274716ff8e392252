/**
 * virtio-net feature bits (virtio 1.2 §5.1.3), their dependencies
 * (§5.1.3.1) and the set this device offers for a given configuration.
 */
import { bit, featureSet, hasFeature, VIRTIO_F, type FeatureDependency } from '../../virtio/features.js';
import type { VirtioNetOptions } from './options.js';

export const VIRTIO_NET_F = {
  CSUM: 0,
  GUEST_CSUM: 1,
  CTRL_GUEST_OFFLOADS: 2,
  MTU: 3,
  MAC: 5,
  /** Legacy only (deprecated "GSO" catch-all). */
  GSO: 6,
  GUEST_TSO4: 7,
  GUEST_TSO6: 8,
  GUEST_ECN: 9,
  GUEST_UFO: 10,
  HOST_TSO4: 11,
  HOST_TSO6: 12,
  HOST_ECN: 13,
  HOST_UFO: 14,
  MRG_RXBUF: 15,
  STATUS: 16,
  CTRL_VQ: 17,
  CTRL_RX: 18,
  CTRL_VLAN: 19,
  CTRL_RX_EXTRA: 20,
  GUEST_ANNOUNCE: 21,
  MQ: 22,
  CTRL_MAC_ADDR: 23,
  HOST_USO: 56,
  HASH_REPORT: 57,
  GUEST_HDRLEN: 59,
  RSS: 60,
  RSC_EXT: 61,
  STANDBY: 62,
  SPEED_DUPLEX: 63,
} as const;

const F = VIRTIO_NET_F;

/** §5.1.3.1 (plus CTRL_GUEST_OFFLOADS, whose only use is a control command). */
export const NET_FEATURE_DEPENDENCIES: readonly FeatureDependency[] = [
  { feature: F.GUEST_TSO4, needs: [F.GUEST_CSUM] },
  { feature: F.GUEST_TSO6, needs: [F.GUEST_CSUM] },
  { feature: F.GUEST_ECN, needsAny: [F.GUEST_TSO4, F.GUEST_TSO6] },
  { feature: F.GUEST_UFO, needs: [F.GUEST_CSUM] },
  { feature: F.HOST_TSO4, needs: [F.CSUM] },
  { feature: F.HOST_TSO6, needs: [F.CSUM] },
  { feature: F.HOST_ECN, needsAny: [F.HOST_TSO4, F.HOST_TSO6] },
  { feature: F.HOST_UFO, needs: [F.CSUM] },
  { feature: F.CTRL_RX, needs: [F.CTRL_VQ] },
  { feature: F.CTRL_VLAN, needs: [F.CTRL_VQ] },
  { feature: F.GUEST_ANNOUNCE, needs: [F.CTRL_VQ] },
  { feature: F.MQ, needs: [F.CTRL_VQ] },
  { feature: F.CTRL_MAC_ADDR, needs: [F.CTRL_VQ] },
  { feature: F.CTRL_RX_EXTRA, needs: [F.CTRL_RX] },
  { feature: F.CTRL_GUEST_OFFLOADS, needs: [F.CTRL_VQ] },
  { feature: F.RSS, needs: [F.CTRL_VQ] },
];

/** Features only legacy drivers see. */
export const NET_LEGACY_ONLY: bigint = bit(F.GSO);

/** Receive offloads CTRL_GUEST_OFFLOADS may switch (§5.1.6.5.6.1). */
export const GUEST_OFFLOAD_BITS: bigint = featureSet([F.GUEST_CSUM, F.GUEST_TSO4, F.GUEST_TSO6, F.GUEST_ECN, F.GUEST_UFO]);

/**
 * Every feature this configuration offers. Offloads stay on whatever the
 * backend is (segmentation and checksums are done in software); features
 * whose dependencies are switched off are not offered (a driver could not
 * accept them).
 */
export function offeredFeatures(o: VirtioNetOptions): bigint {
  const bits: number[] = [F.MAC, VIRTIO_F.BAD_FEATURE];
  const add = (on: boolean, b: number): void => {
    if (on) bits.push(b);
  };
  add(o.csum, F.CSUM);
  add(o.guestCsum, F.GUEST_CSUM);
  add(o.ctrlGuestOffloads, F.CTRL_GUEST_OFFLOADS);
  add(o.hostMtu > 0, F.MTU);
  add(o.gso, F.GSO);
  add(o.guestTso4, F.GUEST_TSO4);
  add(o.guestTso6, F.GUEST_TSO6);
  add(o.guestEcn, F.GUEST_ECN);
  add(o.guestUfo, F.GUEST_UFO);
  add(o.hostTso4, F.HOST_TSO4);
  add(o.hostTso6, F.HOST_TSO6);
  add(o.hostEcn, F.HOST_ECN);
  add(o.hostUfo, F.HOST_UFO);
  add(o.mrgRxbuf, F.MRG_RXBUF);
  add(o.status, F.STATUS);
  add(o.ctrlVq, F.CTRL_VQ);
  add(o.ctrlRx, F.CTRL_RX);
  add(o.ctrlVlan, F.CTRL_VLAN);
  add(o.ctrlRxExtra, F.CTRL_RX_EXTRA);
  add(o.guestAnnounce, F.GUEST_ANNOUNCE);
  add(o.mq, F.MQ);
  add(o.ctrlMacAddr, F.CTRL_MAC_ADDR);
  add(o.notifyOnEmpty, VIRTIO_F.NOTIFY_ON_EMPTY);
  add(o.anyLayout, VIRTIO_F.ANY_LAYOUT);
  add(o.indirectDesc, VIRTIO_F.INDIRECT_DESC);
  add(o.eventIdx, VIRTIO_F.EVENT_IDX);
  add(o.modern, VIRTIO_F.VERSION_1);
  add(o.modern && o.packed, VIRTIO_F.RING_PACKED);
  add(o.modern && o.queueReset, VIRTIO_F.RING_RESET);
  add(o.rss, F.RSS);
  add(o.speed >= 0 || o.duplex !== undefined, F.SPEED_DUPLEX);
  let set = featureSet(bits);
  // Drop features whose dependencies are not offered, until nothing changes.
  for (let changed = true; changed; ) {
    changed = false;
    for (const d of NET_FEATURE_DEPENDENCIES) {
      if (!hasFeature(set, d.feature)) continue;
      const ok = (!d.needs || d.needs.every((n) => hasFeature(set, n))) && (!d.needsAny || d.needsAny.some((n) => hasFeature(set, n)));
      if (!ok) {
        set &= ~bit(d.feature);
        changed = true;
      }
    }
  }
  return set;
}
