/**
 * Two v86 guests in one process, each on its own nicemu e1000, exchanging
 * frames through one QEMU-style hub (`-netdev hubport,hubid=1` on both).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubRegistry } from '../../src/hub/hub.js';
import { findNicModel } from '../../src/devices/models.js';
import { attachToV86, type V86Nic } from '../../src/v86/index.js';
import type { BootedGuest } from '../../src/v86/guest/boot.node.js';
import { boot, guestAvailability, pingSummary } from './harness.js';

const { manifest, reason } = guestAvailability();
const runnable = manifest !== undefined && findNicModel('e1000') !== undefined;

describe.runIf(runnable)('guest: two v86 guests on one hub (hubport)', () => {
  const hubs = new HubRegistry();
  const guests: BootedGuest[] = [];
  const nics: V86Nic[] = [];

  beforeAll(async () => {
    const start = (n: number): Promise<BootedGuest> =>
      boot(
        manifest!,
        async (emu) => {
          nics[n] = await attachToV86(emu, { device: 'e1000', netdev: `hubport,id=hp${n},hubid=1`, hubs, mac: `52:54:00:00:09:0${n + 1}`, v86Version: manifest!.v86Version });
        },
        `nicemu.net=10.0.9.${n + 1}/24 nicemu.modules=e1000`,
      );
    guests.push(...(await Promise.all([start(0), start(1)])));
    const ready = await Promise.all(guests.map((g) => g.console.waitFor(/^NICEMU-READY/, 200_000)));
    if (ready.some((r) => !r)) throw new Error(`a guest did not get ready:\n${guests.map((g) => g.console.text().split('\n').slice(-10).join('\n')).join('\n---\n')}`);
  }, 240_000);

  afterAll(async () => {
    for (const n of nics) n?.detach();
    await Promise.all(guests.map((g) => g.stop()));
  });

  it('both NICs hang off hub 1', () => {
    expect(hubs.get(1).ports.map((p) => p.client.name).sort()).toEqual(['hp0', 'hp1']);
  });

  it('guest A pings guest B through the hub, 0% loss', async () => {
    const r = await guests[0]!.console.run('ping -c 50 -s 1000 -A -W 2 10.0.9.2 | tail -n 3', 120_000);
    expect(pingSummary(r.output)).toEqual({ sent: 50, received: 50, lossPct: 0 });
    // Each side sent and received at least the 50 echo frames (plus ARP).
    for (const n of nics) {
      expect(n.stats().net.txFrames).toBeGreaterThanOrEqual(50);
      expect(n.stats().net.rxFrames).toBeGreaterThanOrEqual(50);
    }
  }, 130_000);

  it('guest B sees guest A in its neighbour table', async () => {
    const r = await guests[1]!.console.run('ip neigh show 10.0.9.1');
    expect(r.output.join('\n')).toContain('52:54:00:00:09:01');
  });
});

describe.runIf(!runnable)('guest: two v86 guests on one hub (hubport)', () => {
  it.todo(`skipped: ${reason ?? 'no e1000 model'}`);
});
