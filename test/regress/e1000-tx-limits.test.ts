/**
 * bad-input.md item 3: descriptor lengths adding up past the 64 KiB staging
 * buffer, and checksum offsets (CSS/CSO/CSE, IPCSS/TUCSS) outside the frame:
 * copies are clamped, checksums are only written inside the frame.
 */
import { describe, expect, it } from 'vitest';
import { bench, CMD, contextDesc, CTX, dataDesc, eth, expectOnlyRefusedOutside, expectStillWorks, legacyDesc, pattern } from './e1000-helpers.js';

describe('e1000 TX staging buffer and checksum offsets', () => {
  it('bad-input 3: descriptors adding up to 1 MiB give one 64 KiB frame; later bytes are dropped and counted', () => {
    const { b, d } = bench();
    d.initTx();
    const a = d.txBuffer(pattern(0xffff));
    for (let i = 0; i < 15; i++) d.putTx(legacyDesc(a, 0xffff, CMD.IFCS | (i === 14 ? CMD.EOP | CMD.RS : 0)));
    expect(() => d.kick()).not.toThrow();
    const f = b.wire.take()!;
    expect(f.length).toBe(65536);
    expect(f.subarray(0, 0xffff)).toEqual(pattern(0xffff));
    expect(b.nic.counters()['txTruncatedBytes']).toBe(15 * 0xffff - 65536);
    expectOnlyRefusedOutside(b);
    expectStillWorks(b, d);
  });

  it('bad-input 3: checksum start/offset/end beyond a short frame change nothing outside the frame', () => {
    const { b, d } = bench();
    d.initTx();
    const f = eth('ff:ff:ff:ff:ff:ff', 60, 3);
    const a = d.txBuffer(f);
    const ctxs = [
      { ipcss: 200, ipcso: 250, ipcse: 255, tucss: 250, tucso: 255, tucse: 0 },
      { ipcss: 10, ipcso: 59, ipcse: 0, tucss: 0, tucso: 58, tucse: 300 },
      { ipcss: 70, ipcso: 2, ipcse: 65535, tucss: 59, tucso: 60, tucse: 59 },
    ];
    for (const c of ctxs) {
      d.putTx(contextDesc({ ...c, cmd: CTX.IP | CTX.TCP }));
      d.putTx(dataDesc(a, f.length, { eop: true, popts: 3 }));
    }
    // and the same offsets in a TSO context, where headers are patched per segment
    d.putTx(contextDesc({ ipcss: 250, ipcso: 255, ipcse: 0, tucss: 254, tucso: 255, paylen: 10, cmd: CTX.TSE | CTX.IP | CTX.TCP, hdrLen: 40, mss: 10 }));
    d.putTx(dataDesc(a, f.length, { eop: true, popts: 3, tse: true }));
    expect(() => d.kick()).not.toThrow();
    const out: Uint8Array[] = [];
    for (let g = b.wire.take(); g; g = b.wire.take()) out.push(g);
    expect(out.slice(0, 3).map((g) => g.length)).toEqual([60, 60, 60]);
    // every byte outside the checksum fields the offsets name inside the frame is untouched
    expect(out[0]).toEqual(f);
    expect(out.every((g) => g.length <= 65536)).toBe(true);
    expectOnlyRefusedOutside(b);
    expectStillWorks(b, d);
  });
});
