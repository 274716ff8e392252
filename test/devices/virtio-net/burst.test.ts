/**
 * Two virtio-net devices wired together: the frames one transmit kick sends
 * reach the other device's receive queue as a burst, published once (one
 * used.idx update, one interrupt decision; virtio 1.2 §2.7.8, §2.7.10) and
 * visible before the kick returns. Every feature combination, direct and
 * through a hub.
 */
import { describe, expect, it } from 'vitest';
import { Hub } from '../../../src/hub/hub.js';
import { NetClient } from '../../../src/hub/client.js';
import { COMBOS, CountingMemory, DEFAULT_MAC, Driver, ethFrame, OTHER_MAC } from './driver.js';

function pair(combo: (typeof COMBOS)[number], topology: 'direct' | 'hub'): { a: Driver; b: Driver; bmem: CountingMemory } {
  const a = new Driver({ combo, mac: OTHER_MAC, msix: true });
  let bmem: CountingMemory | undefined;
  const b = new Driver({
    combo,
    msix: true,
    deviceMemory: (ram) => {
      bmem = new CountingMemory(ram);
      return bmem;
    },
  });
  a.dev.net.disconnect();
  b.dev.net.disconnect();
  if (topology === 'hub') {
    const hub = new Hub(0);
    NetClient.connect(a.dev.net, hub.addPort().client);
    NetClient.connect(b.dev.net, hub.addPort().client);
  } else {
    NetClient.connect(a.dev.net, b.dev.net);
  }
  return { a, b, bmem: bmem! };
}

describe('virtio-net: a transmit kick is one receive burst at the peer', () => {
  for (const combo of COMBOS) {
    for (const topology of ['direct', 'hub'] as const) {
      it(`${combo.name}, ${topology}: eight frames, all delivered in order, one publish, one interrupt`, () => {
        const { a, b, bmem } = pair(combo, topology);
        b.postRx(16, 2048);
        b.kick(0);
        const frames = Array.from({ length: 8 }, (_, i) => ethFrame(DEFAULT_MAC, OTHER_MAC, 46 + 60 * i, i));
        for (const f of frames) a.queueTx(f);
        const writes = bmem.writes.length;
        const msgs = b.msgs.length;
        a.kick(1);
        expect(a.txq.takeUsed()).toHaveLength(8);
        // Published before the kick returned, in order, intact.
        expect(b.receive().map((g) => g.frame)).toEqual(frames);
        expect(b.msgs.slice(msgs).map((m) => m.data)).toEqual([0x40 + 1]);
        if (!combo.packed) {
          const usedIdx = b.rxq.areas.device + 2;
          expect(bmem.writes.slice(writes).filter((w) => w.addr === usedIdx)).toHaveLength(1);
        } else {
          // The eight used descriptors in one write, then the first one's flags, once (virtio 1.2 §2.8.2).
          const desc = b.rxq.areas.desc;
          const ring = bmem.writes.slice(writes).filter((w) => w.addr >= desc && w.addr < desc + 16 * b.rxq.size);
          expect(ring).toEqual([{ addr: desc, len: 16 * 8 }, { addr: desc + 14, len: 2 }]);
        }
      });
    }
  }

  for (const combo of COMBOS.filter((c) => c.mrg)) {
    it(`${combo.name}: a frame that needs several buffers in the middle of a burst keeps the order and num_buffers`, () => {
      const { a, b } = pair(combo, 'direct');
      b.postRx(12, 256);
      b.kick(0);
      const frames = [ethFrame(DEFAULT_MAC, OTHER_MAC, 46, 1), ethFrame(DEFAULT_MAC, OTHER_MAC, 600, 2), ethFrame(DEFAULT_MAC, OTHER_MAC, 100, 3)];
      for (const f of frames) a.queueTx(f);
      a.kick(1);
      const got = b.receive();
      expect(got.map((g) => g.frame)).toEqual(frames);
      expect(got.map((g) => g.numBuffers)).toEqual([1, 3, 1]);
    });
  }

  it('frames from a peer outside any burst are still published one by one', () => {
    const { b, bmem } = pair(COMBOS[1]!, 'direct');
    b.dev.net.disconnect();
    const src = new NetClient('src', { canReceive: () => true, receive: () => 'ok' });
    NetClient.connect(src, b.dev.net);
    b.postRx(4, 2048);
    b.kick(0);
    const usedIdx = b.rxq.areas.device + 2;
    for (let i = 0; i < 3; i++) {
      const writes = bmem.writes.length;
      expect(src.send(ethFrame(DEFAULT_MAC, OTHER_MAC, 60, i))).toBe('delivered');
      expect(bmem.writes.slice(writes).filter((w) => w.addr === usedIdx)).toHaveLength(1);
    }
    expect(b.receive()).toHaveLength(3);
  });
});
