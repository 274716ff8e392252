/**
 * Every QEMU 7.2 virtio-net-pci trace in test/fixtures/qemu replays against
 * nicemu with no difference except the reviewed ones in allow-virtio-net.ts.
 */
import { VIRTIO_NET_ALLOW } from './allow-virtio-net.js';
import { defineReplaySuite } from './harness.js';

defineReplaySuite({
  title: 'QEMU 7.2 virtio-net-pci traces replay against nicemu',
  files: /^virtio-.*\.json$/,
  allow: VIRTIO_NET_ALLOW,
  required: ['virtio-net-legacy.json', 'virtio-net-modern.json'],
});
