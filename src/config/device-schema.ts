/**
 * `-device` properties of the NICs nicemu emulates, as QEMU 7.2 defines them:
 * hw/pci/pci.c pci_props, DEFINE_NIC_PROPERTIES plus the bootindex property,
 * hw/net/e1000.c e1000_properties, hw/net/rtl8139.c (NIC properties only),
 * hw/virtio/virtio-net-pci.c, hw/virtio/virtio-pci.c (virtio_pci_properties,
 * virtio_pci_generic_properties), hw/net/virtio-net.c virtio_net_properties
 * and hw/virtio/virtio.c virtio_properties. virtio-net-pci exposes the
 * virtio-net-device properties through aliases; errors from their setters
 * name the aliased object (`owner`).
 */
import { enumType, opt, T, type MemberSpec, type MembersOf } from './schema.js';
import type { E1000Device, NicDeviceProps, PciDeviceProps, Rtl8139Device, VirtioNetPciDevice } from './types.js';

export interface PropSpec extends MemberSpec {
  /** QOM type named in "Property 'TYPE.NAME' ..." errors, when not the device itself. */
  readonly owner?: string;
}

type Props<O> = { readonly [K in keyof MembersOf<O>]: PropSpec };

export const PCI_PROPS: Props<Omit<PciDeviceProps, 'id' | 'bus'>> = {
  addr: opt('addr', T.pciDevfn, { doc: 'slot[.function] in hex (default: first free slot)' }),
  romfile: opt('romfile', T.str, { doc: 'option ROM file (default: the model\'s iPXE ROM)' }),
  romsize: opt('romsize', T.uint32, { default: 0xffffffff, doc: 'ROM BAR size, a power of two (default: file size)' }),
  rombar: opt('rombar', T.uint32, { default: 1, doc: '0 hides the ROM BAR' }),
  multifunction: opt('multifunction', T.bool, { default: false }),
  xPcieLnkstaDllla: opt('x-pcie-lnksta-dllla', T.bool, { default: true }),
  xPcieExtcapInit: opt('x-pcie-extcap-init', T.bool, { default: true }),
  failoverPairId: opt('failover_pair_id', T.str),
  acpiIndex: opt('acpi-index', T.uint32, { default: 0 }),
};

export const NIC_PROPS: Props<NicDeviceProps> = {
  mac: opt('mac', T.macaddr, { doc: 'MAC address (default: 52:54:00:12:34:xx)' }),
  netdev: opt('netdev', T.str, { doc: 'id of the backend' }),
  bootindex: opt('bootindex', T.int32, { default: -1 }),
};

type DriverProps<D> = Props<Omit<D, 'driver' | keyof PciDeviceProps | keyof NicDeviceProps>>;

export const E1000_PROPS: DriverProps<E1000Device> = {
  autonegotiation: opt('autonegotiation', T.bool, { default: true }),
  mitigation: opt('mitigation', T.bool, { default: true, doc: 'interrupt mitigation registers' }),
  extraMacRegisters: opt('extra_mac_registers', T.bool, { default: true }),
  migrateTsoProps: opt('migrate_tso_props', T.bool, { default: true }),
  initVet: opt('init-vet', T.bool, { default: true, doc: 'VET resets to 0x8100' }),
  xRctlFlushMs: opt('x-rctl-flush-ms', T.uint32, { default: 1000, doc: 'nicemu: receive hold-off after an RCTL write in ms (QEMU quirk; 0 = off)' }),
};

export const RTL8139_PROPS: DriverProps<Rtl8139Device> = {
  xRevision: opt('x-revision', T.uint8, {
    default: 0x20,
    doc: 'nicemu extension: PCI revision ID (0x20 = RTL8139C+, QEMU\'s fixed value; 0x10 = RTL8139)',
  }),
};

const VIRTIO_NET = 'virtio-net-device';

function vnet(spec: MemberSpec): PropSpec {
  return { ...spec, owner: VIRTIO_NET };
}

export const VIRTIO_NET_PCI_PROPS: DriverProps<VirtioNetPciDevice> = {
  ioeventfd: opt('ioeventfd', T.bool, { default: true }),
  vectors: opt('vectors', T.uint32, { default: 0xffffffff, doc: 'MSI-X vectors (default: 2 * queues + 2)' }),
  disableLegacy: opt('disable-legacy', enumType(['on', 'off', 'auto']), { default: 'auto' }),
  disableModern: opt('disable-modern', T.bool, { default: false }),
  virtioPciBusMasterBugMigration: opt('virtio-pci-bus-master-bug-migration', T.bool, { default: false }),
  migrateExtra: opt('migrate-extra', T.bool, { default: true }),
  modernPioNotify: opt('modern-pio-notify', T.bool, { default: false }),
  xDisablePcie: opt('x-disable-pcie', T.bool, { default: false }),
  pagePerVq: opt('page-per-vq', T.bool, { default: false }),
  xIgnoreBackendFeatures: opt('x-ignore-backend-features', T.bool, { default: false }),
  ats: opt('ats', T.bool, { default: false }),
  xAtsPageAligned: opt('x-ats-page-aligned', T.bool, { default: true }),
  xPcieDeverrInit: opt('x-pcie-deverr-init', T.bool, { default: true }),
  xPcieLnkctlInit: opt('x-pcie-lnkctl-init', T.bool, { default: true }),
  xPciePmInit: opt('x-pcie-pm-init', T.bool, { default: true }),
  xPcieFlrInit: opt('x-pcie-flr-init', T.bool, { default: true }),
  aer: opt('aer', T.bool, { default: false }),
  csum: vnet(opt('csum', T.bool, { default: true })),
  guestCsum: vnet(opt('guest_csum', T.bool, { default: true })),
  gso: vnet(opt('gso', T.bool, { default: true })),
  guestTso4: vnet(opt('guest_tso4', T.bool, { default: true })),
  guestTso6: vnet(opt('guest_tso6', T.bool, { default: true })),
  guestEcn: vnet(opt('guest_ecn', T.bool, { default: true })),
  guestUfo: vnet(opt('guest_ufo', T.bool, { default: true })),
  guestAnnounce: vnet(opt('guest_announce', T.bool, { default: true })),
  hostTso4: vnet(opt('host_tso4', T.bool, { default: true })),
  hostTso6: vnet(opt('host_tso6', T.bool, { default: true })),
  hostEcn: vnet(opt('host_ecn', T.bool, { default: true })),
  hostUfo: vnet(opt('host_ufo', T.bool, { default: true })),
  mrgRxbuf: vnet(opt('mrg_rxbuf', T.bool, { default: true })),
  status: vnet(opt('status', T.bool, { default: true })),
  ctrlVq: vnet(opt('ctrl_vq', T.bool, { default: true })),
  ctrlRx: vnet(opt('ctrl_rx', T.bool, { default: true })),
  ctrlVlan: vnet(opt('ctrl_vlan', T.bool, { default: true })),
  ctrlRxExtra: vnet(opt('ctrl_rx_extra', T.bool, { default: true })),
  ctrlMacAddr: vnet(opt('ctrl_mac_addr', T.bool, { default: true })),
  ctrlGuestOffloads: vnet(opt('ctrl_guest_offloads', T.bool, { default: true })),
  mq: vnet(opt('mq', T.bool, { default: false })),
  rss: vnet(opt('rss', T.bool, { default: false })),
  hash: vnet(opt('hash', T.bool, { default: false })),
  guestRscExt: vnet(opt('guest_rsc_ext', T.bool, { default: false })),
  rscInterval: vnet(opt('rsc_interval', T.uint32, { default: 300000 })),
  xTxtimer: vnet(opt('x-txtimer', T.uint32, { default: 150000 })),
  xTxburst: vnet(opt('x-txburst', T.int32, { default: 256 })),
  tx: vnet(opt('tx', T.str, { doc: '"timer" or "bh" (default bh)' })),
  rxQueueSize: vnet(opt('rx_queue_size', T.uint16, { default: 256, doc: 'power of 2, 256-1024' })),
  txQueueSize: vnet(opt('tx_queue_size', T.uint16, { default: 256, doc: 'power of 2, 256-1024' })),
  hostMtu: vnet(opt('host_mtu', T.uint16, { default: 0 })),
  xMtuBypassBackend: vnet(opt('x-mtu-bypass-backend', T.bool, { default: true })),
  speed: vnet(opt('speed', T.int32, { default: -1, doc: 'link speed in Mbit/s, -1 unknown' })),
  duplex: vnet(opt('duplex', T.str, { doc: '"half" or "full"' })),
  failover: vnet(opt('failover', T.bool, { default: false })),
  indirectDesc: vnet(opt('indirect_desc', T.bool, { default: true })),
  eventIdx: vnet(opt('event_idx', T.bool, { default: true })),
  notifyOnEmpty: vnet(opt('notify_on_empty', T.bool, { default: true })),
  anyLayout: vnet(opt('any_layout', T.bool, { default: true })),
  iommuPlatform: vnet(opt('iommu_platform', T.bool, { default: false })),
  packed: vnet(opt('packed', T.bool, { default: false })),
  queueReset: vnet(opt('queue_reset', T.bool, { default: true })),
  useStarted: vnet(opt('use-started', T.bool, { default: true })),
  useDisabledFlag: vnet(opt('use-disabled-flag', T.bool, { default: true })),
  xDisableLegacyCheck: vnet(opt('x-disable-legacy-check', T.bool, { default: false })),
};

export interface DriverInfo {
  /** Properties beyond the PCI and NIC ones, in QEMU's order. */
  readonly props: Readonly<Record<string, PropSpec>>;
  /** Owner of mac/netdev/bootindex (the aliased virtio device for virtio-net-pci). */
  readonly nicOwner?: string;
  readonly romfile: string;
  readonly desc: string;
}

export const DRIVERS: Readonly<Record<string, DriverInfo>> = {
  e1000: { props: E1000_PROPS, romfile: 'efi-e1000.rom', desc: 'Intel Gigabit Ethernet' },
  'e1000-82544gc': { props: E1000_PROPS, romfile: 'efi-e1000.rom', desc: 'Intel Gigabit Ethernet' },
  'e1000-82545em': { props: E1000_PROPS, romfile: 'efi-e1000.rom', desc: 'Intel Gigabit Ethernet' },
  rtl8139: { props: RTL8139_PROPS, romfile: 'efi-rtl8139.rom', desc: 'Realtek RTL8139' },
  'virtio-net-pci': {
    props: VIRTIO_NET_PCI_PROPS, nicOwner: VIRTIO_NET, romfile: 'efi-virtio.rom', desc: 'virtio network',
  },
};

/** qdev-monitor.c qdev_alias_table entries for these devices. */
export const DRIVER_ALIASES: Readonly<Record<string, string>> = {
  'e1000-82540em': 'e1000',
  'virtio-net': 'virtio-net-pci',
};

/** Abstract parents QEMU knows by name ("expects a non-abstract device type"). */
export const ABSTRACT_DRIVERS: ReadonlySet<string> = new Set([
  'e1000-base', 'virtio-net-pci-base', 'pci-device', 'device',
]);
