/**
 * The ring code's batching, against hand-built rings: avail entries and the
 * descriptor table read in bulk (split), descriptors read ahead (packed),
 * used elements written at publish (split and packed), and bursts (one
 * publish for several pushes). Each test names the rule that keeps the batching
 * invisible to the driver.
 */
import { describe, expect, it } from 'vitest';
import { RegionMemory } from '../../src/dma/memory.js';
import { ObservedMemory, isWriteOp } from '../../src/dma/observed.js';
import { afterBurst, asBurst, beginBurst, endBurst, inBurst } from '../../src/virtio/burst.js';
import { ringFeatures, type RingFeatures } from '../../src/virtio/features.js';
import { Chain, Pop } from '../../src/virtio/queue/chain.js';
import { hasUnpublished, mark, newRing, pop, publish, push, rewind } from '../../src/virtio/queue/ring.js';
import { desc } from './ring-helpers.js';

const F: RingFeatures = ringFeatures(0n);
const AV = 1 << 7;
const US = 1 << 15;
const WRITE = 2;


describe('split ring batching', () => {
  const SIZE = 8;
  const setup = () => {
    const mem = RegionMemory.ofSize(1 << 20);
    const r = newRing('split', SIZE, 0x1000, 0x2000, 0x3000);
    let idx = 0;
    /** The driver makes chain `head` available (ring entry, then avail.idx). */
    const avail = (head: number): void => {
      mem.writeU16(0x2000 + 4 + 2 * (idx % SIZE), head);
      idx = (idx + 1) & 0xffff;
      mem.writeU16(0x2002, idx);
    };
    return { mem, r, avail };
  };
  const usedAt = (mem: RegionMemory, i: number) => ({ id: mem.readU32(0x3004 + 8 * (i % SIZE)), len: mem.readU32(0x3008 + 8 * (i % SIZE)) });

  it('§2.7.13.3: a descriptor the driver rewrites after it was used is read again when made available again', () => {
    const { mem, r, avail } = setup();
    for (let i = 0; i < SIZE; i++) desc(mem, 0x1000 + 16 * i, 0x8000 + 0x100 * i, 64, WRITE, 0);
    // A whole ring at once: the table is read in one go.
    for (let i = 0; i < SIZE; i++) avail(i);
    const c = new Chain();
    for (let i = 0; i < SIZE; i++) {
      expect(pop(mem, r, F, c)).toBe(Pop.Ok);
      expect(c.writableBytes).toBe(64);
      push(mem, r, c.head, 1, 0);
    }
    publish(mem, r);
    // The driver reuses descriptor 3 with another length, then 0..7 again in a batch.
    desc(mem, 0x1000 + 16 * 3, 0x9000, 200, WRITE, 0);
    avail(3);
    expect(pop(mem, r, F, c)).toBe(Pop.Ok);
    expect([c.head, c.writableBytes, c.addr[0]]).toEqual([3, 200, 0x9000]);
    desc(mem, 0x1000 + 16 * 5, 0xa000, 300, WRITE, 0);
    for (const h of [5, 6, 7]) avail(h);
    expect(pop(mem, r, F, c)).toBe(Pop.Ok);
    expect([c.head, c.writableBytes, c.addr[0]]).toEqual([5, 300, 0xa000]);
  });

  it('avail entries read in bulk across the end of the ring keep their order; a rewind reads them again', () => {
    const { mem, r, avail } = setup();
    for (let i = 0; i < SIZE; i++) desc(mem, 0x1000 + 16 * i, 0x8000 + 0x100 * i, 16 + i, WRITE, 0);
    const c = new Chain();
    // Move the ring to entry 6, then six chains that wrap around it.
    for (let i = 0; i < 6; i++) {
      avail(i);
      expect(pop(mem, r, F, c)).toBe(Pop.Ok);
      push(mem, r, c.head, 1, 0);
      publish(mem, r);
    }
    const heads = [7, 2, 5, 0, 3, 1];
    for (const h of heads) avail(h);
    const m = { ...mark(r, { nextAvail: 0, availWrap: true, inFlight: 0 }) };
    const got: number[] = [];
    for (let i = 0; i < 3; i++) {
      expect(pop(mem, r, F, c)).toBe(Pop.Ok);
      got.push(c.head);
    }
    rewind(r, m);
    for (let i = 0; i < heads.length; i++) {
      expect(pop(mem, r, F, c)).toBe(Pop.Ok);
      expect(c.writableBytes).toBe(16 + c.head);
      got.push(c.head);
    }
    expect(got).toEqual([...heads.slice(0, 3), ...heads]);
    expect(pop(mem, r, F, c)).toBe(Pop.Empty);
  });

  it('§2.7.8: used elements are written at publish, before used.idx, across the end of the ring', () => {
    const obs: Array<{ addr: number; len: number }> = [];
    const ram = RegionMemory.ofSize(1 << 20);
    const mem = new ObservedMemory(ram, { after: (op, addr, len) => isWriteOp(op) && obs.push({ addr, len }) });
    const r = newRing('split', SIZE, 0x1000, 0x2000, 0x3000);
    let idx = 0;
    for (let i = 0; i < SIZE; i++) desc(ram, 0x1000 + 16 * i, 0x8000, 64, WRITE, 0);
    const c = new Chain();
    const round = (n: number): void => {
      for (let i = 0; i < n; i++) {
        ram.writeU16(0x2004 + 2 * (idx % SIZE), idx % SIZE);
        idx++;
      }
      ram.writeU16(0x2002, idx);
      for (let i = 0; i < n; i++) {
        expect(pop(mem, r, F, c)).toBe(Pop.Ok);
        push(mem, r, c.head, 1, 100 + c.head);
      }
    };
    round(5);
    expect(obs).toEqual([]);
    expect(hasUnpublished(r)).toBe(true);
    publish(mem, r);
    expect(hasUnpublished(r)).toBe(false);
    expect(obs).toEqual([{ addr: 0x3004, len: 40 }, { addr: 0x3002, len: 2 }]);
    obs.length = 0;
    round(6); // entries 5, 6, 7, 0, 1, 2
    publish(mem, r);
    expect(obs).toEqual([{ addr: 0x3004 + 8 * 5, len: 24 }, { addr: 0x3004, len: 24 }, { addr: 0x3002, len: 2 }]);
    expect(ram.readU16(0x3002)).toBe(11);
    for (let i = 5; i < 11; i++) expect(usedAt(ram, i)).toEqual({ id: i % SIZE, len: 100 + (i % SIZE) });
  });

  it('more pushes than the ring holds before a publish: each entry holds its last element', () => {
    const mem = RegionMemory.ofSize(1 << 20);
    const r = newRing('split', SIZE, 0x1000, 0x2000, 0x3000);
    for (let i = 0; i < SIZE + 3; i++) push(mem, r, i % SIZE, 1, 1000 + i);
    publish(mem, r);
    expect(mem.readU16(0x3002)).toBe(SIZE + 3);
    for (let i = 3; i < SIZE + 3; i++) expect(usedAt(mem, i)).toEqual({ id: i % SIZE, len: 1000 + i });
  });
});

describe('packed ring read-ahead', () => {
  const setup = (size: number) => {
    const mem = RegionMemory.ofSize(1 << 20);
    const r = newRing('packed', size, 0x1000, 0x2000, 0x3000);
    const put = (slot: number, len: number, id: number, flags: number): void => desc(mem, 0x1000 + 16 * slot, 0x8000 + 0x100 * id, len, id, flags);
    return { mem, r, put };
  };

  it('§2.8.6: descriptors made available after a read-ahead are found; only available ones are taken', () => {
    const { mem, r, put } = setup(16);
    const c = new Chain();
    put(0, 10, 0, AV | WRITE);
    put(1, 11, 1, AV | WRITE);
    expect(pop(mem, r, F, c)).toBe(Pop.Ok);
    expect(pop(mem, r, F, c)).toBe(Pop.Ok);
    expect(pop(mem, r, F, c)).toBe(Pop.Empty);
    put(2, 12, 2, AV | WRITE);
    expect(pop(mem, r, F, c)).toBe(Pop.Ok);
    expect([c.head, c.writableBytes]).toEqual([2, 12]);
    // A batch, then one more made available while the device is in the middle of it.
    for (let i = 3; i < 9; i++) put(i, 10 + i, i, AV | WRITE);
    for (let i = 3; i < 6; i++) {
      expect(pop(mem, r, F, c)).toBe(Pop.Ok);
      expect([c.head, c.writableBytes]).toEqual([i, 10 + i]);
    }
    put(9, 19, 9, AV | WRITE);
    for (let i = 6; i < 10; i++) {
      expect(pop(mem, r, F, c)).toBe(Pop.Ok);
      expect([c.head, c.writableBytes]).toEqual([i, 10 + i]);
    }
    expect(pop(mem, r, F, c)).toBe(Pop.Empty);
  });

  it('§2.8.1: after the wrap, descriptors read ahead in the previous lap are not taken again', () => {
    const { mem, r, put } = setup(4);
    const c = new Chain();
    for (let lap = 0; lap < 4; lap++) {
      const w = lap % 2 === 0;
      for (let i = 0; i < 4; i++) put(i, 20 + lap, i, (w ? AV : US) | WRITE);
      for (let i = 0; i < 4; i++) {
        expect(pop(mem, r, F, c)).toBe(Pop.Ok);
        expect([c.head, c.writableBytes]).toEqual([i, 20 + lap]);
        push(mem, r, c.head, 1, 1);
      }
      publish(mem, r);
      expect(pop(mem, r, F, c)).toBe(Pop.Empty);
    }
  });

  it('a list that runs out of the read-ahead into a descriptor not yet available is a ring error, nothing consumed', () => {
    const { mem, r, put } = setup(8);
    const c = new Chain();
    put(0, 10, 0, AV | WRITE);
    expect(pop(mem, r, F, c)).toBe(Pop.Ok);
    put(1, 10, 1, AV | WRITE | 1);
    put(2, 10, 1, US | WRITE);
    expect(pop(mem, r, F, c)).toBe(Pop.BadRing);
    expect(r.error).toEqual({ kind: 'packed-list-broken', at: 2 });
    expect(r.nextAvail).toBe(1);
  });
});

describe('packed ring used descriptors, written at publish', () => {
  const DESC = 0x1000;
  const setup = (size: number) => {
    const ram = RegionMemory.ofSize(1 << 20);
    const writes: Array<{ addr: number; len: number }> = [];
    const mem = new ObservedMemory(ram, { after: (op, addr, len) => isWriteOp(op) && writes.push({ addr, len }) });
    const r = newRing('packed', size, DESC, 0x2000, 0x3000);
    /** The driver makes buffer `id` available at `slot` (flags last, as a driver does). */
    const put = (slot: number, id: number, flags: number): void => desc(ram, DESC + 16 * slot, 0x8000 + 0x100 * id, 0x80, id, flags);
    const slotOf = (slot: number) => {
      const at = DESC + 16 * slot;
      return { addr: ram.readU32(at), len: ram.readU32(at + 8), id: ram.readU16(at + 12), flags: ram.readU16(at + 14) };
    };
    const c = new Chain();
    /** Pop `n` buffers and push each back with length 100 + id. */
    const use = (n: number): void => {
      for (let i = 0; i < n; i++) {
        expect(pop(mem, r, F, c)).toBe(Pop.Ok);
        push(mem, r, c.head, c.ringSlots, 100 + c.head);
      }
    };
    return { ram, mem, r, writes, put, slotOf, use, c };
  };

  it('§2.8.2, §2.8.9: nothing is written at push; a run of used descriptors is one write, then the first one\'s flags', () => {
    const { mem, r, writes, put, slotOf, use } = setup(8);
    for (let i = 0; i < 6; i++) put(i, i, AV | WRITE);
    use(6);
    expect(writes).toEqual([]);
    expect(hasUnpublished(r)).toBe(true);
    publish(mem, r);
    expect(hasUnpublished(r)).toBe(false);
    // The whole run with the first descriptor's flags as they were (still available), then those flags.
    expect(writes).toEqual([{ addr: DESC, len: 16 * 6 }, { addr: DESC + 14, len: 2 }]);
    for (let i = 0; i < 6; i++) expect(slotOf(i)).toEqual({ addr: 0x8000 + 0x100 * i, len: 100 + i, id: i, flags: AV | US | WRITE });
  });

  it('a run across the end of the ring: two writes, the used flags of each lap, the first one\'s flags last', () => {
    const { mem, r, writes, put, slotOf, use } = setup(8);
    for (let i = 0; i < 5; i++) put(i, i, AV | WRITE);
    use(5);
    publish(mem, r);
    writes.length = 0;
    // Slots 5-7 in the first lap, 0-2 in the second (available: AVAIL clear, USED set).
    for (let i = 5; i < 8; i++) put(i, i, AV | WRITE);
    for (let i = 0; i < 3; i++) put(i, i, US | WRITE);
    use(6);
    publish(mem, r);
    expect(writes).toEqual([{ addr: DESC + 16 * 5, len: 16 * 3 }, { addr: DESC, len: 16 * 3 }, { addr: DESC + 16 * 5 + 14, len: 2 }]);
    for (let i = 5; i < 8; i++) expect(slotOf(i)).toEqual({ addr: 0x8000 + 0x100 * i, len: 100 + i, id: i, flags: AV | US | WRITE });
    for (let i = 0; i < 3; i++) expect(slotOf(i)).toEqual({ addr: 0x8000 + 0x100 * i, len: 100 + i, id: i, flags: WRITE });
  });

  it('§2.8.6: with a list among them, one by one; the slot skipped after the list is left as the driver wrote it', () => {
    const { ram, mem, r, writes, put, slotOf, use } = setup(8);
    // Buffer 7: slots 0-1 (its id in the last one); buffers 2-5 in slots 2-5.
    desc(ram, DESC, 0x9000, 0x40, 0, AV | 1);
    put(1, 7, AV | WRITE);
    for (let i = 2; i < 6; i++) put(i, i, AV | WRITE);
    const skipped = slotOf(1);
    use(5);
    publish(mem, r);
    expect(slotOf(1)).toEqual(skipped);
    expect(writes.some((w) => w.addr < DESC + 32 && w.addr + w.len > DESC + 16)).toBe(false);
    expect(writes.at(-1)).toEqual({ addr: DESC + 14, len: 2 });
    expect(slotOf(0)).toMatchObject({ len: 107, id: 7, flags: AV | US | WRITE });
    for (let i = 2; i < 6; i++) expect(slotOf(i)).toMatchObject({ len: 100 + i, id: i, flags: AV | US | WRITE });
  });

  it('a few are written one by one: length and id, then flags, the first one\'s flags last', () => {
    const { mem, r, writes, put, use } = setup(8);
    for (let i = 0; i < 3; i++) put(i, i, AV | WRITE);
    use(3);
    publish(mem, r);
    expect(writes).toEqual([
      { addr: DESC + 8, len: 6 },
      { addr: DESC + 16 + 8, len: 6 },
      { addr: DESC + 16 + 14, len: 2 },
      { addr: DESC + 32 + 8, len: 6 },
      { addr: DESC + 32 + 14, len: 2 },
      { addr: DESC + 14, len: 2 },
    ]);
  });

  it('§2.8.16: a refill does not read over used descriptors of the previous lap that are not published yet', () => {
    const { mem, r, put, slotOf, c } = setup(8);
    for (let i = 0; i < 8; i++) put(i, i, AV | WRITE);
    // All eight taken; 0-3 used and published, 4-7 used and held back.
    for (let i = 0; i < 8; i++) expect(pop(mem, r, F, c)).toBe(Pop.Ok);
    for (let i = 0; i < 4; i++) push(mem, r, i, 1, 100 + i);
    publish(mem, r);
    for (let i = 4; i < 8; i++) push(mem, r, i, 1, 100 + i);
    // The driver reuses the published slots 0-3 (and buffers 0-3, in another order) for the second lap.
    for (let i = 0; i < 4; i++) put(i, 3 - i, US | WRITE);
    for (let i = 0; i < 4; i++) {
      expect(pop(mem, r, F, c)).toBe(Pop.Ok);
      expect(c.head).toBe(3 - i);
    }
    expect(pop(mem, r, F, c)).toBe(Pop.Empty);
    publish(mem, r);
    for (let i = 4; i < 8; i++) expect(slotOf(i)).toEqual({ addr: 0x8000 + 0x100 * i, len: 100 + i, id: i, flags: AV | US | WRITE });
  });

  it('pushes with no descriptor read yet (a restored ring), or more than a ring\'s worth before a publish, still end up in the ring', () => {
    const { mem, r, slotOf } = setup(4);
    for (let i = 0; i < 6; i++) push(mem, r, i % 4, 1, 50 + i);
    publish(mem, r);
    expect(hasUnpublished(r)).toBe(false);
    // Slots 0-1 hold the fifth and sixth (second lap: no AVAIL/USED bits), 2-3 the third and fourth.
    expect([0, 1, 2, 3].map((i) => slotOf(i).len)).toEqual([54, 55, 52, 53]);
    expect(slotOf(0).flags).toBe(WRITE);
    expect(slotOf(2).flags).toBe(AV | US | WRITE);
  });
});

describe('bursts', () => {
  it('listeners run once when the outermost burst ends, outside any burst', () => {
    const log: string[] = [];
    const l = { burstEnded: () => log.push(`ended, in burst: ${inBurst()}`) };
    expect(inBurst()).toBe(false);
    beginBurst();
    asBurst(() => {
      expect(inBurst()).toBe(true);
      afterBurst(l);
    });
    expect(log).toEqual([]);
    endBurst();
    expect(log).toEqual(['ended, in burst: false']);
    endBurst(); // unbalanced: ignored
    expect(inBurst()).toBe(false);
  });

  it('a burst ended by an exception still runs its listeners', () => {
    let ran = 0;
    expect(() =>
      asBurst(() => {
        afterBurst({ burstEnded: () => ran++ });
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(ran).toBe(1);
    expect(inBurst()).toBe(false);
  });
});
