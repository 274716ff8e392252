/**
 * `-netdev socket,udp=HOST:PORT,localaddr=HOST:PORT`: every frame the peer
 * sends leaves as one UDP datagram to `udp=`; every datagram that arrives on
 * `localaddr=` is one frame for the peer (no length prefix, no FCS), as in
 * QEMU's net/socket.c.
 */
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import { NetClient, type ReceiveResult } from '../../hub/client.js';
import { OptionError } from '../../errors.js';

export interface UdpSocketOptions {
  id: string;
  /** Where frames go: host:port. */
  remote: { host: string; port: number };
  /** Where frames come from: bound locally. */
  local: { host: string; port: number };
}

export interface HostPort {
  host: string;
  port: number;
}

/** Parse `HOST:PORT` (IPv6 as `[addr]:port`) as QEMU's inet_parse does for socket netdevs. */
export function parseHostPort(text: string, what: string): HostPort {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(text);
  if (!m) throw new OptionError(`${what}: expected HOST:PORT, got '${text}'`);
  const host = m[1] ?? m[2] ?? '';
  const port = Number(m[3]);
  if (port > 65535) throw new OptionError(`${what}: port ${port} out of range`);
  return { host: host === '' ? '0.0.0.0' : host, port };
}

export class UdpSocketBackend {
  readonly client: NetClient;
  private readonly sock: dgram.Socket;
  private closed = false;
  /** Datagrams that failed to send (counted, as QEMU does not retry). */
  sendErrors = 0;

  private constructor(
    readonly opts: UdpSocketOptions,
    sock: dgram.Socket,
  ) {
    this.sock = sock;
    this.client = new NetClient(opts.id, {
      canReceive: () => !this.closed,
      receive: (frame): ReceiveResult => {
        // Copy: the sender may reuse its buffer before the datagram leaves.
        this.sock.send(Buffer.from(frame), opts.remote.port, opts.remote.host, (err) => {
          if (err) this.sendErrors++;
        });
        return 'ok';
      },
    }, { kind: 'backend' });
    sock.on('message', (msg) => {
      if (!this.closed) this.client.send(new Uint8Array(msg.buffer, msg.byteOffset, msg.length));
    });
    sock.on('error', () => {
      this.sendErrors++;
    });
  }

  static async open(opts: UdpSocketOptions): Promise<UdpSocketBackend> {
    const family = isIP(opts.local.host) === 6 ? 'udp6' : 'udp4';
    const sock = dgram.createSocket({ type: family, reuseAddr: true });
    await new Promise<void>((resolve, reject) => {
      sock.once('error', (e) => reject(new OptionError(`-netdev socket: can't bind ip=${opts.local.host} to socket: ${e.message}`)));
      sock.bind(opts.local.port, opts.local.host, () => resolve());
    });
    return new UdpSocketBackend(opts, sock);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.disconnect();
    this.sock.close();
  }
}
