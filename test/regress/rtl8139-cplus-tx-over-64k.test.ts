/**
 * bad-input.md item 11: C+ TX descriptors whose segments add up to more
 * than the 64 KiB assembly buffer. The rule: truncate at 64 KiB, never write
 * past the buffer, no exception; the next frame is fine.
 */
import { describe, expect, it } from 'vitest';
import { Bench, Cp, CP_TX_RING, DESC, R } from '../devices/rtl8139/driver.js';
import { ethFrame, hex } from '../devices/rtl8139/packets.js';

describe('C+ TX frame over 64 KiB', () => {
  it('is cut at 65536 bytes', () => {
    const b = new Bench();
    const d = new Cp(b);
    d.open();
    // Five descriptors of 0xffff bytes each, from the same 64 KiB of RAM.
    for (let i = 0; i < 5; i++) {
      const a = CP_TX_RING + 16 * i;
      b.ram.writeU32(a + 4, 0);
      b.ram.writeU64(a + 8, 0x600000n);
      b.ram.writeU32(a, (DESC.OWN | (i === 0 ? DESC.FS : 0) | (i === 4 ? DESC.LS : 0) | 0xffff) >>> 0);
    }
    expect(() => b.outb(R.TPPOLL, 0x40)).not.toThrow();
    const sent = b.sent();
    expect(sent.map((f) => f.length)).toEqual([0x10000]);
    expect(b.dev.counters()['txTruncatedBytes']).toBe(5 * 0xffff - 0x10000);
    d.txHead = d.txTail = 5;
    const f = ethFrame([2, 0, 0, 0, 0, 9], 100, 1);
    d.xmit(f);
    expect(b.sent().map(hex)).toEqual([hex(f)]);
  });
});
