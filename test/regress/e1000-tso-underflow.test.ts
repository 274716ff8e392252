/**
 * bad-input.md item 2: TSO contexts and descriptors that disagree
 * (CVE-2021-20257, fixed in QEMU by 3de46e6fc4; CVE-2015-6815). The staging
 * buffer never overflows, no length goes negative, the walk ends.
 */
import { describe, expect, it } from 'vitest';
import { bench, CMD, contextDesc, CTX, dataDesc, expectOnlyRefusedOutside, expectStillWorks, ipv4, legacyDesc, pattern, R, TX_RING } from './e1000-helpers.js';

const tso = (hdrLen: number, mss: number, paylen = 1000) =>
  contextDesc({ ipcss: 14, ipcso: 24, ipcse: 33, tucss: 34, tucso: 50, paylen, cmd: CTX.TSE | CTX.IP | CTX.TCP, hdrLen, mss });

function takeAll(b: ReturnType<typeof bench>['b']): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let f = b.wire.take(); f; f = b.wire.take()) out.push(f);
  return out;
}

describe('e1000 TSO with inconsistent descriptors', () => {
  it('CVE-2021-20257: TSO data descriptor, then a legacy one that overfills hdr_len + mss: ends at EOP, bounded', () => {
    const { b, d } = bench();
    d.initTx();
    const f = ipv4({ data: pattern(2000), mode: 'tso' });
    const a = d.txBuffer(f);
    d.putTx(tso(54, 100));
    d.putTx(dataDesc(a, 54, { tse: true, popts: 3, rs: false }));
    d.putTx(legacyDesc(a, 0xffff, CMD.IFCS)); // 64 KiB more bytes without TSE
    d.putTx(dataDesc(a, 2054, { tse: true, popts: 3, eop: true }));
    b.mem.window = [TX_RING, TX_RING + 0x10000];
    expect(() => d.kick()).not.toThrow();
    const frames = takeAll(b);
    expect(frames.every((s) => s.length <= 65536)).toBe(true);
    expect(b.nic.counters()['txDescriptors']).toBe(4);
    expect(d.r(R.TDH)).toBe(4);
    expectOnlyRefusedOutside(b);
    expectStillWorks(b, d);
  });

  it('CVE-2021-20257: legacy descriptor first, then a TSE data descriptor with a full segment already buffered', () => {
    const { b, d } = bench();
    d.initTx();
    const f = ipv4({ data: pattern(500), mode: 'tso' });
    const a = d.txBuffer(f);
    d.putTx(tso(54, 100));
    d.putTx(legacyDesc(a, 400, CMD.IFCS));
    d.putTx(dataDesc(a + 400, 154, { tse: true, popts: 3, eop: true }));
    expect(() => d.kick()).not.toThrow();
    const frames = takeAll(b);
    expect(frames).toHaveLength(1);
    expect(frames[0]!.length).toBe(400);
    expectStillWorks(b, d);
  });

  it('CVE-2015-6815: MSS 0 and zero-length descriptors cannot spin the TSO loop', () => {
    const { b, d } = bench();
    d.initTx();
    const a = d.txBuffer(pattern(300));
    d.putTx(tso(0, 0, 0xfffff));
    for (let i = 0; i < 10; i++) d.putTx(dataDesc(a, i % 2 ? 0 : 300, { tse: true, popts: 3, eop: i === 9 }));
    d.putTx(tso(255, 0, 0xfffff));
    d.putTx(dataDesc(a, 300, { tse: true, popts: 3, eop: true }));
    expect(() => d.kick()).not.toThrow();
    expect(b.nic.counters()['txDescriptors']).toBe(13);
    expect(takeAll(b).every((s) => s.length <= 65536)).toBe(true);
    expectStillWorks(b, d);
  });

  it('CVE-2021-20257: EOP before the headers are complete sends nothing and counts TSCTFC', () => {
    const { b, d } = bench();
    d.initTx();
    const a = d.txBuffer(pattern(100));
    d.putTx(tso(60, 500));
    d.putTx(dataDesc(a, 40, { tse: true, popts: 3, eop: true }));
    d.kick();
    expect(b.wire.pending).toBe(0);
    expect(d.r(R.TSCTFC)).toBe(1);
    expect(b.nic.counters()['txTsoUnderflow']).toBe(1);
    expectStillWorks(b, d);
  });
});
