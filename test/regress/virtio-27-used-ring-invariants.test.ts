/**
 * bad-input.md item 27 — the output invariants Linux's virtio_ring checks
 * ("id %u out of range", "id %u is not a head!", used length past the
 * buffer): whatever the guest writes into its rings, every used element the
 * device publishes has used.id < queue size, names a chain that was
 * available, and used.len <= that chain's device-writable capacity; transmit
 * completions have length 0; num_buffers matches the buffers used. No input
 * makes the device throw, and the work per notification is bounded.
 * Property tests (fast-check) over random descriptor tables and rings.
 */
import fc from 'fast-check';
import type { RegionMemory } from '../../src/dma/memory.js';
import { describe, expect, it } from 'vitest';
import { combo, counted, DEFAULT_MAC, ethFrame, INDIRECT, MRG, NEXT, RAM_END, split, WRITE } from './virtio-helpers.js';

const SIZE = 8;
const FROM = Uint8Array.of(2, 0, 0, 0, 0, 1);

interface RawDesc {
  addr: number;
  len: number;
  flags: number;
  next: number;
}

const arbDesc = (bufBase: number): fc.Arbitrary<RawDesc> =>
  fc.record({
    addr: fc.oneof(
      fc.integer({ min: 0, max: 15 }).map((i) => bufBase + i * 0x800),
      fc.constantFrom(0, RAM_END - 4, RAM_END + 0x1000, 2 ** 40, 0xffffffff),
    ),
    len: fc.oneof(fc.constantFrom(0, 1, 10, 12, 14, 60, 72, 1514, 2048, 0xffffffff), fc.integer({ min: 0, max: 0x800 })),
    flags: fc.integer({ min: 0, max: 7 }),
    next: fc.integer({ min: 0, max: SIZE + 4 }),
  });

/** Upper bound of the writable bytes a correct device can report for `head`: writable lengths along a bounded walk. */
function capacity(table: readonly RawDesc[], head: number, indirectTables: Map<number, RawDesc[]>): number {
  let cap = 0;
  let tbl = table;
  let i = head;
  for (let steps = 0; steps < 2 * SIZE + 2 && i < tbl.length; steps++) {
    const d = tbl[i]!;
    if (d.flags & INDIRECT && tbl === table) {
      const t = indirectTables.get(d.addr);
      if (!t) return cap;
      tbl = t;
      i = 0;
      continue;
    }
    if (d.flags & WRITE) cap += d.len;
    if (!(d.flags & NEXT)) break;
    i = d.next;
  }
  return cap;
}

describe('virtio used-ring invariants under random rings (bad-input.md item 27)', () => {
  for (const c of [combo('modern indirect'), combo('modern MRG_RXBUF'), combo('legacy MRG + EVENT_IDX + indirect')]) {
    it(`${c.name}: random descriptors on every queue`, () => {
      fc.assert(
        fc.property(
          fc.array(arbDesc(0x600000), { minLength: SIZE, maxLength: SIZE }),
          fc.array(arbDesc(0x600000), { minLength: 0, maxLength: 4 }),
          fc.array(fc.integer({ min: 0, max: SIZE + 2 }), { minLength: 1, maxLength: SIZE }),
          fc.integer({ min: 0, max: SIZE + 3 }),
          fc.constantFrom(0, 1, 2),
          fc.integer({ min: 14, max: 3000 }),
          (table, indirect, heads, extraIdx, qsel, frameLen) => {
            const legacy = c.transport === 'legacy';
            const { d, mem } = counted({ combo: c, queueSize: SIZE, features: [] });
            const qi = qsel === 2 ? d.numQueues() - 1 : qsel;
            const q = split(d, qi);
            const size = q.size;
            // Random buffers full of junk; an optional indirect table at a fixed place.
            const tables = new Map<number, RawDesc[]>();
            if (indirect.length > 0) {
              const at = 0x5f0000;
              indirect.forEach((x, i) => writeRaw(d.mem, at + 16 * i, x));
              tables.set(at, indirect);
              table[0] = { addr: at, len: 16 * indirect.length, flags: INDIRECT, next: 0 };
            }
            const full = legacy ? Array.from({ length: size }, (_, i) => table[i % table.length]!) : table;
            full.forEach((x, i) => q.rawDesc(i, x.addr, x.len, x.flags, x.next));
            // Any head the avail ring may name (stale entries included) and its capacity.
            const caps = new Map<number, number>();
            for (let h = 0; h < size; h++) caps.set(h, capacity(full, h, tables));
            for (const h of heads) q.rawAvail(h);
            if (extraIdx > 0) q.rawAvail(0, extraIdx);
            const before = mem.calls;
            expect(() => {
              d.kick(qi);
              d.peer.send(ethFrame(DEFAULT_MAC, FROM, frameLen - 14, 1));
            }).not.toThrow();
            // Bounded: a constant number of memory calls per descriptor the queue can hold.
            expect(mem.calls - before).toBeLessThan(200 * (size + 4) + 4 * 1024);
            const usedIdx = d.mem.readU16(q.areas.device + 2) as number;
            expect(usedIdx).toBeLessThanOrEqual(Math.min(heads.length + extraIdx, size));
            for (let k = 0; k < usedIdx; k++) {
              const id = d.mem.readU32(q.areas.device + 4 + 8 * (k % size)) as number;
              const len = d.mem.readU32(q.areas.device + 8 + 8 * (k % size)) as number;
              expect(id).toBeLessThan(size);
              expect(caps.has(id)).toBe(true);
              expect(len).toBeLessThanOrEqual(caps.get(id)!);
              if (qi === 1) expect(len).toBe(0);
            }
          },
        ),
        { numRuns: 150 },
      );
    });
  }

  it('MRG_RXBUF: num_buffers and the used lengths add up for any buffer sizes and frame lengths', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 12, max: 700 }), { minLength: 1, maxLength: 40 }), fc.array(fc.integer({ min: 14, max: 4000 }), { minLength: 1, maxLength: 6 }), (bufs, frames) => {
        const { d } = counted({ combo: MRG });
        for (const b of bufs) d.rxq.add([{ len: b, write: true }]);
        d.kick(0);
        const sent: Uint8Array[] = [];
        for (const [i, n] of frames.entries()) {
          const f = ethFrame(DEFAULT_MAC, FROM, n - 14, i);
          if (d.peer.send(f) === 'delivered') sent.push(f);
        }
        const got = d.receive();
        expect(got.map((g) => g.frame)).toEqual(sent);
        for (const g of got) expect(g.numBuffers).toBe(g.ids.length);
      }),
      { numRuns: 150 },
    );
  });
});

function writeRaw(mem: RegionMemory, at: number, x: RawDesc): boolean {
  mem.writeU32(at, x.addr >>> 0);
  mem.writeU32(at + 4, Math.floor(x.addr / 2 ** 32));
  mem.writeU32(at + 8, x.len >>> 0);
  mem.writeU16(at + 12, x.flags);
  mem.writeU16(at + 14, x.next);
  return true;
}
