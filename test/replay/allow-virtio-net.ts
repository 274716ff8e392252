/**
 * Reviewed differences between nicemu's virtio-net-pci and QEMU 7.2 in the
 * recorded traces (test/fixtures/qemu/virtio-*.json). Every entry is a
 * deliberate choice, explained in `reason`; the replay test fails on any
 * mismatch not listed here, and on any entry that no longer matches anything.
 *
 * `section` is the text of the trace's last `section: ...` note before the
 * mismatch (`*` for any); `what` matches the replayer's description.
 */
import type { AllowEntry } from './harness.js';

const OFFLOADS =
  'Offloads are kept behind every backend: CSUM, GUEST_CSUM, GUEST_TSO4/TSO6/ECN/UFO and HOST_TSO4/TSO6/ECN/UFO (bits 0, 1, 7-14) are offered and done in software (checksum completion, TCP segmentation, UDP fragmentation). QEMU 7.2 clears them because the socket netdev has no vnet header (virtio_net_get_features).';

const ISR_CONFIG =
  'A configuration change notification sets ISR bit 1 only (virtio 1.2 §4.1.4.5: "bit 1: device configuration change"). QEMU 7.2 virtio_notify_config sets bits 0 and 1 (ISR reads 3).';
const NUM_BUFFERS_1 =
  'With VERSION_1 the header is 12 bytes and num_buffers is 1 without MRG_RXBUF (virtio 1.2 §5.1.6.4: "If VIRTIO_NET_F_MRG_RXBUF has not been negotiated, the device MUST set num_buffers to 1"). QEMU 7.2 writes only the 10-byte legacy header and leaves bytes 10-11 as they were, while used.len counts 12.';

const DF_MODERN = /^readl 0xfebc4004$/;

export const VIRTIO_NET_ALLOW: readonly AllowEntry[] = [
  // The rig's own scenarios.
  { fixture: 'virtio-net-legacy', section: 'reset, ACK, DRIVER, feature negotiation (legacy: low 32 bits only)', what: /^inl 0xc000$/, reason: OFFLOADS },
  { fixture: 'virtio-net-modern', section: 'reset, ACK, DRIVER, 64-bit feature negotiation, FEATURES_OK', what: DF_MODERN, reason: OFFLOADS },
  { fixture: 'virtio-net-modern', section: 'RX into 4 posted 2048-byte buffers', what: /^read 0x430000$/, reason: NUM_BUFFERS_1 },

  // test/fixtures/qemu/scenarios/virtio-mrg.mjs
  { fixture: 'virtio-net-mrg', section: 'features with MRG_RXBUF, queues', what: DF_MODERN, reason: OFFLOADS },

  // virtio-indirect.mjs
  { fixture: 'virtio-net-indirect', section: 'features INDIRECT_DESC + EVENT_IDX', what: DF_MODERN, reason: OFFLOADS },

  // virtio-packed.mjs
  { fixture: 'virtio-net-packed', section: 'features with RING_PACKED', what: DF_MODERN, reason: OFFLOADS },
  {
    fixture: 'virtio-net-packed',
    section: 'RX into 6 posted 2 KiB buffers',
    what: /^poll never reached recorded value\(s\) \(readw\|0x4000[0-9a-f]e\|\)$/,
    reason:
      'A used packed descriptor for a receive buffer has VIRTQ_DESC_F_WRITE set (virtio 1.2 §2.8.3: "In a used descriptor, this bit is used to specify whether any data has been written by the device into any parts of the buffer"): flags 0x8082 where QEMU 7.2 writes 0x8080 (virtqueue_packed_fill_desc never sets it). Linux ignores the bit.',
  },
  { fixture: 'virtio-net-packed', section: 'RX into 6 posted 2 KiB buffers', what: /^read 0x43[0-9a-f]{2}00$/, reason: NUM_BUFFERS_1 },
  {
    fixture: 'virtio-net-packed',
    section: 'a two-descriptor buffer with its id only in the last descriptor (§2.8.6)',
    what: /^read 0x410018$/,
    reason:
      'The buffer id of a packed descriptor list is taken from its last descriptor (virtio 1.2 §2.8.6: "Buffer ID is included in the last descriptor in the list"); QEMU 7.2 takes it from the first. Linux writes the id into every descriptor of a list, so both agree for Linux guests.',
  },

  // virtio-ctrl.mjs
  { fixture: 'virtio-net-ctrl', section: 'features with CTRL_VQ, CTRL_RX, CTRL_RX_EXTRA, CTRL_VLAN, CTRL_MAC_ADDR, GUEST_ANNOUNCE, MQ', what: DF_MODERN, reason: OFFLOADS },
  {
    fixture: 'virtio-net-ctrl',
    section: 'RX_EXTRA modes',
    what: /^readb 0x4306f0$/,
    reason:
      'A VIRTIO_NET_CTRL_RX command carries exactly one byte of data (virtio 1.2 §5.1.6.5.1); with two bytes nicemu answers VIRTIO_NET_ERR and changes nothing (bad input never changes state, bad-input.md item 25). QEMU 7.2 takes the first byte and answers OK.',
  },

  // virtio-msix-link.mjs
  { fixture: 'virtio-net-msix-link', section: 'vectors', what: DF_MODERN, reason: OFFLOADS },
  { fixture: 'virtio-net-msix-link', section: 'set_link down with MSI-X', what: /^readb 0xfebc5000$/, reason: ISR_CONFIG },
  { fixture: 'virtio-net-msix-link', section: 'masked config vector: pending bit', what: /^readb 0xfebc5000$/, reason: ISR_CONFIG },
  { fixture: 'virtio-net-msix-link', section: 'MSI-X off: INTx follows the ISR again', what: /^readb 0xfebc5000$/, reason: ISR_CONFIG },

  // virtio-legacy-msix.mjs
  { fixture: 'virtio-net-legacy-msix', section: 'MSI-X on: configuration at 0x18, vector registers at 0x14/0x16', what: /^inl 0xc000$/, reason: OFFLOADS },

  // virtio-reset-errors.mjs
  { fixture: 'virtio-net-reset-errors', section: 'bring up with RING_RESET, one frame', what: DF_MODERN, reason: OFFLOADS },
  { fixture: 'virtio-net-reset-errors', section: 'avail.idx of the receive queue more than a ring ahead', what: /^readb 0xfebc5000$/, reason: ISR_CONFIG },
  { fixture: 'virtio-net-reset-errors', section: 'zero-length descriptor in a transmit chain', what: DF_MODERN, reason: OFFLOADS },
  {
    fixture: 'virtio-net-reset-errors',
    section: 'zero-length descriptor in a transmit chain',
    what: /^(readb 0xfebc4014|readw 0x412002|readb 0xfebc5000)$/,
    reason:
      'A bad descriptor breaks only its chain: it is returned with used.len 0, counted, and the queue keeps running (Firecracker process_tx; bad-input.md item 16, CVE-2016-6490). QEMU 7.2 calls virtio_error for a zero-sized buffer: DEVICE_NEEDS_RESET and a configuration interrupt, the chain never returned. Ring-level errors (avail.idx running ahead, head out of range) do set DEVICE_NEEDS_RESET here too (previous section).',
  },
  {
    fixture: 'virtio-net-reset-errors',
    section: 'FEATURES_OK without VERSION_1 through the modern interface',
    what: /^readb 0xfebc4014$/,
    reason:
      'FEATURES_OK is refused (reads back clear) for a feature set without VERSION_1 through the modern interface, or one breaking a dependency of virtio 1.2 §5.1.3.1 (§2.2.2: the device may refuse; §6.1: a device MAY fail to operate without VERSION_1). QEMU 7.2 accepts it.',
  },
  { fixture: 'virtio-net-reset-errors', section: 'a status write that clears DRIVER_OK', what: DF_MODERN, reason: OFFLOADS },
  {
    fixture: 'virtio-net-reset-errors',
    section: 'a status write that clears DRIVER_OK',
    what: /^readb 0xfebc4014$/,
    reason:
      'The device status is a state machine (src/virtio/status.ts): the driver only adds bits until it writes 0 to reset (virtio 1.2 §2.1, §3.1.1), so a write that clears DRIVER_OK is refused and counted. QEMU 7.2 stores any value.',
  },
];
