/**
 * Node backend factories for attachToV86's `-netdev` strings: `socket`
 * (nicemu's UDP socket backend) and `user` (the user-mode stack with real
 * host sockets). Timers of the user stack run on the NIC's clock (v86's
 * time), as QEMU runs slirp on its main loop.
 */
import type { BackendFactories } from '../machine/build.js';
import { nodeBackends } from '../netdev/backends.node.js';
import type { UserNet } from '../netdev/user/index.js';
import type { NodeUserHostOptions } from '../netdev/user/host.node.js';
import { userNetFactory } from '../netdev/user/factory.node.js';

export { userNetFactory };

/** Factories for attachToV86 under Node: `user` and `socket` (udp). */
export function nodeV86Backends(opts: { user?: NodeUserHostOptions; onUserNet?: (net: UserNet) => void } = {}): BackendFactories {
  return { ...nodeBackends(), user: userNetFactory(opts.user, opts.onUserNet) };
}
