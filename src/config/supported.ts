/**
 * The machine decides which parsed backends it can run; these helpers turn
 * "parsed but not implemented" into a NotSupportedError naming the backend.
 */
import { NotSupportedError } from '../errors.js';
import type { BackendOptions, NetdevType } from './types.js';

/** A backend type, or a socket mode (`socket.udp`, `socket.listen`, ...). */
export type BackendVariant = NetdevType | `socket.${'fd' | 'listen' | 'connect' | 'mcast' | 'udp'}`;

/** The most specific variant name of a backend: `socket.udp` for `socket,udp=...`. */
export function backendVariant(b: BackendOptions): BackendVariant {
  return b.type === 'socket' ? `socket.${b.mode.kind}` : b.type;
}

function describe(b: BackendOptions): string {
  if (b.type === 'socket') return `-netdev socket (${b.mode.kind}=)`;
  return `-netdev ${b.type}`;
}

/** Is `b` among `supported` (by type, or for sockets by type or mode)? */
export function isSupported(b: BackendOptions, supported: Iterable<BackendVariant>): boolean {
  const set = new Set<string>(supported);
  return set.has(b.type) || set.has(backendVariant(b));
}

/**
 * Throw NotSupportedError for a backend the machine does not implement, e.g.
 * `assertSupported(netdev, ['user', 'hubport', 'socket.udp'])`.
 */
export function assertSupported(b: BackendOptions, supported: Iterable<BackendVariant>): void {
  if (!isSupported(b, supported)) throw new NotSupportedError(describe(b));
}
