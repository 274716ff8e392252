/**
 * bad-input.md item 6 (CVE-2012-6075): jumbo frames with LPE/SBP off, and
 * frames larger than the descriptors can hold: dropped and counted (ROC; RNBC,
 * MPC, RXO), never written past a buffer.
 */
import { describe, expect, it } from 'vitest';
import { BSIZE, Driver, eth, expectOnlyRefusedOutside, ICR, makeBench, OWN, R, RCTL, RX_BUFS } from './e1000-helpers.js';

function setup(bufSize: number, rctl: number, rxCount = 8) {
  const b = makeBench();
  const d = new Driver(b, { rxCount, bufSize });
  // guard pattern around every buffer
  b.ram.fill(RX_BUFS, rxCount * bufSize + 4096, 0xee);
  d.initRx(rctl | (BSIZE[bufSize] ?? 0));
  d.r(R.ICR);
  return { b, d };
}

describe('e1000 oversized frames', () => {
  it('CVE-2012-6075: a 9000-byte frame without LPE and SBP is dropped with ROC, nothing written', () => {
    const { b, d } = setup(2048, RCTL.EN | RCTL.BAM | RCTL.SECRC);
    const writes = b.mem.writes;
    b.wire.inject(eth(OWN, 9000));
    expect(b.mem.writes).toBe(writes);
    expect(d.r(R.ROC)).toBe(1);
    expect(d.r(R.RDH)).toBe(0);
    expect(b.nic.net.stats.rxRefused).toBe(1);
  });

  it('CVE-2012-6075: with SBP a frame spans buffers exactly up to each buffer’s end, never past it', () => {
    const { b, d } = setup(1024, RCTL.EN | RCTL.BAM | RCTL.SECRC | RCTL.SBP, 16);
    const f = eth(OWN, 5000, 3);
    b.wire.inject(f);
    const used = Math.ceil(5000 / 1024);
    expect(d.r(R.RDH)).toBe(used);
    const tail = d.peek(RX_BUFS + 5000, used * 1024 - 5000 + 1024);
    expect(tail.every((x) => x === 0xee)).toBe(true);
    expect(d.receive()[0]!.data).toEqual(f);
  });

  it('CVE-2012-6075: a frame larger than the whole ring is dropped: RNBC, MPC, RXO; the ring is untouched', () => {
    const { b, d } = setup(256, RCTL.EN | RCTL.BAM | RCTL.SECRC | RCTL.LPE, 8);
    const writes = b.mem.writes;
    b.wire.inject(eth(OWN, 1800)); // 8 buffers: an 8-entry ring hands out 7
    expect(b.mem.writes).toBe(writes);
    expect(d.r(R.ICR) & ICR.RXO).toBe(ICR.RXO);
    expect([d.r(R.RNBC), d.r(R.MPC), d.r(R.RDH)]).toEqual([1, 1, 0]);
    expect(d.peek(RX_BUFS, 8 * 256).every((x) => x === 0xee)).toBe(true);
    b.wire.inject(eth(OWN, 1500, 1));
    expect(d.receive()).toHaveLength(1);
    expectOnlyRefusedOutside(b);
  });
});
