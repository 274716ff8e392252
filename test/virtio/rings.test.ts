/**
 * Split and packed ring primitives against hand-built rings: pop (direct,
 * chained, indirect), push/publish, notification decisions (EVENT_IDX and
 * flags), consumer checkpoints.
 */
import { describe, expect, it } from 'vitest';
import { RegionMemory } from '../../src/dma/memory.js';
import { ringFeatures, type RingFeatures } from '../../src/virtio/features.js';
import { Chain, Pop } from '../../src/virtio/queue/chain.js';
import { mark, newRing, pop, publish, push, rewind, shouldNotify, setNotify, hasAvailable } from '../../src/virtio/queue/ring.js';
import { needEvent } from '../../src/virtio/queue/split.js';
import { desc } from './ring-helpers.js';

const F: RingFeatures = { indirect: true, eventIdx: false, notifyOnEmpty: false };
const FE: RingFeatures = { indirect: true, eventIdx: true, notifyOnEmpty: false };


describe('split ring', () => {
  const setup = () => {
    const mem = RegionMemory.ofSize(1 << 20);
    const r = newRing('split', 8, 0x1000, 0x2000, 0x3000);
    return { mem, r };
  };
  const avail = (mem: RegionMemory, idx: number, head: number): void => {
    mem.writeU16(0x2000 + 4 + 2 * (idx % 8), head);
    mem.writeU16(0x2002, idx + 1);
  };

  it('pops a two-descriptor chain: readable then writable, sizes summed', () => {
    const { mem, r } = setup();
    desc(mem, 0x1000 + 16 * 3, 0x8000, 100, 1, 5);
    desc(mem, 0x1000 + 16 * 5, 0x9000, 200, 2, 0);
    avail(mem, 0, 3);
    const c = new Chain();
    expect(pop(mem, r, F, c)).toBe(Pop.Ok);
    expect([c.head, c.count, c.readable, c.readableBytes, c.writableBytes]).toEqual([3, 2, 1, 100, 200]);
    expect(pop(mem, r, F, c)).toBe(Pop.Empty);
  });

  it('pops through an indirect table', () => {
    const { mem, r } = setup();
    desc(mem, 0x5000, 0x8000, 12, 1, 1);
    desc(mem, 0x5010, 0x8100, 60, 2, 0);
    desc(mem, 0x1000, 0x5000, 32, 4, 0);
    avail(mem, 0, 0);
    const c = new Chain();
    expect(pop(mem, r, F, c)).toBe(Pop.Ok);
    expect([c.count, c.readableBytes, c.writableBytes]).toEqual([2, 12, 60]);
  });

  it('used elements become visible at publish; EVENT_IDX decides the interrupt', () => {
    const { mem, r } = setup();
    for (let i = 0; i < 3; i++) {
      desc(mem, 0x1000 + 16 * i, 0x8000, 64, 2, 0);
      avail(mem, i, i);
    }
    const c = new Chain();
    mem.writeU16(0x2000 + 4 + 2 * 8, 1); // used_event: interrupt once used.idx passes 1
    expect(pop(mem, r, FE, c)).toBe(Pop.Ok);
    expect(push(mem, r, c.head, 1, 10)).toBe(true);
    expect(mem.readU16(0x3002)).toBe(0);
    publish(mem, r);
    expect(mem.readU16(0x3002)).toBe(1);
    expect(mem.readU32(0x3004)).toBe(0);
    expect(mem.readU32(0x3008)).toBe(10);
    expect(shouldNotify(mem, r, FE)).toBe(false);
    pop(mem, r, FE, c);
    push(mem, r, c.head, 1, 0);
    publish(mem, r);
    expect(shouldNotify(mem, r, FE)).toBe(true);
    pop(mem, r, FE, c);
    push(mem, r, c.head, 1, 0);
    publish(mem, r);
    expect(shouldNotify(mem, r, FE)).toBe(false);
  });

  it('without EVENT_IDX the NO_INTERRUPT flag decides; NOTIFY_ON_EMPTY overrides it when the ring is empty', () => {
    const { mem, r } = setup();
    desc(mem, 0x1000, 0x8000, 64, 2, 0);
    avail(mem, 0, 0);
    mem.writeU16(0x2000, 1);
    const c = new Chain();
    pop(mem, r, F, c);
    push(mem, r, 0, 1, 0);
    publish(mem, r);
    expect(shouldNotify(mem, r, F)).toBe(false);
    expect(shouldNotify(mem, r, { ...F, notifyOnEmpty: true })).toBe(true);
  });

  it('setNotify writes avail_event with EVENT_IDX, the NO_NOTIFY flag otherwise', () => {
    const { mem, r } = setup();
    avail(mem, 4, 0);
    setNotify(mem, r, FE, true);
    expect(mem.readU16(0x3000 + 4 + 8 * 8)).toBe(5);
    setNotify(mem, r, F, false);
    expect(mem.readU16(0x3000)).toBe(1);
    setNotify(mem, r, F, true);
    expect(mem.readU16(0x3000)).toBe(0);
  });

  it('mark/rewind puts popped chains back', () => {
    const { mem, r } = setup();
    desc(mem, 0x1000, 0x8000, 64, 2, 0);
    avail(mem, 0, 0);
    const m = mark(r, { nextAvail: 0, availWrap: true, inFlight: 0 });
    const saved = { ...m };
    const c = new Chain();
    expect(pop(mem, r, F, c)).toBe(Pop.Ok);
    expect(hasAvailable(mem, r)).toBe(false);
    rewind(r, saved);
    expect(hasAvailable(mem, r)).toBe(true);
    expect(pop(mem, r, F, c)).toBe(Pop.Ok);
  });

  it('needEvent matches vring_need_event across the 16-bit wrap', () => {
    expect(needEvent(5, 6, 5)).toBe(true);
    expect(needEvent(5, 5, 4)).toBe(false);
    expect(needEvent(0xffff, 1, 0xfffe)).toBe(true);
    expect(needEvent(3, 1, 0xfffe)).toBe(false);
  });
});

describe('packed ring', () => {
  const AV = 1 << 7;
  const US = 1 << 15;
  const setup = (size = 4) => {
    const mem = RegionMemory.ofSize(1 << 20);
    const r = newRing('packed', size, 0x1000, 0x2000, 0x3000);
    return { mem, r };
  };
  const put = (mem: RegionMemory, slot: number, addr: number, len: number, id: number, flags: number): void => desc(mem, 0x1000 + 16 * slot, addr, len, id, flags);

  it('pops a two-descriptor list with the id of the last descriptor, used skips both slots', () => {
    const { mem, r } = setup();
    put(mem, 0, 0x8000, 12, 0, AV | 1);
    put(mem, 1, 0x8100, 60, 3, AV);
    const c = new Chain();
    expect(pop(mem, r, F, c)).toBe(Pop.Ok);
    expect([c.head, c.ringSlots, c.readableBytes]).toEqual([3, 2, 72]);
    push(mem, r, c.head, c.ringSlots, 0);
    publish(mem, r);
    expect(mem.readU16(0x1000 + 12)).toBe(3);
    expect(mem.readU16(0x1000 + 14)).toBe(AV | US);
    expect(r.nextUsed).toBe(2);
  });

  it('wrap counters flip at the end of the ring', () => {
    const { mem, r } = setup(2);
    const c = new Chain();
    put(mem, 0, 0x8000, 10, 0, AV | 2);
    put(mem, 1, 0x8000, 10, 1, AV | 2);
    for (let i = 0; i < 2; i++) {
      expect(pop(mem, r, F, c)).toBe(Pop.Ok);
      push(mem, r, c.head, 1, 10);
      publish(mem, r);
    }
    expect(pop(mem, r, F, c)).toBe(Pop.Empty);
    // Second lap: available means AVAIL clear and USED set.
    put(mem, 0, 0x8000, 10, 0, US | 2);
    expect(pop(mem, r, F, c)).toBe(Pop.Ok);
    push(mem, r, c.head, 1, 10);
    publish(mem, r);
    expect(mem.readU16(0x1000 + 14)).toBe(2);
  });

  it('driver event suppression: DISABLE, ENABLE and DESC with EVENT_IDX', () => {
    const { mem, r } = setup(8);
    const c = new Chain();
    for (let i = 0; i < 4; i++) put(mem, i, 0x8000, 10, i, AV | 2);
    const use = (): void => {
      pop(mem, r, FE, c);
      push(mem, r, c.head, 1, 1);
      publish(mem, r);
    };
    mem.writeU16(0x2002, 1);
    use();
    expect(shouldNotify(mem, r, FE)).toBe(false);
    mem.writeU16(0x2002, 0);
    use();
    expect(shouldNotify(mem, r, FE)).toBe(true);
    mem.writeU16(0x2000, 3 | 0x8000);
    mem.writeU16(0x2002, 2);
    use(); // slot 2
    expect(shouldNotify(mem, r, FE)).toBe(false);
    use(); // slot 3: the event descriptor
    expect(shouldNotify(mem, r, FE)).toBe(true);
  });

  it('a list whose later descriptor is not available is a ring error, nothing consumed', () => {
    const { mem, r } = setup();
    put(mem, 0, 0x8000, 12, 0, AV | 1);
    put(mem, 1, 0x8100, 60, 3, US);
    const c = new Chain();
    expect(pop(mem, r, F, c)).toBe(Pop.BadRing);
    expect(r.error).toEqual({ kind: 'packed-list-broken', at: 1 });
    expect(r.nextAvail).toBe(0);
  });

  it('the device event suppression structure: ENABLE to ask for kicks, DISABLE to stop them', () => {
    const { mem, r } = setup();
    setNotify(mem, r, ringFeatures(0n), false);
    expect(mem.readU16(0x3002)).toBe(1);
    setNotify(mem, r, ringFeatures(0n), true);
    expect(mem.readU16(0x3002)).toBe(0);
  });
});
