/**
 * bad-input.md item 1 (CVE-2016-1981): ring lengths 0 or tiny, heads and
 * tails beyond the ring. Every register write does bounded work: at most one
 * pass over the ring, one descriptor when the head starts outside it.
 */
import { describe, expect, it } from 'vitest';
import { bench, CMD, eth, expectOnlyRefusedOutside, expectStillWorks, legacyDesc, OWN, R, RCTL, RX_RING, TX_RING } from './e1000-helpers.js';

function watchRing(b: ReturnType<typeof bench>['b'], base: number, bytes: number): void {
  b.mem.window = [base, base + bytes];
  b.mem.readsIn = 0;
}

describe('CVE-2016-1981: e1000 TX ring walk is bounded', () => {
  it('CVE-2016-1981: TDLEN 0 with TDT != TDH processes one descriptor per doorbell, not an endless loop', () => {
    const { b, d } = bench();
    d.initTx();
    d.w(R.TDLEN, 0);
    for (let i = 0; i < 4; i++) d.poke(TX_RING + 16 * i, legacyDesc(d.txBuffer(eth('ff:ff:ff:ff:ff:ff')), 60, CMD.IFCS | CMD.EOP | CMD.RS));
    watchRing(b, TX_RING, 0x10000);
    expect(() => d.w(R.TDT, 5)).not.toThrow();
    expect(b.mem.readsIn).toBeLessThanOrEqual(4 + 1); // one descriptor (4 dwords) + its DD write-back area
    expect(d.r(R.TDH)).toBe(0);
    expect(b.wire.pending).toBe(1);
    expectOnlyRefusedOutside(b);
    expectStillWorks(b, d);
  });

  it('CVE-2016-1981: TDH beyond the ring handles at most one descriptor', () => {
    const { b, d } = bench();
    d.initTx();
    d.w(R.TDLEN, 128); // 8 descriptors
    d.w(R.TDH, 5000);
    watchRing(b, TX_RING, 0x100000);
    d.w(R.TDT, 3);
    expect(b.mem.readsIn).toBeLessThanOrEqual(4);
    expect(b.nic.counters()['txDescriptors']).toBe(1);
    expectOnlyRefusedOutside(b);
    expectStillWorks(b, d);
  });

  it('CVE-2016-1981: TDT beyond the ring stops after one pass', () => {
    const { b, d } = bench();
    d.initTx();
    d.w(R.TDLEN, 128);
    watchRing(b, TX_RING, 0x10000);
    for (let k = 0; k < 3; k++) d.w(R.TDT, 0xffff);
    expect(b.nic.counters()['txDescriptors']).toBe(3 * 8);
    expect(b.nic.counters()['txRingWrapStops']).toBe(3);
    expectOnlyRefusedOutside(b);
    expectStillWorks(b, d);
  });

  it('CVE-2016-1981: a ring whose base lies outside RAM is refused per access, not trusted', () => {
    const { b, d } = bench();
    d.initTx();
    d.w(R.TDBAL, 0xfffff000);
    d.w(R.TDBAH, 0x7fffffff);
    d.w(R.TDT, 8);
    expect(b.nic.counters()['txDmaErrors']).toBeGreaterThan(0);
    expect(b.nic.counters()['txDescriptors']).toBeLessThanOrEqual(16);
    expect(b.mem.outside.every((o) => !b.mem.contains(o.addr, o.len))).toBe(true);
    expectStillWorks(b, d);
  });
});

describe('CVE-2016-1981: e1000 RX with a nonsense ring does no DMA and loses nothing', () => {
  for (const [name, set] of [
    ['RDLEN 0', (w: (r: number, v: number) => void) => w(R.RDLEN, 0)],
    ['RDH beyond the ring', (w: (r: number, v: number) => void) => w(R.RDH, 900)],
    ['RDT beyond the ring', (w: (r: number, v: number) => void) => w(R.RDT, 0xffff)],
  ] as const) {
    it(`CVE-2016-1981: ${name}: frames wait, no descriptor is read or written`, () => {
      const { b, d } = bench();
      d.initRx(RCTL.EN | RCTL.BAM | RCTL.SECRC);
      set((r, v) => d.w(r, v));
      watchRing(b, RX_RING, 0x100);
      const writes = b.mem.writes;
      for (let i = 0; i < 50; i++) b.wire.inject(eth(OWN, 60, i));
      expect(b.mem.readsIn).toBe(0);
      expect(b.mem.writes).toBe(writes);
      expect(b.nic.net.incoming.length).toBe(50);
      expect(b.nic.net.stats.rxRefused).toBe(0);
      expectOnlyRefusedOutside(b);
      expectStillWorks(b, d);
    });
  }
});
