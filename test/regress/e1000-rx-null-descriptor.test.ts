/**
 * bad-input.md item 5: RX descriptors with buffer address 0 (e1000 "Null RX
 * descriptor"; the e1000e variant is CVE-2020-28916): skipped with DD and
 * length 0, the frame goes to the next usable buffer, the walk is bounded by
 * the free descriptors.
 */
import { describe, expect, it } from 'vitest';
import { bench, eth, expectOnlyRefusedOutside, expectStillWorks, OWN, R, RCTL, RX_RING } from './e1000-helpers.js';

describe('e1000 null RX buffer addresses', () => {
  it('CVE-2020-28916: null descriptors between usable ones are completed empty and skipped', () => {
    const { b, d } = bench();
    d.initRx(RCTL.EN | RCTL.BAM | RCTL.SECRC);
    d.writeRxDesc(0, 0);
    d.writeRxDesc(2, 0);
    const f1 = eth(OWN, 60, 1);
    const f2 = eth(OWN, 70, 2);
    b.wire.inject(f1);
    b.wire.inject(f2);
    expect(d.r(R.RDH)).toBe(4);
    const st = (i: number) => d.peek(RX_RING + 16 * i + 8, 8);
    expect(st(0)).toEqual(Uint8Array.from([0, 0, 0, 0, 1, 0, 0, 0])); // length 0, DD only
    expect(st(1)[4]! & 3).toBe(3);
    expect(st(2)).toEqual(Uint8Array.from([0, 0, 0, 0, 1, 0, 0, 0]));
    expect(b.nic.counters()['rxNullDescriptors']).toBe(2);
    expect(d.receive().map((r) => r.data)).toEqual([f1, f2]);
    expectOnlyRefusedOutside(b);
    expectStillWorks(b, d);
  });

  it('CVE-2020-28916: a ring of null descriptors only is never walked more than once per frame, and the frame waits', () => {
    const { b, d } = bench();
    d.initRx(RCTL.EN | RCTL.BAM | RCTL.SECRC);
    for (let i = 0; i < 16; i++) d.writeRxDesc(i, 0);
    d.w(R.RDT, 15);
    b.mem.window = [RX_RING, RX_RING + 256];
    const writes = b.mem.writes;
    for (let i = 0; i < 10; i++) b.wire.inject(eth(OWN, 60, i));
    expect(b.mem.readsIn).toBeLessThanOrEqual(2 * 15 * 2); // at most one scan of the 15 free descriptors
    expect(b.mem.writes).toBe(writes);
    expect(b.nic.net.incoming.length).toBe(10);
    expect(d.r(R.RNBC)).toBe(1);
    expectStillWorks(b, d);
  });
});
