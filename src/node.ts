/**
 * nicemu/node: backends and helpers that need Node.js (sockets, files,
 * processes). Everything in `nicemu` is re-exported too.
 */
export * from './index.js';
export { UdpSocketBackend, parseHostPort, isMulticastAddress, type UdpSocketOptions, type HostPort } from './netdev/socket/udp.node.js';
export { StreamBackend, type StreamOptions, type StreamEndpoint, type StreamStats } from './netdev/socket/stream.node.js';
export { nodeBackends } from './netdev/backends.node.js';
export { openPcapFile, createFileSink } from './pcap/file.node.js';
export { TapBackend, tapHelperPath, type TapBackendOptions } from './netdev/tap/tap.node.js';
export { openVde, vdeHelperPath } from './netdev/vde/vde.node.js';
export { HelperBackend, nativeHelperPath, type HelperSpec } from './netdev/native.node.js';
export { NodeUserHost, WallClockTimers } from './netdev/user/host.node.js';
export { L2tpv3Backend } from './netdev/l2tpv3/l2tpv3.node.js';
