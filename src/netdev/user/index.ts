/** `-netdev user`: QEMU-style user-mode networking (slirp) in TypeScript. Core only: no `node:` imports. */
export { userNetOptionsFromConfig } from './from-config.js';
export { createUserNet, type UserNet, type UserNetDeps, type UserNetUsage, type HostFwdBinding } from './usernet.js';
export {
  resolveUserNetOptions,
  parseHostFwd as parseUserHostFwd,
  parseGuestFwd as parseUserGuestFwd,
  DEFAULT_USER_NET_LIMITS,
  type UserNetOptions,
  type UserNetConfig,
  type UserNetLimits,
  type HostFwdRule as UserHostFwdRule,
  type GuestFwdRule as UserGuestFwdRule,
  type GuestFwdTarget as UserGuestFwdTarget,
  type ResolvedHostFwd,
  type ResolvedGuestFwd,
} from './options.js';
export type {
  UserHost,
  HostStream,
  HostStreamHandlers,
  HostListener,
  HostUdpSocket,
  HostUdpHandlers,
  HostBoundUdp,
  HostAddress,
  HostError,
  HostErrorKind,
  HostResult,
  PingRequest,
  SpawnRequest,
  SmbSetup,
} from './host.js';
export { hostError } from './host.js';
export { USER_NET_STAT_NAMES, type UserNetStats, type UserNetStatName } from './stats.js';
export { virtualMac } from './link.js';
export { smbConfig } from './smb.js';
export * as userWire from './wire/index.js';
export * as tcpEngine from './tcp/index.js';
