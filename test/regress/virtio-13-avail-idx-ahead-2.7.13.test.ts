/**
 * bad-input.md item 13 — virtio 1.2 §2.7.13.3 / §2.7.6: avail.idx running
 * more than a ring ahead of the device's position cannot be legitimate. The
 * device must not process the garbage entries: DEVICE_NEEDS_RESET, a
 * configuration change notification, nothing consumed, until a reset.
 * A naive device walks `avail.idx - last_avail` entries of stale ring.
 */
import { describe, expect, it } from 'vitest';
import { counted, expectTxWorks, LEGACY_PLAIN, MODERN, needsReset, split } from './virtio-helpers.js';

describe('virtio 1.2 §2.7.13: avail.idx - last_avail > queue size', () => {
  for (const combo of [MODERN, LEGACY_PLAIN]) {
    it(`${combo.name}: DEVICE_NEEDS_RESET, nothing processed, recovers after reset`, () => {
      const { d, mem } = counted({ combo });
      const q = split(d, 1);
      d.readIsr();
      q.rawAvail(0, q.size + 1);
      const calls = mem.calls;
      d.kick(1);
      expect(mem.calls - calls).toBeLessThan(10);
      expect(needsReset(d)).toBe(true);
      expect(d.peer.frames).toHaveLength(0);
      expect(q.usedIdx).toBe(0);
      expect(d.counters()['ringErrors']).toBe(1);
      expect(d.counters()['needsReset']).toBe(1);
      // A configuration change notification tells the driver (§2.1.2).
      expect(d.readIsr() & 2).toBe(2);
      // The device stays stopped: more kicks do nothing.
      d.kick(1);
      expect(d.peer.frames).toHaveLength(0);
      expect(d.counters()['ringErrors']).toBe(1);
      // Reset and re-initialise: the device works again.
      d.init();
      expect(needsReset(d)).toBe(false);
      expectTxWorks(d);
    });
  }

  it('exactly a full ring ahead is legal', () => {
    const { d } = counted({ combo: MODERN });
    for (let i = 0; i < d.txq.size; i++) d.queueTx(new Uint8Array(60).fill(i));
    d.kick(1);
    expect(d.txq.takeUsed()).toHaveLength(d.txq.size);
    expect(d.peer.frames).toHaveLength(d.txq.size);
    expect(needsReset(d)).toBe(false);
  });
});
