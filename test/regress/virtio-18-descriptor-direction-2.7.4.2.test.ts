/**
 * bad-input.md item 18 — virtio 1.2 §2.7.4.2 / §2.7.5.2: device-readable
 * buffers come first, then device-writable ones; a transmit buffer is
 * read-only to the device, a receive buffer write-only. A chain breaking
 * this is returned with used.len 0 and counted. A naive device writes into
 * a buffer the driver gave it to read (or sends what it should fill).
 */
import { describe, expect, it } from 'vitest';
import { counted, DEFAULT_MAC, ethFrame, expectTxWorks, MODERN, MRG, NEXT, RAW, split, txBytes, WRITE } from './virtio-helpers.js';

describe('virtio 1.2 §2.7.4.2: descriptor direction', () => {
  it('TX: a readable buffer after a writable one breaks the chain', () => {
    const { d } = counted({ combo: MODERN });
    const q = split(d, 1);
    const b = txBytes(d);
    q.rawDesc(RAW, b.addr, 12, WRITE | NEXT, RAW + 1);
    q.rawDesc(RAW + 1, b.addr + 12, 60, 0, 0);
    q.expectChain(RAW, 12);
    q.rawAvail(RAW);
    d.kick(1);
    expect(q.takeUsed()).toEqual([{ id: RAW, len: 0 }]);
    expect(d.counters()['chainErrors']).toBe(1);
    expect(d.peer.frames).toHaveLength(0);
    expectTxWorks(d);
  });

  it('TX: a device-writable buffer in a transmit chain: nothing sent, nothing written, length 0', () => {
    const { d, mem } = counted({ combo: MODERN });
    const q = split(d, 1);
    const b = txBytes(d);
    const w = d.alloc.take(64);
    d.mem.fill(w, 64, 0xaa);
    q.rawDesc(RAW, b.addr, b.len, NEXT, RAW + 1);
    q.rawDesc(RAW + 1, w, 64, WRITE, 0);
    q.expectChain(RAW, 64);
    q.rawAvail(RAW);
    const writes = mem.writes.length;
    d.kick(1);
    expect(q.takeUsed()).toEqual([{ id: RAW, len: 0 }]);
    expect(mem.writes.slice(writes).filter((x) => x.addr >= w && x.addr < w + 64)).toEqual([]);
    expect(d.counters()['txWritableBuffers']).toBe(1);
    expect(d.peer.frames).toHaveLength(0);
    expectTxWorks(d);
  });

  for (const combo of [MODERN, MRG]) {
    it(`RX (${combo.name}): a device-readable receive buffer is not written and returns with length 0`, () => {
      const { d, mem } = counted({ combo });
      const q = split(d, 0);
      const r = d.alloc.take(2048);
      d.mem.fill(r, 2048, 0x55);
      q.rawDesc(RAW, r, 2048, 0, 0);
      q.expectChain(RAW, 0);
      q.rawAvail(RAW);
      d.postRx(2, 2048);
      d.kick(0);
      const frame = ethFrame(DEFAULT_MAC, Uint8Array.of(2, 0, 0, 0, 0, 1), 60);
      d.peer.send(frame);
      const used = q.takeUsed();
      expect(used[0]).toEqual({ id: RAW, len: 0 });
      expect(mem.writes.filter((x) => x.addr >= r && x.addr < r + 2048)).toEqual([]);
      expect(d.counters()['rxReadableBuffers']).toBe(1);
    });
  }
});
