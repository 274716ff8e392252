/**
 * Datagram netdevs: one frame per UDP datagram, no length prefix, no FCS.
 * - unicast (`-netdev socket,udp=HOST:PORT,localaddr=HOST:PORT`, `-netdev dgram`
 *   with remote and local inet addresses): frames go to the remote address,
 *   datagrams arriving on the local address are frames for the NIC;
 * - multicast (`-netdev socket,mcast=GROUP:PORT[,localaddr=ADDR]`, `-netdev dgram`
 *   with a multicast remote): every member of the group sees every frame,
 *   including its own, as with QEMU (multicast loopback on), so several
 *   emulators on one host share a segment.
 */
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import { NetClient, type ReceiveResult } from '../../hub/client.js';
import { OptionError } from '../../errors.js';

export interface HostPort {
  host: string;
  port: number;
}

export interface UdpSocketOptions {
  id: string;
  /** Where frames go. */
  remote: HostPort;
  /** Where frames come from (unicast). Ignored for multicast, which binds the group's port. */
  local?: HostPort;
  /** Join `remote.host` as a multicast group; `localAddress` picks the interface. */
  multicast?: { localAddress?: string };
}

/** Parse `HOST:PORT` (IPv6 as `[addr]:port`). */
export function parseHostPort(text: string, what: string): HostPort {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(text);
  if (!m) throw new OptionError(`${what}: expected HOST:PORT, got '${text}'`);
  const host = m[1] ?? m[2] ?? '';
  const port = Number(m[3]);
  if (port > 65535) throw new OptionError(`${what}: port ${port} out of range`);
  return { host: host === '' ? '0.0.0.0' : host, port };
}

export function isMulticastAddress(host: string): boolean {
  if (isIP(host) === 4) {
    const first = Number(host.split('.')[0]);
    return first >= 224 && first <= 239;
  }
  return isIP(host) === 6 && /^ff/i.test(host);
}

export class UdpSocketBackend {
  readonly client: NetClient;
  private readonly sock: dgram.Socket;
  private closed = false;
  /** Datagrams that failed to send (counted; QEMU does not retry either). */
  sendErrors = 0;
  framesIn = 0;
  framesOut = 0;

  private constructor(
    readonly opts: UdpSocketOptions,
    sock: dgram.Socket,
  ) {
    this.sock = sock;
    this.client = new NetClient(
      opts.id,
      {
        canReceive: () => !this.closed,
        receive: (frame): ReceiveResult => {
          this.framesOut++;
          // Copy: the sender may reuse its buffer before the datagram leaves.
          this.sock.send(Buffer.from(frame), opts.remote.port, opts.remote.host, (err) => {
            if (err) this.sendErrors++;
          });
          return 'ok';
        },
      },
      { kind: 'backend' },
    );
    sock.on('message', (msg) => {
      if (this.closed) return;
      this.framesIn++;
      this.client.send(new Uint8Array(msg.buffer, msg.byteOffset, msg.length));
    });
    sock.on('error', () => {
      this.sendErrors++;
    });
  }

  static async open(opts: UdpSocketOptions): Promise<UdpSocketBackend> {
    const mcast = opts.multicast !== undefined;
    if (mcast && !isMulticastAddress(opts.remote.host)) throw new OptionError(`-netdev ${opts.id}: ${opts.remote.host} is not a multicast address`);
    const bindHost = mcast ? opts.remote.host : (opts.local?.host ?? '0.0.0.0');
    const bindPort = mcast ? opts.remote.port : (opts.local?.port ?? 0);
    const family = isIP(bindHost) === 6 || isIP(opts.remote.host) === 6 ? 'udp6' : 'udp4';
    const sock = dgram.createSocket({ type: family, reuseAddr: true });
    await new Promise<void>((resolve, reject) => {
      sock.once('error', (e) => reject(new OptionError(`-netdev ${opts.id}: can't bind ip=${bindHost} to socket: ${e.message}`)));
      sock.bind(bindPort, bindHost, () => resolve());
    });
    if (mcast) {
      try {
        sock.addMembership(opts.remote.host, opts.multicast?.localAddress);
        sock.setMulticastLoopback(true);
        if (opts.multicast?.localAddress) sock.setMulticastInterface(opts.multicast.localAddress);
      } catch (e) {
        sock.close();
        throw new OptionError(`-netdev ${opts.id}: can't join multicast group ${opts.remote.host}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    return new UdpSocketBackend(opts, sock);
  }

  /** The locally bound port (useful with port 0). */
  get localPort(): number {
    return this.sock.address().port;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.disconnect();
    this.sock.close();
  }
}
