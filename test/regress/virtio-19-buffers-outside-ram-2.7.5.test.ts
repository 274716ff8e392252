/**
 * bad-input.md item 19 — a buffer that lies outside guest RAM, straddles
 * its end, or has address bits no RAM has: the chain is returned with
 * used.len 0 and counted; the device never touches anything but RAM (it
 * does not even try: every buffer is checked before use). A naive device
 * reads host memory past the guest's (or throws).
 */
import { describe, expect, it } from 'vitest';
import { counted, DEFAULT_MAC, ethFrame, expectTxWorks, MODERN, PACKED_ALL, RAM_END, RAW, split, WRITE } from './virtio-helpers.js';

const CASES: Array<[string, number, number]> = [
  ['past the end of RAM', RAM_END + 0x1000, 72],
  ['straddling the end of RAM', RAM_END - 10, 72],
  ['high address bits set (2^40)', 2 ** 40, 72],
  ['the last byte of the address space', 0xffff_ffff, 72],
];

describe('buffers outside guest RAM', () => {
  for (const [name, addr, len] of CASES) {
    it(`TX buffer ${name}: length 0, no access outside RAM`, () => {
      const { d, mem } = counted({ combo: MODERN });
      const q = split(d, 1);
      q.rawDesc(RAW, addr, len, 0, 0);
      q.expectChain(RAW, 0);
      q.rawAvail(RAW);
      d.kick(1);
      expect(q.takeUsed()).toEqual([{ id: RAW, len: 0 }]);
      expect(mem.outside).toEqual([]);
      expect(d.counters()['chainErrors']).toBe(1);
      expectTxWorks(d);
    });

    it(`RX buffer ${name}: length 0, the frame lands in the next buffer`, () => {
      const { d, mem } = counted({ combo: MODERN });
      const q = split(d, 0);
      q.rawDesc(RAW, addr, 2048, WRITE, 0);
      q.expectChain(RAW, 0);
      q.rawAvail(RAW);
      d.postRx(1, 2048);
      d.kick(0);
      const frame = ethFrame(DEFAULT_MAC, Uint8Array.of(2, 0, 0, 0, 0, 1), 60);
      d.peer.send(frame);
      const used = q.takeUsed();
      expect(used[0]).toEqual({ id: RAW, len: 0 });
      expect(used[1]?.len).toBe(d.hdrLen + frame.length);
      expect(mem.outside).toEqual([]);
    });
  }

  it('packed ring: a buffer outside RAM comes back with length 0', () => {
    const { d, mem } = counted({ combo: PACKED_ALL });
    // Through the mock's normal path, with an address it does not allocate.
    const id = d.txq.add([{ addr: RAM_END + 64, len: 72 }]);
    d.kick(1);
    expect(d.txq.takeUsed()).toEqual([{ id, len: 0 }]);
    expect(mem.outside).toEqual([]);
    expect(d.peer.frames).toHaveLength(0);
    expectTxWorks(d);
  });
});
