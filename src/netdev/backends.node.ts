/**
 * The backends nicemu can run under Node, by QEMU type (or socket mode).
 */
import type { BackendFactories } from '../machine/build.js';
import { UdpSocketBackend } from './socket/udp.node.js';

export function nodeBackends(): BackendFactories {
  return {
    'socket.udp': async (opts, id) => {
      if (opts.type !== 'socket' || opts.mode.kind !== 'udp') throw new Error('socket.udp factory given another backend');
      const { remote, local } = opts.mode;
      const b = await UdpSocketBackend.open({
        id,
        remote: { host: remote.address ?? remote.host, port: remote.port },
        local: { host: local.address ?? (local.host || '0.0.0.0'), port: local.port },
      });
      return b;
    },
  };
}
