/**
 * Stream netdevs over TCP or Unix sockets, as QEMU's `-netdev socket,listen=|connect=`
 * and `-netdev stream,addr.type=inet|unix,server=on|off`: frames with a 4-byte
 * big-endian length prefix. A listener serves one peer at a time (QEMU accepts
 * one connection); a client can reconnect after a delay. While no peer is
 * connected, frames from the NIC are dropped (counted), as in QEMU.
 *
 * Backpressure both ways: when the NIC cannot take frames, they wait in its
 * queue and the socket stops reading until the queue drains; when the socket
 * cannot take more (its write buffer is over a bound), frames from the NIC
 * wait in this backend's queue until the socket drains.
 */
import net from 'node:net';
import fs from 'node:fs';
import { NetClient, type ReceiveResult } from '../../hub/client.js';
import { OptionError } from '../../errors.js';
import { FrameRelay, type RelayStats, newRelayStats } from './relay.node.js';

export type StreamEndpoint = { kind: 'inet'; host: string; port: number } | { kind: 'unix'; path: string };

export interface StreamOptions {
  id: string;
  endpoint: StreamEndpoint;
  server: boolean;
  /** Client: seconds between reconnection attempts (0: no reconnect; QEMU's `reconnect=`). */
  reconnect?: number;
}

export interface StreamStats extends RelayStats {
  connections: number;
  /** Frames from the NIC while no peer was connected. */
  dropsNoPeer: number;
}

export class StreamBackend {
  readonly client: NetClient;
  readonly stats: StreamStats = { ...newRelayStats(), connections: 0, dropsNoPeer: 0 };
  private sock: net.Socket | undefined;
  private relay: FrameRelay | undefined;
  private server: net.Server | undefined;
  private closed = false;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly connectWaiters: Array<() => void> = [];

  private constructor(readonly opts: StreamOptions) {
    this.client = new NetClient(opts.id, {
      canReceive: () => this.relay === undefined || this.relay.canSend(),
      receive: (frame) => this.toPeer(frame),
      drained: () => this.relay?.resume(),
    }, { kind: 'backend' });
  }

  /** Start listening (resolves when bound) or connecting (resolves when connected, or rejects). */
  static async open(opts: StreamOptions): Promise<StreamBackend> {
    const b = new StreamBackend(opts);
    if (opts.server) await b.listen();
    else await b.connect(true);
    return b;
  }

  /** Resolves when a peer is connected (for tests and for callers that must wait). */
  whenConnected(): Promise<void> {
    if (this.sock) return Promise.resolve();
    return new Promise((r) => this.connectWaiters.push(r));
  }

  get connected(): boolean {
    return this.sock !== undefined;
  }

  /** The bound TCP port of a listener (useful with port 0). */
  get localPort(): number | undefined {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a.port : undefined;
  }

  private describe(): string {
    const e = this.opts.endpoint;
    return e.kind === 'unix' ? e.path : `${e.host}:${e.port}`;
  }

  private async listen(): Promise<void> {
    const server = net.createServer({ pauseOnConnect: false }, (s) => {
      if (this.sock || this.closed) {
        // One peer at a time, like QEMU.
        s.destroy();
        return;
      }
      this.attach(s);
    });
    this.server = server;
    const e = this.opts.endpoint;
    if (e.kind === 'unix') {
      try {
        if (fs.statSync(e.path).isSocket()) fs.unlinkSync(e.path);
      } catch {
        // Nothing there.
      }
    }
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new OptionError(`-netdev ${this.opts.id}: can't listen on ${this.describe()}: ${err.message}`)));
      if (e.kind === 'unix') server.listen(e.path, resolve);
      else server.listen(e.port, e.host || '0.0.0.0', resolve);
    });
    server.on('error', () => {});
  }

  private connect(first: boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const e = this.opts.endpoint;
      const s = e.kind === 'unix' ? net.connect(e.path) : net.connect(e.port, e.host || '127.0.0.1');
      s.once('connect', () => {
        this.attach(s);
        resolve();
      });
      s.once('error', (err) => {
        if (first && !this.opts.reconnect) {
          reject(new OptionError(`-netdev ${this.opts.id}: can't connect to ${this.describe()}: ${err.message}`));
          return;
        }
        resolve();
        this.scheduleReconnect();
      });
    });
  }

  private scheduleReconnect(): void {
    if (this.closed || !this.opts.reconnect || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.closed && !this.sock) void this.connect(false);
    }, this.opts.reconnect * 1000);
  }

  private attach(s: net.Socket): void {
    this.sock = s;
    this.stats.connections++;
    s.setNoDelay(true);
    const relay = new FrameRelay(this.client, s, s, this.stats, () => s.destroy());
    this.relay = relay;
    const gone = (): void => {
      if (this.sock !== s) return;
      relay.stop();
      this.sock = undefined;
      this.relay = undefined;
      if (!this.opts.server) this.scheduleReconnect();
    };
    s.on('close', gone);
    s.on('error', gone);
    for (const w of this.connectWaiters.splice(0)) w();
  }

  private toPeer(frame: Uint8Array): ReceiveResult {
    if (!this.relay) {
      this.stats.dropsNoPeer++;
      return 'ok';
    }
    return this.relay.send(frame);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.client.disconnect();
    this.sock?.destroy();
    this.server?.close();
  }
}
