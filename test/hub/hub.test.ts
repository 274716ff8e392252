import { describe, expect, it } from 'vitest';
import { Hub, NetClient, type ReceiveResult } from '../../src/hub/index.js';

/** A receiver that records frames and can be made busy or refusing. */
class Sink {
  frames: number[][] = [];
  busy = false;
  refuse = false;
  links: boolean[] = [];
  onReceive?: (frame: Uint8Array) => void;
  readonly client: NetClient;
  constructor(name: string, opts: ConstructorParameters<typeof NetClient>[2] = {}) {
    this.client = new NetClient(name, {
      canReceive: () => !this.busy,
      receive: (f): ReceiveResult => {
        if (this.refuse) return 'drop';
        if (this.busy) return 'busy';
        this.frames.push([...f]);
        this.onReceive?.(f);
        return 'ok';
      },
      linkChanged: (up) => this.links.push(up),
    }, opts);
  }
}

const frame = (n: number, len = 4): Uint8Array => new Uint8Array(len).fill(n);

describe('NetClient peers', () => {
  it('delivers to the peer synchronously when it can receive', () => {
    const a = new Sink('a');
    const b = new Sink('b');
    NetClient.connect(a.client, b.client);
    expect(a.client.send(frame(1))).toBe('delivered');
    expect(b.frames).toEqual([[1, 1, 1, 1]]);
    expect(a.client.stats.txFrames).toBe(1);
    expect(b.client.stats.rxFrames).toBe(1);
    expect(b.client.stats.rxBytes).toBe(4);
  });

  it('queues frames a busy peer cannot take and delivers them in order on flush (backpressure, no drop)', () => {
    const a = new Sink('a');
    const b = new Sink('b');
    NetClient.connect(a.client, b.client);
    b.busy = true;
    const buf = frame(1);
    expect(a.client.send(buf)).toBe('queued');
    buf.fill(9); // the sender reuses its buffer: the queue holds a copy
    expect(a.client.send(frame(2))).toBe('queued');
    expect(b.frames).toEqual([]);
    expect(b.client.incoming.length).toBe(2);
    b.busy = false;
    // A new frame must not overtake the queued ones.
    expect(a.client.send(frame(3))).toBe('queued');
    b.client.flushQueue();
    expect(b.frames.map((f) => f[0])).toEqual([1, 2, 3]);
    expect(b.client.incoming.length).toBe(0);
  });

  it('stops flushing when the receiver becomes busy again and resumes later', () => {
    const a = new Sink('a');
    const b = new Sink('b');
    NetClient.connect(a.client, b.client);
    b.busy = true;
    for (let i = 1; i <= 3; i++) a.client.send(frame(i));
    b.busy = false;
    b.onReceive = () => {
      b.busy = true;
    };
    b.client.flushQueue();
    expect(b.frames.map((f) => f[0])).toEqual([1]);
    b.busy = false;
    b.client.flushQueue();
    expect(b.frames.map((f) => f[0])).toEqual([1, 2]);
  });

  it('drops and counts frames once the queue bound is reached', () => {
    const a = new Sink('a');
    const b = new Sink('b', { queue: { maxFrames: 2 } });
    NetClient.connect(a.client, b.client);
    b.busy = true;
    expect(a.client.send(frame(1))).toBe('queued');
    expect(a.client.send(frame(2))).toBe('queued');
    expect(a.client.send(frame(3))).toBe('dropped');
    expect(b.client.stats.rxQueueFull).toBe(1);
    expect(b.client.incoming.length).toBe(2);
  });

  it('refuses oversized frames at the queue', () => {
    const a = new Sink('a');
    const b = new Sink('b', { queue: { maxFrameBytes: 100 } });
    NetClient.connect(a.client, b.client);
    b.busy = true;
    expect(a.client.send(frame(1, 101))).toBe('dropped');
    expect(a.client.send(frame(1, 100))).toBe('queued');
  });

  it('counts frames the receiver refuses', () => {
    const a = new Sink('a');
    const b = new Sink('b');
    NetClient.connect(a.client, b.client);
    b.refuse = true;
    expect(a.client.send(frame(1))).toBe('dropped');
    expect(b.client.stats.rxRefused).toBe(1);
  });

  it('purges the queue on reset', () => {
    const a = new Sink('a');
    const b = new Sink('b');
    NetClient.connect(a.client, b.client);
    b.busy = true;
    a.client.send(frame(1));
    b.client.purgeQueue();
    b.busy = false;
    b.client.flushQueue();
    expect(b.frames).toEqual([]);
  });

  it('defers delivery into a client in the middle of its own I/O, then delivers on exit', () => {
    const a = new Sink('a');
    const b = new Sink('b');
    NetClient.connect(a.client, b.client);
    b.client.enterIo();
    expect(a.client.send(frame(1))).toBe('queued');
    expect(b.frames).toEqual([]);
    b.client.exitIo();
    expect(b.frames.map((f) => f[0])).toEqual([1]);
  });

  it('never recurses: a reply sent from inside receive() is delivered after it returns', () => {
    const dev = new Sink('dev');
    const backend = new Sink('backend');
    NetClient.connect(dev.client, backend.client);
    let depth = 0;
    let maxDepth = 0;
    dev.onReceive = () => {
      depth++;
      maxDepth = Math.max(maxDepth, depth);
      // The device answers every frame while still inside its receive handler.
      if (dev.frames.length < 5) dev.client.send(frame(dev.frames.length + 10));
      depth--;
    };
    backend.onReceive = (f) => {
      backend.client.send(frame(f[0]! + 1));
    };
    backend.client.send(frame(1));
    expect(maxDepth).toBe(1);
    expect(dev.frames.map((f) => f[0])).toEqual([1, 12, 13, 14, 15]);
  });

  it('discards frames while the link is down and tells both ends about set_link', () => {
    const nic = new Sink('nic', { kind: 'nic' });
    const backend = new Sink('n0');
    NetClient.connect(nic.client, backend.client);
    backend.client.setLinkUp(false);
    expect(nic.client.linkDown).toBe(true); // a NIC peer follows the backend's link
    expect(nic.links).toEqual([false]);
    expect(backend.links).toEqual([false]);
    expect(nic.client.send(frame(1))).toBe('dropped');
    expect(nic.client.stats.txLinkDown).toBe(1);
    expect(backend.client.send(frame(2))).toBe('dropped');
    expect(nic.frames).toEqual([]);
    backend.client.setLinkUp(true);
    expect(nic.client.linkDown).toBe(false);
    expect(backend.client.send(frame(3))).toBe('delivered');
  });

  it('refuses to connect a client that already has a peer', () => {
    const a = new Sink('a');
    const b = new Sink('b');
    const c = new Sink('c');
    NetClient.connect(a.client, b.client);
    expect(() => NetClient.connect(a.client, c.client)).toThrow(/already has a peer/);
    expect(() => NetClient.connect(c.client, c.client)).toThrow(/own peer/);
  });
});

describe('Hub', () => {
  it('forwards a frame to every port but the source', () => {
    const hub = new Hub(0);
    const sinks = [new Sink('x'), new Sink('y'), new Sink('z')];
    for (const s of sinks) NetClient.connect(s.client, hub.addPort().client);
    sinks[0]!.client.send(frame(7));
    expect(sinks.map((s) => s.frames.length)).toEqual([0, 1, 1]);
    sinks[2]!.client.send(frame(8));
    expect(sinks.map((s) => s.frames.length)).toEqual([1, 2, 1]);
  });

  it('queues per destination: a busy port does not hold back the others', () => {
    const hub = new Hub(1);
    const [src, slow, fast] = [new Sink('src'), new Sink('slow'), new Sink('fast')];
    for (const s of [src, slow, fast]) NetClient.connect(s.client, hub.addPort().client);
    slow.busy = true;
    src.client.send(frame(1));
    src.client.send(frame(2));
    expect(fast.frames.length).toBe(2);
    expect(slow.frames.length).toBe(0);
    slow.busy = false;
    slow.client.flushQueue();
    expect(slow.frames.map((f) => f[0])).toEqual([1, 2]);
  });

  it('removes a port and stops delivering to it', () => {
    const hub = new Hub(2);
    const [a, b] = [new Sink('a'), new Sink('b')];
    const pa = hub.addPort();
    const pb = hub.addPort();
    NetClient.connect(a.client, pa.client);
    NetClient.connect(b.client, pb.client);
    hub.removePort(pb);
    expect(a.client.send(frame(1))).toBe('delivered');
    expect(b.frames).toEqual([]);
    expect(b.client.peer).toBeNull();
  });
});
