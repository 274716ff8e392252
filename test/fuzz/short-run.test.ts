/**
 * The short fuzz run of `npm test`: at least 200k operations per device
 * model. Longer runs: `npm run fuzz -- --device NAME --seconds N`.
 */
import { describe, expect, it } from 'vitest';
import { fuzzSubjects, runFuzz } from '../../src/fuzz/index.js';

const OPS = 200_000;

describe('short fuzz run', () => {
  for (const subject of fuzzSubjects()) {
    it(`${subject.name}: ${OPS} operations, no invariant broken`, { timeout: 300_000 }, () => {
      const r = runFuzz(subject, { opSeed: 0x5eed, ops: OPS });
      if (r.failure) throw new Error(`operation ${r.failure.at} ${JSON.stringify(r.failure.op)}: ${r.failure.kind}: ${r.failure.message}\nreproduce: npm run fuzz -- --device ${subject.name} --seed ${0x5eed} --ops ${r.failure.at + 1}`);
      expect(r.stats.ops).toBe(OPS);
      // A subject with a driver bring-up gets its datapath running: frames go out, and GSO frames come in whole where the NIC takes them.
      if (subject.bringUp) expect(r.stats.framesOut).toBeGreaterThan(100);
      if (subject.name === 'virtio-net-pci') expect(r.stats.framesOffloadedIn).toBeGreaterThan(0);
      // e1000 posts TCP segmentation sends too: some reach the peer whole.
      if (subject.name.startsWith('e1000')) expect(r.stats.framesOffloaded).toBeGreaterThan(0);
    });
  }
});
