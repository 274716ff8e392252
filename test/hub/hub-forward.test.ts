/**
 * Hub ports hand frames that go straight through to the hub on a path of
 * their own (NetForwarder). These tests pin down that the path has exactly
 * the effects of the general one (offer/deliver into a receiver that is
 * always ready and returns 'ok'): statistics, observers, link state,
 * deferral while a port is in I/O, no recursion, and the same results in a
 * mixed scenario against a reference hub built without the fast path.
 */
import { describe, expect, it } from 'vitest';
import { Hub, NetClient, type NetClientKind, type ReceiveResult, type SendResult } from '../../src/hub/index.js';

class Sink {
  frames: number[][] = [];
  busy = false;
  refuse = false;
  onReceive?: (frame: Uint8Array) => void;
  readonly client: NetClient;
  constructor(name: string, kind: NetClientKind = 'backend') {
    this.client = new NetClient(
      name,
      {
        canReceive: () => !this.busy,
        receive: (f): ReceiveResult => {
          if (this.refuse) return 'drop';
          if (this.busy) return 'busy';
          this.frames.push([...f]);
          this.onReceive?.(f);
          return 'ok';
        },
      },
      { kind },
    );
  }
}

const frame = (n: number, len = 4): Uint8Array => new Uint8Array(len).fill(n);

/** Two sinks through a two-port hub. */
function pair(kind: NetClientKind = 'backend'): { a: Sink; b: Sink; pa: NetClient; pb: NetClient } {
  const hub = new Hub(0);
  const a = new Sink('a', kind);
  const b = new Sink('b', kind);
  const pa = hub.addPort().client;
  const pb = hub.addPort().client;
  NetClient.connect(a.client, pa);
  NetClient.connect(b.client, pb);
  return { a, b, pa, pb };
}

describe('hub port forwarding path', () => {
  it('counts the frame on both hub ports and reports it delivered', () => {
    const { a, b, pa, pb } = pair();
    expect(a.client.send(frame(1, 60))).toBe('delivered');
    expect(b.frames).toEqual([[...frame(1, 60)]]);
    expect(pa.stats).toMatchObject({ rxFrames: 1, rxBytes: 60, txFrames: 0 });
    expect(pb.stats).toMatchObject({ txFrames: 1, txBytes: 60, rxFrames: 0 });
    expect(b.client.stats).toMatchObject({ rxFrames: 1, rxBytes: 60 });
  });

  it('reports "delivered" even when the destination queues (the hub took it), as before', () => {
    const { a, b } = pair();
    b.busy = true;
    expect(a.client.send(frame(1))).toBe('delivered');
    expect(b.client.incoming.length).toBe(1);
    b.busy = false;
    b.client.flushQueue();
    expect(b.frames.map((f) => f[0])).toEqual([1]);
  });

  it('observers on the hub port clients see the frame (rx on the source port, tx on the other)', () => {
    const { a, pa, pb } = pair();
    const seen: string[] = [];
    pa.observe((dir, f) => seen.push(`pa ${dir} ${f[0]}`));
    pb.observe((dir, f) => seen.push(`pb ${dir} ${f[0]}`));
    a.client.send(frame(5));
    expect(seen).toEqual(['pb tx 5', 'pa rx 5']);
  });

  it('a hub port whose link is down discards what its peer sends (rxLinkDown)', () => {
    const { a, b, pa } = pair('backend');
    pa.setLinkUp(false);
    expect(a.client.send(frame(1))).toBe('dropped');
    expect(pa.stats.rxLinkDown).toBe(1);
    expect(b.frames).toEqual([]);
    pa.setLinkUp(true);
    expect(a.client.send(frame(2))).toBe('delivered');
    expect(b.frames.map((f) => f[0])).toEqual([2]);
  });

  it('defers frames sent to a hub port that is in I/O, then forwards them on exit', () => {
    const { a, b, pa } = pair();
    pa.enterIo();
    const buf = frame(1);
    expect(a.client.send(buf)).toBe('queued');
    buf.fill(9); // the queue holds a copy
    expect(pa.stats.rxQueued).toBe(1);
    expect(b.frames).toEqual([]);
    pa.exitIo();
    expect(b.frames.map((f) => f[0])).toEqual([1]);
    expect(pa.stats.rxFrames).toBe(1);
  });

  it('never recurses through the hub: replies sent from inside receive() are delivered after it returns', () => {
    const { a: dev, b: backend } = pair();
    let depth = 0;
    let maxDepth = 0;
    dev.onReceive = () => {
      depth++;
      maxDepth = Math.max(maxDepth, depth);
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

  it('gives the same results and statistics as a hub port without the fast path', () => {
    // Reference: the same wiring, with ports whose receiver fans out by hand (the general offer/deliver path).
    const run = (fast: boolean): unknown => {
      const sinks = [new Sink('x'), new Sink('y'), new Sink('z')];
      const ports: NetClient[] = [];
      if (fast) {
        const hub = new Hub(0);
        for (const s of sinks) {
          const p = hub.addPort().client;
          ports.push(p);
          NetClient.connect(s.client, p);
        }
      } else {
        for (const s of sinks) {
          const self: { p?: NetClient } = {};
          const p = new NetClient(
            `ref-${s.client.name}`,
            {
              canReceive: () => true,
              receive: (f): ReceiveResult => {
                for (const q of ports) if (q !== self.p) q.send(f);
                return 'ok';
              },
            },
            { kind: 'hubport' },
          );
          self.p = p;
          ports.push(p);
          NetClient.connect(s.client, p);
        }
      }
      const [x, y, z] = sinks as [Sink, Sink, Sink];
      // y answers x's even frames from inside its receive handler.
      y.onReceive = (f) => {
        if (f[0]! % 2 === 0 && f[0]! < 100) y.client.send(frame(f[0]! + 100));
      };
      const results: SendResult[] = [];
      for (let i = 0; i < 24; i++) {
        z.busy = i % 5 === 1;
        y.refuse = i % 7 === 3;
        if (i % 6 === 2) ports[0]!.enterIo();
        if (i === 9) ports[1]!.setLinkUp(false);
        if (i === 12) ports[1]!.setLinkUp(true);
        results.push(x.client.send(frame(i)));
        if (i % 6 === 2) ports[0]!.exitIo();
        if (i % 4 === 0) {
          z.busy = false;
          z.client.flushQueue();
        }
        if (i % 8 === 5) results.push(z.client.send(frame(200 + i)));
      }
      z.busy = false;
      z.client.flushQueue();
      return {
        results,
        frames: sinks.map((s) => s.frames),
        sinkStats: sinks.map((s) => ({ ...s.client.stats })),
        portStats: ports.map((p) => ({ ...p.stats })),
        queued: sinks.map((s) => s.client.incoming.length),
      };
    };
    expect(run(true)).toEqual(run(false));
  });
});
