/**
 * nicemu/node: backends and helpers that need Node.js (sockets, files,
 * processes). Everything in `nicemu` is re-exported too.
 */
export * from './index.js';
export { UdpSocketBackend, parseHostPort, type UdpSocketOptions } from './netdev/socket/udp.node.js';
export { openPcapFile, createFileSink } from './pcap/file.node.js';
