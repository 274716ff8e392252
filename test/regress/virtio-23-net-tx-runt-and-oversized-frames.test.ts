/**
 * bad-input.md item 23 — Firecracker's net tests (process_tx with empty,
 * tiny and oversized frames): a frame of 0 or 1 byte (anything shorter than
 * an Ethernet header) or longer than the largest GSO packet is not sent;
 * the chain returns with used.len 0, a counter goes up, and the queue keeps
 * running. A naive device forwards garbage or allocates what the guest asks.
 */
import { describe, expect, it } from 'vitest';
import { MAX_TX_FRAME } from '../../src/devices/virtio-net/tx.js';
import { counted, expectTxWorks, MODERN, PACKED_ALL, RAW, split } from './virtio-helpers.js';

describe('Firecracker process_tx: runt and oversized frames', () => {
  for (const frameLen of [0, 1, 13]) {
    it(`a ${frameLen}-byte frame is counted as a runt, not sent`, () => {
      const { d } = counted({ combo: MODERN });
      const q = split(d, 1);
      const at = d.alloc.take(64);
      d.mem.fill(at, 64, 0);
      q.rawDesc(RAW, at, d.hdrLen + frameLen, 0, 0);
      q.expectChain(RAW, 0);
      q.rawAvail(RAW);
      d.kick(1);
      expect(q.takeUsed()).toEqual([{ id: RAW, len: 0 }]);
      expect(d.counters()['txRunt']).toBe(1);
      expect(d.peer.frames).toHaveLength(0);
      expectTxWorks(d);
    });
  }

  it('a frame longer than the largest GSO packet is counted as oversized, not sent', () => {
    const { d } = counted({ combo: MODERN });
    const q = split(d, 1);
    const len = d.hdrLen + MAX_TX_FRAME + 1;
    const at = d.alloc.take(len);
    q.rawDesc(RAW, at, len, 0, 0);
    q.expectChain(RAW, 0);
    q.rawAvail(RAW);
    d.kick(1);
    expect(q.takeUsed()).toEqual([{ id: RAW, len: 0 }]);
    expect(d.counters()['txOversize']).toBe(1);
    expect(d.peer.frames).toHaveLength(0);
    expectTxWorks(d);
  });

  it('packed ring: runt and oversized frames in a row, then a good one', () => {
    const { d } = counted({ combo: PACKED_ALL });
    const ids = [
      d.txq.add([{ len: d.hdrLen }]),
      d.txq.add([{ len: d.hdrLen + 1 }]),
      d.txq.add([{ len: d.hdrLen + MAX_TX_FRAME + 100 }]),
    ];
    d.kick(1);
    expect(d.txq.takeUsed()).toEqual(ids.map((id) => ({ id, len: 0 })));
    expect(d.counters()['txRunt']).toBe(2);
    expect(d.counters()['txOversize']).toBe(1);
    expectTxWorks(d);
  });
});
