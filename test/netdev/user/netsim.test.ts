import { describe, expect, it } from 'vitest';
import { runNetsim } from './netsim.js';

const FAULTS = { loss: 0.01, duplicate: 0.01, reorder: 0.02, corrupt: 0.002, latencyNs: 500_000, reorderDelayNs: 5_000_000 };

/** 10 MB each way, 0 bytes wrong, a clean close, and the faults really happened and were recovered from. */
function expectTenMegabytesThroughFaults(r: Awaited<ReturnType<typeof runNetsim>>): void {
  expect(r.hostReceived).toBe(10 * 1024 * 1024);
  expect(r.guestReceived).toBe(10 * 1024 * 1024);
  expect(r.hostWrong).toBe(0);
  expect(r.guestWrong).toBe(0);
  expect(r.closedCleanly).toBe(true);
  expect(r.link.lost).toBeGreaterThan(50);
  expect(r.link.duplicated).toBeGreaterThan(50);
  expect(r.link.reordered).toBeGreaterThan(100);
  expect(r.link.corrupted).toBeGreaterThan(5);
  expect(r.net.stats.tcpRetransmits).toBeGreaterThan(0);
  expect(r.net.stats.tcpBadChecksum + r.net.stats.ipv4BadChecksum).toBeGreaterThan(0);
}

describe('netsim: guest-facing TCP over a faulty link (virtual time)', () => {
  it('moves 10 MB each way with 0 bytes wrong (seed 1; 1% loss, 1% duplication, 2% reordering, 0.2% corruption)', async () => {
    expectTenMegabytesThroughFaults(await runNetsim(1, 10 * 1024 * 1024, FAULTS));
  }, 60_000);

  for (const seed of [2, 3, 4]) {
    it(`moves 512 KiB each way under heavier faults (seed ${seed}; 5% loss, 5% reordering)`, async () => {
      const r = await runNetsim(seed, 512 * 1024, { ...FAULTS, loss: 0.05, reorder: 0.05, duplicate: 0.03 });
      expect([r.hostReceived, r.hostWrong, r.guestReceived, r.guestWrong]).toEqual([512 * 1024, 0, 512 * 1024, 0]);
    }, 30_000);
  }
});

describe('netsim with a batching host (UserHost.soon: one host write and one ACK per burst)', () => {
  it('moves 10 MB each way with 0 bytes wrong (seed 1; 1% loss, 1% duplication, 2% reordering, 0.2% corruption)', async () => {
    const r = await runNetsim(1, 10 * 1024 * 1024, FAULTS, {}, 3600e9, true);
    expect(r.bursts).toBeGreaterThan(100);
    expectTenMegabytesThroughFaults(r);
  }, 60_000);

  for (const seed of [2, 3, 4, 5]) {
    it(`moves 512 KiB each way under heavier faults (seed ${seed}; 5% loss, 5% reordering)`, async () => {
      const r = await runNetsim(seed, 512 * 1024, { ...FAULTS, loss: 0.05, reorder: 0.05, duplicate: 0.03 }, {}, 3600e9, true);
      expect([r.hostReceived, r.hostWrong, r.guestReceived, r.guestWrong, r.closedCleanly]).toEqual([512 * 1024, 0, 512 * 1024, 0, true]);
      expect(r.bursts).toBeGreaterThan(0);
    }, 30_000);
  }
});
