/**
 * Plain-data results of parsing QEMU 7.2 network options. Field names are
 * the QEMU keys in camelCase (`ipv6-prefixlen` → `ipv6Prefixlen`,
 * `vnet_hdr` → `vnetHdr`). A field is present only when the option string
 * set it; QEMU's defaults live in the schema tables (netdev-schema.ts,
 * device-schema.ts), and derived, fully-defaulted settings in `slirp`,
 * `mode` and similar fields. 64-bit integers and sizes are bigints.
 */
import type { OptionWarning } from './opts.js';

// ---------------------------------------------------------------------------
// Socket addresses (qapi/sockets.json SocketAddress), used by stream/dgram.

export interface InetSocketAddress {
  readonly type: 'inet';
  readonly host: string;
  readonly port: string;
  readonly numeric?: boolean;
  readonly to?: number;
  readonly ipv4?: boolean;
  readonly ipv6?: boolean;
  readonly keepAlive?: boolean;
  readonly mptcp?: boolean;
}

export interface UnixSocketAddress {
  readonly type: 'unix';
  readonly path: string;
  readonly abstract?: boolean;
  readonly tight?: boolean;
}

export interface VsockSocketAddress {
  readonly type: 'vsock';
  readonly cid: string;
  readonly port: string;
}

export interface FdSocketAddress {
  readonly type: 'fd';
  /** A file descriptor number or a monitor fd name. */
  readonly str: string;
}

export type SocketAddress = InetSocketAddress | UnixSocketAddress | VsockSocketAddress | FdSocketAddress;

// ---------------------------------------------------------------------------
// -netdev user

/** `hostfwd=[tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport`. */
export interface HostFwdRule {
  readonly protocol: 'tcp' | 'udp';
  /** Dotted quad; undefined means INADDR_ANY (all host addresses). */
  readonly hostAddr: string | undefined;
  readonly hostPort: number;
  /** Dotted quad; undefined means unspecified: the stack uses the first DHCP address. */
  readonly guestAddr: string | undefined;
  readonly guestPort: number;
}

/** `guestfwd=[tcp]:[server]:port-dev` or `...-cmd:command`. */
export interface GuestFwdRule {
  /** Dotted quad; undefined means unspecified: the stack uses network + .4 (10.0.2.4). */
  readonly server: string | undefined;
  readonly port: number;
  readonly target:
    | { readonly kind: 'cmd'; readonly command: string }
    | { readonly kind: 'chardev'; readonly spec: string };
}

/** Settings net/slirp.c net_slirp_init derives, every default filled in. */
export interface SlirpConfig {
  readonly restricted: boolean;
  readonly ipv4: boolean;
  readonly ipv6: boolean;
  readonly network: string;
  readonly netmask: string;
  readonly host: string;
  readonly dhcpStart: string;
  readonly dns: string;
  readonly ipv6Prefix: string;
  readonly ipv6PrefixLen: number;
  readonly ipv6Host: string;
  readonly ipv6Dns: string;
  /** Only when `smb=` is given: the SMB server address (default network + .4). */
  readonly smbServer: string | undefined;
}

export interface UserOptions {
  readonly type: 'user';
  readonly hostname?: string;
  readonly restrict?: boolean;
  readonly ipv4?: boolean;
  readonly ipv6?: boolean;
  readonly ip?: string;
  readonly net?: string;
  readonly host?: string;
  readonly tftp?: string;
  readonly bootfile?: string;
  readonly dhcpstart?: string;
  readonly dns?: string;
  readonly dnssearch: readonly string[];
  readonly domainname?: string;
  readonly ipv6Prefix?: string;
  readonly ipv6Prefixlen?: bigint;
  readonly ipv6Host?: string;
  readonly ipv6Dns?: string;
  readonly smb?: string;
  readonly smbserver?: string;
  readonly hostfwd: readonly HostFwdRule[];
  readonly guestfwd: readonly GuestFwdRule[];
  readonly tftpServerName?: string;
  /** Derived configuration (defaults applied, addresses checked). */
  readonly slirp: SlirpConfig;
}

// ---------------------------------------------------------------------------
// Other backends

export interface TapOptions {
  readonly type: 'tap';
  readonly ifname?: string;
  readonly fd?: string;
  readonly fds?: string;
  readonly script?: string;
  readonly downscript?: string;
  readonly br?: string;
  readonly helper?: string;
  readonly sndbuf?: bigint;
  readonly vnetHdr?: boolean;
  readonly vhost?: boolean;
  readonly vhostfd?: string;
  readonly vhostfds?: string;
  readonly vhostforce?: boolean;
  readonly queues?: number;
  readonly pollUs?: number;
}

export interface BridgeOptions {
  readonly type: 'bridge';
  readonly br?: string;
  readonly helper?: string;
}

/** An IPv4 `host:port` as net/net.c parse_host_port reads it. */
export interface HostPort {
  /** The host text as given ('' for any). */
  readonly host: string;
  /** Dotted quad when `host` is empty or numeric; undefined for a name still to resolve. */
  readonly address: string | undefined;
  /** Port after C `htons()` truncation to 16 bits. */
  readonly port: number;
}

export type SocketMode =
  | { readonly kind: 'fd'; readonly fd: string }
  | { readonly kind: 'listen'; readonly addr: HostPort }
  | { readonly kind: 'connect'; readonly addr: HostPort }
  | { readonly kind: 'mcast'; readonly group: HostPort; readonly localaddr: string | undefined }
  | { readonly kind: 'udp'; readonly remote: HostPort; readonly local: HostPort };

export interface SocketOptions {
  readonly type: 'socket';
  readonly fd?: string;
  readonly listen?: string;
  readonly connect?: string;
  readonly mcast?: string;
  readonly localaddr?: string;
  readonly udp?: string;
  /** Which of the five modes, with its addresses parsed. */
  readonly mode: SocketMode;
}

export interface StreamOptions {
  readonly type: 'stream';
  readonly addr: SocketAddress;
  readonly server?: boolean;
}

export interface DgramOptions {
  readonly type: 'dgram';
  readonly local?: SocketAddress;
  readonly remote?: SocketAddress;
}

export interface L2tpv3Options {
  readonly type: 'l2tpv3';
  readonly src: string;
  readonly dst: string;
  readonly srcport?: string;
  readonly dstport?: string;
  readonly ipv6?: boolean;
  readonly udp?: boolean;
  readonly cookie64?: boolean;
  readonly counter?: boolean;
  readonly pincounter?: boolean;
  readonly txcookie?: bigint;
  readonly rxcookie?: bigint;
  readonly txsession: number;
  readonly rxsession?: number;
  readonly offset?: number;
}

export interface VdeOptions {
  readonly type: 'vde';
  readonly sock?: string;
  readonly port?: number;
  readonly group?: string;
  readonly mode?: number;
}

export interface VhostUserOptions {
  readonly type: 'vhost-user';
  readonly chardev: string;
  readonly vhostforce?: boolean;
  readonly queues?: bigint;
}

export interface VhostVdpaOptions {
  readonly type: 'vhost-vdpa';
  readonly vhostdev?: string;
  readonly vhostfd?: string;
  readonly queues?: bigint;
  readonly xSvq?: boolean;
}

export interface HubportOptions {
  readonly type: 'hubport';
  readonly hubid: number;
  readonly netdev?: string;
}

/** A backend's options without its id (as `-net`/`-nic` carry them). */
export type BackendOptions =
  | UserOptions | TapOptions | BridgeOptions | SocketOptions | StreamOptions | DgramOptions
  | L2tpv3Options | VdeOptions | VhostUserOptions | VhostVdpaOptions | HubportOptions;

export type NetdevType = BackendOptions['type'];

/** `-netdev TYPE,id=ID,...`. */
export type NetdevOptions = BackendOptions & { readonly id: string };

// ---------------------------------------------------------------------------
// -nic, -net

/** The NIC models `-nic model=` / `-net nic,model=` accept (pc machine). */
export type NicModel = 'e1000' | 'e1000-82544gc' | 'e1000-82545em' | 'rtl8139' | 'virtio-net-pci';

/** `-nic TYPE,...`: a NIC plus its own backend, or `-nic none`. */
export type NicOptions =
  | { readonly kind: 'none' }
  | {
    readonly kind: 'nic';
    /** Backend id; undefined means QEMU generates one. */
    readonly id?: string;
    /** undefined: the machine's default model (e1000 on pc). */
    readonly model?: NicModel;
    /** undefined (or all zero in the input): QEMU assigns 52:54:00:12:34:xx. */
    readonly mac?: Uint8Array;
    readonly backend: BackendOptions;
  };

/** `-net nic,...` PCI address: `[[domain:]bus:]slot` in hex. */
export interface LegacyPciAddr {
  readonly bus: number;
  readonly slot: number;
}

/**
 * `-net ...`: legacy options. Everything but a NIC with `netdev=` is attached
 * to hub 0 (`hub: 0`); `-net none` does nothing.
 */
export type NetLegacyOptions =
  | { readonly kind: 'none' }
  | {
    readonly kind: 'nic';
    readonly id?: string;
    readonly model?: NicModel;
    readonly macaddr?: Uint8Array;
    /** Connect directly to this backend instead of hub 0. */
    readonly netdev?: string;
    readonly addr?: LegacyPciAddr;
    readonly vectors?: number;
    readonly hub: 0 | null;
  }
  | { readonly kind: 'backend'; readonly id?: string; readonly hub: 0; readonly backend: BackendOptions };

// ---------------------------------------------------------------------------
// -device

/** A PCI device/function (`addr=03.0`, `addr=0x3`). */
export interface PciDevfn {
  readonly slot: number;
  readonly fn: number;
}

export interface PciDeviceProps {
  readonly id?: string;
  readonly bus?: string;
  readonly addr?: PciDevfn;
  readonly romfile?: string;
  readonly romsize?: number;
  readonly rombar?: number;
  readonly multifunction?: boolean;
  readonly xPcieLnkstaDllla?: boolean;
  readonly xPcieExtcapInit?: boolean;
  readonly failoverPairId?: string;
  readonly acpiIndex?: number;
}

export interface NicDeviceProps {
  readonly mac?: Uint8Array;
  readonly netdev?: string;
  readonly bootindex?: number;
}

export interface E1000Device extends PciDeviceProps, NicDeviceProps {
  readonly driver: 'e1000' | 'e1000-82544gc' | 'e1000-82545em';
  readonly autonegotiation?: boolean;
  readonly mitigation?: boolean;
  readonly extraMacRegisters?: boolean;
  readonly migrateTsoProps?: boolean;
  readonly initVet?: boolean;
  /** nicemu extension (QEMU has none): receive hold-off after an RCTL write, in ms (QEMU's fixed value is 1000; 0 turns it off). */
  readonly xRctlFlushMs?: number;
}

export interface Rtl8139Device extends PciDeviceProps, NicDeviceProps {
  readonly driver: 'rtl8139';
  /** nicemu extension (QEMU has none): the PCI revision ID; QEMU's fixed value is 0x20 (RTL8139C+). */
  readonly xRevision?: number;
}

export interface VirtioNetPciDevice extends PciDeviceProps, NicDeviceProps {
  readonly driver: 'virtio-net-pci';
  readonly ioeventfd?: boolean;
  readonly vectors?: number;
  readonly disableLegacy?: 'on' | 'off' | 'auto';
  readonly disableModern?: boolean;
  readonly virtioPciBusMasterBugMigration?: boolean;
  readonly migrateExtra?: boolean;
  readonly modernPioNotify?: boolean;
  readonly xDisablePcie?: boolean;
  readonly pagePerVq?: boolean;
  readonly xIgnoreBackendFeatures?: boolean;
  readonly ats?: boolean;
  readonly xAtsPageAligned?: boolean;
  readonly xPcieDeverrInit?: boolean;
  readonly xPcieLnkctlInit?: boolean;
  readonly xPciePmInit?: boolean;
  readonly xPcieFlrInit?: boolean;
  readonly aer?: boolean;
  readonly csum?: boolean;
  readonly guestCsum?: boolean;
  readonly gso?: boolean;
  readonly guestTso4?: boolean;
  readonly guestTso6?: boolean;
  readonly guestEcn?: boolean;
  readonly guestUfo?: boolean;
  readonly guestAnnounce?: boolean;
  readonly hostTso4?: boolean;
  readonly hostTso6?: boolean;
  readonly hostEcn?: boolean;
  readonly hostUfo?: boolean;
  readonly mrgRxbuf?: boolean;
  readonly status?: boolean;
  readonly ctrlVq?: boolean;
  readonly ctrlRx?: boolean;
  readonly ctrlVlan?: boolean;
  readonly ctrlRxExtra?: boolean;
  readonly ctrlMacAddr?: boolean;
  readonly ctrlGuestOffloads?: boolean;
  readonly mq?: boolean;
  readonly rss?: boolean;
  readonly hash?: boolean;
  readonly guestRscExt?: boolean;
  readonly rscInterval?: number;
  readonly xTxtimer?: number;
  readonly xTxburst?: number;
  readonly tx?: string;
  readonly rxQueueSize?: number;
  readonly txQueueSize?: number;
  readonly hostMtu?: number;
  readonly xMtuBypassBackend?: boolean;
  readonly speed?: number;
  readonly duplex?: string;
  readonly failover?: boolean;
  readonly indirectDesc?: boolean;
  readonly eventIdx?: boolean;
  readonly notifyOnEmpty?: boolean;
  readonly anyLayout?: boolean;
  readonly iommuPlatform?: boolean;
  readonly packed?: boolean;
  readonly queueReset?: boolean;
  readonly useStarted?: boolean;
  readonly useDisabledFlag?: boolean;
  readonly xDisableLegacyCheck?: boolean;
}

export type DeviceOptions = E1000Device | Rtl8139Device | VirtioNetPciDevice;
export type DeviceDriver = DeviceOptions['driver'];

// ---------------------------------------------------------------------------
// Results

/** What a `help`/`?` option asked for; print it with `helpText()`. */
export type HelpRequest =
  | { readonly kind: 'help'; readonly topic: 'netdev-types'; readonly netdevTypes: readonly string[] }
  | {
    readonly kind: 'help';
    readonly topic: 'nic';
    readonly netdevTypes: readonly string[];
    readonly nicModels: readonly string[];
  }
  | { readonly kind: 'help'; readonly topic: 'nic-models'; readonly nicModels: readonly string[] }
  | { readonly kind: 'help'; readonly topic: 'devices'; readonly drivers: readonly string[] }
  | {
    readonly kind: 'help';
    readonly topic: 'device-properties';
    readonly driver: string;
    readonly properties: readonly PropertyHelp[];
  };

export interface PropertyHelp {
  readonly name: string;
  readonly type: string;
  readonly default?: string;
  readonly doc?: string;
}

export type ParseResult<V> =
  | { readonly ok: true; readonly kind: 'value'; readonly value: V; readonly warnings: readonly OptionWarning[] }
  | { readonly ok: true; readonly kind: 'help'; readonly help: HelpRequest }
  | { readonly ok: false; readonly kind: 'error'; readonly error: string; readonly hint?: string };
