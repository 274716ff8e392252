/**
 * bad-input.md item 15 — virtio 1.2 §2.7.5.2 ("Drivers MUST NOT add a
 * descriptor chain longer than 2^32 bytes in total; this implies that loops
 * in the descriptor chain are forbidden"): a looping chain, or one longer
 * than its table, is cut after at most table-size descriptors and returned
 * with length 0. A naive device follows `next` forever.
 */
import { describe, expect, it } from 'vitest';
import type { GuestMemory } from '../../src/dma/memory.js';
import { Chain, MAX_CHAIN_SEGMENTS } from '../../src/virtio/queue/chain.js';
import { counted, expectTxWorks, INDIRECT, INDIRECT_COMBO, MODERN, NEXT, RAW, split, txBytes } from './virtio-helpers.js';

describe('virtio 1.2 §2.7.5.2: loops and chains longer than the queue', () => {
  it('a two-descriptor loop is cut after at most queue-size descriptors', () => {
    const { d, mem } = counted({ combo: MODERN });
    const q = split(d, 1);
    const b = txBytes(d);
    q.rawDesc(RAW, b.addr, 16, NEXT, RAW + 1);
    q.rawDesc(RAW + 1, b.addr + 16, 16, NEXT, RAW);
    q.expectChain(RAW, 0);
    q.rawAvail(RAW);
    const before = mem.calls;
    d.kick(1);
    // Each descriptor costs a handful of memory calls; a loop would be unbounded.
    expect(mem.calls - before).toBeLessThan(8 * q.size);
    expect(q.takeUsed()).toEqual([{ id: RAW, len: 0 }]);
    expect(d.counters()['chainErrors']).toBe(1);
    expect(d.peer.frames).toHaveLength(0);
    expectTxWorks(d);
  });

  it('a self-referencing descriptor is cut too', () => {
    const { d } = counted({ combo: MODERN });
    const q = split(d, 1);
    const b = txBytes(d);
    q.rawDesc(RAW, b.addr, b.len, NEXT, RAW);
    q.expectChain(RAW, 0);
    q.rawAvail(RAW);
    d.kick(1);
    expect(q.takeUsed()).toEqual([{ id: RAW, len: 0 }]);
    expectTxWorks(d);
  });

  it('an indirect table of 2000 linked entries is refused after at most the chain limit', () => {
    const { d, mem } = counted({ combo: INDIRECT_COMBO });
    const q = split(d, 1);
    const b = txBytes(d);
    const n = 2000;
    const table = d.alloc.take(16 * n, 16);
    const t = new DataView(new ArrayBuffer(16 * n));
    for (let i = 0; i < n; i++) {
      t.setUint32(16 * i, b.addr, true);
      t.setUint32(16 * i + 8, 1, true);
      t.setUint16(16 * i + 12, i < n - 1 ? NEXT : 0, true);
      t.setUint16(16 * i + 14, i + 1, true);
    }
    d.mem.write(table, new Uint8Array(t.buffer));
    q.rawDesc(RAW, table, 16 * n, INDIRECT, 0);
    q.expectChain(RAW, 0);
    q.rawAvail(RAW);
    const before = mem.calls;
    d.kick(1);
    expect(mem.calls - before).toBeLessThan(8 * (MAX_CHAIN_SEGMENTS + 10));
    expect(q.takeUsed()).toEqual([{ id: RAW, len: 0 }]);
    expect(d.counters()['chainErrors']).toBe(1);
    expectTxWorks(d);
  });

  it('a chain totalling 2^32 bytes or more is refused (buffers that all claim to be in RAM)', () => {
    const everything: GuestMemory = {
      read: () => undefined,
      write: () => undefined,
      fill: () => undefined,
      readU8: () => 0,
      readU16: () => 0,
      readU32: () => 0,
      readU64: () => 0n,
      writeU8: () => undefined,
      writeU16: () => undefined,
      writeU32: () => undefined,
      writeU64: () => undefined,
      contains: () => true,
    };
    const c = new Chain();
    c.clear(0);
    expect(c.add(everything, 0x1000, 0xffffffff, false)).toBeUndefined();
    expect(c.add(everything, 0x1000, 1, false)).toEqual({ kind: 'chain-too-many-bytes' });
  });
});
