/**
 * bad-input.md item 17 — virtio 1.2 §2.7.5.3 (indirect descriptors): a table
 * of length 0 or not a multiple of 16, a table outside RAM, INDIRECT inside
 * a table (nesting), INDIRECT together with NEXT, INDIRECT without the
 * feature: the chain is refused (used.len 0) and counted. The WRITE flag of
 * the descriptor pointing at a table is ignored (§2.7.5.3.2). A naive
 * device divides by zero, reads past the table, or recurses.
 */
import { describe, expect, it } from 'vitest';
import type { Driver } from './virtio-helpers.js';
import { counted, expectTxWorks, INDIRECT, INDIRECT_COMBO, MODERN, NEXT, RAM_END, RAW, split, txBytes, WRITE } from './virtio-helpers.js';

/** A two-entry table (header, frame) for a TX payload; returns the table address. */
function table(d: Driver, entries: Array<{ addr: number; len: number; flags: number; next: number }>): number {
  const t = new DataView(new ArrayBuffer(16 * entries.length));
  entries.forEach((e, i) => {
    t.setUint32(16 * i, e.addr, true);
    t.setUint32(16 * i + 8, e.len, true);
    t.setUint16(16 * i + 12, e.flags, true);
    t.setUint16(16 * i + 14, e.next, true);
  });
  const at = d.alloc.take(16 * entries.length, 16);
  d.mem.write(at, new Uint8Array(t.buffer));
  return at;
}

function goodTable(d: Driver): { at: number; frame: Uint8Array } {
  const b = txBytes(d);
  const at = table(d, [
    { addr: b.addr, len: d.hdrLen, flags: NEXT, next: 1 },
    { addr: b.addr + d.hdrLen, len: b.frame.length, flags: 0, next: 0 },
  ]);
  return { at, frame: b.frame };
}

function submit(d: Driver, addr: number, len: number, flags: number, next = 0): void {
  const q = split(d, 1);
  q.rawDesc(RAW, addr, len, flags, next);
  q.expectChain(RAW, 0);
  q.rawAvail(RAW);
  d.kick(1);
}

describe('virtio 1.2 §2.7.5.3: bad indirect tables', () => {
  const cases: Array<[string, (d: Driver) => [number, number, number, number?]]> = [
    ['table length 0', (d) => [goodTable(d).at, 0, INDIRECT]],
    ['table length not a multiple of 16', (d) => [goodTable(d).at, 17, INDIRECT]],
    ['table outside RAM', () => [RAM_END - 16, 32, INDIRECT]],
    ['INDIRECT with NEXT', (d) => [goodTable(d).at, 32, INDIRECT | NEXT, RAW + 1]],
    [
      'nested INDIRECT inside the table',
      (d) => {
        const inner = goodTable(d).at;
        return [table(d, [{ addr: inner, len: 32, flags: INDIRECT, next: 0 }]), 16, INDIRECT];
      },
    ],
  ];
  for (const [name, make] of cases) {
    it(`${name}: refused with used.len 0, the queue keeps working`, () => {
      const { d, mem } = counted({ combo: INDIRECT_COMBO });
      const [addr, len, flags, next] = make(d);
      submit(d, addr, len, flags, next);
      expect(split(d, 1).takeUsed()).toEqual([{ id: RAW, len: 0 }]);
      expect(d.counters()['chainErrors']).toBe(1);
      expect(d.peer.frames).toHaveLength(0);
      expect(mem.outside).toEqual([]);
      expectTxWorks(d);
    });
  }

  it('INDIRECT without VIRTIO_F_INDIRECT_DESC negotiated: refused', () => {
    const { d } = counted({ combo: MODERN });
    submit(d, goodTable(d).at, 32, INDIRECT);
    expect(split(d, 1).takeUsed()).toEqual([{ id: RAW, len: 0 }]);
    expect(d.peer.frames).toHaveLength(0);
    expectTxWorks(d);
  });

  it('the WRITE flag on the descriptor that points at a table is ignored', () => {
    const { d } = counted({ combo: INDIRECT_COMBO });
    const g = goodTable(d);
    submit(d, g.at, 32, INDIRECT | WRITE);
    expect(split(d, 1).takeUsed()).toEqual([{ id: RAW, len: 0 }]);
    expect(d.peer.frames).toEqual([g.frame]);
    expect(d.counters()['chainErrors']).toBe(0);
  });
});
