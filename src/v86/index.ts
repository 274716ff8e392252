/**
 * nicemu/v86: nicemu NICs on a v86 guest's PCI bus. Browser-safe (no Node
 * modules); Node backend factories for `-netdev user`/`socket` strings are in
 * `nicemu/v86/node`.
 */
export {
  attachToV86,
  defaultHubs,
  type AttachOptions,
  type NetBackend,
  type V86Nic,
  type V86NicDriver,
  type V86NicState,
  type V86NicStats,
} from './attach.js';
export { V86CompatError, TESTED_V86_VERSIONS, type V86Like } from './internals.js';
export type { HostCounters } from './host.js';
export { DEFAULT_MMIO_START, DEFAULT_MMIO_END, DEFAULT_SLOTS } from './host.js';
export { V86Clock } from './clock.js';
export { connectV86Network, type V86Network, type V86NetworkOptions } from './network.js';
