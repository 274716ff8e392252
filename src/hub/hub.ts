/**
 * QEMU-style hubs (net/hub.c): a hub has ports; a frame a port receives from
 * its peer is sent out of every other port to that port's peer. Each
 * destination queues independently, so one slow device does not hold back
 * the others. A hub port is itself a NetClient whose peer is a device or a
 * backend (`-netdev hubport,hubid=N` or `-net ...,vlan` style wiring).
 * A hub of two ports (a NIC and a backend, as `-net nic -net user` builds)
 * also passes frames with offload work left (`NetClient.sendOffloaded`)
 * from one side to the other when the far side takes them.
 */
import { type FrameOffload, NetClient, type NetClientOptions, type NetForwarder, type NetReceiver, type ReceiveResult } from './client.js';

export class Hub {
  readonly ports: HubPort[] = [];
  private nextPort = 0;

  constructor(readonly id: number) {}

  /** A new port; connect its `client` to a device or backend client. */
  addPort(name?: string, opts?: NetClientOptions): HubPort {
    const port = new HubPort(this, name ?? `hub${this.id}port${this.nextPort}`, this.nextPort++, opts);
    this.ports.push(port);
    return port;
  }

  removePort(port: HubPort): void {
    const i = this.ports.indexOf(port);
    if (i >= 0) this.ports.splice(i, 1);
    port.client.disconnect();
  }

  /** @internal The other port of a hub of exactly two, else undefined. */
  otherOfTwo(port: HubPort): HubPort | undefined {
    const p = this.ports;
    if (p.length !== 2) return undefined;
    return p[0] === port ? p[1] : p[1] === port ? p[0] : undefined;
  }

  /** @internal fan a frame out to every port but the source. */
  forward(source: HubPort, frame: Uint8Array): void {
    // An indexed loop: no iterator per frame. `length` is read each time, as
    // a for-of would, in case a receiver removes a port during the fan-out.
    const ports = this.ports;
    for (let i = 0; i < ports.length; i++) {
      const p = ports[i]!;
      if (p !== source) p.client.send(frame);
    }
  }
}

export class HubPort {
  readonly client: NetClient;

  constructor(
    readonly hub: Hub,
    name: string,
    readonly index: number,
    opts?: NetClientOptions,
  ) {
    const receiver = new PortReceiver(this);
    this.client = new NetClient(name, receiver, { ...opts, kind: 'hubport', forwarder: receiver });
  }
}

/**
 * What a hub port's client hands frames to: the hub's fan-out. A class, so
 * the per-frame calls need no closures; also the client's forwarder, which
 * takes the frames that go straight through.
 */
class PortReceiver implements NetReceiver, NetForwarder {
  constructor(private readonly port: HubPort) {}

  /** A hub never pushes back: destinations queue on their own. */
  canReceive(): boolean {
    return true;
  }

  receive(frame: Uint8Array): ReceiveResult {
    this.forward(frame);
    return 'ok';
  }

  forward(frame: Uint8Array): void {
    const port = this.port;
    port.hub.forward(port, frame);
  }

  /**
   * A frame with offload work left goes on whole only in a hub of two ports,
   * to the other port's peer when that takes it; with more ports every
   * destination gets the frames a wire would carry (the sender cuts them).
   */
  receiveOffloaded(frame: Uint8Array, o: FrameOffload): boolean {
    const other = this.port.hub.otherOfTwo(this.port);
    return other !== undefined && other.client.sendOffloaded(frame, o);
  }

  offloadsTaken(later: boolean): number {
    const other = this.port.hub.otherOfTwo(this.port);
    if (other === undefined) return 0;
    return later ? other.client.peerOffloadsLater() : other.client.peerOffloads();
  }
}

/** Hubs by id, as `-net` (hub 0) and `-netdev hubport,hubid=N` use them. */
export class HubRegistry {
  private readonly hubs = new Map<number, Hub>();

  get(id: number): Hub {
    let h = this.hubs.get(id);
    if (!h) {
      h = new Hub(id);
      this.hubs.set(id, h);
    }
    return h;
  }

  find(id: number): Hub | undefined {
    return this.hubs.get(id);
  }

  all(): Hub[] {
    return [...this.hubs.values()];
  }
}
