/**
 * bad-input.md item 29 (CVE-2018-17963): a guest that never gives the NIC
 * receive buffers, and frames over the size limits: the queue in front of
 * the NIC stays bounded, drops are counted, oversized frames are refused;
 * once the guest hands out buffers, the frames that were kept arrive in order.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_QUEUE_LIMITS } from '../../src/hub/queue.js';
import { bench, eth, expectStillWorks, OWN, R, RCTL } from './e1000-helpers.js';

describe('e1000 behind a bounded queue', () => {
  it('CVE-2018-17963: a NIC that never drains keeps at most the queue limit; the rest is dropped and counted', () => {
    const { b, d } = bench();
    d.initRx(RCTL.BAM | RCTL.SECRC); // RCTL.EN off: nothing is ever taken
    const n = DEFAULT_QUEUE_LIMITS.maxFrames + 500;
    for (let i = 0; i < n; i++) b.wire.inject(eth(OWN, 60, i & 0xff));
    expect(b.nic.net.incoming.length).toBe(DEFAULT_QUEUE_LIMITS.maxFrames);
    expect(b.nic.net.stats.rxQueueFull).toBe(500);
    d.w(R.RCTL, RCTL.EN | RCTL.BAM | RCTL.SECRC);
    const first = d.receive();
    expect(first.length).toBe(15);
    expect(first[0]!.data[14]).toBe(eth(OWN, 60, 0)[14]);
  });

  it('CVE-2018-17963: a frame over the queue’s size limit is refused before it reaches the NIC', () => {
    const { b, d } = bench();
    d.initRx(RCTL.BAM | RCTL.SECRC);
    b.wire.inject(eth(OWN, DEFAULT_QUEUE_LIMITS.maxFrameBytes + 1));
    expect(b.nic.net.incoming.length).toBe(0);
    expect(b.nic.net.stats.rxQueueFull).toBe(1);
    // delivered directly (RX on, SBP) it still fits the ring bounds: 65 KiB in 2 KiB buffers is too big for 16 descriptors
    d.w(R.RCTL, RCTL.EN | RCTL.BAM | RCTL.SECRC | RCTL.SBP);
    b.wire.inject(eth(OWN, 65000));
    expect(b.nic.counters()['rxOverrun']).toBe(1);
    expectStillWorks(b, d);
  });
});
