/**
 * An in-memory `UserHost` for tests: every call is logged; connections,
 * datagrams, DNS, files, processes and pings are driven by the test.
 */
import type {
  HostAddress,
  HostBoundUdp,
  HostError,
  HostListener,
  HostResult,
  HostStream,
  HostStreamHandlers,
  HostUdpHandlers,
  HostUdpSocket,
  PingRequest,
  SmbSetup,
  SpawnRequest,
  UserHost,
} from '../../../src/netdev/user/index.js';

export class FakeStream implements HostStream {
  handlers!: HostStreamHandlers;
  readonly written: Uint8Array[] = [];
  writtenBytes = 0;
  ended = false;
  destroyed = false;
  paused = false;
  /** Bytes the fake "host socket" buffers before write() says false; Infinity = never full. */
  highWater = Infinity;
  /** Bytes written but not yet taken by `consume`. */
  buffered = 0;
  /** Set when write() returned false, until drain(). */
  needDrain = false;
  constructor(
    readonly kind: 'tcp' | 'accepted' | 'spawn',
    readonly target: HostAddress | SpawnRequest | null,
  ) {}

  write(data: Uint8Array): boolean {
    this.written.push(data.slice());
    this.writtenBytes += data.length;
    this.buffered += data.length;
    if (this.buffered >= this.highWater) {
      this.needDrain = true;
      return false;
    }
    return true;
  }
  end(): void {
    this.ended = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }

  /** Everything written, concatenated. */
  data(): Uint8Array {
    const out = new Uint8Array(this.writtenBytes);
    let o = 0;
    for (const c of this.written) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
  text(): string {
    return new TextDecoder().decode(this.data());
  }
  /** The slow host took `n` bytes out of its buffer; signal drain when it fell under the mark. */
  consume(n = Infinity): void {
    this.buffered = Math.max(0, this.buffered - n);
    if (this.needDrain && this.buffered < this.highWater) {
      this.needDrain = false;
      this.handlers.onDrain();
    }
  }
  connect(): void {
    this.handlers.onConnect();
  }
  refuse(kind: HostError['kind'] = 'refused'): void {
    this.handlers.onClose({ kind, message: kind });
  }
  send(data: Uint8Array | string): void {
    this.handlers.onData(typeof data === 'string' ? new TextEncoder().encode(data) : data);
  }
  hostEnd(): void {
    this.handlers.onEnd();
  }
  hostClose(error?: HostError): void {
    this.handlers.onClose(error);
  }
}

export class FakeUdp implements HostUdpSocket {
  readonly sent: Array<{ data: Uint8Array; to: HostAddress }> = [];
  closed = false;
  constructor(
    readonly family: 4 | 6,
    readonly handlers: HostUdpHandlers,
  ) {}
  send(data: Uint8Array, to: HostAddress): void {
    this.sent.push({ data: data.slice(), to });
  }
  close(): void {
    this.closed = true;
  }
  deliver(data: Uint8Array | string, from: HostAddress): void {
    this.handlers.onMessage(typeof data === 'string' ? new TextEncoder().encode(data) : data, from);
  }
}

export class FakeListener implements HostListener {
  closed = false;
  constructor(
    readonly host: FakeHost,
    readonly address: string,
    readonly port: number,
    readonly onAccept: (stream: HostStream, peer: HostAddress) => HostStreamHandlers,
  ) {}
  close(): void {
    this.closed = true;
  }
  /** A host client connects: the stack gets a paused stream. */
  connect(peer: HostAddress = { family: 4, address: '127.0.0.1', port: 40000 }): FakeStream {
    const s = new FakeStream('accepted', peer);
    s.paused = true;
    s.handlers = this.onAccept(s, peer);
    this.host.accepted.push(s);
    return s;
  }
}

export class FakeBoundUdp extends FakeUdp implements HostBoundUdp {
  constructor(
    readonly address: string,
    readonly port: number,
    handlers: HostUdpHandlers,
  ) {
    super(address.includes(':') ? 6 : 4, handlers);
  }
}

export class FakeHost implements UserHost {
  /** Every call, as "method arg", in order. */
  readonly calls: string[] = [];
  readonly streams: FakeStream[] = [];
  readonly accepted: FakeStream[] = [];
  readonly udp: FakeUdp[] = [];
  readonly listeners: FakeListener[] = [];
  readonly boundUdp: FakeBoundUdp[] = [];
  readonly dnsQueries: Uint8Array[] = [];
  readonly pings: PingRequest[] = [];
  /** Answer DNS queries (synchronously); undefined leaves them pending in `pendingDns`. */
  dnsResolver: ((q: Uint8Array) => HostResult<Uint8Array>) | undefined;
  readonly pendingDns: Array<(r: HostResult<Uint8Array>) => void> = [];
  /** Files served to TFTP, by path relative to the root. */
  readonly files = new Map<string, Uint8Array>();
  readonly reads: Array<{ root: string; path: string; offset: number; length: number }> = [];
  pingResult: HostResult<{ rttMs: number }> = { ok: false, error: { kind: 'unsupported', message: 'no ping sockets' } };
  smbResult: SmbSetup | Error = new Error("could not find 'smbd', please install it");
  nextPort = 50000;
  failListen = false;
  /** `UserHost.soon`, present only after `batch()`: the stack's end-of-burst work waits in `soonQueue`. */
  soon?: (fn: () => void) => void;
  readonly soonQueue: Array<() => void> = [];

  /** Act as a batching host (before `createUserNet`): `soon` work waits for `runSoon()`. */
  batch(): this {
    this.soon = (fn) => {
      this.soonQueue.push(fn);
    };
    return this;
  }
  /** Run the queued `soon` work (and what it queues); returns how many ran. */
  runSoon(): number {
    let n = 0;
    for (let f = this.soonQueue.shift(); f; f = this.soonQueue.shift(), n++) f();
    return n;
  }

  tcpConnect(target: HostAddress, handlers: HostStreamHandlers): HostStream {
    this.calls.push(`tcpConnect ${target.address}:${target.port}`);
    const s = new FakeStream('tcp', target);
    s.handlers = handlers;
    this.streams.push(s);
    return s;
  }
  async tcpListen(bind: { address: string; port: number }, onAccept: (stream: HostStream, peer: HostAddress) => HostStreamHandlers): Promise<HostListener> {
    this.calls.push(`tcpListen ${bind.address}:${bind.port}`);
    if (this.failListen) throw new Error('Address already in use');
    const l = new FakeListener(this, bind.address || '0.0.0.0', bind.port || this.nextPort++, onAccept);
    this.listeners.push(l);
    return l;
  }
  udpOpen(family: 4 | 6, handlers: HostUdpHandlers): HostUdpSocket {
    this.calls.push(`udpOpen ${family}`);
    const u = new FakeUdp(family, handlers);
    this.udp.push(u);
    return u;
  }
  async udpBind(bind: { address: string; port: number }, handlers: HostUdpHandlers): Promise<HostBoundUdp> {
    this.calls.push(`udpBind ${bind.address}:${bind.port}`);
    const u = new FakeBoundUdp(bind.address || '0.0.0.0', bind.port || this.nextPort++, handlers);
    this.boundUdp.push(u);
    return u;
  }
  dnsQuery(query: Uint8Array, done: (r: HostResult<Uint8Array>) => void): void {
    this.calls.push('dnsQuery');
    this.dnsQueries.push(query.slice());
    if (this.dnsResolver) done(this.dnsResolver(query));
    else this.pendingDns.push(done);
  }
  readFile(root: string, path: string, offset: number, length: number, done: (r: HostResult<{ data: Uint8Array; size: number }>) => void): void {
    this.calls.push(`readFile ${path}`);
    this.reads.push({ root, path, offset, length });
    const f = this.files.get(path);
    if (!f) {
      done({ ok: false, error: { kind: 'not-found', message: 'ENOENT' } });
      return;
    }
    done({ ok: true, value: { data: f.slice(offset, offset + length), size: f.length } });
  }
  spawn(req: SpawnRequest, handlers: HostStreamHandlers): HostStream {
    this.calls.push(`spawn ${req.command}`);
    const s = new FakeStream('spawn', req);
    s.handlers = handlers;
    this.streams.push(s);
    return s;
  }
  ping(req: PingRequest, done: (r: HostResult<{ rttMs: number }>) => void): void {
    this.calls.push(`ping ${req.address}`);
    this.pings.push(req);
    done(this.pingResult);
  }
  async prepareSmb(dir: string): Promise<SmbSetup> {
    this.calls.push(`prepareSmb ${dir}`);
    if (this.smbResult instanceof Error) throw this.smbResult;
    return this.smbResult;
  }
  lastStream(): FakeStream {
    const s = this.streams[this.streams.length - 1];
    if (!s) throw new Error('no stream');
    return s;
  }
}
