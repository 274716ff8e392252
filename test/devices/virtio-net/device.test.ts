/**
 * Device-level behaviour beyond the data path: MSI-X vectors, the PCI_CFG
 * access window, the legacy MAC write, GUEST_ANNOUNCE, queue reset, bus
 * mastering, multiqueue steering, save/restore in the middle of traffic,
 * and building the device from a QEMU command line.
 */
import { describe, expect, it } from 'vitest';
import { asBurst } from '../../../src/virtio/burst.js';
import { buildMachine } from '../../../src/machine/build.js';
import { VIRTIO_NET_F } from '../../../src/devices/virtio-net/features.js';
import { COMMON, LEGACY } from '../../../src/virtio/pci/regs.js';
import { VIRTIO_F } from '../../../src/virtio/features.js';
import { BROADCAST, COMBOS, DEFAULT_MAC, Driver, ethFrame, OTHER_MAC } from './driver.js';
import { ipFrame } from './packets.js';

const MODERN = COMBOS[1]!;
const LEGACY_C = COMBOS[0]!;

describe('virtio-net device', () => {
  for (const combo of [MODERN, LEGACY_C]) {
    it(`${combo.name}: with MSI-X on, queue and config events go to their vectors, INTx stays low`, () => {
      const d = new Driver({ combo, msix: true });
      d.postRx(4, 2048);
      d.kick(0);
      d.send(ethFrame(BROADCAST, DEFAULT_MAC, 60, 1));
      d.peer.send(ethFrame(DEFAULT_MAC, OTHER_MAC, 60, 2));
      d.peer.client.setLinkUp(false);
      expect(d.msgs.map((m) => m.data)).toEqual([0x40 + 2, 0x40 + 1, 0x40 + 0]);
      expect(d.irq.level).toBe(false);
      expect(d.irq.changes).toBe(0);
    });
  }

  it('MSI-X masked vector: the message waits in the PBA and goes out on unmask', () => {
    const d = new Driver({ combo: MODERN, msix: true });
    const bar1 = d.dev.bar(1)!;
    bar1.write(16 * 2 + 12, 4, 1);
    d.send(ethFrame(BROADCAST, DEFAULT_MAC, 60, 1));
    expect(d.msgs).toEqual([]);
    expect(bar1.read(0x800, 4)).toBe(1 << 2);
    bar1.write(16 * 2 + 12, 4, 0);
    expect(d.msgs.map((m) => m.data)).toEqual([0x42]);
    expect(bar1.read(0x800, 4)).toBe(0);
  });

  it('the PCI_CFG capability reaches the common configuration through config space (§4.1.4.9)', () => {
    const d = new Driver({ combo: MODERN, noInit: true });
    const p = d.dev.pci;
    const cap = 0x84;
    p.configWrite(cap + 4, 1, 4); // bar
    p.configWrite(cap + 8, 4, COMMON.NUMQ); // offset
    p.configWrite(cap + 12, 4, 2); // length
    expect(p.configRead(cap + 16, 2)).toBe(3);
    p.configWrite(cap + 8, 4, COMMON.STATUS);
    p.configWrite(cap + 12, 4, 1);
    p.configWrite(cap + 16, 1, 1);
    expect(d.status).toBe(1);
    // A length other than 1, 2 or 4, or another BAR, does nothing.
    p.configWrite(cap + 12, 4, 3);
    p.configWrite(cap + 16, 1, 0);
    expect(d.status).toBe(1);
  });

  it('a legacy driver without CTRL_MAC_ADDR changes the MAC by writing config space; a modern one cannot', () => {
    const d = new Driver({ combo: LEGACY_C });
    for (let i = 0; i < 6; i++) d.wr(0x14 + i, 1, [0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee][i]!);
    expect([...d.dev.currentAddress]).toEqual([0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee]);
    const m = new Driver({ combo: MODERN });
    m.wr(0x2000, 1, 0x02);
    expect(m.cfg(0, 1)).toBe(0x52);
  });

  it('GUEST_ANNOUNCE: the device sets VIRTIO_NET_S_ANNOUNCE, the driver acks it', () => {
    const d = new Driver({ combo: MODERN, features: [VIRTIO_NET_F.GUEST_ANNOUNCE] });
    d.readIsr();
    expect(d.dev.announce()).toBe(true);
    expect(d.cfg(6, 2)).toBe(3);
    expect(d.readIsr()).toBe(2);
    expect(d.ctrl(3, 0)).toBe(0);
    expect(d.cfg(6, 2)).toBe(1);
    const plain = new Driver({ combo: MODERN });
    expect(plain.dev.announce()).toBe(false);
  });

  it('queue reset (VIRTIO_F_RING_RESET): the transmit queue starts over on a new ring', () => {
    const d = new Driver({ combo: MODERN, features: [VIRTIO_F.RING_RESET] });
    d.send(ethFrame(BROADCAST, DEFAULT_MAC, 60, 1));
    d.wr(COMMON.Q_SELECT, 2, 1);
    d.wr(COMMON.Q_RESET, 2, 1);
    expect(d.rd(COMMON.Q_ENABLE, 2)).toBe(0);
    expect(d.rd(COMMON.Q_RESET, 2)).toBe(0);
    d.setupQueue(1);
    expect(d.send(ethFrame(BROADCAST, DEFAULT_MAC, 60, 2))).toEqual([{ id: 0, len: 0 }]);
    expect(d.peer.frames).toHaveLength(2);
  });

  it('without bus mastering the device neither reads rings nor writes buffers', () => {
    const d = new Driver({ combo: MODERN });
    d.postRx(2, 2048);
    d.kick(0);
    d.dev.pci.configWrite(0x04, 2, 0x0003);
    d.queueTx(ethFrame(BROADCAST, DEFAULT_MAC, 60, 1));
    d.kick(1);
    expect(d.peer.frames).toHaveLength(0);
    expect(d.peer.send(ethFrame(DEFAULT_MAC, OTHER_MAC, 60, 2))).toBe('queued');
    d.dev.pci.configWrite(0x04, 2, 0x0007);
    expect(d.receive()).toHaveLength(1);
    d.kick(1);
    expect(d.peer.frames).toHaveLength(1);
  });

  it('multiqueue: after VQ_PAIRS_SET, replies come back on the queue pair that sent the flow', () => {
    const d = new Driver({ combo: MODERN, features: [VIRTIO_NET_F.MQ], device: { mq: true, queuePairs: 4 } });
    expect(d.ctrl(4, 0, Uint8Array.of(4, 0))).toBe(0);
    for (let p = 0; p < 4; p++) {
      for (let i = 0; i < 4; i++) d.queues[2 * p]!.add([{ len: 2048, write: true }]);
      d.kick(2 * p);
    }
    for (let p = 0; p < 4; p++) {
      const out = ipFrame({ payload: 20, srcPort: 5000 + p, src: DEFAULT_MAC });
      d.queues[2 * p + 1]!.add([{ len: 12 + out.frame.length, data: new Uint8Array([...new Uint8Array(12), ...out.frame]) }]);
      d.kick(2 * p + 1);
    }
    expect(d.peer.frames).toHaveLength(4);
    for (let p = 0; p < 4; p++) {
      // The reply: addresses and ports swapped.
      const r = ipFrame({ payload: 20, srcPort: 80, dstPort: 5000 + p, dst: DEFAULT_MAC });
      r.frame.set([10, 0, 2, 2], 26);
      r.frame.set([10, 0, 2, 15], 30);
      d.peer.send(r.frame);
    }
    for (let p = 0; p < 4; p++) expect(d.queues[2 * p]!.takeUsed()).toHaveLength(1);
  });

  for (const combo of [COMBOS[2]!, COMBOS[6]!]) {
    it(`${combo.name}: a save inside a burst publishes the used elements held back, so guest memory matches the saved ring`, () => {
      const a = new Driver({ combo });
      a.postRx(6, 2048);
      a.kick(0);
      let saved: unknown;
      let seen: number[] = [];
      asBurst(() => {
        a.peer.send(ethFrame(DEFAULT_MAC, OTHER_MAC, 100, 7));
        expect(a.dev.core.hasUnpublished(0)).toBe(true);
        saved = JSON.parse(JSON.stringify(a.dev.saveState()));
        expect(a.dev.core.hasUnpublished(0)).toBe(false);
        seen = a.receive().map((g) => g.frame[14]!);
      });
      expect(seen).toEqual([7]);
      expect(saved).toBeDefined();
    });

    it(`${combo.name}: save and restore in the middle of traffic, onto a fresh device`, () => {
      const a = new Driver({ combo });
      a.postRx(6, 512);
      a.kick(0);
      a.peer.send(ethFrame(DEFAULT_MAC, OTHER_MAC, 700, 1));
      a.receive();
      a.queueTx(ethFrame(BROADCAST, DEFAULT_MAC, 60, 2));
      expect(a.ctrl(0, 0, Uint8Array.of(0))).toBe(0);
      const saved = JSON.parse(JSON.stringify(a.dev.saveState()));
      // A fresh machine with the same RAM contents and a new device of the same configuration.
      const b = new Driver({ combo, noInit: true });
      const ram = new Uint8Array(8 << 20);
      a.mem.read(0, ram);
      b.mem.write(0, ram);
      expect(b.dev.restoreState(saved)).toBeUndefined();
      expect(b.dev.filter.promisc).toBe(false);
      // The restored device carries on with the rings the driver built before.
      b.queues.push(...a.queues);
      b.features = a.features;
      b.kick(1);
      expect(b.peer.frames).toHaveLength(1);
      b.peer.send(ethFrame(DEFAULT_MAC, OTHER_MAC, 300, 3));
      expect(b.dev.counters()['rxFrames']).toBe(1);
      expect(b.dev.saveState()).toBeDefined();
    });
  }

  it('restore refuses a state from another configuration and changes nothing', () => {
    const a = new Driver({ combo: MODERN });
    const saved = a.dev.saveState();
    const b = new Driver({ combo: MODERN, device: { mrgRxbuf: false } });
    const before = JSON.stringify(b.dev.saveState());
    expect(b.dev.restoreState(saved)).toMatch(/offered/);
    expect(b.dev.restoreState({ ...saved, version: 99 })).toBeDefined();
    expect(b.dev.restoreState(42)).toBeDefined();
    expect(JSON.stringify(b.dev.saveState())).toBe(before);
  });

  it('a QEMU command line builds it: -netdev hubport + -device virtio-net-pci,netdev=...', async () => {
    const m = await buildMachine(
      { machine: 'pc', ramSize: 64 << 20, netdevs: ['hubport,id=h0,hubid=0'], devices: ['virtio-net-pci,netdev=h0,mac=52:54:00:00:00:09,mrg_rxbuf=off,disable-legacy=on'], nics: [], nets: [] },
      {},
    );
    const nic = m.nics[0]!;
    expect([...nic.mac]).toEqual([0x52, 0x54, 0, 0, 0, 9]);
    expect(nic.pci.configRead(0, 4)).toBe(0x10411af4);
    expect(nic.counters()['txFrames']).toBe(0);
    m.close();
  });

  it('FEATURES_OK is refused for a set that breaks a §5.1.3.1 dependency (GUEST_TSO4 without GUEST_CSUM)', () => {
    const d = new Driver({ combo: MODERN, noInit: true });
    const bad = (1n << BigInt(VIRTIO_NET_F.GUEST_TSO4)) | (1n << 32n);
    expect(d.negotiate(bad) & 0x08).toBe(0);
    expect(d.counters()['featuresRefused']).toBe(1);
    const good = bad | (1n << BigInt(VIRTIO_NET_F.GUEST_CSUM));
    expect(d.negotiate(good) & 0x08).toBe(0x08);
  });

  it('legacy QUEUE_PFN 0 disables that queue only', () => {
    const d = new Driver({ combo: LEGACY_C });
    d.wr(LEGACY.QUEUE_SEL, 2, 0);
    d.wr(LEGACY.QUEUE_PFN, 4, 0);
    expect(d.rd(LEGACY.QUEUE_PFN, 4)).toBe(0);
    expect(d.send(ethFrame(BROADCAST, DEFAULT_MAC, 60, 1))).toHaveLength(1);
    expect(d.status).toBe(7);
  });
});
