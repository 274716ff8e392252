/**
 * The packed ring against a model driver (fast-check): random sequences of
 * the driver making buffers of one to three descriptors available (flags of
 * the first written last, §2.8.6) and reaping used ones, and of the device
 * popping, pushing, publishing and putting buffers back. With the ring's
 * batching (read-ahead, used descriptors written at publish) the driver
 * must see exactly what a device writing one descriptor at a time would
 * give it: every buffer back once, in the order pushed, with its id, its
 * length and the used flags of its lap (§2.8.1, §2.8.3); nothing before
 * the publish; the slots skipped after a list as the driver wrote them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RegionMemory } from '../../src/dma/memory.js';
import { ringFeatures } from '../../src/virtio/features.js';
import { Chain, Pop } from '../../src/virtio/queue/chain.js';
import { hasUnpublished, mark, newRing, pop, publish, push, rewind } from '../../src/virtio/queue/ring.js';

const F = ringFeatures(0n);
const AV = 1 << 7;
const US = 1 << 15;
const NEXT = 1;
const WRITE = 2;
const DESC = 0x1000;

type Op =
  | { op: 'post'; n: number; write: boolean; len: number }
  | { op: 'pop' }
  | { op: 'push'; len: number }
  | { op: 'publish' }
  | { op: 'putBack'; k: number }
  | { op: 'reap' };

const arbOp: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('post' as const), n: fc.integer({ min: 1, max: 3 }), write: fc.boolean(), len: fc.integer({ min: 1, max: 300 }) }),
  fc.record({ op: fc.constant('post' as const), n: fc.constant(1), write: fc.constant(true), len: fc.integer({ min: 1, max: 300 }) }),
  fc.constant({ op: 'pop' as const }),
  fc.record({ op: fc.constant('push' as const), len: fc.integer({ min: 0, max: 500 }) }),
  fc.constant({ op: 'publish' as const }),
  fc.record({ op: fc.constant('putBack' as const), k: fc.integer({ min: 1, max: 3 }) }),
  fc.constant({ op: 'reap' as const }),
);

function run(size: number, ops: readonly Op[]): void {
  const mem = RegionMemory.ofSize(1 << 20);
  const r = newRing('packed', size, DESC, 0x800, 0xc00);
  const chain = new Chain();
  // Driver.
  let availAt = 0;
  let availWrap = true;
  let usedAt = 0;
  let usedWrap = true;
  let freeSlots = size;
  const freeIds = Array.from({ length: size }, (_, i) => size - 1 - i);
  const slotsOf = new Map<number, number>();
  /** What the driver wrote into each slot (16 bytes), to check the skipped ones. */
  const written = new Map<number, Uint8Array>();
  let posted = 0;
  // Device side of the model.
  const inFlight: Array<{ id: number; slots: number }> = [];
  let pushed: Array<{ id: number; len: number }> = [];
  const published: Array<{ id: number; len: number }> = [];
  let popped = 0;

  const readSlot = (slot: number): Uint8Array => {
    const b = new Uint8Array(16);
    mem.read(DESC + 16 * slot, b);
    return b;
  };
  const reap = (): number => {
    let n = 0;
    for (let guard = 0; guard <= size; guard++) {
      const at = DESC + 16 * usedAt;
      const flags = mem.readU16(at + 14) as number;
      const used = (flags & US) !== 0;
      if (((flags & AV) !== 0) !== used || used !== usedWrap) break;
      const want = published.shift();
      expect(want, 'a used descriptor the device did not publish').toBeDefined();
      const id = mem.readU16(at + 12) as number;
      expect(id).toBe(want!.id);
      expect(mem.readU32(at + 8)).toBe(want!.len);
      expect((flags & WRITE) !== 0).toBe(want!.len > 0);
      const slots = slotsOf.get(id)!;
      // The slots skipped after a list are as the driver wrote them (§2.8.6).
      for (let k = 1; k < slots; k++) {
        const s = (usedAt + k) % size;
        expect(readSlot(s)).toEqual(written.get(s));
      }
      usedAt += slots;
      if (usedAt >= size) {
        usedAt -= size;
        usedWrap = !usedWrap;
      }
      freeSlots += slots;
      freeIds.push(id);
      n++;
    }
    return n;
  };

  for (const o of ops) {
    switch (o.op) {
      case 'post': {
        if (freeSlots < o.n || freeIds.length === 0) break;
        const id = freeIds.pop()!;
        const first = availAt;
        let firstFlags = 0;
        for (let i = 0; i < o.n; i++) {
          const at = DESC + 16 * availAt;
          const flags = (i < o.n - 1 ? NEXT : 0) | (o.write ? WRITE : 0) | (availWrap ? AV : US);
          mem.writeU32(at, 0x10000 + 0x1000 * id + 0x100 * i);
          mem.writeU32(at + 4, 0);
          mem.writeU32(at + 8, o.len);
          mem.writeU16(at + 12, id);
          if (i === 0) firstFlags = flags;
          else mem.writeU16(at + 14, flags);
          const b = readSlot(availAt);
          b[14] = flags & 0xff;
          b[15] = flags >>> 8;
          written.set(availAt, b);
          if (++availAt === size) {
            availAt = 0;
            availWrap = !availWrap;
          }
        }
        mem.writeU16(DESC + 16 * first + 14, firstFlags);
        slotsOf.set(id, o.n);
        freeSlots -= o.n;
        posted++;
        break;
      }
      case 'pop': {
        const p = pop(mem, r, F, chain);
        if (popped < posted) {
          expect(p).toBe(Pop.Ok);
          expect(chain.ringSlots).toBe(slotsOf.get(chain.head));
          inFlight.push({ id: chain.head, slots: chain.ringSlots });
          popped++;
        } else {
          expect(p).toBe(Pop.Empty);
        }
        break;
      }
      case 'push': {
        const b = inFlight.shift();
        if (!b) break;
        expect(push(mem, r, b.id, b.slots, o.len)).toBe(true);
        pushed.push({ id: b.id, len: o.len });
        break;
      }
      case 'publish':
        expect(publish(mem, r)).toBe(true);
        expect(hasUnpublished(r)).toBe(false);
        published.push(...pushed);
        pushed = [];
        break;
      case 'putBack': {
        // Pops then a rewind, nothing pushed in between (a frame that does not fit).
        const m = { ...mark(r, { nextAvail: 0, availWrap: true, inFlight: 0 }) };
        for (let i = 0; i < o.k; i++) pop(mem, r, F, chain);
        rewind(r, m);
        break;
      }
      case 'reap':
        // Everything published and nothing else.
        expect(reap()).toBeGreaterThanOrEqual(0);
        expect(published).toEqual([]);
        break;
      default: {
        const never: never = o;
        throw new Error(`unknown op ${JSON.stringify(never)}`);
      }
    }
  }
  // Whatever is left: pushed, published and reaped, in order.
  for (const b of inFlight.splice(0)) {
    push(mem, r, b.id, b.slots, 7);
    pushed.push({ id: b.id, len: 7 });
  }
  publish(mem, r);
  published.push(...pushed);
  reap();
  expect(published).toEqual([]);
  expect(r.error).toBeUndefined();
}

describe('packed ring against a model driver', () => {
  it('§2.8.1-§2.8.9: every buffer back once, in order, with its id, length and used flags, nothing before the publish', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.array(arbOp, { maxLength: 120 }), (size, ops) => run(size, ops)),
      { numRuns: 400 },
    );
  });

  it('long runs over many laps, batches written whole', () => {
    // A driver that keeps the ring full and a device that takes everything then returns it, lap after lap.
    const ops: Op[] = [];
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < 7; i++) ops.push({ op: 'post', n: 1, write: true, len: 64 });
      for (let i = 0; i < 7; i++) ops.push({ op: 'pop' }, { op: 'push', len: 60 + i });
      ops.push({ op: 'publish' }, { op: 'reap' });
    }
    run(11, ops);
  });
});
