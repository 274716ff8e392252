/**
 * Saved state of a virtio-net-pci device: named, versioned fields (src/state),
 * the PCI transport and virtio core included.
 */
import { bool, bytes, defineState, int, record, u16, u16array, u32, u32array, u64, type StateOf } from '../../state/index.js';
import { PCI_TRANSPORT_STATE } from '../../virtio/state.js';

export const VIRTIO_NET_STATE = defineState({
  name: 'virtio-net',
  version: 1,
  fields: {
    /** What the device was built to offer: a state only restores onto the same configuration. */
    offered: u64(),
    queuePairs: u16(),
    transport: PCI_TRANSPORT_STATE,
    /** The address given at creation and the one in use (CTRL_MAC_ADDR_SET or a legacy config write). */
    permanentMac: bytes(6),
    mac: bytes(6),
    linkUp: bool(),
    announce: bool(),
    filter: record({
      promisc: bool(),
      allmulti: bool(),
      alluni: bool(),
      nomulti: bool(),
      nouni: bool(),
      nobcast: bool(),
      macs: bytes(64 * 6),
      uniCount: int(0, 64),
      multiCount: int(0, 64),
      uniOverflow: bool(),
      multiOverflow: bool(),
      vlans: u32array(128),
    }),
    currentPairs: u16(),
    rssEnabled: bool(),
    rss: record({
      hashTypes: u32(),
      table: u16array(128),
      tableLen: int(1, 128),
      unclassified: u16(),
      key: bytes(40),
      keyLen: int(0, 40),
    }),
    guestOffloads: u64(),
    steering: bytes(256),
    ufoId: u32(),
  },
});

export type VirtioNetSaved = StateOf<typeof VIRTIO_NET_STATE>;
