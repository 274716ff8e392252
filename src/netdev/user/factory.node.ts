/**
 * The `-netdev user` backend factory under Node: the stack with real host
 * sockets. Its timers run on the clock the machine or emulator adapter gives
 * (virtual time under qtest, v86's time in v86), as QEMU runs slirp on its
 * main loop. `onCreate` sees the stack (hostfwd ports, stats).
 */
import type { Backend, BackendFactory } from '../../machine/build.js';
import { createUserNet, type UserNet } from './usernet.js';
import { userNetOptionsFromConfig } from './from-config.js';
import { NodeUserHost, type NodeUserHostOptions } from './host.node.js';

export function userNetFactory(hostOptions: NodeUserHostOptions = {}, onCreate?: (net: UserNet) => void): BackendFactory {
  return async (opts, id, env): Promise<Backend> => {
    if (opts.type !== 'user') throw new Error('user factory given another backend');
    const net = await createUserNet(userNetOptionsFromConfig(opts, id), { timers: env.clock, random: env.random, host: new NodeUserHost(hostOptions) });
    onCreate?.(net);
    return { client: net.client, close: () => net.close() };
  };
}
