/**
 * `-netdev l2tpv3` over UDP (`udp=on`): an Ethernet pseudowire to a QEMU,
 * a Linux kernel L2TPv3 tunnel or a router. IP encapsulation (`udp=off`,
 * protocol 115) needs raw sockets, which Node does not have: it fails with
 * "not supported yet".
 */
import dgram from 'node:dgram';
import { NetClient, type ReceiveResult } from '../../hub/client.js';
import type { L2tpv3Options } from '../../config/index.js';
import { NotSupportedError, OptionError } from '../../errors.js';
import { L2tpv3Codec, type L2tpv3Params } from './header.js';

export class L2tpv3Backend {
  readonly client: NetClient;
  readonly codec: L2tpv3Codec;
  framesIn = 0;
  framesOut = 0;
  sendErrors = 0;
  private closed = false;

  private constructor(
    id: string,
    params: L2tpv3Params,
    private readonly sock: dgram.Socket,
    private readonly dst: { host: string; port: number },
  ) {
    this.codec = new L2tpv3Codec(params);
    this.client = new NetClient(id, {
      canReceive: () => !this.closed,
      receive: (frame): ReceiveResult => {
        this.framesOut++;
        sock.send(this.codec.encapsulate(frame), dst.port, dst.host, (err) => {
          if (err) this.sendErrors++;
        });
        return 'ok';
      },
    }, { kind: 'backend' });
    sock.on('message', (msg) => {
      if (this.closed) return;
      const frame = this.codec.decapsulate(new Uint8Array(msg.buffer, msg.byteOffset, msg.length));
      if (!frame) return;
      this.framesIn++;
      this.client.send(frame);
    });
    sock.on('error', () => this.sendErrors++);
  }

  static async open(id: string, o: L2tpv3Options): Promise<L2tpv3Backend> {
    const what = `-netdev l2tpv3,id=${id}`;
    if (!o.udp) throw new NotSupportedError(`${what} with IP encapsulation (udp=off; Node has no raw sockets; use udp=on)`);
    if (o.offset !== undefined && o.offset > 256) throw new OptionError(`${what}: offset must be less than 256 bytes`);
    if ((o.rxcookie === undefined) !== (o.txcookie === undefined)) throw new OptionError(`${what}: require both 'rxcookie' and 'txcookie' or neither`);
    if (o.srcport === undefined || o.dstport === undefined) throw new OptionError(`${what}: need both src and dst port for udp`);
    const port = (p: string, name: string): number => {
      const n = Number(p);
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw new OptionError(`${what}: ${name} '${p}' must be a port number`);
      return n;
    };
    const cookie = o.txcookie !== undefined;
    const params: L2tpv3Params = {
      udp: true,
      txSession: o.txsession,
      rxSession: o.rxsession ?? o.txsession,
      cookieSize: !cookie ? 0 : o.cookie64 ? 8 : 4,
      txCookie: o.txcookie ?? 0n,
      rxCookie: o.rxcookie ?? 0n,
      counter: o.counter ?? false,
      pinCounter: o.pincounter ?? false,
      offset: o.offset ?? 0,
    };
    const sock = dgram.createSocket({ type: o.ipv6 ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      sock.once('error', (e) => reject(new OptionError(`${what}: could not bind socket: ${e.message}`)));
      sock.bind(port(o.srcport!, 'srcport'), o.src, () => resolve());
    });
    return new L2tpv3Backend(id, params, sock, { host: o.dst, port: port(o.dstport!, 'dstport') });
  }

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
