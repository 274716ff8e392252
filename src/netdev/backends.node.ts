/**
 * The backends nicemu can run under Node, by QEMU type (or socket mode).
 * Anything parsed but missing here fails with "not supported yet".
 */
import type { HostPort as ConfigHostPort, SocketAddress } from '../config/index.js';
import { OptionError } from '../errors.js';
import type { BackendFactories } from '../machine/build.js';
import { StreamBackend, type StreamEndpoint } from './socket/stream.node.js';
import { type HostPort, UdpSocketBackend, isMulticastAddress } from './socket/udp.node.js';
import { DEFAULT_IFDOWN, DEFAULT_IFUP, TapBackend } from './tap/tap.node.js';
import { L2tpv3Backend } from './l2tpv3/l2tpv3.node.js';
import { openVde } from './vde/vde.node.js';
import { NotSupportedError } from '../errors.js';
import { userNetFactory } from './user/factory.node.js';

/** QEMU's script option: undefined -> the default path, "no" or "" -> none. */
function script(v: string | undefined, dflt: string): string | undefined {
  if (v === undefined) return dflt;
  return v === 'no' || v === '' ? undefined : v;
}

function hp(a: ConfigHostPort, fallbackHost: string): HostPort {
  return { host: a.address ?? (a.host || fallbackHost), port: a.port };
}

function inet(a: SocketAddress, what: string): HostPort {
  if (a.type !== 'inet') throw new OptionError(`${what}: address type '${a.type}' not supported yet for this backend`);
  const port = Number(a.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new OptionError(`${what}: port '${a.port}' must be a number (service names are not supported yet)`);
  return { host: a.host, port };
}

function streamEndpoint(a: SocketAddress, what: string): StreamEndpoint {
  if (a.type === 'unix') {
    if (a.abstract) throw new OptionError(`${what}: abstract unix sockets are not supported yet`);
    return { kind: 'unix', path: a.path };
  }
  const h = inet(a, what);
  return { kind: 'inet', host: h.host, port: h.port };
}

export function nodeBackends(): BackendFactories {
  return {
    user: userNetFactory(),
    'socket.udp': async (opts, id) => {
      if (opts.type !== 'socket' || opts.mode.kind !== 'udp') throw new Error('socket.udp factory given another backend');
      return UdpSocketBackend.open({ id, remote: hp(opts.mode.remote, '127.0.0.1'), local: hp(opts.mode.local, '0.0.0.0') });
    },
    'socket.mcast': async (opts, id) => {
      if (opts.type !== 'socket' || opts.mode.kind !== 'mcast') throw new Error('socket.mcast factory given another backend');
      const { group, localaddr } = opts.mode;
      return UdpSocketBackend.open({ id, remote: hp(group, ''), multicast: localaddr ? { localAddress: localaddr } : {} });
    },
    'socket.listen': async (opts, id) => {
      if (opts.type !== 'socket' || opts.mode.kind !== 'listen') throw new Error('socket.listen factory given another backend');
      const a = hp(opts.mode.addr, '0.0.0.0');
      return StreamBackend.open({ id, server: true, endpoint: { kind: 'inet', host: a.host, port: a.port } });
    },
    'socket.connect': async (opts, id) => {
      if (opts.type !== 'socket' || opts.mode.kind !== 'connect') throw new Error('socket.connect factory given another backend');
      const a = hp(opts.mode.addr, '127.0.0.1');
      return StreamBackend.open({ id, server: false, endpoint: { kind: 'inet', host: a.host, port: a.port } });
    },
    stream: async (opts, id) => {
      if (opts.type !== 'stream') throw new Error('stream factory given another backend');
      return StreamBackend.open({ id, server: opts.server ?? false, endpoint: streamEndpoint(opts.addr, `-netdev stream,id=${id}`) });
    },
    tap: async (opts, id) => {
      if (opts.type !== 'tap') throw new Error('tap factory given another backend');
      const unsupported = (['fd', 'fds', 'vhostfd', 'vhostfds', 'helper'] as const).find((k) => opts[k] !== undefined);
      if (unsupported) throw new NotSupportedError(`-netdev tap,${unsupported}=`);
      if (opts.vhost || opts.vhostforce) throw new NotSupportedError('-netdev tap,vhost=on');
      if (opts.queues !== undefined && opts.queues > 1) throw new NotSupportedError('-netdev tap,queues= (multiqueue)');
      return TapBackend.open({
        id,
        ...(opts.ifname !== undefined ? { ifname: opts.ifname } : {}),
        ...(opts.br !== undefined ? { bridge: opts.br } : {}),
        ...((s) => (s ? { script: s } : {}))(script(opts.script, DEFAULT_IFUP)),
        ...((s) => (s ? { downscript: s } : {}))(script(opts.downscript, DEFAULT_IFDOWN)),
        ...(opts.vnetHdr !== undefined ? { vnetHdr: opts.vnetHdr } : {}),
      });
    },
    bridge: async (opts, id) => {
      if (opts.type !== 'bridge') throw new Error('bridge factory given another backend');
      if (opts.helper !== undefined) throw new NotSupportedError('-netdev bridge,helper=');
      return TapBackend.open({ id, bridge: opts.br ?? 'br0' });
    },
    vde: async (opts, id) => {
      if (opts.type !== 'vde') throw new Error('vde factory given another backend');
      return openVde(id, opts);
    },
    l2tpv3: async (opts, id) => {
      if (opts.type !== 'l2tpv3') throw new Error('l2tpv3 factory given another backend');
      return L2tpv3Backend.open(id, opts);
    },
    dgram: async (opts, id) => {
      if (opts.type !== 'dgram') throw new Error('dgram factory given another backend');
      const what = `-netdev dgram,id=${id}`;
      if (!opts.remote) throw new OptionError(`${what}: a receive-only dgram (no remote) is not supported yet`);
      const remote = inet(opts.remote, what);
      if (isMulticastAddress(remote.host)) {
        const local = opts.local ? inet(opts.local, what).host : undefined;
        return UdpSocketBackend.open({ id, remote, multicast: local ? { localAddress: local } : {} });
      }
      if (!opts.local) throw new OptionError(`${what}: unicast dgram needs a local address`);
      return UdpSocketBackend.open({ id, remote, local: inet(opts.local, what) });
    },
  };
}
