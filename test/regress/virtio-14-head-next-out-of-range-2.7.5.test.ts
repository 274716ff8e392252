/**
 * bad-input.md item 14 — virtio 1.2 §2.7.5/§2.7.6: a head index in the avail
 * ring >= queue size cannot be returned (used.id must be < size): the ring
 * is broken, DEVICE_NEEDS_RESET. A `next` >= the table size breaks only that
 * chain: it comes back with used.len 0 and the queue goes on. A naive
 * device indexes the descriptor table out of bounds.
 */
import { describe, expect, it } from 'vitest';
import { counted, expectTxWorks, INDIRECT, INDIRECT_COMBO, MODERN, needsReset, NEXT, RAW, split, txBytes } from './virtio-helpers.js';

describe('virtio 1.2 §2.7.5: head and next indices out of range', () => {
  it('head >= queue size: DEVICE_NEEDS_RESET, nothing read from the descriptor table', () => {
    const { d, mem } = counted({ combo: MODERN });
    const q = split(d, 1);
    q.rawAvail(q.size + 44);
    d.kick(1);
    expect(needsReset(d)).toBe(true);
    expect(d.counters()['ringErrors']).toBe(1);
    expect(q.usedIdx).toBe(0);
    expect(mem.outside).toEqual([]);
  });

  it('next >= queue size: that chain returns with length 0, the queue keeps working', () => {
    const { d, mem } = counted({ combo: MODERN });
    const q = split(d, 1);
    const b = txBytes(d);
    q.rawDesc(RAW, b.addr, 20, NEXT, q.size + 3);
    q.expectChain(RAW, 0);
    q.rawAvail(RAW);
    d.kick(1);
    expect(q.takeUsed()).toEqual([{ id: RAW, len: 0 }]);
    expect(d.counters()['chainErrors']).toBe(1);
    expect(d.counters()['txBadChains']).toBe(1);
    expect(d.peer.frames).toHaveLength(0);
    expect(needsReset(d)).toBe(false);
    expect(mem.outside).toEqual([]);
    expectTxWorks(d);
  });

  it('next >= indirect table size: the chain returns with length 0', () => {
    const { d } = counted({ combo: INDIRECT_COMBO });
    const q = split(d, 1);
    const b = txBytes(d);
    const table = d.alloc.take(32, 16);
    const t = new DataView(new ArrayBuffer(32));
    t.setUint32(0, b.addr, true);
    t.setUint32(8, 12, true);
    t.setUint16(12, NEXT, true);
    t.setUint16(14, 7, true); // a 2-entry table
    t.setUint32(16, b.addr + 12, true);
    t.setUint32(24, 60, true);
    d.mem.write(table, new Uint8Array(t.buffer));
    q.rawDesc(RAW, table, 32, INDIRECT, 0);
    q.expectChain(RAW, 0);
    q.rawAvail(RAW);
    d.kick(1);
    expect(q.takeUsed()).toEqual([{ id: RAW, len: 0 }]);
    expect(d.peer.frames).toHaveLength(0);
    expectTxWorks(d);
  });
});
