/**
 * virtio-net-pci as a `-device` model (virtio 1.2 §5.1 over §4.1 PCI).
 *
 * Deliberate differences from QEMU 7.2 (each one listed in
 * test/replay/allow-virtio-net.ts where a recorded trace shows it):
 *  - offloads are kept whatever the backend: CSUM, GUEST_CSUM, HOST/GUEST
 *    TSO4/TSO6/ECN and UFO are offered behind `user`, `socket` and the rest;
 *    partial checksums are completed and GSO frames segmented in software
 *    (QEMU clears them when the peer has no vnet header, and UFO without a
 *    UFO-capable peer);
 *  - with GUEST_CSUM on, a received frame whose TCP/UDP checksum checks out
 *    carries DATA_VALID (§5.1.6.4.1), so the driver skips verifying it;
 *    QEMU passes the backend's header (zero behind `user`);
 *  - with VERSION_1 and without MRG_RXBUF, `num_buffers` is written as 1
 *    (§5.1.6.4); QEMU 7.2 writes only the first 10 header bytes;
 *  - a configuration change notification sets ISR bit 1 only (§4.1.4.5);
 *    QEMU sets bits 0 and 1;
 *  - legacy QUEUE_PFN = 0 resets that queue only (virtio 0.9.5 "disable the
 *    queue"); QEMU resets the whole device;
 *  - the status field is a state machine (src/virtio/status.ts): writes that
 *    clear bits or skip a step are refused; FEATURES_OK is refused for
 *    features not offered, without VERSION_1, or with a broken dependency
 *    (§5.1.3.1); queues are enabled only after FEATURES_OK and only with a
 *    valid size and aligned rings inside RAM. QEMU takes all of these;
 *  - features whose dependencies are switched off are not offered (e.g.
 *    ctrl_vq=off also drops CTRL_RX, MQ, ...), so a driver can accept them all;
 *  - bad descriptor chains (zero length, outside RAM, wrong direction, bad
 *    indirect tables, loops) are returned with length 0 and counted, the
 *    queue goes on; only ring-level errors (avail index ahead by more than
 *    the ring, a head or buffer id out of range, more chains in flight than
 *    entries) set DEVICE_NEEDS_RESET — QEMU marks the device broken for
 *    all of them, and sets NEEDS_RESET only for VERSION_1 drivers;
 *  - no DMA while bus mastering is off (QEMU instead clears DRIVER_OK);
 *    the legacy "enable bus mastering on ACK|DRIVER" workaround for Linux
 *    < 2.6.34 is not copied;
 *  - a transmit queue is processed inside the notify write (QEMU: a bottom
 *    half); tx_queue_size up to 1024 is honoured (QEMU caps it at 256
 *    without vhost);
 *  - automatic receive steering across queue pairs (and RSS with rss=on)
 *    works with any backend; the number of pairs is the nicemu option
 *    `queuePairs` (QEMU takes it from the netdev's queues=).
 * Not implemented: HASH_REPORT, RSC_EXT, failover, USO, vhost.
 */
import type { NicModel } from '../nic.js';
import { virtioRegisterSpots } from '../../virtio/pci/transport.js';
import { NET_CONFIG, netConfigSize } from './config.js';
import { createVirtioNet } from './device.js';
import { offeredFeatures } from './features.js';
import { DEFAULT_VIRTIO_NET_OPTIONS, finalVectors } from './options.js';

export { VirtioNet, createVirtioNet } from './device.js';
export { resolveOptions, DEFAULT_VIRTIO_NET_OPTIONS, type VirtioNetOptions } from './options.js';
export { VIRTIO_NET_F, offeredFeatures } from './features.js';
export { VIRTIO_NET_STATE } from './state.js';
export type { NetCounters } from './counters.js';

/** Registers of the default (transitional) configuration, from the transport's and the config space's tables. */
export const VIRTIO_NET_REGISTER_SPOTS = virtioRegisterSpots({
  legacy: true,
  modern: true,
  vectors: finalVectors(DEFAULT_VIRTIO_NET_OPTIONS),
  queues: 3,
  configSize: netConfigSize(offeredFeatures(DEFAULT_VIRTIO_NET_OPTIONS)),
  configNames: (i) => {
    const f = [...NET_CONFIG].reverse().find((x) => x.offset <= i);
    return f ? (i === f.offset ? f.name : `${f.name}+${i - f.offset}`) : String(i);
  },
});

export const VIRTIO_NET_PCI: NicModel = {
  driver: 'virtio-net-pci',
  description: 'virtio network device (legacy, transitional and modern PCI; split and packed rings)',
  create: (ctx, props) => createVirtioNet(ctx, props),
  registers: VIRTIO_NET_REGISTER_SPOTS,
};
