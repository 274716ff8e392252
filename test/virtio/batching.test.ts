/**
 * The ring code's batching, against hand-built rings: avail entries and the
 * descriptor table read in bulk (split), descriptors read ahead (packed),
 * used elements written at publish (split), and bursts (one publish for
 * several pushes). Each test names the rule that keeps the batching
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
