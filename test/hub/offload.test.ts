import { describe, expect, it } from 'vitest';
import { type FrameOffload, Hub, NetClient, OFFLOAD_ALL, OFFLOAD_CSUM, OFFLOAD_TSO4, type ReceiveResult } from '../../src/hub/index.js';

const OFFLOAD: FrameOffload = { csumStart: 34, csumOffset: 16, gso: 'tcpv4', gsoSize: 1448 };

/** A receiver that records plain and whole frames; `takes` decides whether it takes a whole one. */
function recorder(opts: { offload?: boolean } = {}) {
  const r = {
    plain: [] as Uint8Array[],
    whole: [] as Array<{ frame: Uint8Array; offload: FrameOffload }>,
    takes: true,
    ready: true,
    client: undefined as unknown as NetClient,
  };
  r.client = new NetClient('rx', {
    canReceive: () => r.ready,
    receive: (f): ReceiveResult => {
      r.plain.push(f.slice());
      return 'ok';
    },
    ...(opts.offload === false
      ? {}
      : {
          receiveOffloaded: (f: Uint8Array, o: FrameOffload): boolean => {
            if (!r.takes) return false;
            r.whole.push({ frame: f.slice(), offload: { ...o } });
            return true;
          },
        }),
  });
  return r;
}

function pair(opts: { offload?: boolean } = {}) {
  const tx = new NetClient('tx', { canReceive: () => true, receive: () => 'ok' }, { kind: 'nic' });
  const rx = recorder(opts);
  NetClient.connect(tx, rx.client);
  return { tx, rx };
}

const frame = new Uint8Array(3000).fill(7);

describe('NetClient.sendOffloaded: a frame with offload work left, straight to a peer that does it', () => {
  it('is delivered once, with its offload info, and counted as one frame on both sides', () => {
    const { tx, rx } = pair();
    expect(tx.sendOffloaded(frame, OFFLOAD)).toBe(true);
    expect(rx.whole).toHaveLength(1);
    expect(rx.whole[0]!.offload).toEqual(OFFLOAD);
    expect(rx.whole[0]!.frame).toEqual(frame);
    expect(rx.plain).toHaveLength(0);
    expect(tx.stats).toMatchObject({ txFrames: 1, txBytes: 3000 });
    expect(rx.client.stats).toMatchObject({ rxFrames: 1, rxBytes: 3000 });
  });

  const refusals: Array<[string, (p: ReturnType<typeof pair>) => void]> = [
    ['the receiver has no receiveOffloaded', () => {}],
    ['the receiver declines it', (p) => (p.rx.takes = false)],
    ['the receiver cannot take a frame now', (p) => (p.rx.ready = false)],
    ['the sender link is down', (p) => p.tx.setLinkUp(false)],
    ['the receiver link is down', (p) => p.rx.client.setLinkUp(false)],
    ['the sender is observed (pcap)', (p) => p.tx.observe(() => {})],
    ['the receiver is observed', (p) => p.rx.client.observe(() => {})],
    ['frames wait in the receiver queue', (p) => {
      p.rx.ready = false;
      p.tx.send(new Uint8Array(60));
      p.rx.ready = true;
    }],
    ['the receiver is inside its own I/O', (p) => p.rx.client.enterIo()],
    ['there is no peer', (p) => p.tx.disconnect()],
  ];
  for (const [what, arrange] of refusals) {
    it(`is refused, with nothing counted, when ${what}`, () => {
      const p = pair({ offload: what !== 'the receiver has no receiveOffloaded' });
      arrange(p);
      const before = { tx: { ...p.tx.stats }, rx: { ...p.rx.client.stats } };
      expect(p.tx.sendOffloaded(frame, OFFLOAD)).toBe(false);
      expect(p.rx.whole).toHaveLength(0);
      expect(p.tx.stats).toEqual(before.tx);
      expect(p.rx.client.stats).toEqual(before.rx);
    });
  }

  it('goes whole through a hub of two ports, to the other port; a hub of three fans plain frames out', () => {
    const hub = new Hub(0);
    const a = hub.addPort('a');
    const b = hub.addPort('b');
    const tx = new NetClient('tx', { canReceive: () => true, receive: () => 'ok' }, { kind: 'nic' });
    const rx = recorder();
    NetClient.connect(tx, a.client);
    NetClient.connect(b.client, rx.client);
    expect(tx.peerOffloads()).toBe(OFFLOAD_ALL);
    expect(tx.sendOffloaded(frame, OFFLOAD)).toBe(true);
    expect(rx.whole).toEqual([{ frame, offload: OFFLOAD }]);
    expect([a.client.stats.rxFrames, b.client.stats.txFrames, rx.client.stats.rxFrames]).toEqual([1, 1, 1]);
    // The far side declines: nothing counted anywhere, the sender sends plain frames.
    rx.takes = false;
    expect(tx.sendOffloaded(frame, OFFLOAD)).toBe(false);
    expect([a.client.stats.rxFrames, b.client.stats.txFrames]).toEqual([1, 1]);
    rx.takes = true;
    // A third port: every destination gets wire frames.
    const c = hub.addPort('c');
    const rx2 = recorder();
    NetClient.connect(c.client, rx2.client);
    expect([tx.peerOffloads(), tx.peerOffloadsLater()]).toEqual([0, 0]);
    expect(tx.sendOffloaded(frame, OFFLOAD)).toBe(false);
    expect(tx.send(frame)).toBe('delivered');
    expect([rx.plain.length, rx2.plain.length, rx.whole.length]).toEqual([1, 1, 1]);
    hub.removePort(c);
    expect(tx.peerOffloads()).toBe(OFFLOAD_ALL);
  });

  it('frames the receiver queued while it took the whole one are delivered after it', () => {
    const tx = new NetClient('tx', { canReceive: () => true, receive: () => 'ok' }, { kind: 'nic' });
    const order: string[] = [];
    const rxClient = new NetClient('rx', {
      canReceive: () => true,
      receive: (f) => {
        order.push(`plain ${f.length}`);
        return 'ok';
      },
      receiveOffloaded: (f) => {
        // A frame arriving for the receiver during its own receive waits for it to return.
        tx.send(new Uint8Array(60));
        order.push(`whole ${f.length}`);
        return true;
      },
    });
    NetClient.connect(tx, rxClient);
    expect(tx.sendOffloaded(frame, OFFLOAD)).toBe(true);
    expect(order).toEqual(['whole 3000', 'plain 60']);
    expect(rxClient.stats.rxFrames).toBe(2);
  });
});

describe('which offloads the peer takes (peerOffloads / peerOffloadsLater)', () => {
  it('none without receiveOffloaded; every kind when the receiver does not say; what it says otherwise', () => {
    expect(pair({ offload: false }).tx.peerOffloads()).toBe(0);
    expect(pair({ offload: false }).tx.peerOffloadsLater()).toBe(0);
    const { tx } = pair();
    expect(tx.peerOffloads()).toBe(OFFLOAD_ALL);
    const asked: boolean[] = [];
    const nic = new NetClient('nic', {
      canReceive: () => true,
      receive: () => 'ok',
      receiveOffloaded: () => true,
      offloadsTaken: (later) => {
        asked.push(later);
        return OFFLOAD_CSUM | OFFLOAD_TSO4;
      },
    });
    const stack = new NetClient('stack', { canReceive: () => true, receive: () => 'ok' });
    NetClient.connect(stack, nic);
    expect(stack.peerOffloads()).toBe(OFFLOAD_CSUM | OFFLOAD_TSO4);
    expect(stack.peerOffloadsLater()).toBe(OFFLOAD_CSUM | OFFLOAD_TSO4);
    expect(asked).toEqual([false, true]);
  });

  it('asks hasRoom, not canReceive, when the receiver has it (asking has no side effects)', () => {
    let asked = 0;
    let counted = 0;
    const nic = new NetClient('nic', {
      canReceive: () => (counted++, false),
      hasRoom: () => (asked++, false),
      receive: () => 'ok',
      receiveOffloaded: () => true,
    });
    const stack = new NetClient('stack', { canReceive: () => true, receive: () => 'ok' });
    NetClient.connect(stack, nic);
    expect(stack.peerOffloads()).toBe(0);
    expect(stack.sendOffloaded(new Uint8Array(60), OFFLOAD)).toBe(false);
    expect([asked, counted]).toEqual([2, 0]);
  });

  it('in the middle of its I/O, with frames waiting or no room: none now, the same kinds later', () => {
    const { tx, rx } = pair();
    rx.client.enterIo();
    expect(tx.peerOffloads()).toBe(0);
    expect(tx.peerOffloadsLater()).toBe(OFFLOAD_ALL);
    rx.client.exitIo();
    rx.ready = false;
    expect(tx.peerOffloads()).toBe(0);
    expect(tx.peerOffloadsLater()).toBe(OFFLOAD_ALL);
    tx.send(new Uint8Array(60));
    rx.ready = true;
    expect(tx.peerOffloads(), 'a frame waits in the queue').toBe(0);
    rx.client.flushQueue();
    expect(tx.peerOffloads()).toBe(OFFLOAD_ALL);
  });

  it('through a two-port hub: what the far side takes, now and later; none with a capture on a hub port', () => {
    const hub = new Hub(0);
    const a = hub.addPort();
    const rx = recorder();
    NetClient.connect(a.client, rx.client);
    const tx = new NetClient('tx', { canReceive: () => true, receive: () => 'ok' });
    const b = hub.addPort();
    NetClient.connect(tx, b.client);
    expect([tx.peerOffloads(), tx.peerOffloadsLater()]).toEqual([OFFLOAD_ALL, OFFLOAD_ALL]);
    rx.client.enterIo();
    expect([tx.peerOffloads(), tx.peerOffloadsLater()]).toEqual([0, OFFLOAD_ALL]);
    rx.client.exitIo();
    const stop = a.client.observe(() => {});
    expect([tx.peerOffloads(), tx.peerOffloadsLater()]).toEqual([0, 0]);
    stop();
  });

  it('none at all, now or later, with a link down or with a capture on either side', () => {
    const p = pair();
    p.tx.setLinkUp(false);
    expect([p.tx.peerOffloads(), p.tx.peerOffloadsLater()]).toEqual([0, 0]);
    for (const side of ['rx', 'tx'] as const) {
      const q = pair();
      const stop = (side === 'rx' ? q.rx.client : q.tx).observe(() => {});
      expect([q.tx.peerOffloads(), q.tx.peerOffloadsLater()], side).toEqual([0, 0]);
      stop();
      expect(q.tx.peerOffloadsLater()).toBe(OFFLOAD_ALL);
    }
  });
});
